"""The conversation side of reminders, through the engine, with the clock held still.

/herinneringen (list, add by button or typed time, refusals, move, cancel, quiet hours) and
the offers at the end of /voorbereiden, after an approach in fase 3 and at closing in fase
4. "Now" is Tuesday 1 December 2026, 10:00 in Amsterdam, unless a test moves it; no test
sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import select, text

from bot.actions.people import MARKS
from bot.actions.reminders import checkins, manage, meeting, moment, quiet_hours
from bot.engine.errors import Reject
from bot.engine.events import Identity
from bot.engine.messages import UNKNOWN_BUTTON
from bot.engine.options import Option
from bot.engine.render import SKIP_LABEL
from bot.engine.turn import Turn
from bot.reminders.when import PROBLEMS
from bot.store.models import Agreement, Practitioner, Reminder
from bot.turns import Turns
from tests.support.chat import Chat
from tests.support.flows import enter
from tests.support.onboarding import onboard
from tests.test_phase2_3 import add_person, press_starting

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
"""Tuesday 1 December 2026, 10:00 in Amsterdam (CET, UTC+1)."""
TOMORROW_9 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def still(engine: Turns) -> Turns:
    """The engine with its clock held at NOW."""
    engine.clock = lambda: NOW
    return engine


@pytest.fixture
def alice(still: Turns) -> Chat:
    return Chat(still, Identity("test:alice"))


async def reminders_of(chat: Chat) -> list[Reminder]:
    async with chat.engine.sessions() as session:
        query = (
            select(Reminder)
            .join(Practitioner, Practitioner.id == Reminder.owner_id)
            .where(Practitioner.external_key == chat.who.key)
            .order_by(Reminder.id)
        )
        return list((await session.execute(query)).scalars())


async def step(chat: Chat) -> tuple[str | None, str | None]:
    where = await chat.where()
    return where.flow, where.step


def says(chat: Chat, flow: str, name: str, **values: str) -> bool:
    msgid = chat.engine.flows[flow].step(name).say
    assert msgid is not None
    return chat.has(msgid, **values)


# --- /herinneringen ------------------------------------------------------------------------


async def test_an_empty_list_says_so_and_offers_to_add_one(alice: Chat) -> None:
    await onboard(alice)
    await alice.send("/herinneringen")
    assert await step(alice) == ("herinneringen", "list")
    assert alice.has(manage.NONE_YET)
    assert "21:00–08:00" in alice.last.text  # the quiet hours, shown with the list
    assert alice.t("New reminder") in alice.labels
    await alice.send("/menu")
    assert alice.t("Reminders") in alice.labels  # also in the menu
    await alice.send("/hulp")
    await alice.press("Commands ›")
    listed = alice.last.text
    await alice.press("More ›")
    listed += alice.last.text
    described = alice.t(alice.engine.flows["herinneringen"].description or "")
    assert f"/herinneringen – {described}" in listed


async def test_a_reminder_for_the_family_by_button_said_back_in_words(alice: Chat) -> None:
    await onboard(alice)
    await alice.send("/herinneringen")
    await alice.press("New reminder")
    assert says(alice, "herinneringen", "for_case", case="Fam. K")
    await alice.press("Yes, this family")
    await alice.text("moeder bellen over woensdag")
    assert await step(alice) == ("herinneringen", "when")
    assert alice.t("This afternoon 14:00") in alice.labels  # 10:00 now: still ahead
    await alice.press("Tomorrow 09:00")

    assert await step(alice) == ("herinneringen", "list")
    assert alice.has(moment.SET, when="woensdag 2 december om 09:00")
    assert "Fam. K" in alice.last.text and "moeder bellen over woensdag" in alice.last.text
    [saved] = await reminders_of(alice)
    assert (saved.kind, saved.status, saved.about) == (
        "free",
        "pending",
        "moeder bellen over woensdag",
    )
    assert saved.due_at == TOMORROW_9 and saved.case_id is not None
    async with alice.engine.sessions() as session:  # "what about" is stored sealed
        raw = (await session.execute(text("SELECT about FROM reminders"))).scalar_one()
    assert "moeder" not in raw


async def test_a_typed_dutch_time_without_a_family(alice: Chat) -> None:
    await onboard(alice)
    await alice.send("/herinneringen")
    await alice.press("New reminder")
    await alice.press("No, without a family")
    await alice.text("supervisie voorbereiden")
    await alice.text("do 14:30")
    assert alice.has(moment.SET, when="donderdag 3 december om 14:30")
    assert alice.has(manage.WITHOUT_CASE)
    [saved] = await reminders_of(alice)
    assert saved.case_id is None
    assert saved.due_at == datetime(2026, 12, 3, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("vandaag 8:00", "past"), ("gisteren", "past"), ("9", "ambiguous"), ("blabla", "unknown")],
)
async def test_a_past_ambiguous_or_unreadable_time_is_refused_with_an_example(
    alice: Chat, typed: str, reason: str
) -> None:
    await onboard(alice)
    await alice.send("/herinneringen")
    await alice.press("New reminder")
    await alice.press("Yes, this family")
    await alice.text("oma bellen")
    await alice.text(typed)
    assert alice.has(PROBLEMS[reason])
    assert "“" in alice.t(PROBLEMS[reason])  # with an example
    assert await step(alice) == ("herinneringen", "when")  # asked again
    assert await reminders_of(alice) == []
    await alice.text("over 3 dagen")
    assert alice.has(moment.SET, when="vrijdag 4 december om 09:00")


TOO_FAR = {
    "nl": "Dat is te ver weg: een herinnering kan hooguit een jaar vooruit, uiterlijk "
    "1 december 2027. Kies een eerder moment.",
    "en": "That is too far ahead: a reminder can be at most a year away, 1 December 2027 "
    "at the latest. Choose an earlier moment.",
}
"""The refusal of a moment more than a year after NOW, as the practitioner reads it."""
LAST_MINUTE = {
    "nl": "woensdag 1 december 2027 om 23:59",
    "en": "Wednesday 1 December 2027 at 23:59",
}


@pytest.mark.parametrize("language", ["nl", "en"])
async def test_a_moment_more_than_a_year_ahead_is_refused_in_the_practitioners_language(
    still: Turns, language: str
) -> None:
    chat = Chat(still, Identity("test:carla", language))
    await onboard(chat)
    await chat.send("/herinneringen")
    await chat.press("New reminder")
    await chat.press("Yes, this family")
    await chat.text("oma bellen")
    for typed in ("9999-12-31 23:59", "1-1-3000 9:00", "over 5000 jaar", "2-12-2027 0:00"):
        await chat.text(typed)
        assert TOO_FAR[language] in chat.last.text, typed
        assert await step(chat) == ("herinneringen", "when")  # asked again
        assert chat.t("Tomorrow 09:00") in chat.labels
    assert await reminders_of(chat) == []

    await chat.text("1-12-2027 23:59")  # the last minute of the last day
    assert chat.has(moment.SET, when=LAST_MINUTE[language])
    [saved] = await reminders_of(chat)
    assert saved.due_at == datetime(2027, 12, 1, 22, 59, tzinfo=UTC)

    # Moving it is the same step: too far is refused there too, and nothing changes.
    await press_starting(chat, "wo 1 dec" if language == "nl" else "Wed 1 Dec")
    await chat.press("Move")
    await chat.text("over 5000 jaar")
    assert TOO_FAR[language] in chat.last.text
    assert await step(chat) == ("herinneringen", "move")
    assert [r.due_at for r in await reminders_of(chat)] == [saved.due_at]


@dataclass
class Pressed:
    """What `pick_when` reads of a turn: the pressed option, the practitioner, the clock."""

    at: datetime
    practitioner: Practitioner = field(
        default_factory=lambda: Practitioner(timezone="Europe/Amsterdam", language="nl")
    )
    data: dict[str, Any] = field(default_factory=dict)
    language: str = "nl"

    @property
    def option(self) -> Option:
        return Option("later", "A week later", {"at": self.at.isoformat()})

    def now(self) -> datetime:
        return NOW


async def test_a_pressed_moment_is_checked_like_a_typed_one() -> None:
    """No button offers a moment beyond a year (see the check-ins below); should one
    ever do, `pick_when` refuses it the same way."""
    beyond = Pressed(datetime(2027, 12, 1, 23, 0, tzinfo=UTC))  # 2 December, local
    with pytest.raises(Reject) as refused:
        await moment.pick_when(cast(Turn, beyond))
    assert refused.value.msgid == PROBLEMS["too_far"]
    assert refused.value.values == {"date": "1 december 2027"}
    assert moment.DUE not in beyond.data
    last = Pressed(datetime(2027, 12, 1, 22, 59, tzinfo=UTC))  # 23:59 on the last day
    await moment.pick_when(cast(Turn, last))
    assert last.data[moment.DUE] == last.at.isoformat()


async def test_contact_details_are_not_kept_in_what_it_is_about(alice: Chat) -> None:
    await onboard(alice)
    await alice.send("/herinneringen")
    await alice.press("New reminder")
    await alice.press("Yes, this family")
    await alice.text("bel oma 06-12345678")
    assert await step(alice) == ("herinneringen", "about")


async def add(chat: Chat, about: str, when: str) -> None:
    await chat.send("/herinneringen")
    await chat.press("New reminder")
    await chat.press("Yes, this family")
    await chat.text(about)
    await chat.text(when)


async def test_move_then_cancel_after_a_confirmation(alice: Chat) -> None:
    await onboard(alice)
    await add(alice, "oma bellen", "morgen 9:00")
    await press_starting(alice, "wo 2 dec 09:00")
    assert await step(alice) == ("herinneringen", "item")
    assert "oma bellen" in alice.last.text
    assert "Woensdag 2 december om 09:00" in alice.last.text  # a line starts with a capital

    await alice.press("Move")
    await alice.text("12-1 10:00")
    assert await step(alice) == ("herinneringen", "item")
    assert alice.has(manage.MOVED, when="dinsdag 12 januari 2027 om 10:00")
    [moved] = await reminders_of(alice)
    assert moved.due_at == datetime(2027, 1, 12, 9, 0, tzinfo=UTC)

    await alice.press("Cancel…")
    assert await step(alice) == ("herinneringen", "confirm_cancel")
    await alice.press("No, keep it")
    assert (await reminders_of(alice))[0].status == "pending"
    await alice.press("Cancel…")
    await alice.press("Yes, cancel")
    assert await step(alice) == ("herinneringen", "list")
    assert alice.has(manage.CANCELLED) and alice.has(manage.NONE_YET)
    assert (await reminders_of(alice))[0].status == "cancelled"


async def test_the_list_is_per_family_and_notes_quiet_hours(alice: Chat) -> None:
    await onboard(alice)
    await add(alice, "oma bellen", "morgen 9:00")
    await add(alice, "laat nog mailen", "vandaag 22:30")
    assert alice.has(moment.QUIET_NOTE, time="08:00")  # said when it is set
    await alice.send("/gezin")
    await alice.press("New family")
    await alice.text("Gezin B.")
    await add(alice, "juf vragen", "over een week")
    shown = alice.last.text
    assert shown.index("Fam. K") < shown.index("Gezin B.")  # soonest family first
    assert alice.t(manage.QUIET_WAIT).replace("{time}", "08:00") in shown
    assert len([b for b in alice.labels if " · " in b]) == 3


async def test_quiet_hours_are_set_validated_and_can_be_switched_off(alice: Chat) -> None:
    await onboard(alice)
    await alice.send("/herinneringen")
    await alice.press("Change quiet hours")
    await alice.text("na het eten")
    assert alice.has(quiet_hours.QUIET_BAD)
    assert await step(alice) == ("herinneringen", "quiet")
    await alice.text("22-7")
    assert await step(alice) == ("herinneringen", "list")
    assert alice.has(quiet_hours.QUIET_SET, hours="22:00–07:00")
    p = await alice.practitioner()
    assert p is not None and (p.quiet_start, p.quiet_end) == (22 * 60, 7 * 60)

    await alice.press("Change quiet hours")
    await alice.press("No quiet hours")
    p = await alice.practitioner()
    assert p is not None and p.quiet_start == p.quiet_end
    await alice.press("Change quiet hours")
    await alice.press("21:00–08:00 (standard)")
    p = await alice.practitioner()
    assert p is not None and (p.quiet_start, p.quiet_end) == (21 * 60, 8 * 60)


def test_quiet_hours_are_read_in_the_usual_ways() -> None:
    assert quiet_hours.parse_quiet_hours("21:00-08:00") == (1260, 480)
    assert quiet_hours.parse_quiet_hours("22-7") == (1320, 420)
    assert quiet_hours.parse_quiet_hours("21.30 tot 7.30") == (1290, 450)
    assert quiet_hours.parse_quiet_hours("22 uur – 7 uur") == (1320, 420)
    assert quiet_hours.parse_quiet_hours("25-7") is None
    assert quiet_hours.parse_quiet_hours("vanavond") is None


async def test_nobody_else_can_act_on_a_reminder(still: Turns) -> None:
    alice, bob = Chat(still, Identity("test:alice")), Chat(still, Identity("test:bob"))
    await onboard(alice)
    await onboard(bob, "Gezin B.")
    await add(alice, "oma bellen", "morgen 9:00")
    [button] = [b for b in alice.buttons if b.label.startswith("wo 2 dec")]

    await bob.send("/herinneringen")
    assert bob.has(manage.NONE_YET)  # not in bob's list
    await bob.press_data(button.data)  # alice's signed button, pressed by bob
    assert bob.has(UNKNOWN_BUTTON)
    assert await step(bob) == ("herinneringen", "list")
    assert (await reminders_of(alice))[0].status == "pending"


# --- the phases' offers --------------------------------------------------------------------


async def test_voorbereiden_offers_a_reminder_before_the_meeting(alice: Chat) -> None:
    await onboard(alice)
    await alice.send("/voorbereiden")
    await alice.press("Done ✓")
    await alice.press("Use the example")
    for _ in range(4):
        await alice.press("Done ✓")
    await alice.press("Save ✓")
    assert await step(alice) == ("voorbereiden", "remind")
    await press_starting(alice, alice.t("In a week"))
    assert await step(alice) == ("menu", "main")
    assert alice.has(moment.SET, when="dinsdag 8 december om 09:00")
    assert alice.has("Good luck with the first meeting!")
    assert f"{alice.t('Prepare')} ✓" in alice.last.text
    [saved] = await reminders_of(alice)
    # #16: no tip she can no longer act on; "Open ›" shows what she kept.
    assert (saved.kind, saved.tip_id, saved.open_flow, saved.open_step) == (
        "meeting",
        None,
        *meeting.OPENS,
    )
    assert saved.case_id == (await alice.where()).active_case_id


async def test_leaving_the_offer_unanswered_still_finishes_the_preparation(alice: Chat) -> None:
    await onboard(alice)
    await alice.send("/voorbereiden")
    await alice.press("Done ✓")
    await alice.press("Use the example")
    for _ in range(4):
        await alice.press("Done ✓")
    await alice.press("Save ✓")
    await alice.send("/menu")
    assert f"{alice.t('Prepare')} ✓" in alice.last.text
    assert await reminders_of(alice) == []


async def approach_oma(chat: Chat) -> None:
    """Oma on the map with the parent's yes, and approached with a goal."""
    await enter(chat, "fase2")
    await add_person(chat, "Oma")
    await enter(chat, "fase3")
    await press_starting(chat, f"{MARKS['yes']} Oma")
    await chat.text("Haalt de kinderen op woensdag")
    await chat.press(SKIP_LABEL)  # until when
    await chat.press("Not now ›")  # who does what
    assert await step(chat) == ("fase3", "follow_up")


