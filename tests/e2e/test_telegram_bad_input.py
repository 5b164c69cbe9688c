"""Bad input through the real Telegram stack: each gets a clear answer in the
practitioner's language, and what is stored is exactly what it was before.

"Exactly" is checked on every row of every table, read with plain SQL (`snapshot`). The
answers themselves are also checked in tests/e2e/test_telegram_foundation.py; here the
point is that nothing else happened. Labels with markup, emoji, right-to-left script or
invisible characters are accepted and must be stored as the practitioner meant them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from bot.channels.telegram.channel import PRIVATE_ONLY
from bot.config import Settings
from bot.engine.messages import (
    EDITED,
    EMPTY,
    STALE_NOTICE,
    TOO_LONG,
    UNKNOWN_BUTTON,
    UNKNOWN_COMMAND,
    UNSUPPORTED,
    USE_BUTTONS,
)
from bot.store.db import make_engine, make_sessionmaker
from bot.store.models import Case, Practitioner
from tests.support.onboarding import at_label_step, onboard_user
from tests.support.snapshot import differences, snapshot
from tests.support.stub_bot_api import SimUser, StubBotAPI
from tests.support.telegram import Texts, bot_against

pytestmark = pytest.mark.e2e

Send = Callable[[], Awaitable[object]]


async def answered_without_change(
    user: SimUser, url: str, cases: list[tuple[str, Send, str]], step_line: str
) -> None:
    """Each `(name, send, expected)`: the answer holds `expected` and the step, and no
    row anywhere changed."""
    rows = await snapshot(url)
    for name, send, expected in cases:
        await send()
        answer = await user.reply()
        assert expected in (answer.text or ""), f"{name}: {answer.describe()}"
        assert step_line in (answer.text or ""), f"{name}: not at the step any more"
        after = await snapshot(url)
        assert after == rows, f"{name} changed {differences(rows, after)}"


def too_long(txt: Texts, language: str = "nl") -> str:
    return txt.t(TOO_LONG, language).replace("{max}", "40")


async def labels_of(url: str, user_id: int) -> list[str]:
    """The practitioner's family labels as stored (decrypted by the model), oldest first."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            query = (
                select(Case.label)
                .join(Practitioner, Practitioner.id == Case.owner_id)
                .where(Practitioner.external_key == f"telegram:{user_id}")
                .order_by(Case.id)
            )
            return list((await session.execute(query)).scalars())
    finally:
        await engine.dispose()


@asynccontextmanager
async def arriving_together(stub: StubBotAPI) -> AsyncIterator[None]:
    """Updates made in the block are handed to the bot in one batch of getUpdates: as
    close to "at once" as Telegram gets."""
    queued = stub.pending_updates
    with stub.holding_updates():
        yield
        assert stub.pending_updates >= queued + 2, "the updates were not queued together"


# --- input the bot cannot use ------------------------------------------------------------------


