"""#16 part 2: the reminder before a first meeting helps in the last minutes.

/voorbereiden as someone's very first command goes through onboarding and on into the
preparation; step 1 keeps the opening sentence typed there; the offer of a reminder has
same-day choices that follow the clock; the reminder carries the opening sentence and the
points prepared (no tip), within 600 characters, and never in the logs; its "Open ›" shows
what was kept, not step 1 of 7. In Dutch and English, through the engine, with the clock
held still: "now" is Tuesday 1 December 2026, 10:00 in Amsterdam unless a test moves it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import select

from bot.actions import preparation
from bot.actions.reminders import meeting, moment
from bot.engine.events import Identity, Reply
from bot.engine.messages import INTRODUCTION_FIRST, NEEDS_CASE
from bot.engine.render import BACK_LABEL, SKIP_LABEL, escape
from bot.engine.turn import Turn
from bot.reminders import message
from bot.reminders.delivery import LATE_AFTER, for_turns
from bot.store.models import Agreement, Practitioner, Reminder
from bot.store.status import ReminderKind
from bot.turns import Turns
from tests.support.chat import Chat

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
"""Tuesday 1 December 2026, 10:00 in Amsterdam (CET, UTC+1)."""
LANGUAGES = ("nl", "en")
SENTENCE = {
    "nl": "Ik help jullie een tijdje; wie om jullie heen blijft er?",
    "en": "I help you for a while; who around you stays?",
}
IN_AN_HOUR = {"nl": "dinsdag 1 december om 11:00", "en": "Tuesday 1 December at 11:00"}
PROGRESS = "Step {number} of {total}"


class Inbox:
    """A `Notifier` that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def notify(self, practitioner_key: str, reply: Reply) -> bool:
        self.sent.append(reply)
        return True


@pytest.fixture
def still(engine: Turns) -> Turns:
    engine.clock = lambda: NOW
    return engine


def chat_in(engine: Turns, language: str) -> Chat:
    return Chat(engine, Identity(f"test:{language}", language))


async def first_command_prepare(engine: Turns, language: str, label: str = "Gezin B.") -> Chat:
    """A new practitioner whose first command is /voorbereiden: onboarding, the first
    family, then step 1."""
    chat = chat_in(engine, language)
    await chat.send("/voorbereiden")
    title = chat.t(chat.engine.flows["voorbereiden"].title)
    assert chat.has(INTRODUCTION_FIRST, title=escape(title))
    assert (await chat.where()).flow == "onboarding"
    await chat.press("Continue")
    await chat.press("Understood")
    await chat.text(label)
    return chat


async def at_the_offer(engine: Turns, language: str) -> Chat:
    """`first_command_prepare`, then `prepared` with the sentence in `language`."""
    chat = await first_command_prepare(engine, language)
    await prepared(chat, SENTENCE[language])
    return chat


async def prepared(chat: Chat, sentence: str) -> None:
    """From step 1: the sentence typed there, the four points checked, saved."""
    await chat.text(sentence)
    assert (await chat.where()).step == "join"
    for _ in range(4):
        await chat.press("Done ✓")
    await chat.press("Save ✓")
    assert (await chat.where()).step == "remind"


async def opened(engine: Turns, language: str) -> tuple[Chat, Reply]:
    """Prepared, a reminder in an hour, sent then, and its "Open ›" pressed."""
    chat = await at_the_offer(engine, language)
    await chat.press("In 1 hour")
    [sent] = await deliver(engine, NOW + timedelta(hours=1))
    open_data = next(
        b.data for row in sent.buttons for b in row if b.label == chat.t(message.BUTTON_OPEN)
    )
    await chat.press_data(open_data)
    return chat, sent


async def reminders_of(engine: Turns) -> list[Reminder]:
    async with engine.sessions() as session:
        return list((await session.execute(select(Reminder).order_by(Reminder.id))).scalars())


async def kept(engine: Turns) -> list[Agreement]:
    async with engine.sessions() as session:
        query = select(Agreement).where(Agreement.kind == "preparation")
        return list((await session.execute(query)).scalars())


