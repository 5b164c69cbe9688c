"""`python -m bot db rotate-key`: rewrite every sealed value with the newest data key.

Rotation is how an operator retires a key (it leaked, a colleague left, or policy says
yearly) and how a database that ran without a key gets encrypted afterwards. It works on
the raw stored strings, never on decrypted rows, and in small batches that are committed
one by one, so it can run while the bot runs and can be stopped and started again:

- every table column of type `SensitiveText` / `SensitiveJSON` is found from the models,
  so a new sensitive column is rotated without changing this file (so is `meta.value`,
  which holds the key that signs buttons; its primary key is a name, not a number);
- a value is written back only if it is still what was read (`WHERE id = :id AND col =
  :old`): a value the bot changed meanwhile was already sealed with the newest key;
- plain values from before a key existed are sealed; values the newest key already opens
  are left alone; values no key opens are counted and left as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import TableClause, Text, column, select, table, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeEngine

from bot.errors import ArgumentError
from bot.store.crypto import Cipher, DataKeyError
from bot.store.db import make_engine
from bot.store.models import Base
from bot.store.types import SensitiveJSON, SensitiveText

DEFAULT_BATCH = 500
SAME_PLAINTEXT = text("SELECT set_config('netwerkcoach.same_plaintext', 'yes', true)")
"""Tells the triggers of migration 0007 that this transaction changes no value, only its
ciphertext: nothing a running bot keeps goes stale (`bot.store.turns`)."""
RowKey = int | str
"""A primary key: a number, or a name (`meta`)."""


@dataclass(frozen=True)
class SealedColumns:
    """One table's primary key and its sensitive columns, typed as the raw text they are."""

    name: str
    key: str
    columns: tuple[str, ...]
    key_type: TypeEngine[Any]

    def raw(self) -> TableClause:
        """A lightweight table with plain `Text` columns: no sealing, no opening."""
        return table(
            self.name, column(self.key, self.key_type), *(column(c, Text()) for c in self.columns)
        )


@dataclass
class Rotation:
    """What one run did, per table and column, in counts only (never values)."""

    resealed: int = 0
    current: int = 0
    unreadable: int = 0
    batches: int = 0
    per_column: dict[str, int] = field(default_factory=dict)


def sealed_columns() -> Iterator[SealedColumns]:
    """Every table with sensitive columns, from the models (the migrations' source)."""
    for model_table in Base.metadata.sorted_tables:
        names = tuple(
            c.name for c in model_table.columns if isinstance(c.type, SensitiveText | SensitiveJSON)
        )
        if not names:
            continue
        [key] = model_table.primary_key.columns
        yield SealedColumns(model_table.name, key.name, names, key.type)


async def rotate(database_url: str, cipher: Cipher, *, batch: int = DEFAULT_BATCH) -> Rotation:
    """Reseal everything in `database_url` with `cipher`'s newest key, batch by batch."""
    if batch < 1:
        raise ArgumentError("batch must be at least 1")
    result = Rotation()
    engine = make_engine(database_url)
    try:
        for target in sealed_columns():
            last: RowKey | None = None
            while True:
                async with engine.begin() as conn:  # one transaction, committed per batch
                    if conn.dialect.name == "postgresql":
                        await conn.execute(SAME_PLAINTEXT)
                    last = await _rotate_batch(conn, target, cipher, last, batch, result)
                if last is None:
                    break
                result.batches += 1
    finally:
        await engine.dispose()
    return result


async def _rotate_batch(
    conn: AsyncConnection,
    target: SealedColumns,
    cipher: Cipher,
    after: RowKey | None,
    batch: int,
    result: Rotation,
) -> RowKey | None:
    """Reseal one batch of rows after primary key `after`; the last key seen, or None
    when there were no rows left."""
    raw = target.raw()
    key = raw.c[target.key]
    query = select(raw).order_by(key).limit(batch)
    if after is not None:
        query = query.where(key > after)
    rows = (await conn.execute(query)).mappings().all()
    if not rows:
        return None
    for row in rows:
        for name in target.columns:
            old = row[name]
            if old is None:
                continue
            try:
                new = cipher.reseal(old)
            except DataKeyError:
                result.unreadable += 1
                continue
            if new is None:
                result.current += 1
                continue
            done = await conn.execute(
                update(raw).where(key == row[target.key], raw.c[name] == old).values({name: new})
            )
            if done.rowcount:
                result.resealed += 1
                counted = f"{target.name}.{name}"
                result.per_column[counted] = result.per_column.get(counted, 0) + 1
    last: RowKey = rows[-1][target.key]
    return last
