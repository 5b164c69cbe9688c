"""Delivering due reminders: claim, send, mark sent; exactly once in the normal case, and
at least once when a process dies.

One pass (`ReminderJob.run_once`) takes the due reminders one at a time:

1. Claims the one due first in a short transaction (`bot.store.reminders.claim_next`:
   `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two bot processes split the work instead of
   both taking it) and sets a lease (`claimed_until`), counted from just before its send.
   A reminder whose owner is in quiet hours is not sent: its next attempt moves to the end
   of the quiet hours, in their time zone.
2. Sends it through the `Notifier`, outside any transaction.
3. Marks it `sent` only once the channel accepted it, and before anything else: one
   autocommitted UPDATE, on PostgreSQL over a connection taken from the pool before the
   send. A passing failure (network, Telegram down) gives the claim back with a growing
   back-off and ends the pass; a message that can never be delivered (the chat blocked
   the bot) becomes `failed`.

A crash between 2 and 3 leaves the lease to run out, and the reminder is sent again: a
repeat, never a loss. Telegram's sendMessage has no idempotency key, so a crash while the
request is on its way cannot be told from one just after Telegram took it; what this
module keeps small is the time between Telegram's answer and the commit (no pool, no
BEGIN, no other work in between; `python -m tests.perf.reminder_window` measures it, and
`netwerkcoach_reminder_unmarked_seconds` in production). The repeat says that the
practitioner may have had it already (`message.AGAIN`). Reminders that fell due while the
bot was down are due at start and go out in the first pass, marked late when they come
more than `LATE_AFTER` after their time. On SQLite there is no row locking: one process is
assumed (the README says so).

The job knows no Telegram, and its clock is given to it, so tests move time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot import metrics
from bot.engine.events import Reply
from bot.engine.signing import Signer
from bot.engine.spec import FlowSet
from bot.i18n import Catalogs
from bot.notify import Notifier
from bot.reminders import message
from bot.reminders.when import at_local, warm_up
from bot.store import reminders as reminder_store
from bot.store.agreements import preparation_text
from bot.store.db import is_sqlite, store_unavailable
from bot.store.models import Case, Practitioner, Reminder, utcnow
from bot.store.status import CaseStatus, ReminderKind, ReminderStatus
from bot.turns import Turns

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
"""How long a claim holds: far longer than a send with its retries (3 tries of at most
`BOT_TELEGRAM_TIMEOUT`), so a live process never loses its claim while sending."""
LATE_AFTER = timedelta(minutes=10)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
"""The wait after the 1st, 2nd, 3rd and every later failed send."""
POLL = 20.0
"""Longest sleep between passes while the bot runs, in seconds."""
MARK_PAUSES = (0.2, 1.0, 5.0)
"""Seconds before writing "sent" again when the database did not take it (a restart, a
dropped connection): an accepted reminder left unmarked comes again after its lease."""


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failed ones (1 or more)."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def in_quiet_hours(moment: datetime, zone: str, start: int, end: int) -> bool:
    """Whether the wall clock in `zone` at `moment` is within [start, end) (minutes after
    midnight; the span may cross midnight). Equal start and end: never quiet."""
    if start == end:
        return False
    local = moment.astimezone(ZoneInfo(zone))
    minute = local.hour * 60 + local.minute
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def quiet_end(moment: datetime, zone: str, end: int) -> datetime:
    """The first moment after `moment` when the wall clock in `zone` shows `end`."""
    clock = datetime.min.replace(hour=end // 60, minute=end % 60).time()
    day = moment.astimezone(ZoneInfo(zone)).date()
    candidate = at_local(day, clock, zone)
    if candidate <= moment:
        candidate = at_local(day + timedelta(days=1), clock, zone)
    return candidate


def planned(reminder: Reminder, owner: Practitioner) -> datetime:
    """When the reminder should have arrived: its time, or the end of the quiet hours it
    fell in."""
    due = reminder.due_at
    if in_quiet_hours(due, owner.timezone, owner.quiet_start, owner.quiet_end):
        return quiet_end(due, owner.timezone, owner.quiet_end)
    return due


@dataclass(frozen=True)
class Pass:
    """What one pass did."""

    sent: int = 0
    deferred: int = 0
    """Due in quiet hours: moved to the morning."""
    retried: int = 0
    """A send failed for now: tried again later."""
    failed: int = 0
    """The channel said never: given up."""

    def __add__(self, other: Pass) -> Pass:
        return Pass(
            self.sent + other.sent,
            self.deferred + other.deferred,
            self.retried + other.retried,
            self.failed + other.failed,
        )


@dataclass(frozen=True)
class _Claimed:
    reminder_id: int
    claimed_until: datetime
    owner_key: str
    reply: Reply
    late: bool
    attempts: int


async def _autocommit(session: AsyncSession) -> AsyncConnection:
    """The session's connection, taken from the pool now, with every statement committed
    on its own: no BEGIN and no COMMIT round trip."""
    return await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


class ReminderJob:
    """`ready_connection`: take the connection that marks a reminder sent before its send
    (PostgreSQL, with a pool of them). Not on SQLite, where the process has one connection
    and every practitioner's turn would wait for Telegram; taking it there is local."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalogs: Catalogs,
        flows: FlowSet,
        signer: Signer,
        notifier: Notifier,
        *,
        clock: Callable[[], datetime] = utcnow,
        lease: timedelta = LEASE,
        ready_connection: bool = False,
    ) -> None:
        self.sessions = sessions
        self.catalogs = catalogs
        self.flows = flows
        self.signer = signer
        self.notifier = notifier
        self.clock = clock
        self.lease = lease
        self.ready_connection = ready_connection
        self.stopping = asyncio.Event()
        """Set it to stop: the reminder on its way is finished and marked, no next one is
        claimed. (Cancelling the job instead could cut between Telegram's "accepted" and
        the mark, and the reminder would come again after the lease.)"""

    async def run_once(self) -> Pass:
        """Deliver everything due now, one reminder after the other."""
        total = Pass()
        while not self.stopping.is_set():
            now = self.clock()
            claimed, deferred = await self._claim(now)
            total += Pass(deferred=deferred)
            if claimed is None:
                break
            done = await self._deliver(claimed, now)
            total += done
            if done.retried:
                break  # the channel is down: the next pass tries again
        metrics.REMINDERS_SENT.inc(total.sent)
        metrics.REMINDERS_DUE.set(total.deferred + total.retried)  # due, still to send
        if total.sent or total.deferred or total.retried or total.failed:
            log.info(
                "reminders: %d sent, %d deferred (quiet hours), %d to retry, %d failed",
                total.sent,
                total.deferred,
                total.retried,
                total.failed,
            )
        return total

    async def next_due(self) -> datetime | None:
        async with self.sessions() as session:
            return await reminder_store.next_due(session)

    async def _claim(self, now: datetime) -> tuple[_Claimed | None, int]:
        """The next reminder to send now, claimed, and how many met on the way were
        deferred to the end of their owner's quiet hours."""
        deferred = 0
        async with self.sessions() as session, session.begin():
            while (
                claim := await reminder_store.claim_next(session, now, lease=self.lease)
            ) is not None:
                reminder = claim.reminder
                owner = await session.get(Practitioner, reminder.owner_id)
                if owner is None:  # deleted meanwhile; the cascade takes the row
                    continue
                zone = owner.timezone
                if in_quiet_hours(now, zone, owner.quiet_start, owner.quiet_end):
                    reminder.next_attempt_at = quiet_end(now, zone, owner.quiet_end)
                    reminder.claimed_until = None
                    deferred += 1
                    continue
                return await self._prepare(session, claim, owner, now), deferred
        return None, deferred

    async def _prepare(
        self, session: AsyncSession, claim: reminder_store.Claim, owner: Practitioner, now: datetime
    ) -> _Claimed:
        reminder = claim.reminder
        case = None if reminder.case_id is None else await session.get(Case, reminder.case_id)
        label = case.label if case is not None and case.owner_id == owner.id else None
        should = planned(reminder, owner)
        late = now - should > LATE_AFTER
        is_open = case is None or case.status == CaseStatus.OPEN
        prepared = None
        if reminder.kind == ReminderKind.MEETING and case is not None and label is not None:
            prepared = await preparation_text(session, case)
        shown = message.Shown(reminder, label, owner.language, owner.timezone, is_open, prepared)
        reply = message.compose(
            shown,
            self.catalogs.get(owner.language),
            self.flows,
            self.signer,
            owner.external_key,
            late_for=reminder.due_at if late else None,
            interrupted=claim.interrupted,
        )
        assert reminder.claimed_until is not None
        return _Claimed(
            reminder.id, reminder.claimed_until, owner.external_key, reply, late, reminder.attempts
        )

    async def _deliver(self, item: _Claimed, now: datetime) -> Pass:
        """Send one claimed reminder and record what came of it. Between the channel's
        "accepted" and the commit of "sent" a crash makes the reminder come twice, so
        nothing else happens there: the connection is ready before the send (where that
        is free, see the class) and the mark is one autocommitted UPDATE."""
        async with self.sessions() as session:
            ready = await _autocommit(session) if self.ready_connection else None
            delivered: bool | None
            try:
                delivered = await self.notifier.notify(item.owner_key, item.reply)
            except Exception as exc:
                # Its type only: an error may quote the message.
                log.warning("reminder not sent, will retry: %s", type(exc).__name__)
                delivered = None
            if delivered:
                return Pass(sent=int(await self._mark_sent(item, now, ready)))
        async with self.sessions() as session, session.begin():
            if delivered is None:
                next_attempt_at, status = now + backoff(item.attempts + 1), ReminderStatus.PENDING
            else:
                next_attempt_at, status = now, ReminderStatus.FAILED
            await reminder_store.release(
                session,
                item.reminder_id,
                item.claimed_until,
                next_attempt_at=next_attempt_at,
                failed=True,
                status=status,
            )
        return Pass(retried=1) if delivered is None else Pass(failed=1)

    @contextlib.asynccontextmanager
    async def _connection(self, ready: AsyncConnection | None) -> AsyncIterator[AsyncConnection]:
        """`ready`, or else an autocommit connection taken now and given back after."""
        if ready is not None:
            yield ready
            return
        async with self.sessions() as session:
            yield await _autocommit(session)

    async def _mark_sent(
        self, item: _Claimed, now: datetime, ready: AsyncConnection | None
    ) -> bool:
        """Mark an accepted reminder sent, on `ready` or else a connection taken now; when
        the database does not take it, again after `MARK_PAUSES` on a new connection."""
        accepted = time.perf_counter()
        pauses = iter(MARK_PAUSES)
        while True:
            try:
                async with self._connection(ready) as connection:
                    marked = await reminder_store.mark_sent(
                        connection, item.reminder_id, item.claimed_until, now, late=item.late
                    )
                break
            except Exception as exc:
                pause = next(pauses, None)
                if pause is None or not store_unavailable(exc):
                    raise
                log.warning("reminder sent, not yet marked (%s): again", type(exc).__name__)
                ready = None  # it may be the connection that failed
                await asyncio.sleep(pause)
        metrics.REMINDER_UNMARKED_SECONDS.observe(time.perf_counter() - accepted)
        return marked


async def run_periodically(job: ReminderJob, *, poll: float | None = None) -> None:
    """A pass now, then again when the next reminder is due or after `poll` seconds,
    whichever comes first, until cancelled. With nothing due a pass is one indexed query.
    A failed pass (the database away) is logged by type and the next one tries again.
    Ends once `job.stopping` is set, after the reminder on its way."""
    await asyncio.to_thread(warm_up)  # typed moments are parsed in turns: load it now
    while not job.stopping.is_set():
        wait = longest = POLL if poll is None else poll
        try:
            await job.run_once()
            upcoming = await job.next_due()
            if upcoming is not None:
                wait = min(longest, max((upcoming - job.clock()).total_seconds(), 1.0))
        except Exception as exc:
            log.error("reminder pass failed: %s", type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await job.stopping.wait()


def for_turns(turns: Turns, notifier: Notifier) -> ReminderJob:
    """The job for a running bot: the database, texts, flows, button signer and
    clock."""
    return ReminderJob(
        turns.sessions,
        turns.catalogs,
        turns.flows,
        turns.renderer.signer,
        notifier,
        clock=turns.clock,
        lease=timedelta(seconds=turns.settings.reminder_lease),
        ready_connection=not is_sqlite(turns.settings.database_url),
    )
