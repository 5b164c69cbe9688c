"""aiosqlite's interface over the standard `sqlite3`, run on the event loop's own thread.

SQLAlchemy's async SQLite dialect talks to aiosqlite, which runs each call in a thread of
its own and hands the result back through the event loop: three or four such round trips
per statement, about 30 per update. For SQLite that hand-over costs more than the query
(a statement on a local file takes tens of microseconds), and in `make bench` it was a
third of the engine's CPU time. This module offers the same awaitables but runs the call
at once, so a transaction no longer yields to the event loop between its statements.

What keeps that safe: the engine gives SQLite one connection (`db.make_engine`), so two
transactions of this process never wait for each other inside SQLite; they queue for the
connection instead, without blocking the loop. Only another process holding the write
lock (an operator's command, a migration) can make a statement wait, for at most the busy
timeout. Use it through `dbapi()`, which wraps it the way SQLAlchemy wraps aiosqlite.

Each connection also notices writes that are not a practitioner's turn (`Connection.turn`),
which lets SQLite keep a practitioner's last turn as PostgreSQL does (`bot.store.turns`).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Generator
from sqlite3 import (  # noqa: F401 - the DB-API names SQLAlchemy reads from the module
    DatabaseError,
    Error,
    IntegrityError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    sqlite_version,
    sqlite_version_info,
)
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

__version__ = "inline"

_other_writes = 0
"""How many times a connection of this process noticed a write that was not a turn (see
`Connection.turn`); only ever grows."""


def _noticed_other_write() -> None:
    global _other_writes  # noqa: PLW0603 - one count per process, like the cipher
    _other_writes += 1


class _NoThread:
    """aiosqlite's connection has a worker thread; SQLAlchemy sets it to daemon."""

    daemon = True


class _RunAtOnce:
    """Stands in for aiosqlite's queue to the worker thread (SQLAlchemy sets the
    isolation level through it): the function runs now and settles the future."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)


class Cursor:
    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Any) -> Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return self._cursor.fetchmany()
        return self._cursor.fetchmany(size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class Connection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # None once closed
        self._tx = _RunAtOnce()
        self._thread = _NoThread()
        self._in_turn = False
        self._changes = connection.total_changes
        """Rows changed on this connection, as of the end of its last transaction."""
        self._data_version = self._file_version()
        # Whatever a turn kept before this connection existed is not vouched for by it.
        _noticed_other_write()

    def _file_version(self) -> int:
        """SQLite's `data_version`: moves when another connection (another process, or
        another engine of this one) commits to the file."""
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def turn(self, own_changes: int) -> int:
        """This transaction is a practitioner's turn, which has just made its first
        statement, changing `own_changes` rows (its claim). Returns the number of writes by
        others noticed so far in this process, the SQLite half of `bot.store.turns`: it is
        the same at the start of the practitioner's next turn only if nothing but turns
        wrote in between, and a turn writes only its own practitioner's rows.

        What moves it: another connection's commit (`data_version`, read after the claim:
        the claim holds SQLite's write lock, so no other commit comes before this one
        ends); rows changed on this connection outside a turn (a job, an operator's
        command run in this process, a test), counted at the end of their transaction
        (`_ended`) or, outside any transaction, here."""
        if self._conn.total_changes - own_changes != self._changes:
            _noticed_other_write()
        version = self._file_version()
        if version != self._data_version:
            self._data_version = version
            _noticed_other_write()
        self._in_turn = True
        return _other_writes

    def _ended(self) -> None:
        """A transaction on this connection ended (committed or rolled back): its changes
        are someone else's unless it was a turn. (Here rather than in SQLAlchemy's
        connection events: any listener of those makes every statement dispatch events,
        which cost more than the read a kept turn saves.)"""
        changes = self._conn.total_changes
        if changes != self._changes and not self._in_turn:
            _noticed_other_write()
        self._changes = changes
        self._in_turn = False

    def __await__(self) -> Generator[Any, None, Connection]:
        """`await connect(...)`, as with aiosqlite; already connected."""
        return self
        yield  # pragma: no cover - makes this a generator

    def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def commit(self) -> None:
        try:
            self._conn.commit()
        finally:  # a failed commit ends the turn too: never count a later write as its
            self._ended()

    async def rollback(self) -> None:
        try:
            self._conn.rollback()
        finally:
            self._ended()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level


def connect(database: str, **kwargs: Any) -> Connection:
    # The connection may be closed by the pool from another thread at shutdown.
    kwargs["check_same_thread"] = False
    return Connection(sqlite3.connect(database, **kwargs))


def dbapi() -> Any:
    """This module as SQLAlchemy's aiosqlite dialect expects its DB-API: pass it to
    `create_async_engine(..., module=dbapi())`."""
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

    return AsyncAdapt_aiosqlite_dbapi(sys.modules[__name__], sqlite3)
