"""Apply each channel event once, and one practitioner's events one at a time.

Telegram redelivers an update it got no 2xx answer for, and with several replicas the
redelivery may reach another process than the one that applied it. The turn therefore
claims the update's id in its own transaction (`claim`): committed together with the
turn's changes, or rolled back with them. A second transaction claiming the same id finds
the row (a duplicate: it changes nothing) or not (the first rolled back: it applies it).

On PostgreSQL the same statement first serialises the practitioner's turns across
processes: a transaction-scoped advisory lock on their key (which also covers someone's
very first update, before they have a row) and the row lock on the practitioner that
every other writer takes. Taking them here, in the turn's first statement, matters: in
READ COMMITTED a statement that waits for a row lock sees the locked row as it is now but
rows it joins as they were when it started, so the turn's next statement (which loads
the practitioner with their conversation and case in one join) must start only once the
locks are held; then it sees everything the previous turn committed. One statement, no
extra round trip.

On PostgreSQL the same statement also moves the practitioner's `version` by one, names
the transaction as their turn (`netwerkcoach.turn`, which the triggers of migration 0007
read), and returns the new number: see `bot.store.turns` for what it is good for. On
SQLite the claim holds the write lock instead, and the connection says how many writes
other than turns it has noticed (`sqlite_inline.Connection.turn`): the stamp `(0, that
count)`.

Rows are only ids and times, and are needed only while Telegram may still redeliver
(it gives up within hours), so `prune` deletes those older than `KEEP`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store import sqlite_inline
from bot.store.models import ProcessedUpdate, utcnow
from bot.store.types import UTCDateTime

log = logging.getLogger(__name__)

KEEP = timedelta(days=1)
"""How long an applied update's id is remembered."""
PRUNE_INTERVAL = 3600.0
"""Seconds between two prune passes."""

_AT = bindparam("at", type_=UTCDateTime())
_TABLE: Table = ProcessedUpdate.__table__  # type: ignore[assignment]
_LOCKS = """
    WITH serial AS (
            SELECT pg_advisory_xact_lock(hashtextextended(:key, 0)),
                   set_config('netwerkcoach.turn', :key, true)
         ),
         locked AS (
            UPDATE practitioners SET version = version + 1
            WHERE external_key = :key AND EXISTS (SELECT FROM serial)
            RETURNING id, version
         )
"""
"""The practitioner's advisory lock, then their row lock (an UPDATE takes it, after the
advisory lock because its condition needs `serial`), as a statement's first clause; the
transaction is named their turn, and their `version` moves by one."""
_CLAIM: dict[str, Any] = {
    # The locks, then the claim; a duplicate waits for the first transaction's locks and
    # then finds its row.
    "postgresql": text(
        _LOCKS
        + """
        INSERT INTO processed_updates (update_id, processed_at)
        SELECT :id, :at FROM serial
        ON CONFLICT DO NOTHING
        RETURNING update_id, (SELECT id FROM locked) AS id, (SELECT version FROM locked) AS version
        """
    ).bindparams(_AT),
    # One process writes (and SQLite one transaction at a time): no locks to take. On the
    # table, not the mapped class: the ORM's bulk-insert path costs more than the insert.
    "sqlite": sqlite.insert(_TABLE)
    .values(update_id=bindparam("id"), processed_at=_AT)
    .on_conflict_do_nothing()
    .returning(_TABLE.c.update_id),
}


# SQLite: the same move of `version`, for its write lock (see `serialise`).
_SERIALISE_SQLITE = text("UPDATE practitioners SET version = version + 1 WHERE external_key = :key")
_SERIALISE_PG = text(
    _LOCKS
    + "SELECT (SELECT id FROM locked) AS id, (SELECT version FROM locked) AS version FROM serial"
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a turn's first statement found: whether the event is new here, and the
    practitioner's row id and `version` after it (PostgreSQL, for a practitioner with a
    row)."""

    new: bool
    stamp: tuple[int, int] | None = None
    """(id, version) on PostgreSQL, (0, writes by others) on SQLite, or None."""


async def serialise(session: AsyncSession, key: str) -> Claimed:
    """`claim`'s locks without a claim, for an event without an id (the console, tests):
    as the turn's first statement. On SQLite it moves `version` too, only for the write
    lock that comes with it (see `_sqlite_stamp`)."""
    if session.get_bind().dialect.name != "postgresql":
        moved = await session.execute(_SERIALISE_SQLITE, {"key": key})
        return Claimed(True, await _sqlite_stamp(session, int(getattr(moved, "rowcount", 0))))
    row = (await session.execute(_SERIALISE_PG, {"key": key})).one()
    return Claimed(True, _stamp(row[0], row[1]))


async def claim(session: AsyncSession, event_id: int, key: str) -> Claimed:
    """As the first statement of a turn of the practitioner `key`: wait for their earlier
    turns (PostgreSQL), and record `event_id` as applied in this transaction. `new` is
    False when it already was (committed by an earlier or concurrent transaction): then
    apply nothing."""
    dialect = session.get_bind().dialect.name
    values = {"id": event_id, "at": utcnow(), "key": key}
    row = (await session.execute(_CLAIM[dialect], values)).first()
    if row is None:
        return Claimed(False)
    if dialect == "postgresql":
        return Claimed(True, _stamp(row[1], row[2]))
    return Claimed(True, await _sqlite_stamp(session, 1))


async def _sqlite_stamp(session: AsyncSession, own_changes: int) -> tuple[int, int] | None:
    """After the turn's first statement on SQLite, which changed `own_changes` rows and
    holds the write lock until the turn ends: `(0, writes by others noticed)`, or None
    with another driver than `sqlite_inline`."""
    raw = await (await session.connection()).get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, sqlite_inline.Connection):
        return None
    return (0, driver.turn(own_changes))


def _stamp(practitioner_id: int | None, version: int | None) -> tuple[int, int] | None:
    if practitioner_id is None or version is None:
        return None
    return (practitioner_id, version)


async def prune(sessions: async_sessionmaker[AsyncSession], *, now: datetime | None = None) -> int:
    """Forget the ids applied longer than `KEEP` ago; returns how many."""
    cutoff = (now or utcnow()) - KEEP
    async with sessions() as session, session.begin():
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def prune_periodically(
    sessions: async_sessionmaker[AsyncSession], interval: float = PRUNE_INTERVAL
) -> None:
    """A prune now and every `interval` seconds until cancelled. Every replica may run it:
    deleting the same old rows twice is harmless."""
    while True:
        try:
            pruned = await prune(sessions)
            if pruned:
                log.info("forgot %d processed update ids", pruned)
        except Exception as exc:  # the type only: a database error may quote parameters
            log.error("pruning processed updates failed: %s", type(exc).__name__)
        await asyncio.sleep(interval)