async def test_fase3_follow_up_is_kept_and_comes_back_as_a_reminder(alice: Chat) -> None:
    await onboard(alice)
    await approach_oma(alice)
    await alice.text("over twee weken")
    assert await step(alice) == ("fase3", "choose")
    assert alice.has(moment.SET, when="dinsdag 15 december om 09:00")
    [saved] = await reminders_of(alice)
    assert (saved.kind, saved.about, saved.open_flow, saved.open_step) == (
        "followup",
        "Oma",
        "fase3",
        "check_who",
    )
    async with alice.engine.sessions() as session:
        kinds = (await session.execute(select(Agreement.kind, Agreement.text))).all()
    [(_, noted)] = [k for k in kinds if k[0] == "follow_up"]
    assert "dinsdag 15 december om 09:00" in noted


async def test_fase3_follow_up_too_far_ahead_is_refused(alice: Chat) -> None:
    await onboard(alice)
    await approach_oma(alice)
    await alice.text("1-1-3000 9:00")
    assert TOO_FAR["nl"] in alice.last.text
    assert await step(alice) == ("fase3", "follow_up")
    assert await reminders_of(alice) == []


async def test_fase3_follow_up_can_be_declined(alice: Chat) -> None:
    await onboard(alice)
    await approach_oma(alice)
    await alice.press("No, thank you")
    assert await step(alice) == ("fase3", "choose")
    assert await reminders_of(alice) == []


