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

Rows are only ids and times, and are needed only while Telegram may still redeliver
(it gives up within hours), so `prune` deletes those older than `KEEP`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
    WITH serial AS (SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))),
         locked AS (SELECT id FROM practitioners WHERE external_key = :key FOR UPDATE)
"""
"""The practitioner's advisory lock and row lock, as a statement's first clause."""
_CLAIM: dict[str, Any] = {
    # The locks, then the claim; a duplicate waits for the first transaction's locks and
    # then finds its row.
    "postgresql": text(
        _LOCKS
        + """
        INSERT INTO processed_updates (update_id, processed_at)
        SELECT :id, :at FROM serial LEFT JOIN locked ON true
        ON CONFLICT DO NOTHING
        RETURNING update_id
        """
    ).bindparams(_AT),
    # One process writes (and SQLite one transaction at a time): no locks to take. On the
    # table, not the mapped class: the ORM's bulk-insert path costs more than the insert.
    "sqlite": sqlite.insert(_TABLE)
    .values(update_id=bindparam("id"), processed_at=_AT)
    .on_conflict_do_nothing()
    .returning(_TABLE.c.update_id),
}


_SERIALISE_PG = text(_LOCKS + "SELECT 1 FROM serial LEFT JOIN locked ON true")


async def serialise(session: AsyncSession, key: str) -> None:
    """`claim`'s locks without a claim, for an event without an id (the console, tests):
    as the turn's first statement on PostgreSQL; nothing to do on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_SERIALISE_PG, {"key": key})


async def claim(session: AsyncSession, event_id: int, key: str) -> bool:
    """As the first statement of a turn of the practitioner `key`: wait for their earlier
    turns (PostgreSQL), and record `event_id` as applied in this transaction. False when it
    already was (committed by an earlier or concurrent transaction): then apply nothing."""
    statement = _CLAIM[session.get_bind().dialect.name]
    result = await session.execute(statement, {"id": event_id, "at": utcnow(), "key": key})
    return result.first() is not None


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
