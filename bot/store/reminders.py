"""The reminder queries: the practitioner's own (part of `Repo`) and the delivery job's
(`bot.reminders.delivery`).

Every query a practitioner's turn makes takes the owner, like the rest of the repository.
The delivery job works across practitioners (like the retention job) and touches only the
columns that say when and whether a reminder is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, CursorResult, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.errors import ArgumentError
from bot.store.audit import AuditQueries
from bot.store.models import Case, Practitioner, Reminder
from bot.store.queries import owned
from bot.store.status import ReminderKind, ReminderStatus

KINDS = tuple(ReminderKind)
OPEN = (ReminderStatus.PENDING, ReminderStatus.SENT)
"""Statuses a practitioner can still act on (move, snooze, done, cancel)."""


@dataclass(frozen=True)
class Upcoming:
    """A pending reminder with the label of its family (None for a reminder without one)."""

    reminder: Reminder
    case_label: str | None


_REMINDER = owned(Reminder, Reminder.id, Reminder.owner_id)


class ReminderQueries(AuditQueries):
    """Part of `Repo`: the practitioner's reminders, always scoped to the owner."""

    async def add_reminder(
        self,
        owner: Practitioner,
        *,
        case: Case | None,
        kind: str,
        due_at: datetime,
        about: str | None = None,
        tip_id: str | None = None,
        open_flow: str | None = None,
        open_step: str | None = None,
    ) -> Reminder:
        """A pending reminder at `due_at` (aware; stored in UTC), for `case` or for none."""
        if kind not in KINDS:
            raise ArgumentError(f"unknown reminder kind {kind!r}")
        if due_at.tzinfo is None:
            raise ArgumentError("due_at must be time-zone aware")
        if case is not None and case.owner_id != owner.id:
            raise ArgumentError("a reminder can only be about one of the owner's cases")
        reminder = Reminder(
            owner_id=owner.id,
            case_id=None if case is None else case.id,
            kind=kind,
            about=about,
            tip_id=tip_id,
            open_flow=open_flow,
            open_step=open_step,
            due_at=due_at,
            next_attempt_at=due_at,
            status=ReminderStatus.PENDING,
            attempts=0,
            late=False,
        )
        await self._add(reminder, owner_id=owner.id)
        self._audit_reminder(owner, reminder, "reminder.added", due_at.isoformat())
        return reminder

    async def upcoming_reminders(
        self, owner: Practitioner, *, case: Case | None = None
    ) -> Sequence[Upcoming]:
        """Reminders of `owner` still to act on (of one case, if given), soonest first, each
        with its family's label: pending ones, and those sent but not marked done, so a
        missed message can still be found, done, moved or cancelled."""
        query = (
            select(Reminder, Case.label)
            .outerjoin(Case, (Case.id == Reminder.case_id) & (Case.owner_id == owner.id))
            .where(Reminder.owner_id == owner.id, Reminder.status.in_(OPEN))
            .order_by(Reminder.due_at, Reminder.id)
        )
        if case is not None:
            query = query.where(Reminder.case_id == case.id)
        rows = (await self.session.execute(query)).all()
        return [Upcoming(reminder, label) for reminder, label in rows]

    async def checkins(self, case: Case) -> Sequence[Reminder]:
        """The check-ins planned at closing (fase 4's "remind me after 2, 6 and 12 weeks")
        for `case`, soonest first: still to come, sent, or done; not the cancelled or
        undeliverable ones. The plan lists them: they are kept as reminders, not as the
        typed check-in agreements."""
        query = (
            select(Reminder)
            .where(
                Reminder.case_id == case.id,
                Reminder.owner_id == case.owner_id,
                Reminder.kind == ReminderKind.CHECKIN,
                Reminder.status.in_((*OPEN, ReminderStatus.DONE)),
            )
            .order_by(Reminder.due_at, Reminder.id)
        )
        return (await self.session.execute(query)).scalars().all()

    async def reminders(self, owner: Practitioner) -> Sequence[Reminder]:
        """All of `owner`'s reminders, whatever their status (for /export)."""
        query = select(Reminder).where(Reminder.owner_id == owner.id).order_by(Reminder.id)
        return (await self.session.execute(query)).scalars().all()

    async def last_open_due(self, case: Case) -> datetime | None:
        """When the case's last reminder that is not done or cancelled is (was) due; None
        without one. A closed case is kept until `grace` after it (`bot.retention`), so its
        check-ins, and the buttons on them, still find the family."""
        query = select(func.max(Reminder.due_at)).where(
            Reminder.case_id == case.id,
            Reminder.owner_id == case.owner_id,
            Reminder.status.in_(OPEN),
        )
        found: datetime | None = (await self.session.execute(query)).scalar_one_or_none()
        return found

    async def cancel_before_closing(self, case: Case) -> int:
        """At closing, cancel the case's open reminders that belong to the help itself (the
        first meeting, follow-ups); the check-ins after closing and free ones stay. How
        many were cancelled."""
        query = select(Reminder).where(
            Reminder.case_id == case.id,
            Reminder.owner_id == case.owner_id,
            Reminder.status.in_(OPEN),
            Reminder.kind.in_((ReminderKind.MEETING, ReminderKind.FOLLOWUP)),
        )
        cancelled = (await self.session.execute(query)).scalars().all()
        for reminder in cancelled:
            reminder.status, reminder.claimed_until = ReminderStatus.CANCELLED, None
        return len(cancelled)

    async def reminder(self, owner: Practitioner, reminder_id: int | None) -> Reminder | None:
        """The reminder with this id if, and only if, it belongs to `owner`. Asked again in
        the same unit of work (a button press, then marking it done), it comes from the
        session without a query."""
        return await self._owned(_REMINDER, owner, reminder_id)

    async def move_reminder(
        self,
        owner: Practitioner,
        reminder_id: int,
        due_at: datetime,
        *,
        event: str = "reminder.moved",
    ) -> Reminder | None:
        """Set a new time: pending again, as if new. None when there is no such reminder
        of `owner` or it is done or cancelled (nothing changed)."""
        reminder = await self._open(owner, reminder_id)
        if reminder is None:
            return None
        _reschedule(reminder, due_at)
        self._audit_reminder(owner, reminder, event, due_at.isoformat())
        return reminder

    async def snooze(
        self, owner: Practitioner, reminder_id: int, until: datetime
    ) -> Reminder | None:
        """ "Later": the reminder comes again at `until`. None as for `move_reminder`."""
        return await self.move_reminder(owner, reminder_id, until, event="reminder.snoozed")

    async def cancel_reminder(self, owner: Practitioner, reminder_id: int) -> Reminder | None:
        """Cancel; None when there is no such reminder of `owner` or it was already done or
        cancelled."""
        return await self._close(owner, reminder_id, ReminderStatus.CANCELLED, "reminder.cancelled")

    async def done_reminder(self, owner: Practitioner, reminder_id: int) -> Reminder | None:
        """Mark done, recorded in the case's audit trail with what it was about (so the
        family's history says the follow-up happened). None as for `cancel_reminder`."""
        return await self._close(
            owner, reminder_id, ReminderStatus.DONE, "reminder.done", about=True
        )

    async def _close(
        self,
        owner: Practitioner,
        reminder_id: int,
        status: ReminderStatus,
        event: str,
        *,
        about: bool = False,
    ) -> Reminder | None:
        reminder = await self._open(owner, reminder_id)
        if reminder is None:
            return None
        reminder.status, reminder.claimed_until = status, None
        value = (reminder.about or reminder.kind) if about else None
        self._audit_reminder(owner, reminder, event, value)
        return reminder

    async def _open(self, owner: Practitioner, reminder_id: int) -> Reminder | None:
        reminder = await self.reminder(owner, reminder_id)
        return reminder if reminder is not None and reminder.status in OPEN else None

    def _audit_reminder(
        self, owner: Practitioner, reminder: Reminder, event: str, value: str | None = None
    ) -> None:
        self.audit(
            owner,
            event,
            case_id=reminder.case_id,
            flow="reminders",
            field=f"reminder:{reminder.id}",
            value=value,
        )


