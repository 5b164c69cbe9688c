"""The test databases: one migration per test run, and a cheap clean slate per test.

SQLite: the schema is migrated once into a template file; each test gets a copy of it.
PostgreSQL: the schema is migrated once per run; before each test every table is emptied
with `DELETE` on the connection that holds the run's advisory lock. Measured on the CI
machine, that costs about 30 ms a test, against 340 ms for the `TRUNCATE` on a new
connection it replaced and 480 ms for a database cloned from a template. Wrapping each test
in a transaction that is rolled back does not fit this suite: the bot commits in sessions
of its own, and end-to-end tests run `python -m bot run` processes on the same database.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.store.crypto import configure_data_key
from bot.store.db import make_engine, make_sessionmaker
from bot.store.migrate import upgrade

SESSION_LOCK_KEY = 0x6E657477  # "netw": the advisory lock that serialises test sessions
SESSION_LOCK_WAIT = "5min"

EMPTY_TABLES = """
DO $$
DECLARE
    name text;
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        -- Foreign keys are triggers: as a replica, DELETE skips them, in any table order.
        SET LOCAL session_replication_role = replica;
        FOR name IN SELECT tablename FROM pg_tables
                    WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
            EXECUTE format('DELETE FROM public.%I', name);
        END LOOP;
        FOR name IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
            EXECUTE format('ALTER SEQUENCE public.%I RESTART', name);
        END LOOP;
    ELSE
        -- Not a superuser: TRUNCATE, slower (new files for every table) but allowed.
        SELECT string_agg(format('public.%I', tablename), ', ') INTO name FROM pg_tables
        WHERE schemaname = 'public' AND tablename <> 'alembic_version';
        IF name IS NOT NULL THEN
            EXECUTE 'TRUNCATE ' || name || ' RESTART IDENTITY CASCADE';
        END IF;
    END IF;
END $$
"""
"""Every row of every table the migrations made goes (not the Alembic version), and every
id sequence starts again at 1, as on a new database. One statement: one round trip."""


# --- SQLite ----------------------------------------------------------------------------------


def migrated_sqlite_template(folder: Path) -> Path:
    """A SQLite file at the newest migration, as one file: no `-wal` beside it to copy."""
    path = folder / "migrated.db"
    upgrade(f"sqlite:///{path}")
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=DELETE")  # the bot turns WAL on again when it opens
    finally:
        db.close()
    return path


def copy_sqlite(template: Path, path: Path) -> str:
    """A new database at `path`, a copy of `template`; its URL."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


# --- PostgreSQL ------------------------------------------------------------------------------


def worker_url(url: str, worker: str | None) -> str:
    """The database of one pytest-xdist worker (`test` becomes `test_gw0`), so that workers
    never empty each other's tables; `url` itself when the run has no workers."""
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


async def create_database(url: str, *, via: str) -> None:
    """Create the database of `url` unless it exists, through `via`, an existing database
    on the same server. Two runs may race to create it: the loser finds it made."""
    name = make_url(url).database or ""
    engine = make_engine(via, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            exists = "SELECT 1 FROM pg_database WHERE datname = :name"
            if await conn.scalar(text(exists), {"name": name}):
                return
            quoted = conn.dialect.identifier_preparer.quote(name)
            try:
                await conn.execute(text(f"CREATE DATABASE {quoted}"))
            except sa_exc.DBAPIError:
                if not await conn.scalar(text(exists), {"name": name}):
                    raise
    finally:
        await engine.dispose()


class SessionDatabase:
    """A test run's hold on its PostgreSQL database: an advisory lock for the whole run, so
    that two runs against one database (two engineers, or CI) take turns instead of wiping
    each other's rows. The connection that holds the lock also empties the tables before
    each test, so no test pays for a connection of its own.

    The connection lives on a thread with its own event loop, because every test gets a
    new loop and an asyncpg connection cannot outlive the loop that made it.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._release: asyncio.Event | None = None
        self._conn: AsyncConnection | None = None
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

    async def empty_tables(self) -> None:
        """`EMPTY_TABLES` on the lock's connection, awaited from the test's own loop."""
        assert self._loop is not None, "acquire() first"
        future = asyncio.run_coroutine_threadsafe(self._empty_tables(), self._loop)
        await asyncio.wrap_future(future)

    async def _empty_tables(self) -> None:
        assert self._conn is not None
        async with self._conn.begin():
            await self._conn.execute(text(EMPTY_TABLES))

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
                self._conn = conn
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
    await execute_once(url, "DROP SCHEMA IF EXISTS public CASCADE", "CREATE SCHEMA public")


async def empty_tables(url: str) -> None:
    """`EMPTY_TABLES` on a connection of its own (for tools outside a test session)."""
    await execute_once(url, EMPTY_TABLES)


async def execute_once(url: str, *statements: str) -> None:
    """`statements` in one transaction, on an engine made for them and disposed after."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test's database from the test's side (what a bot process stored),
    with the data key, so sealed family data reads back."""
    configure_data_key(settings)
    engine = make_engine(settings.database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()
