"""Every row of every table, read with plain SQL, to prove that something changed nothing.

The ORM is deliberately not used: it would decrypt, convert and cache, and the question is
what is physically stored. Two snapshots are equal only if no row was added, removed or
rewritten anywhere (a rewritten encrypted value differs even when its plaintext does not).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import make_engine

Snapshot = dict[str, list[tuple[Any, ...]]]

BOOKKEEPING = frozenset({"processed_updates"})
"""Tables that note that an update was seen, not what anyone recorded: every update that
reaches the engine adds a row there, also one that changes nothing else."""
BOOKKEEPING_COLUMNS = {"practitioners": frozenset({"version"})}
"""Columns likewise: every turn on PostgreSQL moves the practitioner's `version`."""


def _table_names(conn: Connection) -> list[str]:
    return sorted(inspect(conn).get_table_names())


async def snapshot(database: str | AsyncEngine) -> Snapshot:
    """All rows per table, sorted, read in a connection of its own (so: only what is
    committed). `database` is a URL, or an open engine whose pool may be used."""
    engine = make_engine(database) if isinstance(database, str) else database
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(_table_names)
            tables: Snapshot = {}
            for name in (n for n in names if n not in BOOKKEEPING):
                result = await conn.execute(text(f'SELECT * FROM "{name}"'))
                skip = BOOKKEEPING_COLUMNS.get(name, frozenset())
                keep = [i for i, column in enumerate(result.keys()) if column not in skip]
                rows = [tuple(row[i] for i in keep) for row in result.all()]
                tables[name] = sorted(rows, key=repr)
            return tables
    finally:
        if engine is not database:
            await engine.dispose()


def differences(before: Snapshot, after: Snapshot) -> dict[str, tuple[int, int]]:
    """Tables whose rows differ, with their row counts before and after (for messages)."""
    return {
        name: (len(before.get(name, [])), len(after.get(name, [])))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
