"""Picking a moment, and setting a reminder at it.

Picking a moment is one pattern wherever a flow needs it: a step with
`options: from: when_presets` (quick buttons) and an `input` (a typed day and time), whose
branches run `pick_when` or `type_when` first. Both leave the moment in the conversation as
`due_at` (ISO 8601, UTC) for the actions after them in the same branch; a typed time that is
past, ambiguous or unreadable is refused with an example, and one more than a year ahead
(typed or pressed) with the latest day allowed; the step asks again. Whatever sets a
reminder says the moment back in words (`remember`, `confirm`).
"""

from __future__ import annotations

from datetime import datetime

from bot.actions.common import fill, forget
from bot.actions.reminders.quiet_hours import in_quiet_hours
from bot.engine.errors import Reject
from bot.engine.options import Option
from bot.engine.registry import registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.reminders.when import (
    SAME_DAY,
    WhenError,
    check_reach,
    clock_text,
    presets,
    read_when,
    say_short,
    say_when,
)
from bot.store.models import Case, Reminder

DUE = "due_at"
"""The chosen moment, ISO 8601 in UTC, for the actions that run after the choice."""
SAYS_ITS_TIME = frozenset({"hour", "afternoon", "tomorrow"})
"""Presets whose label already says the moment; the others get it added ("In a week ·
di 8 dec 09:00"). "In 1 hour" is worked out again when pressed, so a clock time on it
could be a minute off: the confirmation says the time."""

NO_MOMENT = N_("Please choose a moment first.")
SET = N_("I'll remind you on {when}.")
TOMORROW = N_("It is already past {time} today, so I took tomorrow.")
"""Above the confirmation, when only a time was typed and it had passed today."""
QUIET_NOTE = N_("That is in your quiet hours, so it comes at {time}.")


def zone(turn: Turn) -> str:
    return turn.practitioner.timezone


def words(turn: Turn, moment: datetime) -> str:
    """ "dinsdag 3 december om 09:00", in the practitioner's language and time zone."""
    return say_when(moment, turn.language, zone(turn), now=turn.now())


def chosen_moment(turn: Turn) -> datetime:
    """The moment `pick_when` or `type_when` left in the conversation."""
    raw = turn.data.get(DUE)
    if not isinstance(raw, str):
        raise Reject(NO_MOMENT)
    return datetime.fromisoformat(raw)


@registry.provider("when_presets")
async def when_presets(turn: Turn) -> list[Option]:
    """The quick choices (in 1 hour, this afternoon, tomorrow 9:00, in a week, ...), worked
    out from the clock now; pressing one looks them up again, so a choice that has just
    passed (the afternoon, at 18:00) is not offered any more. A choice for later today
    that falls in the quiet hours would only come the next morning: not offered."""
    options = []
    for p in presets(turn.now(), zone(turn), turn.language):
        if p.key in SAME_DAY and in_quiet_hours(turn, p.due_at):
            continue
        label = turn.t(p.label) if p.key in SAYS_ITS_TIME else f"{turn.t(p.label)} · {p.hint}"
        options.append(Option(p.key, label, {"at": p.due_at.isoformat()}))
    return options


def refusal(turn: Turn, error: WhenError) -> Reject:
    """Why the moment cannot be used, in the practitioner's language."""
    values = {key: escape(value) for key, value in error.values(turn.language).items()}
    return Reject(error.msgid, **values)


@registry.action("pick_when")
async def pick_when(turn: Turn) -> None:
    """A quick choice: its moment, as worked out when it was pressed; checked like a typed
    one (after now, at most a year ahead)."""
    at = turn.option.attrs.get("at") if turn.option is not None else None
    if not at:
        raise Reject(NO_MOMENT)
    try:
        moment = check_reach(datetime.fromisoformat(at), now=turn.now(), zone=zone(turn))
    except WhenError as error:
        raise refusal(turn, error) from None
    turn.data[DUE] = moment.isoformat()


@registry.action("type_when")
async def type_when(turn: Turn) -> None:
    """A typed day and time ("morgen 9:00", "di 14:30", "12-1 10:00", "over 3 dagen").
    Refused with an example when it is past, ambiguous or not a moment, and with the
    latest day when it is more than a year ahead."""
    try:
        when = read_when(turn.value or "", now=turn.now(), language=turn.language, zone=zone(turn))
    except WhenError as error:
        raise refusal(turn, error) from None
    if when.tomorrow:
        clock = say_short(when.moment, turn.language, zone(turn)).rsplit(" ", 1)[-1]
        turn.flash.append(fill(turn, TOMORROW, time=clock))
    turn.data[DUE] = when.moment.isoformat()


def short_when(turn: Turn, moment: datetime) -> str:
    """ "di 3 dec 09:00": short enough for a button."""
    return say_short(moment, turn.language, zone(turn))


def confirm(turn: Turn, msgid: str, moment: datetime) -> None:
    """Say the moment back in words, and when it will really come if that is later."""
    turn.flash.append(fill(turn, msgid, when=escape(words(turn, moment))))
    if in_quiet_hours(turn, moment):
        end = clock_text(turn.practitioner.quiet_end)
        turn.flash.append(fill(turn, QUIET_NOTE, time=end))


async def remember(
    turn: Turn,
    *,
    case: Case | None,
    kind: str,
    about: str | None = None,
    tip: str | None = None,
    open_flow: str | None = None,
    open_step: str | None = None,
) -> Reminder:
    moment = chosen_moment(turn)
    reminder = await turn.repo.add_reminder(
        turn.practitioner,
        case=case,
        kind=kind,
        due_at=moment,
        about=about,
        tip_id=tip,
        open_flow=open_flow,
        open_step=open_step,
    )
    forget(turn, DUE)
    confirm(turn, SET, moment)
    return reminder
