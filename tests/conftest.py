"""Shared fixtures: a migrated database (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set), settings that ignore the developer's `.env`, a running engine and a `Chat` on it.

Every test that asks for `database_url` (directly or through `settings`, `runtime`,
`engine`, `chat`) runs once per database: ids `sqlite` and `postgresql`.

The schema is migrated once per run, not per test (tests/support/databases.py):
SQLite: a copy of a migrated template file, in the test's tmp_path.
PostgreSQL: the `public` schema is dropped, recreated and migrated once per session, and
every table is emptied before each test. While a session runs it holds an advisory lock,
so two test runs against the same database (two engineers, or CI) take turns instead of
wiping each other's rows.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.config import Settings
from bot.engine.events import Identity
from bot.engine.spec import FlowSet
from bot.i18n import Catalogs
from bot.runtime import Runtime, load_content, open_runtime
from bot.store.db import is_sqlite
from bot.store.migrate import upgrade
from bot.turns import Turns
from tests.support.chat import Chat
from tests.support.databases import (
    SessionDatabase,
    copy_sqlite,
    create_database,
    migrated_sqlite_template,
    reset_schema,
    worker_url,
)
from tests.support.telegram import content

POSTGRES_ENV = "TEST_DATABASE_URL"
CALLBACK_SECRET = "test-secret"
DATA_KEY = "kyB6EvBDjhx6YQ0QqOHDTx9ZBwHo1Z551ckBCYN0plU="
"""BOT_DATA_KEY of the test settings: the whole suite stores family data encrypted."""

T = TypeVar("T")


def _in_thread(func: Callable[..., T], *args: Any) -> T:
    """Run blocking set-up (it may call `asyncio.run`) away from any running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args).result()


# --- once per session -------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[SessionDatabase]:
    """TEST_DATABASE_URL, locked for this run, with a freshly migrated schema; skips when
    it is not set. Each pytest-xdist worker gets a database of its own beside it
    (`test_gw0`, `test_gw1`, ...), made when missing."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV}, e.g. postgresql://postgres@127.0.0.1/test"
        )
    if is_sqlite(url):
        pytest.fail(f"{POSTGRES_ENV} must point at PostgreSQL, not {url}")
    own = worker_url(url, os.environ.get("PYTEST_XDIST_WORKER"))
    if own != url:
        _in_thread(asyncio.run, create_database(own, via=url))
    url = own
    database = SessionDatabase(url)
    _in_thread(database.acquire)
    try:
        _in_thread(asyncio.run, reset_schema(url))
        _in_thread(upgrade, url)
        yield database
    finally:
        _in_thread(database.release)


@pytest.fixture(scope="session")
def postgres_url(postgres_database: SessionDatabase) -> str:
    return postgres_database.url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite file every test's database is copied from, migrated once per run."""
    return _in_thread(migrated_sqlite_template, tmp_path_factory.mktemp("template"))


LONGEST = ("test_kill_9_at_every_moment", "test_bench_smoke")
"""Tests of half a minute or more (7 kill rounds; the benchmark's three bots), started first."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start processes (marked `slow`) run first, the longest first of all: with
    two xdist workers, a minute-long test picked up last would run alone at the end while
    the other worker idles. The order of the rest is kept."""
    items.sort(
        key=lambda item: (
            not item.name.startswith(LONGEST),
            item.get_closest_marker("slow") is None,
        )
    )


# --- per test ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a copy of the SQLite template, or the session's
    PostgreSQL with every table emptied."""
    if request.param == "sqlite":
        return copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "test.db")
    database: SessionDatabase = request.getfixturevalue("postgres_database")
    await database.empty_tables()
    return database.url


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


@pytest.fixture(scope="session")
def checked_content() -> tuple[FlowSet, Catalogs]:
    """This checkout's flows and catalogs, with the Dutch-catalog check, loaded once per run
    (they are read-only data), the same the end-to-end tests' bots run on."""
    return content(make_settings("sqlite://"))


@pytest.fixture(scope="session")
def unchecked_content() -> tuple[FlowSet, Catalogs]:
    """The same without the Dutch-catalog check, loaded once per run."""
    return load_content(make_settings("sqlite://"), check_translations=False)


@pytest.fixture
async def runtime(
    settings: Settings, checked_content: tuple[FlowSet, Catalogs]
) -> AsyncIterator[Runtime]:
    """The runtime exactly as the bot opens it, including the Dutch-catalog check."""
    async with open_runtime(settings, content=checked_content) as rt:
        yield rt


@pytest.fixture
async def engine_runtime(
    settings: Settings, unchecked_content: tuple[FlowSet, Catalogs]
) -> AsyncIterator[Runtime]:
    """The runtime without the Dutch-catalog check: for tests of engine logic, which must
    run while a catalog is being filled (tests/test_i18n.py checks completeness)."""
    async with open_runtime(
        settings, migrate=False, check_translations=False, content=unchecked_content
    ) as rt:
        yield rt


@pytest.fixture
def engine(engine_runtime: Runtime) -> Turns:
    return engine_runtime.turns


@pytest.fixture
def chat(engine: Turns) -> Chat:
    """A practitioner with no language preference (so: Dutch), talking to the engine."""
    return Chat(engine, Identity("test:alice"))