def _reschedule(reminder: Reminder, due_at: datetime) -> None:
    if due_at.tzinfo is None:
        raise ArgumentError("due_at must be time-zone aware")
    reminder.due_at = reminder.next_attempt_at = due_at
    reminder.status, reminder.attempts, reminder.late = ReminderStatus.PENDING, 0, False
    reminder.claimed_until = reminder.sent_at = None


# --- the delivery job's queries (installation-wide) -----------------------------------------


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [
        Reminder.status == ReminderStatus.PENDING,
        Reminder.next_attempt_at <= now,
        or_(Reminder.claimed_until.is_(None), Reminder.claimed_until <= now),
    ]


@dataclass(frozen=True)
class Claim:
    """A reminder claimed for sending, and whether an earlier send of it was interrupted."""

    reminder: Reminder
    interrupted: bool
    """`Reminder.maybe_sent`: an earlier claim lapsed without the reminder being marked
    sent or given back, so the process that held it died, as good as always while sending
    it (one reminder is claimed at a time, just before its send). The practitioner may
    have it already."""


async def claim_next(session: AsyncSession, now: datetime, *, lease: timedelta) -> Claim | None:
    """Claim the reminder due first for this process until `now + lease`; None when none
    is due.

    One at a time, right before its send, so that the lease runs from the send (however
    many came before it in the pass) and a claim that lapsed means an interrupted send. On
    PostgreSQL `FOR UPDATE SKIP LOCKED` lets two processes claim side by side without
    waiting for or taking each other's rows; the lease (`claimed_until`) keeps the row
    claimed after this transaction commits, while the message is being sent. A process that
    dies holding a claim leaves it to run out, and the row is claimed again: a reminder may
    then come twice, never not at all. SQLite ignores `FOR UPDATE`; one process is assumed.
    """
    query = (
        select(Reminder)
        .where(*_due(now))
        .order_by(Reminder.next_attempt_at, Reminder.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    reminder = (await session.execute(query)).scalars().first()
    if reminder is None:
        return None
    # Every way a claim ends (sent, given back, deferred, moved, done, cancelled) clears it;
    # one still set has lapsed: its send was interrupted. That is kept until it is sent,
    # through a deferral to the end of quiet hours or a failed try.
    if reminder.claimed_until is not None:
        reminder.maybe_sent = True
    reminder.claimed_until = now + lease
    await session.flush()
    return Claim(reminder, reminder.maybe_sent)


async def next_due(session: AsyncSession) -> datetime | None:
    """When the next pending reminder may be tried (claimed ones included)."""
    query = select(Reminder.next_attempt_at).where(Reminder.status == ReminderStatus.PENDING)
    query = query.order_by(Reminder.next_attempt_at).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


_MARK_SENT = (
    update(Reminder)
    .where(
        Reminder.id == bindparam("reminder_id"),
        Reminder.status == ReminderStatus.PENDING,
        Reminder.claimed_until == bindparam("claim"),
    )
    .values(
        status=ReminderStatus.SENT,
        sent_at=bindparam("now"),
        late=bindparam("late"),
        claimed_until=None,
        maybe_sent=False,
    )
)
"""Built once: SQLAlchemy then finds it compiled without building and hashing a new
statement each time, about 0.15 ms less between Telegram's answer and the commit
(`python -m tests.perf.reminder_window`)."""


async def mark_sent(
    connection: AsyncConnection,
    reminder_id: int,
    claimed_until: datetime,
    now: datetime,
    *,
    late: bool,
) -> bool:
    """Sent, if it is still this process's claim and still pending (the practitioner may
    have pressed done or cancelled meanwhile: that wins). One statement, so that on an
    autocommit connection it is one round trip, committed on its own."""
    values = {"reminder_id": reminder_id, "claim": claimed_until, "now": now, "late": late}
    result = await connection.execute(_MARK_SENT, values)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def release(
    session: AsyncSession,
    reminder_id: int,
    claimed_until: datetime,
    *,
    next_attempt_at: datetime,
    failed: bool,
    status: ReminderStatus = ReminderStatus.PENDING,
) -> None:
    """Give a claim back: try again at `next_attempt_at` (counting a failure if `failed`),
    or end it with another `status`."""
    values: dict[str, object] = {
        "claimed_until": None,
        "next_attempt_at": next_attempt_at,
        "status": status,
    }
    if failed:
        values["attempts"] = Reminder.attempts + 1
    await session.execute(
        update(Reminder)
        .where(
            Reminder.id == reminder_id,
            Reminder.status == ReminderStatus.PENDING,
            Reminder.claimed_until == claimed_until,
        )
        .values(**values)
    )
