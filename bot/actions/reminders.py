"""Reminders in the conversation: picking a moment, /herinneringen, and the phases' offers.

Parents asked that practitioners do not leave them and their network on their own, and keep
a finger on the pulse after the help ends. The bot keeps that promise with reminders; this
module is the conversation side of them (`bot/reminders/` stores and delivers them).

Picking a moment is one pattern wherever a flow needs it: a step with
`options: from: when_presets` (quick buttons) and an `input` (a typed day and time), whose
branches run `pick_when` or `type_when` first. Both leave the moment in the conversation as
`due_at` (ISO 8601, UTC) for the actions after them in the same branch; a typed time that is
past, ambiguous or unreadable is refused with an example, and one more than a year ahead
(typed or pressed) with the latest day allowed; the step asks again. Whatever sets a
reminder says the moment back in words.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.actions.common import fill, forget, open_case, shorten
from bot.actions.labels import check_note
from bot.engine.errors import Reject
from bot.engine.registry import Option, registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.reminders.delivery import in_quiet_hours as quiet_at
from bot.reminders.when import (
    WhenError,
    at_local,
    check_reach,
    clock_text,
    in_reach,
    parse_when,
    presets,
    say_short,
    say_when,
    weeks_later,
)
from bot.store.models import Case, Reminder

DUE = "due_at"
"""The chosen moment, ISO 8601 in UTC, for the actions that run after the choice."""
CHOSEN = "reminder_id"
ABOUT, FOR_CASE = "about", "for_case"
CHECKINS, SLOT = "checkins", "checkin_slot"
CHECKIN_WEEKS = (2, 6, 12)
SAYS_ITS_TIME = frozenset({"afternoon", "tomorrow"})
"""Presets whose label already says the moment; the others get it added ("In a week ·
di 8 dec 09:00")."""
LIST_MAX = 20
"""Buttons in the list: more would not fit a phone; the text still lists every reminder."""
BUTTON_TEXT = 28

MEETING_TIP = "f1.do.offer_join"
CHECKIN_TIP = "f4.do.keep_in_touch"

NO_MOMENT = N_("Please choose a moment first.")
SET = N_("I'll remind you on {when}.")
MOVED = N_("Moved: I'll remind you on {when}.")
CANCELLED = N_("The reminder is cancelled.")
GONE = N_("That reminder is no longer open. Nothing was changed.")
QUIET_NOTE = N_("That is in your quiet hours, so it comes at {time}.")
LATE_NOTE = N_("overdue: it comes as soon as possible")
SENT_NOTE = N_("sent on {when}, not marked done yet")
QUIET_WAIT = N_("quiet hours: it comes at {time}")
NONE_YET = N_(
    "No reminders yet. Add one here, or let the phases offer one: before a first meeting, "
    "after approaching someone, and after closing."
)
WITHOUT_CASE = N_("Without a family")
KIND_LABELS = {
    "meeting": N_("Before the first meeting"),
    "followup": N_("Check in with the parent and {about}"),
    "checkin": N_("Check in after closing"),
}
FREE = N_("Your reminder")
"""A free reminder is listed by the practitioner's own words; this only when there are none."""
CHECKIN_LINE = N_("{number}. {when}")
CHECKIN_SKIPPED = N_("{number}. skipped")
CHECKIN_PROPOSED = N_("After 2, 6 and 12 weeks:")
CHECKIN_CHOSEN = N_("On these moments:")
"""Above the check-ins: the proposal as it was made, or (after a change) only the moments."""
SLOT_PLANNED = N_("now {when}")
SLOT_SKIPPED = N_("skipped")
EARLIER = N_("A week earlier · {when}")
LATER = N_("A week later · {when}")
PROPOSAL = N_("After {weeks} weeks · {when}")
CHECKIN_LABEL = N_("Change {number}: {when}")
CHECKIN_LABEL_SKIPPED = N_("Add {number} again")
CHECKINS_SET = N_("I'll remind you on: {when}.")
CHECKINS_NONE = N_("No check-ins planned; that is fine too.")
QUIET_OFF = N_("none")
QUIET_SET = N_("Quiet hours: {hours}.")
QUIET_BAD = N_("Please type two times, like “21:00-08:00” or “22-7”.")
RANGE = "{start}–{end}"


# --- picking a moment ----------------------------------------------------------------------


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
    """The quick choices (this afternoon, tomorrow 9:00, in a week, ...), worked out from
    the clock now; pressing one looks them up again, so a choice that has just passed (the
    afternoon, at 18:00) is not offered any more."""
    options = []
    for p in presets(turn.now(), zone(turn), turn.language):
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
        moment = parse_when(
            turn.value or "", now=turn.now(), language=turn.language, zone=zone(turn)
        )
    except WhenError as error:
        raise refusal(turn, error) from None
    turn.data[DUE] = moment.isoformat()


def in_quiet_hours(turn: Turn, moment: datetime) -> bool:
    """Whether `moment` falls in the practitioner's quiet hours (as delivery sees it)."""
    p = turn.practitioner
    return quiet_at(moment, zone(turn), p.quiet_start, p.quiet_end)


def _confirm(turn: Turn, msgid: str, moment: datetime) -> None:
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
    _confirm(turn, SET, moment)
    return reminder


# --- the phases' offers --------------------------------------------------------------------


@registry.action("phase_done")
async def phase_done(turn: Turn) -> None:
    """Everything of the phase is recorded: it counts as done from here (the menu shows ✓,
    and entering it again starts afresh), so a reminder offered after it is only an offer.
    A practitioner who leaves it unanswered has finished the phase all the same."""
    turn.conversation.status = "done"


@registry.action("remind_meeting")
async def remind_meeting(turn: Turn) -> None:
    """/voorbereiden: a reminder before the first meeting, with the tip to offer
    that someone may join; it opens the preparation again."""
    case = await open_case(turn)
    await remember(
        turn, case=case, kind="meeting", tip=MEETING_TIP, open_flow="voorbereiden", open_step="why"
    )


def _default_checkins(turn: Turn) -> list[str | None]:
    """After 2, 6 and 12 weeks, at 9:00 local time (the same wall-clock time on both sides
    of a change to or from summer time)."""
    return [weeks_later(turn.now(), zone(turn), weeks).isoformat() for weeks in CHECKIN_WEEKS]


def _checkins(turn: Turn) -> list[str | None]:
    raw = turn.data.get(CHECKINS)
    if isinstance(raw, list) and len(raw) == len(CHECKIN_WEEKS):
        return [v if isinstance(v, str) else None for v in raw]
    return _default_checkins(turn)


@registry.action("plan_checkins")
async def plan_checkins(turn: Turn) -> None:
    """Fase 4, at closing: propose check-ins after 2, 6 and 12 weeks."""
    turn.data[CHECKINS] = _default_checkins(turn)


@registry.view("checkin_plan")
async def checkin_plan(turn: Turn) -> dict[str, str]:
    """`{checkin_plan}`, one line per check-in, and `{checkin_intro}`: "after 2, 6 and 12
    weeks" only while that is what the lines say."""
    plan = _checkins(turn)
    intro = CHECKIN_PROPOSED if plan == _default_checkins(turn) else CHECKIN_CHOSEN
    lines = []
    for number, at in enumerate(plan, 1):
        if at is None:
            lines.append(fill(turn, CHECKIN_SKIPPED, number=str(number)))
        else:
            when = escape(words(turn, datetime.fromisoformat(at)))
            lines.append(fill(turn, CHECKIN_LINE, number=str(number), when=when))
    return {"checkin_plan": "\n".join(lines), "checkin_intro": turn.t(intro)}


@registry.provider("checkin_slots")
async def checkin_slots(turn: Turn) -> list[Option]:
    """One button per check-in: change (or skip) it, or add a skipped one again."""
    options = []
    for number, at in enumerate(_checkins(turn), 1):
        if at is None:
            label = fill(turn, CHECKIN_LABEL_SKIPPED, number=str(number))
        else:
            short = short_when(turn, datetime.fromisoformat(at))
            label = fill(turn, CHECKIN_LABEL, number=str(number), when=short)
        options.append(Option(str(number), label))
    return options


def _chosen_slot(turn: Turn) -> int | None:
    """The index of the check-in being changed, or None when none was chosen."""
    raw = str(turn.data.get(SLOT) or "")
    return int(raw) - 1 if raw.isdigit() and 1 <= int(raw) <= len(CHECKIN_WEEKS) else None


def _slot(turn: Turn) -> int:
    """The check-in to change; without one, nothing is changed."""
    index = _chosen_slot(turn)
    if index is None:
        raise Reject(NO_MOMENT)
    return index


def _slot_index(turn: Turn) -> int:
    """The check-in being changed, for showing it (the first one if unclear)."""
    index = _chosen_slot(turn)
    return 0 if index is None else index


def _slot_moment(turn: Turn) -> datetime | None:
    at = _checkins(turn)[_slot_index(turn)]
    return datetime.fromisoformat(at) if at else None


@registry.view("checkin_slot")
async def checkin_slot(turn: Turn) -> dict[str, str]:
    """`{slot_number}` and `{slot_state}`: "now <moment>", or "skipped"."""
    moment = _slot_moment(turn)
    if moment is None:
        state = turn.t(SLOT_SKIPPED)
    else:
        state = fill(turn, SLOT_PLANNED, when=escape(words(turn, moment)))
    return {"slot_number": str(_slot_index(turn) + 1), "slot_state": state}


@registry.guard("checkin_planned")
async def checkin_planned(turn: Turn) -> bool:
    """The check-in being changed is planned (not skipped): it can be skipped."""
    return _slot_moment(turn) is not None


@registry.provider("checkin_moves")
async def checkin_moves(turn: Turn) -> list[Option]:
    """Quick choices that fit a moment weeks away: a week earlier (while that is still
    ahead) or later (while that is at most a year ahead), at the same time; for a skipped
    one, the moment first proposed."""
    moment = _slot_moment(turn)
    choices: list[tuple[str, str, datetime]] = []
    if moment is None:
        weeks = CHECKIN_WEEKS[_slot_index(turn)]
        at = weeks_later(turn.now(), zone(turn), weeks)
        label = fill(turn, PROPOSAL, weeks=str(weeks), when=short_when(turn, at))
        choices.append(("proposal", label, at))
    else:
        local = moment.astimezone(ZoneInfo(zone(turn)))
        for key, msgid, days in (("earlier", EARLIER, -7), ("later", LATER, 7)):
            at = at_local(local.date() + timedelta(days=days), local.time(), zone(turn))
            choices.append((key, fill(turn, msgid, when=short_when(turn, at)), at))
    now, where = turn.now(), zone(turn)
    return [
        Option(key, label, {"at": at.isoformat()})
        for key, label, at in choices
        if in_reach(at, now=now, zone=where)
    ]


def _set_slot(turn: Turn, value: str | None) -> None:
    plan = _checkins(turn)
    plan[_slot(turn)] = value
    turn.data[CHECKINS] = plan


@registry.action("set_checkin")
async def set_checkin(turn: Turn) -> None:
    moment = chosen_moment(turn)
    _set_slot(turn, moment.isoformat())
    forget(turn, DUE)


@registry.action("drop_checkin")
async def drop_checkin(turn: Turn) -> None:
    _set_slot(turn, None)


@registry.action("add_checkins")
async def add_checkins(turn: Turn) -> None:
    """The planned check-ins as reminders, with the tip "keep a finger on the pulse"; they
    open phase 4's summary of what was agreed."""
    case = await open_case(turn)
    moments = sorted(datetime.fromisoformat(at) for at in _checkins(turn) if at)
    for moment in moments:
        await turn.repo.add_reminder(
            turn.practitioner,
            case=case,
            kind="checkin",
            due_at=moment,
            tip_id=CHECKIN_TIP,
            open_flow="fase4",
            open_step="summary",
        )
    forget(turn, CHECKINS, SLOT)
    if not moments:
        turn.flash.append(turn.t(CHECKINS_NONE))
        return
    listed = ", ".join(escape(words(turn, m)) for m in moments)
    turn.flash.append(fill(turn, CHECKINS_SET, when=listed))


# --- /herinneringen ------------------------------------------------------------------------


def short_when(turn: Turn, moment: datetime) -> str:
    """ "di 3 dec 09:00": short enough for a button."""
    return say_short(moment, turn.language, zone(turn))


def what(turn: Turn, reminder: Reminder) -> str:
    """What a reminder is about, as plain text: its kind, or the practitioner's own words
    (escape it for a message; a button label is plain text)."""
    msgid = KIND_LABELS.get(reminder.kind)
    if msgid is None:
        return reminder.about or turn.t(FREE)
    return fill(turn, msgid, about=reminder.about or "")


def note(turn: Turn, reminder: Reminder) -> str:
    """Sent and not done, overdue, or waiting for the end of the quiet hours; else nothing."""
    if reminder.status == "sent" and reminder.sent_at is not None:
        return fill(turn, SENT_NOTE, when=say_short(reminder.sent_at, turn.language, zone(turn)))
    if reminder.due_at <= turn.now():
        return turn.t(LATE_NOTE)
    if in_quiet_hours(turn, reminder.due_at):
        return fill(turn, QUIET_WAIT, time=clock_text(turn.practitioner.quiet_end))
    return ""


@registry.view("reminder_list")
async def reminder_list(turn: Turn) -> dict[str, str]:
    """Every upcoming reminder under its family, soonest family first."""
    upcoming = await turn.repo.upcoming_reminders(turn.practitioner)
    if not upcoming:
        return {"reminders": escape(turn.t(NONE_YET))}
    groups: dict[str, list[str]] = {}
    for item in upcoming:
        heading = escape(item.case_label) if item.case_label else escape(turn.t(WITHOUT_CASE))
        extra = note(turn, item.reminder)
        when, about = words(turn, item.reminder.due_at), what(turn, item.reminder)
        line = f"• {escape(when)} · {escape(about)}"
        groups.setdefault(heading, []).append(line + (f" <i>({extra})</i>" if extra else ""))
    return {"reminders": "\n\n".join(f"<b>{h}</b>\n" + "\n".join(ls) for h, ls in groups.items())}


@registry.provider("reminder_options")
async def reminder_options(turn: Turn) -> list[Option]:
    """One button per upcoming reminder ("wo 2 dec 09:00 · Gezin B. · moeder bellen"); the
    key is looked up again in this practitioner's own reminders when pressed."""
    upcoming = await turn.repo.upcoming_reminders(turn.practitioner)
    options = []
    for item in upcoming[:LIST_MAX]:
        plain = shorten(what(turn, item.reminder), BUTTON_TEXT)
        case = f" · {item.case_label}" if item.case_label else ""
        label = f"{short_when(turn, item.reminder.due_at)}{case} · {plain}"
        options.append(Option(str(item.reminder.id), label))
    return options


async def _chosen(turn: Turn) -> Reminder | None:
    raw = str(turn.data.get(CHOSEN) or "")
    if not raw.isdigit():
        return None
    return await turn.repo.reminder(turn.practitioner, int(raw))


@registry.view("reminder_card")
async def reminder_card(turn: Turn) -> dict[str, str]:
    reminder = await _chosen(turn)
    if reminder is None or reminder.status != "pending":
        gone = escape(turn.t(GONE))
        return {"r_case": "—", "r_what": gone, "r_when": "—", "r_note": ""}
    case = await turn.repo.case(turn.practitioner, reminder.case_id)
    extra = note(turn, reminder)
    return {
        "r_case": escape(case.label) if case is not None else escape(turn.t(WITHOUT_CASE)),
        "r_what": escape(what(turn, reminder)),
        "r_when": escape(words(turn, reminder.due_at)),
        "r_note": f"\n<i>{escape(extra)}</i>" if extra else "",
    }


def _chosen_id(turn: Turn) -> int:
    raw = str(turn.data.get(CHOSEN) or "")
    if not raw.isdigit():
        raise Reject(GONE)
    return int(raw)


@registry.action("move_chosen_reminder")
async def move_chosen_reminder(turn: Turn) -> None:
    moment = chosen_moment(turn)
    moved = await turn.repo.move_reminder(turn.practitioner, _chosen_id(turn), moment)
    if moved is None:
        raise Reject(GONE)
    forget(turn, DUE)
    _confirm(turn, MOVED, moment)


@registry.action("cancel_chosen_reminder")
async def cancel_chosen_reminder(turn: Turn) -> None:
    if await turn.repo.cancel_reminder(turn.practitioner, _chosen_id(turn)) is None:
        raise Reject(GONE)
    forget(turn, CHOSEN)
    turn.flash.append(turn.t(CANCELLED))


@registry.action("check_reminder_about")
async def check_reminder_about(turn: Turn) -> None:
    """A few words about what to do: no phone numbers or e-mail addresses."""
    check_note(str(turn.data.get(ABOUT) or ""))


@registry.action("add_free_reminder")
async def add_free_reminder(turn: Turn) -> None:
    """A reminder of the practitioner's own: for the active family, or for none."""
    case = await open_case(turn) if turn.data.get(FOR_CASE) is True else None
    about = check_note(str(turn.data.get(ABOUT) or "").strip()) or None
    await remember(turn, case=case, kind="free", about=about, open_flow="herinneringen")
    forget(turn, ABOUT, FOR_CASE)


# --- quiet hours ---------------------------------------------------------------------------

_TIME = r"(\d{1,2})(?:[:.](\d{2}))?(?:\s*u(?:ur)?)?"
_RANGE = re.compile(rf"^\s*{_TIME}\s*(?:-|–|—|tot|to|till|until)\s*{_TIME}\s*$", re.IGNORECASE)


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """ "21:00-08:00", "22-7", "21.30 tot 7.30" as minutes after midnight; None otherwise."""
    match = _RANGE.match(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    return h1 * 60 + m1, h2 * 60 + m2


def quiet_text(turn: Turn) -> str:
    start, end = turn.practitioner.quiet_start, turn.practitioner.quiet_end
    if start == end:
        return turn.t(QUIET_OFF)
    return RANGE.format(start=clock_text(start), end=clock_text(end))


@registry.view("quiet_hours")
async def quiet_hours(turn: Turn) -> dict[str, str]:
    return {"quiet_hours": escape(quiet_text(turn))}


def _set_quiet(turn: Turn, start: int, end: int) -> None:
    turn.practitioner.quiet_start, turn.practitioner.quiet_end = start, end
    turn.record("practitioner.quiet_hours", "quiet_hours", quiet_text(turn))
    turn.flash.append(fill(turn, QUIET_SET, hours=escape(quiet_text(turn))))


@registry.action("set_quiet_hours")
async def set_quiet_hours(turn: Turn) -> None:
    found = parse_quiet_hours(turn.value or "")
    if found is None:
        raise Reject(QUIET_BAD)
    _set_quiet(turn, *found)


@registry.action("default_quiet_hours")
async def default_quiet_hours(turn: Turn) -> None:
    _set_quiet(turn, 21 * 60, 8 * 60)


@registry.action("no_quiet_hours")
async def no_quiet_hours(turn: Turn) -> None:
    _set_quiet(turn, 0, 0)
