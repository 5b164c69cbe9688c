"""Shared fixtures: a migrated database (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set), settings that ignore the developer's `.env`, a running engine and a `Chat` on it.

Every test that asks for `database_url` (directly or through `settings`, `runtime`,
`engine`, `chat`) runs once per database: ids `sqlite` and `postgresql`.

SQLite: a fresh, migrated file in the test's tmp_path.
PostgreSQL: the `public` schema is dropped, recreated and migrated once per session, and
every table is emptied before each test. While a session runs it holds an advisory lock,
so two test runs against the same database (two engineers, or CI) take turns instead of
wiping each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.engine.events import Identity
from bot.runtime import Runtime, open_runtime
from bot.store.db import is_sqlite, make_engine
from bot.store.migrate import upgrade, upgrade_async
from bot.turns import Turns
from tests.support.chat import Chat

POSTGRES_ENV = "TEST_DATABASE_URL"
CALLBACK_SECRET = "test-secret"
DATA_KEY = "kyB6EvBDjhx6YQ0QqOHDTx9ZBwHo1Z551ckBCYN0plU="
"""BOT_DATA_KEY of the test settings: the whole suite stores family data encrypted."""
SESSION_LOCK_KEY = 0x6E657477  # "netw": the advisory lock that serialises test sessions
SESSION_LOCK_WAIT = "5min"

T = TypeVar("T")


def _in_thread(func: Callable[..., T], *args: Any) -> T:
    """Run blocking set-up (it may call `asyncio.run`) away from any running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args).result()


# --- PostgreSQL, once per session --------------------------------------------------------


class _SessionLock:
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


async def _reset_schema(url: str) -> None:
    """Drop whatever an earlier run or branch left behind, so migrations start clean."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def _empty_tables(url: str) -> None:
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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """TEST_DATABASE_URL with a freshly migrated schema; skips when it is not set."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV}, e.g. postgresql://postgres@127.0.0.1/test"
        )
    if is_sqlite(url):
        pytest.fail(f"{POSTGRES_ENV} must point at PostgreSQL, not {url}")
    lock = _SessionLock(url)
    _in_thread(lock.acquire)
    try:
        _in_thread(asyncio.run, _reset_schema(url))
        _in_thread(upgrade, url)
        yield url
    finally:
        _in_thread(lock.release)


# --- per test ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A migrated, empty database: a new SQLite file, or the session's PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        await upgrade_async(url)
        return url
    url = str(request.getfixturevalue("postgres_url"))
    await _empty_tables(url)
    return url


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings with every field at its built-in default (flows and locales of this
    checkout, no Telegram token, the test data key), whatever `.env` or the environment says;
    then `overrides` by field alias, e.g. `BOT_TIMEZONE="UTC"` or `BOT_DATA_KEY=None`."""
    values: dict[str, Any] = {
        field.alias or name: field.get_default(call_default_factory=True)
        for name, field in Settings.model_fields.items()
    }
    values.update(
        DATABASE_URL=database_url, BOT_CALLBACK_SECRET=CALLBACK_SECRET, BOT_DATA_KEY=DATA_KEY
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The runtime exactly as the bot opens it, including the Dutch-catalog check."""
    async with open_runtime(settings) as rt:
        yield rt


@pytest.fixture
async def engine_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The runtime without the Dutch-catalog check: for tests of engine logic, which must
    run while a catalog is being filled (tests/test_i18n.py checks completeness)."""
    async with open_runtime(settings, migrate=False, check_translations=False) as rt:
        yield rt


@pytest.fixture
def engine(engine_runtime: Runtime) -> Turns:
    return engine_runtime.turns


@pytest.fixture
def chat(engine: Turns) -> Chat:
    """A practitioner with no language preference (so: Dutch), talking to the engine."""
    return Chat(engine, Identity("test:alice"))
