"""Test data for the privacy tests: a family with a person and an agreement, written through
the repository, and what the database physically holds, read with plain SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.store.db import make_engine
from bot.store.repo import Repo
from bot.turns import Turns

Rows = dict[str, list[tuple[Any, ...]]]


def _table_names(conn: Connection) -> list[str]:
    return sorted(inspect(conn).get_table_names())


async def stored_rows(database_url: str) -> Rows:
    """Every committed row of every table in the database (migrations' own included)."""
    db = make_engine(database_url)
    try:
        async with db.connect() as conn:
            names = await conn.run_sync(_table_names)
            return {
                name: [tuple(row) for row in await conn.execute(text(f'SELECT * FROM "{name}"'))]
                for name in names
            }
    finally:
        await db.dispose()


def holding(rows: Rows, needle: str) -> dict[str, int]:
    """Per table, how many rows have a value that contains `needle`."""
    found = {
        name: sum(any(needle in str(value) for value in row) for row in table)
        for name, table in rows.items()
    }
    return {name: n for name, n in found.items() if n}


async def seed_case(
    engine: Turns,
    key: str,
    label: str,
    *,
    person: str = "Oma",
    agreement: str = "Oma haalt de kinderen op woensdag op",
    closed_at: datetime | None = None,
) -> int:
    """A family of an existing practitioner, with one person, one agreement and an audit
    entry; closed at `closed_at` when given. Returns the case id."""
    async with engine.sessions() as session, session.begin():
        repo = Repo(session)
        owner = await repo.practitioner(key)
        assert owner is not None, f"no practitioner {key!r}: send /start first"
        case = await repo.add_case(owner, label)
        oma = await repo.add_person(case, person, "household", "close", "haalt op", "yes")
        await repo.add_agreement(case, 2, agreement, kind="decision", who="parent", person=oma)
        repo.audit(owner, "case.created", case_id=case.id)
        if closed_at is not None:
            case.status, case.closed_at = "closed", closed_at
        return case.id
