"""Hold the database still from a test, so that the bot's next write must wait: a bot
process can then be killed at a chosen moment between what it did and its commit."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Select, make_url, text

from bot.store.db import is_sqlite, make_engine


@asynccontextmanager
async def holding(url: str, rows: Select[Any]) -> AsyncIterator[Callable[[], Awaitable[bool]]]:
    """On PostgreSQL a lock on `rows` (`FOR UPDATE`), on SQLite the database's write lock
    (SQLite locks no rows). Yields a check whether some other session waits for the lock:
    PostgreSQL tells; SQLite cannot, and says yes. The bot waits as long as its busy
    timeout (5 s) on SQLite, and for as long as it takes on PostgreSQL."""
    if is_sqlite(url):
        path = make_url(url).database
        assert path is not None
        lock = sqlite3.connect(path, isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")

            async def unknown() -> bool:
                return True

            yield unknown
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        return
    db = make_engine(url)
    try:
        async with db.connect() as locker, db.connect() as second:
            holder = (await locker.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert (await locker.execute(rows.with_for_update())).first() is not None
            watcher = await second.execution_options(isolation_level="AUTOCOMMIT")
            blocked = text(
                "SELECT count(*) FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"
            )

            async def waiting() -> bool:
                return bool((await watcher.execute(blocked, {"holder": holder})).scalar_one())

            yield waiting
            await locker.rollback()
    finally:
        await db.dispose()
