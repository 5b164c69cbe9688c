"""What the queries of every aggregate share: the session of one unit of work and what
that unit of work already loaded.

`bot.store.repo.Repo` puts the aggregates' queries together (`bot.store.practitioners`,
`cases`, `conversations`, `people`, `agreements`, `audit`, `access`, `reminders`,
`meta`); each is a class of this one, so they all read and fill the same memory of what
was loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import turns
from bot.store.crypto import forget_opened
from bot.store.models import Agreement, Conversation, Person, Practitioner


class Queries:
    """Queries for one unit of work; the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Cases and conversations this unit of work already loaded, by (kind, id, owner):
        # asked again (the engine, an action and the renderer each ask for the active case)
        # the same object comes back without a query, while it is still in the session.
        self._loaded: dict[tuple[str, int, int], Any] = {}
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

    def _again(self, key: tuple[str, int, int]) -> Any:
        found = self._loaded.get(key)
        if found is None:
            return None
        if inspect(found).persistent and found not in self.session.deleted:
            return found
        del self._loaded[key]
        return None

    def _expunge_conversations(self, deleted: Callable[[Conversation], bool]) -> None:
        """Conversations deleted by a bulk statement stay in the session as they were;
        take them out, so that nothing writes them again (`bot.store.answers`)."""
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, Conversation) and deleted(obj):
                self.session.expunge(obj)

    async def _count(self, column: Any, *where: Any) -> int:
        query = select(func.count(column)).where(*where)
        return int((await self.session.execute(query)).scalar_one())
