"""A pooled PostgreSQL connection that died while it sat idle is replaced on checkout, so
the next turn works instead of answering "try again" (`bot.store.db.ping_when_idle`)."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import make_engine, ping_when_idle


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(url: str, pid: int) -> None:
    other = make_engine(url)
    try:
        async with other.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


@pytest.mark.parametrize("idle", [0.0, 3600.0])
async def test_a_connection_that_died_while_idle(postgres_url: str, idle: float) -> None:
    """Tested after `idle` seconds unused: with 0 it is tested and replaced; with an hour it
    is used as it is, and the turn meets the dead connection (what the ping saves)."""
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle=idle)  # a second listener, stricter or looser
    try:
        first = await _backend_pid(engine)
        await _terminate(postgres_url, first)
        if idle == 0.0:
            assert await _backend_pid(engine) != first  # a new connection, no error
        else:
            with pytest.raises(sa_exc.DBAPIError):
                await _backend_pid(engine)
    finally:
        await engine.dispose()