async def to_check_ins(chat: Chat) -> None:
    """Phase 4 with every question skipped, finished: at the check-ins offered at closing."""
    await onboard(chat)
    await enter(chat, "fase4")
    for _ in range(4):  # the three questions, and no problem plan
        await chat.press(SKIP_LABEL)
    await chat.press("Next ›")
    await chat.press("Finish ✓")
    assert await step(chat) == ("fase4", "remind")


async def test_fase4_offers_check_ins_after_2_6_and_12_weeks_each_adjustable(
    alice: Chat,
) -> None:
    # Tuesday 10 March 2026: 2 weeks on is still winter time, 6 and 12 weeks summer time.
    alice.engine.clock = lambda: datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    await to_check_ins(alice)
    assert alice.has(checkins.CHECKIN_PROPOSED)
    for when in ("Dinsdag 24 maart om 09:00", "Dinsdag 21 april om 09:00", "Dinsdag 2 juni"):
        assert when in alice.last.text

    change = alice.t(checkins.CHECKIN_LABEL).split("{")[0]
    await press_starting(alice, f"{change}3")
    assert await step(alice) == ("fase4", "checkin_when")
    assert alice.has(checkins.SLOT_PLANNED, when="dinsdag 2 juni om 09:00")
    await alice.text("vr 5-6 11:00")
    assert await step(alice) == ("fase4", "remind")
    assert "Vrijdag 5 juni om 11:00" in alice.last.text
    assert alice.has(checkins.CHECKIN_CHOSEN) and not alice.has(checkins.CHECKIN_PROPOSED)

    # Quick choices that fit a moment weeks away: a week earlier or later, same time.
    await press_starting(alice, f"{change}3")
    earlier, later = alice.t(checkins.EARLIER).split("{")[0], alice.t(checkins.LATER).split("{")[0]
    assert [label for label in alice.labels if label.startswith((earlier, later))] == [
        alice.t(checkins.EARLIER, when="vr 29 mei 11:00"),
        alice.t(checkins.LATER, when="vr 12 jun 11:00"),
    ]
    assert alice.t("Tomorrow 09:00") not in alice.labels
    await press_starting(alice, later)
    assert "Vrijdag 12 juni om 11:00" in alice.last.text

    await press_starting(alice, f"{change}3")
    await alice.press("Skip this one")
    assert alice.t(checkins.CHECKIN_SKIPPED).replace("{number}", "3") in alice.last.text

    # A skipped one says so, cannot be skipped again, and offers the moment first proposed.
    await press_starting(alice, alice.t(checkins.CHECKIN_LABEL_SKIPPED, number="3"))
    assert alice.has(checkins.SLOT_SKIPPED) and "—" not in alice.last.text
    assert alice.t("Skip this one") not in alice.labels
    await press_starting(alice, alice.t(checkins.PROPOSAL, weeks="12", when="di 2 jun 09:00"))
    assert alice.has(checkins.CHECKIN_PROPOSED) and "Dinsdag 2 juni om 09:00" in alice.last.text
    await press_starting(alice, f"{change}3")
    await alice.press("Skip this one")
    await alice.press("Yes, remind me")

    assert await step(alice) == ("menu", "main")
    assert alice.has(
        checkins.CHECKINS_SET, when="dinsdag 24 maart om 09:00, dinsdag 21 april om 09:00"
    )
    saved = await reminders_of(alice)
    assert [(r.kind, r.tip_id, r.open_flow) for r in saved] == [
        ("checkin", checkins.CHECKIN_TIP, "fase4")
    ] * 2
    # 09:00 on both sides of the change to summer time: 08:00 UTC, then 07:00 UTC.
    assert [r.due_at for r in saved] == [
        datetime(2026, 3, 24, 8, 0, tzinfo=UTC),
        datetime(2026, 4, 21, 7, 0, tzinfo=UTC),
    ]