async def test_unreadable_input_at_a_typing_step_changes_nothing(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(3001)
    await at_label_step(user, txt)
    cases: list[tuple[str, Send, str]] = [
        ("photo", user.send_photo, txt.t(UNSUPPORTED)),
        ("sticker", user.send_sticker, txt.t(UNSUPPORTED)),
        ("voice", user.send_voice, txt.t(UNSUPPORTED)),
        ("location", user.send_location, txt.t(UNSUPPORTED)),
        ("contact", user.send_contact, txt.t(UNSUPPORTED)),
        ("document", user.send_document, txt.t(UNSUPPORTED)),
        ("4,096 characters", lambda: user.send("Gezin " + "x" * 4090), too_long(txt)),
        ("only invisible", lambda: user.send("\u200b\u2060\u202e \ufeff"), txt.t(EMPTY)),
        ("only control", lambda: user.send("\x07\x1b\x00"), txt.t(EMPTY)),
        ("unknown command", lambda: user.send("/onbekend"), txt.t(UNKNOWN_COMMAND)),
    ]
    step = txt.first_line("onboarding", "first_case")
    await answered_without_change(user, settings.database_url, cases, step)
    await user.send("Gezin B")  # and the step still takes its answer
    assert "Gezin B" in (await user.reply()).text


async def test_text_with_markup_where_buttons_are_expected_changes_nothing(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(3002)
    await onboard_user(user, txt)
    cases: list[tuple[str, Send, str]] = [
        ("html", lambda: user.send("<b>vet</b> <a href='http://x'>link</a> &amp;"), ""),
        ("markdown", lambda: user.send("*bold* _x_ [a](http://x) `code`"), ""),
        ("control", lambda: user.send("a\x07b\x1b[31mc\x00"), ""),
        ("4,096 characters", lambda: user.send("<i>" * 1024 + "*_" * 512), ""),
    ]
    cases = [(name, send, txt.t(USE_BUTTONS)) for name, send, _ in cases]
    step = txt.first_line("menu", "main")
    await answered_without_change(user, settings.database_url, cases, step)


async def test_an_english_practitioner_gets_the_answers_in_english(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(3003, language_code="en")
    await at_label_step(user, txt, "en")
    cases: list[tuple[str, Send, str]] = [
        ("sticker", user.send_sticker, txt.t(UNSUPPORTED, "en")),
        ("4,096 characters", lambda: user.send("x" * 4096), too_long(txt, "en")),
        ("unknown command", lambda: user.send("/unknown"), txt.t(UNKNOWN_COMMAND, "en")),
    ]
    step = txt.first_line("onboarding", "first_case", "en")
    await answered_without_change(user, settings.database_url, cases, step)
    assert txt.t(UNSUPPORTED, "en") != txt.t(UNSUPPORTED)  # really another language


# --- labels as the practitioner meant them -----------------------------------------------------


async def test_labels_with_markup_emoji_and_other_scripts_are_kept_and_shown_literally(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(3004)
    await onboard_user(user, txt, "Gezin A")
    labels = [
        ("*bold* _x_ [a](http://x)", "*bold* _x_ [a](http://x)"),
        ("<i>K</i> & <a href='x'>co</a>", "<i>K</i> & <a href='x'>co</a>"),
        ("Gezin 👨‍👩‍👧 🌻", "Gezin 👨‍👩‍👧 🌻"),
        ("عائلة س", "عائلة س"),
        ("משפחה כ", "משפחה כ"),
        ("Ge\u200bzin\u202e Z\u2069\ufeff", "Gezin Z"),
        ("Gezin\x07 K\x1b", "Gezin K"),
    ]
    for typed, meant in labels:
        await user.send("/gezin")
        await user.reply()
        await user.press(txt.button("cases", "overview", "new"))
        await user.reply()
        await user.send(typed)
        menu = await user.reply()
        assert meant in (menu.plain_text or ""), f"{typed!r} shown as {menu.plain_text!r}"
        entities = user.messages[menu.message_id].entities
        assert all(e["type"] == "bold" for e in entities), f"{typed!r} was rendered: {entities}"
    stored = await labels_of(settings.database_url, user.user_id)
    assert stored == ["Gezin A", *(meant for _typed, meant in labels)]


# --- commands, buttons and messages at the wrong moment ------------------------------------------


async def test_a_command_in_the_middle_of_a_step_waits_until_you_come_back(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(3005)
    await at_label_step(user, txt)
    await user.send("/tips")
    card = await user.reply()
    assert txt.say("tips", "phase1") in card.text
    await user.send("/start")
    back = await user.reply()
    assert txt.first_line("onboarding", "first_case") in back.text
    await user.send("Gezin T")
    assert "Gezin T" in (await user.reply()).text

    await user.send("/gezin")
    await user.reply()
    await user.press(txt.button("cases", "overview", "new"))
    await user.reply()
    await user.send("/hulp")
    await user.reply()
    await user.send("/gezin")
    again = await user.reply()
    assert txt.first_line("cases", "ask_label") in again.text
    await user.send("Gezin U")
    await user.reply()
    assert await labels_of(settings.database_url, user.user_id) == ["Gezin T", "Gezin U"]


async def test_stale_and_forged_buttons_change_nothing(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(3006)
    await user.send("/start")
    welcome = await user.reply()
    old = welcome.callback_data[0][0]
    await user.press(txt.button("onboarding", "welcome", "next"))
    await user.reply()
    await user.press(txt.button("onboarding", "privacy", "ok"))
    await user.reply()
    other = running.user(3007)
    await other.send("/start")
    theirs = (await other.reply()).callback_data[0][0]

    rows = await snapshot(settings.database_url)
    shown = {i: m.text for i, m in user.messages.items()}
    presses = [
        ("stale, from an old message", old, STALE_NOTICE),
        ("forged", "0:b:next|AAAAAAAA", UNKNOWN_BUTTON),
        ("signed for someone else", theirs, UNKNOWN_BUTTON),
        ("of a message gone", old, STALE_NOTICE),
    ]
    for name, data, expected in presses:
        message_id = welcome.message_id if name != "of a message gone" else 999_999
        await user.press_data(data, message_id)
        await running.wait_confirmed()
        # Only the short notice on the button; the chat stays as it is.
        assert user.callback_answers[-1].get("text") == txt.t(expected), name
        assert user.drain() == [], name
        assert {i: m.text for i, m in user.messages.items()} == shown, name
        after = await snapshot(settings.database_url)
        assert after == rows, f"{name} changed {differences(rows, after)}"
    assert len(user.callback_answers) == 2 + len(presses)  # every press answered


async def test_the_same_button_pressed_twice_at_once_applies_once(
    stub: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = stub.user(3008)
    async with bot_against(stub, settings):
        await onboard_user(user, txt)
        await user.send("/fase")
        phases = await user.reply()
        title = txt.t(txt.flows["fase2"].title)
        await user.press(next(b for b in phases.flat_buttons if title in b))
        await user.reply()
        await user.send("oma, familie, dichtbij")
        decision = await user.reply()
        assert txt.first_line("fase2", "decision") in decision.text
        rows = await snapshot(settings.database_url)

        yes = txt.button("fase2", "decision", "consent")
        async with arriving_together(stub):
            await user.press(yes)  # a double tap: two callback queries, same button
            await user.press(yes)
        first = await user.reply()
        await stub.wait_confirmed()
        later = user.drain()

    assert txt.first_line("fase2", "hub") in first.text
    assert later == []  # the second tap: a notice on the button, no copy of the step
    after = await snapshot(settings.database_url)
    assert len(after["people"]) == len(rows["people"]) + 1
    assert len(after["agreements"]) == len(rows["agreements"]) + 1
    notices = [answer.get("text") for answer in user.callback_answers[-2:]]
    assert notices.count(txt.t(STALE_NOTICE)) == 1


async def test_two_messages_arriving_at_once_are_both_applied_in_order(
    stub: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = stub.user(3009)
    async with bot_against(stub, settings):
        await at_label_step(user, txt)
        async with arriving_together(stub):
            await user.send("Gezin Q")
            await user.send("/gezin")
        menu, overview = await user.reply(), await user.reply()
    assert "Gezin Q" in menu.text
    assert txt.first_line("menu", "main").strip() in menu.text
    assert txt.first_line("cases", "overview").strip() in overview.text
    assert "Gezin Q" in overview.text
    assert await labels_of(settings.database_url, user.user_id) == ["Gezin Q"]


async def test_an_edited_message_changes_nothing(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(3010)
    await at_label_step(user, txt)
    sent = await user.send("Gezin E")
    await user.reply()
    rows = await snapshot(settings.database_url)
    await user.edit(sent, "Gezin F")
    answer = await user.reply()
    assert txt.t(EDITED) in answer.text
    after = await snapshot(settings.database_url)
    assert after == rows, differences(rows, after)
    assert await labels_of(settings.database_url, user.user_id) == ["Gezin E"]


async def test_a_group_chat_is_refused_in_its_language_and_nothing_is_stored(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    rows = await snapshot(settings.database_url)
    dutch = running.group_user(3011, language_code="nl")
    english = running.group_user(3012, language_code="en")
    await dutch.send("/start")
    assert (await dutch.reply()).text == txt.t(PRIVATE_ONLY)
    await english.send("Gezin G")
    assert (await english.wait_until(lambda o: o.text == txt.t(PRIVATE_ONLY, "en"))).text
    await dutch.press_data("0:b:next|AAAAAAAA", 1)
    await dutch.wait_until(lambda o: o.text == txt.t(PRIVATE_ONLY))
    await dutch.send("/gezin")  # one user's updates are handled in order: the press is done
    await dutch.wait_until(lambda o: o.text == txt.t(PRIVATE_ONLY))
    assert [a.get("text") for a in dutch.callback_answers] == [txt.t(PRIVATE_ONLY)]
    after = await snapshot(settings.database_url)
    assert after == rows, differences(rows, after)