# --- the very first command, and step 1 ------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_voorbereiden_as_the_very_first_command_goes_on_into_the_preparation(
    still: Turns, language: str
) -> None:
    chat = await first_command_prepare(still, language)
    where = await chat.where()
    assert (where.flow, where.step) == ("voorbereiden", "why")  # not the menu
    assert chat.has("Good, you can start. Whenever you need a quick reminder: /tips.")
    assert chat.t(PROGRESS, number="1", total="7") in chat.last.text
    assert "Gezin B." in chat.last.text
    practitioner = await chat.practitioner()
    assert practitioner is not None and practitioner.onboarded


@pytest.mark.parametrize("language", LANGUAGES)
async def test_without_a_first_family_it_asks_for_one_instead(still: Turns, language: str) -> None:
    chat = chat_in(still, language)
    await chat.send("/prepare" if language == "en" else "/voorbereiden")
    await chat.press("Continue")
    await chat.press("Understood")
    await chat.press("Later")
    assert (await chat.where()).flow == "cases"
    assert chat.has(NEEDS_CASE)


async def test_a_command_during_onboarding_keeps_its_place_there(still: Turns) -> None:
    chat = chat_in(still, "nl")
    await chat.send("/start")
    await chat.press("Continue")
    await chat.send("/voorbereiden")  # at the privacy step: stays there, and goes on after
    assert ((await chat.where()).flow, (await chat.where()).step) == ("onboarding", "privacy")
    await chat.press("Understood")
    await chat.text("Gezin B.")
    assert ((await chat.where()).flow, (await chat.where()).step) == ("voorbereiden", "why")


async def test_onboarding_by_start_still_ends_in_the_menu(still: Turns) -> None:
    chat = chat_in(still, "nl")
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")
    await chat.text("Gezin B.")
    assert (await chat.where()).flow == "menu"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_step_1_keeps_the_opening_sentence_typed_there(still: Turns, language: str) -> None:
    chat = await first_command_prepare(still, language)
    await chat.text(SENTENCE[language])
    assert (await chat.where()).step == "join"  # not "choose one of the buttons"
    assert chat.has("Kept.")  # step 2 is skipped: the reply says the sentence was kept
    assert not chat.has("Please choose one of the buttons below.")
    for _ in range(3):
        await chat.press(SKIP_LABEL)
    await chat.press(SKIP_LABEL)
    summary = chat.last.text
    assert escape(SENTENCE[language]) in summary
    assert f"✓ {escape(chat.t(preparation.POINTS[0][1]))}" in summary  # why: checked
    await chat.press("Save ✓")
    [saved] = await kept(still)
    opening = chat.t(preparation.STORED_OPENING).replace("{sentence}", SENTENCE[language])
    assert saved.text.splitlines()[0] == opening  # the sentence first, for the last minutes
    assert chat.t(preparation.POINTS[0][1]) in saved.text


# --- the same-day choices --------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_offer_has_same_day_choices_and_in_1_hour_is_an_hour_from_now(
    still: Turns, language: str
) -> None:
    chat = await at_the_offer(still, language)
    labels = chat.labels
    assert labels[:3] == [
        chat.t("In 1 hour"),
        chat.t("This afternoon 14:00"),
        chat.t("Tomorrow 09:00"),
    ]
    await chat.press("In 1 hour")
    assert (await chat.where()).flow == "menu"
    assert chat.has(moment.SET, when=IN_AN_HOUR[language])
    [reminder] = await reminders_of(still)
    assert (reminder.kind, reminder.due_at, reminder.tip_id) == (
        "meeting",
        NOW + timedelta(hours=1),
        None,
    )
    assert (reminder.open_flow, reminder.open_step) == meeting.OPENS


@dataclass
class AtClock:
    """What the quick choices read of a turn: the clock, the practitioner, the language."""

    clock: datetime
    practitioner: Practitioner = field(
        default_factory=lambda: Practitioner(
            timezone="Europe/Amsterdam", language="nl", quiet_start=21 * 60, quiet_end=8 * 60
        )
    )
    language: str = "nl"

    def now(self) -> datetime:
        return self.clock

    def t(self, msgid: str) -> str:
        return msgid


