"""The PostgreSQL side of the test databases: the advisory lock that lets two test runs
take turns on one database, and the resets that give each run and each test a clean one."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import text

from bot.store.db import make_engine

SESSION_LOCK_KEY = 0x6E657477  # "netw": the advisory lock that serialises test sessions
SESSION_LOCK_WAIT = "5min"


class SessionLock:
    """A PostgreSQL advisory lock held for the whole test session.

    The connection lives on a thread with its own event loop, because every test gets a
    new loop and an asyncpg connection cannot outlive the loop that made it.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._release: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="pg-test-lock", daemon=True)

    def acquire(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def release(self) -> None:
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)
        self._thread.join()

    def _run(self) -> None:
        try:
            asyncio.run(self._hold())
        except BaseException as exc:  # handed to the test thread in acquire()
            self._error = exc
            self._ready.set()

    async def _hold(self) -> None:
        engine = make_engine(self.url, pool_size=1, max_overflow=0)
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f"SET lock_timeout = '{SESSION_LOCK_WAIT}'"))
                await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SESSION_LOCK_KEY})
                await conn.commit()
                self._loop = asyncio.get_running_loop()
                self._release = asyncio.Event()
                self._ready.set()
                await self._release.wait()
                await conn.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": SESSION_LOCK_KEY}
                )
                await conn.commit()
        finally:
            await engine.dispose()


async def reset_schema(url: str) -> None:
    """Drop whatever an earlier run or branch left behind, so migrations start clean."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def empty_tables(url: str) -> None:
    """Delete every row of every table the migrations made (not the Alembic version)."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            names = (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version' ORDER BY tablename"
                    )
                )
            ).scalars()
            tables = ", ".join(f'public."{name}"' for name in names)
            if tables:
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()
