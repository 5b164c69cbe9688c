"""What a reminder's button does: done, later (1 hour, tomorrow 09:00), or open the case.

`on_reminder_button` is registered with the interpreter for the reminder buttons' prefix
(`bot.engine.buttons`); it runs inside the turn's transaction, after the interpreter checked
the signature. Ownership is part of every query (`repo.reminder(owner, id)`), so a button of
someone else's reminder cannot reach it. A reminder already done or cancelled changes
nothing and says so.
"""

from __future__ import annotations

from datetime import timedelta

from bot.engine.buttons import ButtonAnswer, ButtonPress, Opening
from bot.engine.events import Reply
from bot.engine.registry import registry
from bot.engine.render import escape, fill
from bot.i18n import N_
from bot.reminders import message
from bot.reminders.when import days_later, say_when
from bot.store.reminders import OPEN
from bot.store.status import CaseStatus, ReminderKind

SNOOZE_HOUR = timedelta(hours=1)

DONE_NOTE = N_("✅ Done. Noted with “{label}”.")
DONE_PLAIN = N_("✅ Done.")
AGAIN = N_("⏰ I will remind you again on {when}.")
GONE = N_("This reminder is already done or cancelled. Nothing was changed.")
UNKNOWN = N_("This reminder no longer exists. Nothing was changed.")
OPENED = N_("Opened.")
CLOSED = N_("This family is closed, so there is nothing to open. The reminder stays.")


@registry.button(message.PREFIX)
async def on_reminder_button(pressed: ButtonPress) -> ButtonAnswer | None:
    """A press of a reminder's button; None for a payload no reminder button carries."""
    parsed = message.parse_reminder_payload(pressed.payload)
    if parsed is None:
        return None
    action, reminder_id = parsed
    repo, p, t, now = pressed.repo, pressed.practitioner, pressed.translator, pressed.now
    reminder = await repo.reminder(p, reminder_id)
    if reminder is None:
        return ButtonAnswer(Reply(t.gettext(UNKNOWN)), t.gettext(UNKNOWN))
    case = await repo.case(p, reminder.case_id)
    label = None if case is None else case.label
    kept = None
    if case is not None and reminder.kind == ReminderKind.MEETING:
        kept = await repo.preparation(case)
    prepared = None if kept is None else kept.text
    shown = message.Shown(reminder, label, p.language, p.timezone, prepared=prepared)
    body = message.text(shown, t, pressed.flows, late_for=None)

    def answer(line: str, notice: str) -> ButtonAnswer:
        return ButtonAnswer(Reply(f"{body}\n\n{line}"), notice)

    if reminder.status not in OPEN:
        return answer(t.gettext(GONE), t.gettext(GONE))
    if action == message.DONE:
        await repo.done_reminder(p, reminder.id)
        line = (
            t.gettext(DONE_PLAIN)
            if label is None
            else fill(t.gettext(DONE_NOTE), {"label": escape(label)})
        )
        return answer(line, t.gettext(DONE_PLAIN))
    if action in (message.HOUR, message.TOMORROW):
        until = now + SNOOZE_HOUR if action == message.HOUR else days_later(now, p.timezone, 1)
        await repo.snooze(p, reminder.id, until)
        line = fill(t.gettext(AGAIN), {"when": say_when(until, p.language, p.timezone)})
        return answer(line, line)
    assert action == message.OPEN
    if reminder.open_flow is None or reminder.open_flow not in pressed.flows.flows:
        return ButtonAnswer(None, t.gettext(UNKNOWN))
    if case is not None and case.status != CaseStatus.OPEN:
        return ButtonAnswer(None, t.gettext(CLOSED))
    where = Opening(reminder.case_id, reminder.open_flow, reminder.open_step)
    return ButtonAnswer(None, t.gettext(OPENED), where)
