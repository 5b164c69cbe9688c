"""/herinneringen through the real Telegram stack: add by button and by typed Dutch time, a
bad time refused, move and cancel, with the engine's clock held still.

"Now" is Tuesday 1 December 2026, 10:00 in Amsterdam. The reminders set here fall due days
later, so the delivery job (on the real clock) leaves them alone during the test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.actions.reminders import manage
from bot.config import Settings
from bot.reminders.when import PROBLEMS
from bot.store.db import make_engine, make_sessionmaker
from bot.store.models import Practitioner, Reminder
from tests.support.onboarding import onboard_user
from tests.support.stub_bot_api import BotOutput, SimUser, StubBotAPI
from tests.support.telegram import Texts, bot_against, engine_of

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def shows(user: SimUser, action: object, *expected: str) -> BotOutput:
    """Do `action` and expect one reply containing every one of `expected`."""
    await action  # type: ignore[misc]
    out = await user.reply()
    for text in expected:
        assert text in (out.plain_text or ""), f"{text!r} not in {out.describe()}"
    return out


def first(txt: Texts, step: str) -> str:
    """The start of a step of /herinneringen as the practitioner reads it (no markup)."""
    return re.sub(r"<[^>]+>", "", txt.first_line("herinneringen", step)).strip()


async def reminders_of(settings: Settings, user: SimUser) -> list[Reminder]:
    db = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(db)() as session:
            query = (
                select(Reminder)
                .join(Practitioner, Practitioner.id == Reminder.owner_id)
                .where(Practitioner.external_key == f"telegram:{user.user_id}")
                .order_by(Reminder.id)
            )
            return list((await session.execute(query)).scalars())
    finally:
        await db.dispose()


async def test_add_move_and_cancel_reminders_over_telegram(
    stub: StubBotAPI, settings: Settings, txt: Texts
) -> None:
    async with bot_against(stub, settings) as app:
        engine_of(app).clock = lambda: NOW
        user = stub.user(3001)
        await onboard_user(user, txt, "Gezin R.")
        t = txt.t

        await shows(user, user.send("/herinneringen"), t("Reminders"), t(manage.NONE_YET))

        # By button: for the family, tomorrow 9:00.
        await shows(user, user.press(t("New reminder")), "Gezin R.")
        await shows(user, user.press(t("Yes, this family")), first(txt, "about"))
        await shows(user, user.send("moeder bellen"), first(txt, "when"))
        await shows(
            user,
            user.press(t("Tomorrow 09:00")),
            "Ik herinner je eraan op woensdag 2 december om 09:00.",
            "moeder bellen",
        )

        # Typed Dutch, without a family; a past time is refused with an example first.
        await user.press(t("New reminder"))
        await user.reply()
        await user.press(t("No, without a family"))
        await user.reply()
        await user.send("supervisie voorbereiden")
        await user.reply()
        refused = await shows(user, user.send("gisteren 10:00"), t(PROBLEMS["past"]))
        assert t("This afternoon 14:00") in refused.flat_buttons  # asked again
        await shows(
            user,
            user.send("do 14:30"),
            "Ik herinner je eraan op donderdag 3 december om 14:30.",
            t(manage.WITHOUT_CASE),
        )
        assert [(r.kind, r.case_id is None) for r in await reminders_of(settings, user)] == [
            ("free", False),
            ("free", True),
        ]

        # Move the first one by typing a date.
        listed = await shows(user, user.send("/herinneringen"), "moeder bellen")
        [moeder] = [b for b in listed.flat_buttons if b.startswith("wo 2 dec 09:00")]
        await shows(user, user.press(moeder), "moeder bellen")
        await shows(user, user.press(t("Move")), "woensdag 2 december om 09:00")
        await shows(user, user.send("12-1 10:00"), "dinsdag 12 januari 2027 om 10:00")

        # Cancel it, after a confirmation.
        await shows(user, user.press(t("Cancel…")), "moeder bellen")
        await shows(user, user.press(t("Yes, cancel")), t(manage.CANCELLED))
        saved = await reminders_of(settings, user)
        assert [r.status for r in saved] == ["cancelled", "pending"]
        assert saved[0].due_at == datetime(2027, 1, 12, 9, 0, tzinfo=UTC)


async def test_a_moment_more_than_a_year_ahead_is_refused_over_telegram(
    stub: StubBotAPI, settings: Settings, txt: Texts
) -> None:
    """A year on from NOW is 1 December 2027: later is refused in the practitioner's
    language and asked again; that day itself is kept."""
    refusals = {
        "nl": "Dat is te ver weg: een herinnering kan hooguit een jaar vooruit, uiterlijk "
        "1 december 2027. Kies een eerder moment.",
        "en": "That is too far ahead: a reminder can be at most a year away, 1 December 2027 "
        "at the latest. Choose an earlier moment.",
    }
    kept = {
        "nl": "Ik herinner je eraan op woensdag 1 december 2027 om 09:00.",
        "en": "I'll remind you on Wednesday 1 December 2027 at 09:00.",
    }
    async with bot_against(stub, settings) as app:
        engine_of(app).clock = lambda: NOW
        for user_id, language in ((3002, "nl"), (3003, "en")):
            user = stub.user(user_id, language_code=language)
            t = txt.catalogs.get(language).gettext
            for action in (
                user.send("/start"),
                user.press(txt.button("onboarding", "welcome", "next", language)),
                user.press(txt.button("onboarding", "privacy", "ok", language)),
                user.send("Gezin S."),
                user.send("/herinneringen"),
                user.press(t("New reminder")),
                user.press(t("Yes, this family")),
                user.send("oma bellen"),
            ):
                await action
                await user.reply()
            for typed in ("9999-12-31 23:59", "1-1-3000 9:00", "over 5000 jaar"):
                refused = await shows(user, user.send(typed), refusals[language])
                assert t("Tomorrow 09:00") in refused.flat_buttons  # asked again
            assert await reminders_of(settings, user) == []

            await shows(user, user.send("1-12-2027 9:00"), kept[language])
            [saved] = await reminders_of(settings, user)
            assert saved.due_at == datetime(2027, 12, 1, 8, 0, tzinfo=UTC)