def local(hour: int, minute: int = 0) -> datetime:
    """That time on Tuesday 1 December 2026 in Amsterdam, as UTC."""
    return datetime(2026, 12, 1, hour - 1, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("clock", "keys"),
    [
        (local(10), ["hour", "afternoon", "tomorrow", "week", "two_weeks"]),
        (local(13, 31), ["hour", "tomorrow", "week", "two_weeks"]),  # 14:00 is too near
        (local(19, 59), ["hour", "tomorrow", "week", "two_weeks"]),  # 20:59: before quiet
        (local(20, 30), ["tomorrow", "week", "two_weeks"]),  # 21:30 would wait till 08:00
        (local(7, 0), ["hour", "afternoon", "tomorrow", "week", "two_weeks"]),  # 08:00: ok
        (local(6, 30), ["afternoon", "tomorrow", "week", "two_weeks"]),  # 07:30: quiet
    ],
    ids=["morning", "after-13:30", "evening", "quiet-hours", "quiet-ends", "early"],
)
async def test_same_day_choices_follow_the_clock(clock: datetime, keys: list[str]) -> None:
    options = await moment.when_presets(cast(Turn, AtClock(clock)))
    assert [o.key for o in options] == keys


async def test_no_quick_choice_is_ever_past() -> None:
    """Every quarter of an hour of a day, with and without quiet hours."""
    for quarter in range(96):
        clock = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=15 * quarter, seconds=7)
        for quiet in ((21 * 60, 8 * 60), (0, 0)):
            turn = AtClock(clock)
            turn.practitioner.quiet_start, turn.practitioner.quiet_end = quiet
            for option in await moment.when_presets(cast(Turn, turn)):
                assert datetime.fromisoformat(option.attrs["at"]) > clock, (clock, option)


# --- the reminder itself -----------------------------------------------------------------------


