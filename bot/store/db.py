"""One engine factory for SQLite and PostgreSQL: the same code path, a different URL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import bot.store.answers  # noqa: F401 - registers the session events that write answers
from bot.store import sqlite_inline


def async_url(url: str) -> URL:
    """Accept the plain URLs operators write and pick the async driver for them."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif driver in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed


def is_sqlite(url: str | URL) -> bool:
    return make_url(str(url) if isinstance(url, URL) else url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and the writer work side by side; foreign keys are off by default
    in SQLite; a busy timeout waits for a lock instead of failing at once."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine; for a SQLite file, make its folder first (nothing to install)."""
    parsed = async_url(url)
    if is_sqlite(parsed):
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            # SQLite has one writer, and every event writes: with one connection this
            # process's transactions queue for it rather than for SQLite's lock, which
            # also keeps `sqlite_inline` from ever waiting for itself.
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("module", sqlite_inline.dbapi())
        engine = create_async_engine(parsed, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(parsed, **kwargs)
    ping_when_idle(engine)
    return engine


IDLE_PING = 10.0
"""Seconds a pooled PostgreSQL connection may sit unused before it is tested on checkout."""


def ping_when_idle(engine: AsyncEngine, idle: float = IDLE_PING) -> None:
    """Test a pooled connection before use when it sat idle for `idle` seconds, and let the
    pool replace it when the test fails: a database restarted, or a firewall that dropped
    a quiet connection, then costs no practitioner a "try again".

    SQLAlchemy's `pool_pre_ping` does the same on every checkout: a round trip per update,
    in `make bench` a tenth of PostgreSQL's latency and CPU per update. A connection in
    steady use was just shown to work by its previous transaction. (The pattern is
    SQLAlchemy's "custom pessimistic ping": a `DisconnectionError` raised on checkout makes
    the pool discard the connection and check out another.)"""
    dialect = engine.sync_engine.dialect

    def stamp(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def test(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise sa_exc.DisconnectionError("idle connection failed its ping") from error

    event.listen(engine.sync_engine, "checkin", stamp)
    event.listen(engine.sync_engine, "checkout", test)


UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,  # server gone, SQLite locked, read-only or out of disk
    sa_exc.InterfaceError,  # the connection closed under a statement
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no connection free in the pool in time
    OSError,  # asyncpg reconnecting raises the socket's own error (refused, reset, timeout)
)


def store_unavailable(error: BaseException) -> bool:
    """Whether `error` means "the database cannot be reached or written right now", as
    opposed to a bug. Such an event is answered with "try again", and nothing of it is kept
    (the transaction was rolled back); the pool reconnects by itself once the database is
    back (`ping_when_idle` on PostgreSQL)."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, UNAVAILABLE_ERRORS)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