async def test_fase4_check_ins_stay_within_a_year_typed_or_pressed(alice: Chat) -> None:
    await to_check_ins(alice)
    change = alice.t(checkins.CHECKIN_LABEL).split("{")[0]
    later = alice.t(checkins.LATER).split("{")[0]

    await press_starting(alice, f"{change}3")
    await alice.text("9999-12-31 23:59")
    assert TOO_FAR["nl"] in alice.last.text
    assert await step(alice) == ("fase4", "checkin_when")
    await alice.text("24-11-2027 11:00")
    assert "Woensdag 24 november 2027 om 11:00" in alice.last.text

    # "A week later" is offered up to the last day, and not beyond it.
    await press_starting(alice, f"{change}3")
    await press_starting(alice, alice.t(checkins.LATER, when="wo 1 dec 11:00"))
    assert "Woensdag 1 december 2027 om 11:00" in alice.last.text
    await press_starting(alice, f"{change}3")
    assert alice.t(checkins.EARLIER, when="wo 24 nov 11:00") in alice.labels
    assert not [label for label in alice.labels if label.startswith(later)]
    await alice.press("Skip this one")
    await alice.press("Yes, remind me")
    assert [r.due_at for r in await reminders_of(alice)] == [
        datetime(2026, 12, 15, 8, 0, tzinfo=UTC),
        datetime(2027, 1, 12, 8, 0, tzinfo=UTC),
    ]