async def deliver(engine: Turns, at: datetime) -> list[Reply]:
    inbox = Inbox()
    engine.clock = lambda: at
    await for_turns(engine, inbox).run_once()
    return inbox.sent


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_reminder_carries_the_sentence_and_the_points_not_a_tip(
    still: Turns, language: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = await at_the_offer(still, language)
    await chat.press("In 1 hour")
    [sent] = await deliver(still, NOW + timedelta(hours=1))
    text = sent.text
    assert chat.t(message.HEADLINES[ReminderKind.MEETING]).replace("{label}", "Gezin B.") in text
    assert f"<b>{chat.t(message.PREPARED)}</b>" in text
    assert escape(SENTENCE[language]) in text
    assert text.index(escape(SENTENCE[language])) < text.index(
        escape(chat.t(preparation.POINTS[1][1]))
    )  # the sentence first
    for _, point in preparation.POINTS:
        assert escape(chat.t(point)) in text
    assert "💡" not in text and sent.tips == ()
    assert len(text) <= message.LIMIT
    assert [b.label for row in sent.buttons for b in row][-1] == chat.t(message.BUTTON_OPEN)
    assert SENTENCE[language] not in caplog.text and "Gezin B." not in caplog.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_each_point_prepared_is_on_its_own_line_in_the_reminder_and_open(
    still: Turns, language: str
) -> None:
    """Read on a phone just before the meeting: one point a line, not a run of "; "."""
    chat, sent = await opened(still, language)
    for text in (sent.text, chat.last.text):
        lines = text.splitlines()
        for _, point in preparation.POINTS[1:]:
            assert f"{preparation.POINT} {escape(chat.t(point))}" in lines, text
        assert not any(f"{chat.t(point)}; " in text for _, point in preparation.POINTS)


async def test_the_reminder_shows_the_preparation_as_it_is_when_sent(still: Turns) -> None:
    """Prepared again after the reminder was set: the reminder shows the new one."""
    chat = await at_the_offer(still, "nl")
    await chat.press("In 1 hour")
    await chat.send("/voorbereiden")
    await prepared(chat, "Fijn dat ik er mag zijn.")
    await chat.press("No, thank you")
    [sent] = await deliver(still, NOW + timedelta(hours=1))
    assert "Fijn dat ik er mag zijn." in sent.text and SENTENCE["nl"] not in sent.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_longest_reminder_stays_within_600_characters(
    engine: Turns, language: str
) -> None:
    """The longest sentence step 1 takes, every point, a 40-character label, late and
    possibly sent before: cut to fit, with "…", and still begins with the sentence."""
    t = engine.catalogs.get(language)
    sentence = " ".join(["woord"] * 60)[:300]
    opening = t.gettext(preparation.STORED_OPENING).replace("{sentence}", sentence)
    points = "\n".join(f"{preparation.POINT} {t.gettext(label)}" for _, label in preparation.POINTS)
    reminder = Reminder(id=1, kind=ReminderKind.MEETING, due_at=NOW, tip_id=None)
    shown = message.Shown(
        reminder, "L" * 40, language, "Europe/Amsterdam", True, f"{opening}\n{points}"
    )
    for late_for, interrupted in ((None, False), (NOW - LATE_AFTER * 3, True)):
        text = message.text(shown, t, engine.flows, late_for=late_for, interrupted=interrupted)
        assert len(text) <= message.LIMIT, len(text)
        assert escape(opening[:40]) in text and "…" in text
    short = message.Shown(reminder, "Gezin B.", language, "Europe/Amsterdam", True, "Kort.")
    assert "Kort." in message.text(short, t, engine.flows, late_for=None)


def test_fit_cuts_after_a_whole_word_and_counts_what_escaping_adds() -> None:
    assert message.fit("één twee drie", 50) == "één twee drie"
    assert message.fit("één twee drie", 10) == "één twee…"
    assert message.fit("a & b & c & d", 12) == "a &amp; b…"
    assert message.fit("lang", 0) == ""
    assert message.fit("a&b", 5) == "a…"  # fits as typed, not once escaped
    assert all(len(message.fit("x " * 100 + "&<>", n)) <= n for n in range(0, 120))


# --- "Open ›" ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_open_shows_the_kept_preparation_not_step_1(still: Turns, language: str) -> None:
    chat, _sent = await opened(still, language)
    where = await chat.where()
    assert (where.flow, where.step) == meeting.OPENS
    assert escape(SENTENCE[language]) in chat.last.text
    assert "Step" not in chat.last.text and "Stap" not in chat.last.text
    assert chat.labels[0] == chat.t("Prepare again")
    await chat.send("/annuleer" if language == "nl" else "/cancel")
    assert f"{chat.t('Prepare')} ✓" in chat.last.text  # still done

    await chat.send("/voorbereiden")  # step 1 offers what was kept, too
    await chat.press("Your saved preparation")
    assert escape(SENTENCE[language]) in chat.last.text
    await chat.press("Prepare again")
    assert (await chat.where()).step == "why"


async def test_open_on_a_finished_preparation_has_no_back_to_step_1(still: Turns) -> None:
    """The preparation was done: "Open ›" begins the flow afresh at what was kept, and its
    step 1 is no place the practitioner came from. "Prepare again" and "Menu" are the
    ways on, so "‹ Back" is not offered (it used to lead to step 1)."""
    chat, _sent = await opened(still, "nl")
    assert (await chat.where()).step == "kept"
    assert chat.t(BACK_LABEL) not in chat.labels
    assert chat.labels == [chat.t("Prepare again"), chat.t("Menu")]


async def test_open_during_a_new_preparation_goes_back_to_where_it_was_left(
    still: Turns,
) -> None:
    """A preparation in progress (prepared again, paused at step 3): "Open ›" shows what
    was kept, and "‹ Back" returns to step 3, where the practitioner left it."""
    chat = await at_the_offer(still, "nl")
    await chat.press("In 1 hour")
    await chat.send("/voorbereiden")
    assert (await chat.where()).step == "why"
    await chat.press("Done ✓")
    await chat.press("Use the example")
    assert (await chat.where()).step == "join"
    await chat.press("Pause")
    [sent] = await deliver(still, NOW + timedelta(hours=1))
    open_data = next(
        b.data for row in sent.buttons for b in row if b.label == chat.t(message.BUTTON_OPEN)
    )
    await chat.press_data(open_data)
    assert (await chat.where()).step == "kept"
    await chat.press(BACK_LABEL)
    assert (await chat.where()).step == "join"


async def test_the_kept_step_says_so_when_nothing_was_kept(still: Turns) -> None:
    """An old reminder whose preparation was deleted in /afspraken meanwhile."""
    chat = await at_the_offer(still, "nl")
    await chat.press("In 1 hour")
    async with still.sessions() as session, session.begin():
        for agreement in (await session.execute(select(Agreement))).scalars():
            await session.delete(agreement)
    [sent] = await deliver(still, NOW + timedelta(hours=1))
    assert "<b>" + chat.t(message.PREPARED) not in sent.text
    open_data = next(
        b.data for row in sent.buttons for b in row if b.label == chat.t(message.BUTTON_OPEN)
    )
    await chat.press_data(open_data)
    assert chat.has(preparation.NOTHING_KEPT)
