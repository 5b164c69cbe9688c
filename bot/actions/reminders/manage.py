"""/herinneringen: every upcoming reminder, and moving, cancelling or adding one.

Reminders are listed under their family, soonest first; one is chosen by a button whose
key is looked up again in the practitioner's own reminders when it is pressed. A reminder
of the practitioner's own ("free") is about the active family or about none.
"""

from __future__ import annotations

from bot.actions.common import fill, forget, open_case
from bot.actions.labels import check_note
from bot.actions.reminders.moment import (
    DUE,
    chosen_moment,
    confirm,
    remember,
    short_when,
    words,
    zone,
)
from bot.actions.reminders.quiet_hours import in_quiet_hours
from bot.engine.errors import Reject
from bot.engine.options import Option
from bot.engine.registry import registry
from bot.engine.render import escape, shorten
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.reminders.when import clock_text, say_short
from bot.store.models import Reminder
from bot.store.status import ReminderKind, ReminderStatus

CHOSEN = "reminder_id"
ABOUT, FOR_CASE = "about", "for_case"
LIST_MAX = 20
"""Buttons in the list: more would not fit a phone; the text still lists every reminder."""
BUTTON_TEXT = 28

MOVED = N_("Moved: I'll remind you on {when}.")
CANCELLED = N_("The reminder is cancelled.")
GONE = N_("That reminder is no longer open. Nothing was changed.")
LATE_NOTE = N_("overdue: it comes as soon as possible")
SENT_NOTE = N_("sent on {when}, not marked done yet")
QUIET_WAIT = N_("quiet hours: it comes at {time}")
NONE_YET = N_(
    "No reminders yet. Add one here, or let the phases offer one: before a first meeting, "
    "after approaching someone, and after closing."
)
WITHOUT_CASE = N_("Without a family")
KIND_LABELS: dict[str, str] = {
    ReminderKind.MEETING: N_("Before the first meeting"),
    ReminderKind.FOLLOWUP: N_("Check in with the parent and {about}"),
    ReminderKind.CHECKIN: N_("Check in after closing"),
}
FREE = N_("Your reminder")
"""A free reminder is listed by the practitioner's own words; this only when there are none."""


def what(turn: Turn, reminder: Reminder) -> str:
    """What a reminder is about, as plain text: its kind, or the practitioner's own words
    (escape it for a message; a button label is plain text)."""
    msgid = KIND_LABELS.get(reminder.kind)
    if msgid is None:
        return reminder.about or turn.t(FREE)
    return fill(turn, msgid, about=reminder.about or "")


def note(turn: Turn, reminder: Reminder) -> str:
    """Sent and not done, overdue, or waiting for the end of the quiet hours; else nothing."""
    if reminder.status == ReminderStatus.SENT and reminder.sent_at is not None:
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
    if reminder is None or reminder.status != ReminderStatus.PENDING:
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
    confirm(turn, MOVED, moment)


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
    await remember(turn, case=case, kind=ReminderKind.FREE, about=about, open_flow="herinneringen")
    forget(turn, ABOUT, FOR_CASE)