async def test_fase4_check_ins_can_be_declined(alice: Chat) -> None:
    await to_check_ins(alice)
    await alice.press("No, thank you")
    assert await step(alice) == ("menu", "main")
    assert await reminders_of(alice) == []


async def test_what_it_is_about_is_escaped_in_text_and_plain_on_buttons(alice: Chat) -> None:
    await onboard(alice)
    await add(alice, "<b>oma</b> & opa bellen", "morgen 9:00")
    assert "&lt;b&gt;oma&lt;/b&gt; &amp; opa bellen" in alice.last.text
    assert any("<b>oma</b> & opa bellen" in label for label in alice.labels)


async def test_the_follow_up_opens_where_the_outcome_is_noted(alice: Chat) -> None:
    await onboard(alice)
    await enter(alice, "fase3")
    assert alice.t("How is it going? ›") not in alice.labels  # no one approached yet
    await approach_oma(alice)
    await alice.text("over twee weken")
    await alice.press("Done for now")

    [reminder] = await reminders_of(alice)
    await enter(alice, "fase3")
    await alice.press(alice.engine.flows["fase3"].step("choose").buttons[0].label)
    assert await step(alice) == (reminder.open_flow, reminder.open_step)
    await press_starting(alice, f"{MARKS['yes']} Oma")
    assert says(alice, "fase3", "check_note", person="Oma")
    await alice.text("Gaat goed; woensdag blijft, vrijdag niet meer")
    assert await step(alice) == ("fase3", "choose")
    assert alice.has("Noted in your agreements (/afspraken).")
    async with alice.engine.sessions() as session:
        found = (await session.execute(select(Agreement).where(Agreement.kind == "outcome"))).all()
    [(outcome,)] = found
    assert "woensdag blijft, vrijdag niet meer" in outcome.text and outcome.who == "Oma"

    # The kind is not said twice: the stored "How it is going with Oma: …" is listed as
    # "How it is going · Oma: …", the content first, with who it is about.
    await alice.send("/afspraken")
    said = alice.t("How it is going")
    [line] = [line for line in alice.last.text.splitlines() if "Gaat goed" in line]
    assert line.count(said) == 1 and f"<b>{said} · Oma</b>: Gaat goed" in line, line


