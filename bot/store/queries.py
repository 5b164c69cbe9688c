"""What the queries of every aggregate share: the session of one unit of work and what
that unit of work already loaded.

`bot.store.repo.Repo` puts the aggregates' queries together (`bot.store.practitioners`,
`cases`, `conversations`, `people`, `agreements`, `audit`, `access`, `reminders`,
`meta`); each is a class of this one, so they all read and fill the same memory of what
was loaded, and find, add and delete a practitioner's rows the same way: `owned` says once
how a table's rows belong to a practitioner, and `Queries._owned` finds one by id only if
it does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.store import turns
from bot.store.crypto import forget_opened
from bot.store.models import Agreement, Base, Conversation, Person, Practitioner

M = TypeVar("M", bound=Base)


class WithId(Protocol):
    """A row with an integer id (every table a practitioner owns rows of)."""

    id: int


R = TypeVar("R", bound=WithId)


@dataclass(frozen=True)
class Owned(Generic[M]):
    """How to find a row of `model` by id if, and only if, it belongs to a practitioner:
    one statement with the ownership in it, built once (making a statement and its cache
    key costs more CPU than SQLite takes to run it). See `owned` and `Queries._owned`."""

    model: type[M]
    by_id: Select[Any]
    """Of one `model`, with the bind parameters `id` and `owner` (the practitioner's id)."""


def owned(
    model: type[M],
    row_id: InstrumentedAttribute[int],
    owner_id: InstrumentedAttribute[int],
    *,
    through: tuple[type[Base], ColumnElement[bool]] | None = None,
) -> Owned[M]:
    """The rows of `model` whose `owner_id` is the practitioner's id; that column is the
    model's own, or one of `through`, a table joined on a condition (a person belongs to
    a practitioner through their case)."""
    query = select(model)
    if through is not None:
        query = query.join(*through)
    return Owned(model, query.where(row_id == bindparam("id"), owner_id == bindparam("owner")))


class Queries:
    """Queries for one unit of work; the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Rows of a practitioner this unit of work already loaded, by (model, id, owner):
        # asked again (the engine, an action and the renderer each ask for the active case)
        # the same object comes back without a query, while it is still in the session.
        self._loaded: dict[tuple[type[Any], int, int], Any] = {}
        self._people: dict[int, Sequence[Person]] = {}
        """`people(case)` by case id, for this unit of work (see there)."""
        self._agreements: dict[int, Sequence[Agreement]] = {}
        """`agreements(case)` by case id, likewise."""
        self.in_place: Practitioner | None = None
        """The practitioner this unit of work is about, once `adopt`,
        `practitioner_in_place` or `add_practitioner` gave them."""

    def _forget(self, *, unload: bool = False) -> None:
        """Family data is being deleted: no decrypted copy of it stays in memory (the
        kept turns too, and a turn under way then keeps nothing: `turns.LastTurns.keep`).
        `unload`: also drop what this unit of work loaded, for bulk deletes."""
        forget_opened()
        turns.forget_all()
        if unload:
            self._loaded.clear()
            self._people.clear()
            self._agreements.clear()

    def _again(self, model: type[M], row_id: int, owner_id: int) -> M | None:
        """The row of `model` with this id and owner that this unit of work loaded, while it
        is still in the session."""
        key = (model, row_id, owner_id)
        found: M | None = self._loaded.get(key)
        if found is None:
            return None
        if inspect(found).persistent and found not in self.session.deleted:
            return found
        del self._loaded[key]
        return None

    def _remember(self, row: WithId, owner_id: int) -> None:
        """`row`, of the practitioner `owner_id`, was loaded: `_owned` answers with it."""
        self._loaded[(type(row), row.id, owner_id)] = row

    async def _owned(self, owned: Owned[M], owner: Practitioner, row_id: int | None) -> M | None:
        """The row with this id if, and only if, it belongs to `owner`; asked again in this
        unit of work, the same object without a query."""
        if row_id is None:
            return None
        found = self._again(owned.model, row_id, owner.id)
        if found is None:
            values = {"id": row_id, "owner": owner.id}
            result = await self.session.execute(owned.by_id, values)
            found = result.scalar_one_or_none()
            if found is not None:
                self._remember(found, owner.id)
        return found

    async def _add(self, row: R, *, owner_id: int | None = None) -> R:
        """Store a new row now (it has its id after this); one of the practitioner
        `owner_id`, if given, is remembered for `_owned`."""
        self.session.add(row)
        await self.session.flush()
        if owner_id is not None:
            self._remember(row, owner_id)
        return row

    async def _delete(self, row: Base) -> None:
        """Delete one loaded row now."""
        await self.session.delete(row)
        await self.session.flush()

    def _expunge_conversations(self, deleted: Callable[[Conversation], bool]) -> None:
        """Conversations deleted by a bulk statement stay in the session as they were;
        take them out, so that nothing writes them again (`bot.store.answers`)."""
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, Conversation) and deleted(obj):
                self.session.expunge(obj)

    async def _count(self, column: Any, *where: Any) -> int:
        query = select(func.count(column)).where(*where)
        return int((await self.session.execute(query)).scalar_one())
