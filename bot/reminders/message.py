"""The reminder as the practitioner reads it: which family, what about, the parents' tip,
and the buttons (done, later, open).

The reminder before a first meeting comes in the last minutes before it, when a tip about
what to prepare is too late: it carries the preparation kept with the family instead (the
practitioner's own opening sentence first, then the points prepared; `Shown.prepared`),
read when it is sent, so an edit in /afspraken or preparing again shows. The whole
message stays within `LIMIT` characters: the preparation is cut to fit (with "…"), as
"Open ›" shows all of it.

Its buttons are pressed long after the message was sent, with other turns in between, so
they cannot carry the practitioner's step number like a step's buttons do (that would make
them stale at once). They carry `r:<action>:<reminder id>` instead, signed for the
practitioner; the interpreter checks the signature and, in the query, that the reminder is
theirs (`bot.reminders.buttons`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.engine.events import Reply, ReplyButton
from bot.engine.render import escape, fill
from bot.engine.signing import Signer
from bot.engine.spec import FlowSet
from bot.i18n import N_, Translator
from bot.reminders.when import say_when
from bot.store.models import Reminder
from bot.store.status import ReminderKind

PREFIX = "r"
DONE, HOUR, TOMORROW, OPEN = "d", "h", "t", "o"
ACTIONS = (DONE, HOUR, TOMORROW, OPEN)

HEADLINES: dict[str, str] = {
    ReminderKind.MEETING: N_("⏰ Reminder: the first meeting with “{label}”."),
    ReminderKind.FOLLOWUP: N_("⏰ Reminder: follow up with “{label}” on approaching someone."),
    ReminderKind.CHECKIN: N_("⏰ Reminder: a check-in with “{label}”. How are things going?"),
    ReminderKind.FREE: N_("⏰ Reminder for “{label}”."),
}
NO_CASE = N_("⏰ Reminder.")
ABOUT = N_("About: {about}")
LATE = N_("(Late: this was for {when}.)")
AGAIN = N_("(You may have received this reminder already: sending it was interrupted.)")
"""On a reminder sent again because the process sending it died
(`bot.store.reminders.Claim`): Telegram may or may not have shown the first one, and cannot
tell."""
PREPARED = N_("Your preparation")
"""Above the preparation in the reminder before a first meeting."""
LIMIT = 600
"""Characters a reminder message may have at most, tags included: read on a phone."""
BUTTON_DONE = N_("Done ✓")
BUTTON_HOUR = N_("In 1 hour")
BUTTON_TOMORROW = N_("Tomorrow")
BUTTON_OPEN = N_("Open ›")


@dataclass(frozen=True)
class Shown:
    """What a reminder message is made of, read from the database in one go."""

    reminder: Reminder
    case_label: str | None
    language: str
    zone: str
    case_open: bool = True
    """A closed family (check-ins after closing) has no step to open."""
    prepared: str | None = None
    """Before a first meeting: the preparation kept with the family (plain text), if any."""


def fit(plain: str, room: int) -> str:
    """`plain` escaped for a message, in at most `room` characters: cut after a whole word
    with "…" when it is longer (line breaks kept); empty when not even that fits."""
    text = plain.strip()
    escaped = escape(text)
    limit = room - 1
    while len(escaped) > room:
        if limit <= 0:
            return ""
        cut = text[:limit]
        if limit < len(text) and not text[limit].isspace() and " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        escaped = escape(cut.rstrip(" ,;:\n") + "…")
        limit = min(limit - 1, len(cut) - 1)
    return escaped


def reminder_data(signer: Signer, owner_key: str, action: str, reminder_id: int) -> str:
    return signer.sign(owner_key, f"{PREFIX}:{action}:{reminder_id}")


def parse_reminder_payload(payload: str) -> tuple[str, int] | None:
    """(action, reminder id) of a reminder button's signed payload, else None."""
    prefix, _, rest = payload.partition(":")
    action, _, number = rest.partition(":")
    if prefix != PREFIX or action not in ACTIONS or not number.isdigit():
        return None
    return action, int(number)


def text(
    shown: Shown,
    t: Translator,
    flows: FlowSet,
    *,
    late_for: datetime | None,
    interrupted: bool = False,
) -> str:
    """The message text; `late_for` is the original moment when it comes late;
    `interrupted` when an earlier send of it may have arrived."""
    reminder = shown.reminder
    if shown.case_label is None:
        lines = [t.gettext(NO_CASE)]
    else:
        headline = HEADLINES.get(reminder.kind, HEADLINES[ReminderKind.FREE])
        lines = [fill(t.gettext(headline), {"label": escape(shown.case_label)})]
    if reminder.about:
        lines.append(fill(t.gettext(ABOUT), {"about": escape(reminder.about)}))
    tip = flows.tips().get(reminder.tip_id or "")
    if tip is not None and reminder.kind != ReminderKind.MEETING:
        lines.append(f"💡 {t.gettext(tip[1].text)}")
    after = []
    if late_for is not None:
        when = say_when(late_for, shown.language, shown.zone)
        after.append(f"<i>{fill(t.gettext(LATE), {'when': when})}</i>")
    if interrupted:
        after.append(f"<i>{t.gettext(AGAIN)}</i>")
    if reminder.kind == ReminderKind.MEETING and shown.prepared:
        heading = f"<b>{t.gettext(PREPARED)}</b>\n"
        used = len("\n\n".join([*lines, heading, *after]))  # all but the preparation
        kept = fit(shown.prepared, LIMIT - used)
        if kept:
            lines.append(heading + kept)
    return "\n\n".join([*lines, *after])


def compose(
    shown: Shown,
    t: Translator,
    flows: FlowSet,
    signer: Signer,
    owner_key: str,
    *,
    late_for: datetime | None = None,
    interrupted: bool = False,
) -> Reply:
    """The reminder message with its buttons."""
    reminder = shown.reminder

    def button(label: str, action: str) -> ReplyButton:
        return ReplyButton(t.gettext(label), reminder_data(signer, owner_key, action, reminder.id))

    rows: list[tuple[ReplyButton, ...]] = [
        (button(BUTTON_DONE, DONE),),
        (button(BUTTON_HOUR, HOUR), button(BUTTON_TOMORROW, TOMORROW)),
    ]
    if shown.case_open and reminder.open_flow is not None and reminder.open_flow in flows.flows:
        rows.append((button(BUTTON_OPEN, OPEN),))
    shows_tip = reminder.kind != ReminderKind.MEETING and reminder.tip_id in flows.tips()
    tips = (reminder.tip_id,) if reminder.tip_id and shows_tip else ()
    body = text(shown, t, flows, late_for=late_for, interrupted=interrupted)
    return Reply(body, tuple(rows), tips)