async def test_a_bare_time_already_past_today_is_set_for_tomorrow_and_said_so(
    alice: Chat,
) -> None:
    """At 10:00, "9:00" is tomorrow's: set then, and the confirmation says it is tomorrow.
    "2 uur" is the afternoon, not the night; "di 1430" is Tuesday 14:30, not the past."""
    await onboard(alice)
    await add(alice, "oma bellen", "9:00")
    assert await step(alice) == ("herinneringen", "list")
    assert alice.has(moment.TOMORROW, time="09:00")
    assert alice.has(moment.SET, when="woensdag 2 december om 09:00")
    assert alice.last.text.index(alice.t(moment.TOMORROW, time="09:00")) < (
        alice.last.text.index(alice.t(moment.SET, when="woensdag 2 december om 09:00"))
    )

    await add(alice, "buurvrouw bellen", "2 uur")
    assert alice.has(moment.SET, when="dinsdag 1 december om 14:00")
    assert not alice.has(moment.TOMORROW, time="14:00")
    await add(alice, "juf mailen", "di 1430")
    assert alice.has(moment.SET, when="dinsdag 8 december om 14:30")
    assert [r.due_at for r in await reminders_of(alice)] == [
        TOMORROW_9,
        datetime(2026, 12, 1, 13, 0, tzinfo=UTC),
        datetime(2026, 12, 8, 13, 30, tzinfo=UTC),
    ]
