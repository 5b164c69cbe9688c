"""A lease: one process at a time does a job (syncs the bot's Matrix account).

A row per job names its holder and until when it holds it. The holder renews it well
before it runs out; a process that dies stops renewing, and once the time has passed
another takes it over. One code path on SQLite and PostgreSQL: each step is one statement
that only succeeds for the holder, or for anyone once the lease has run out, so two
processes can never both hold it (the database serialises the two writes).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NetwerkcoachError
from bot.store.models import Lease, utcnow


class LeaseLost(NetwerkcoachError):  # noqa: N818 - a verdict, like Reject
    """Another process holds the lease now: stop the job, wait for the lease again."""


_INSERT: dict[str, Callable[[type[Lease]], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


async def take(
    sessions: async_sessionmaker[AsyncSession],
    name: str,
    holder: str,
    period: timedelta,
    *,
    now: datetime | None = None,
) -> bool:
    """Hold `name` for `period` from now: renew it, take it over once it has run out, or
    make it. False while another holder's lease is still running."""
    now = now or utcnow()
    async with sessions() as session, session.begin():
        renewed = await session.execute(
            update(Lease)
            .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at < now))
            .values(holder=holder, expires_at=now + period)
        )
        if getattr(renewed, "rowcount", 0):
            return True
        insert = _INSERT[session.get_bind().dialect.name](Lease)
        made = await session.execute(
            insert.values(name=name, holder=holder, expires_at=now + period)
            .on_conflict_do_nothing()
            .returning(Lease.name)
        )
        return made.first() is not None


async def release(sessions: async_sessionmaker[AsyncSession], name: str, holder: str) -> None:
    """Give `name` up at once (a clean stop), so a waiting process need not wait it out."""
    async with sessions() as session, session.begin():
        await session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


async def fence(session: AsyncSession, name: str, holder: str) -> bool:
    """In a transaction of the holder's: whether `holder` still holds `name`, and the
    lease's row locked to that transaction (a write), so no takeover can slip in before
    it commits. A process that stalled past its lease learns here that its writes would
    land on top of the new holder's."""
    touched = await session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder).values(holder=holder)
    )
    return bool(getattr(touched, "rowcount", 0))
