"""The statuses the tables keep, by name instead of as bare strings.

A `StrEnum` member is the string it stands for (`CaseStatus.OPEN == "open"`), so the
values in the database, and code that still compares with the bare strings, are unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    """`Case.status`: a family being helped, or closed (deleted after the retention time)."""

    OPEN = "open"
    CLOSED = "closed"


class ConversationStatus(StrEnum):
    """`Conversation.status`: where a practitioner's flow stands."""

    ACTIVE = "active"
    WAITING = "waiting"
    """Left at a typing step for a command; entering the flow again resumes there."""
    DONE = "done"
    """A case flow that reached its end (the phase overview counts it done)."""
    CANCELLED = "cancelled"
    """A case flow the practitioner stopped: entering it again starts afresh."""


FINISHED_BEFORE = "done"
"""Key in `Conversation.trail`: this walk reopened a case flow that was done (to look at
it, or from a reminder's "Open"). The phase stays done whatever this walk does: stopping
it with /annuleer, or pausing it, must not make a finished phase look unstarted."""


def counts_as_done(status: str, trail: dict[str, object]) -> bool:
    """Whether a case flow's conversation counts as finished for the phase overview."""
    return status == ConversationStatus.DONE or bool(trail.get(FINISHED_BEFORE))


class AgreementStatus(StrEnum):
    """`Agreement.status`: a task of the plan to do, or done."""

    OPEN = "open"
    DONE = "done"


class ReminderStatus(StrEnum):
    """`Reminder.status`: `pending` → `sent` → `done`, or `cancelled`; `failed` when the
    channel says it can never be delivered (the practitioner blocked the bot)."""

    PENDING = "pending"
    SENT = "sent"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ReminderKind(StrEnum):
    """`Reminder.kind`: what a reminder is for."""

    MEETING = "meeting"
    """Before a first meeting."""
    FOLLOWUP = "followup"
    """After approaching someone."""
    CHECKIN = "checkin"
    """After closing."""
    FREE = "free"
    """One the practitioner set for anything."""
