"""The practitioners: who is in place for this turn, adding and deleting them, and the
operator's counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, inspect, select

from bot.store import turns
from bot.store.models import (
    Agreement,
    AuditEntry,
    Case,
    Conversation,
    MatrixRoom,
    Person,
    Practitioner,
    Reminder,
)
from bot.store.queries import Queries
from bot.store.status import CaseStatus

# The queries of every turn, built once: making a statement and its cache key costs more
# CPU than SQLite takes to run it. Ownership stays part of each query.
_PRACTITIONER = select(Practitioner).where(Practitioner.external_key == bindparam("key"))
_PRACTITIONER_LOCKED = _PRACTITIONER.with_for_update()
# A turn's first statement: the practitioner (row-locked on PostgreSQL), with their current
# conversation and active case when those are theirs; one round trip instead of three.
_WHERE_THEY_ARE = (
    select(Practitioner, Conversation, Case)
    .outerjoin(
        Conversation,
        (Conversation.id == Practitioner.current_conversation_id)
        & (Conversation.practitioner_id == Practitioner.id),
    )
    .outerjoin(Case, (Case.id == Practitioner.active_case_id) & (Case.owner_id == Practitioner.id))
    .where(Practitioner.external_key == bindparam("key"))
    .with_for_update(of=Practitioner)
)


class PractitionerQueries(Queries):
    def adopt(self, last: turns.LastTurn) -> None:
        """Take what the practitioner's previous turn left (see `bot.store.turns`) into this
        unit of work, so that `practitioner_in_place`, `conversation_by_id` and `case`
        answer with it without a query."""
        p = last.practitioner
        self.session.add(p)
        self.in_place = p
        if last.conversation is not None:
            self.session.add(last.conversation)
            self._remember(last.conversation, p.id)
        if last.case is not None:
            self.session.add(last.case)
            self._remember(last.case, p.id)

    def left(self, stamp: tuple[int, int]) -> turns.LastTurn | None:
        """What this turn leaves for the next (`bot.store.turns`): the practitioner with
        their current conversation and active case as they are in this session, or None
        when one of them is not at hand."""
        p = self.in_place
        if p is None or not inspect(p).persistent or p in self.session.deleted:
            return None
        conversation: Conversation | None = None
        case: Case | None = None
        if p.current_conversation_id is not None:
            conversation = self._again(Conversation, p.current_conversation_id, p.id)
            if conversation is None:
                return None
        if p.active_case_id is not None:
            case = self._again(Case, p.active_case_id, p.id)
            if case is None:
                return None
        return turns.LastTurn(stamp, p, conversation, case)

    async def practitioner(self, external_key: str, *, lock: bool = True) -> Practitioner | None:
        """Load a practitioner; `lock` takes a row lock on PostgreSQL (a no-op on SQLite) so
        that two processes never apply events of one practitioner side by side."""
        query = _PRACTITIONER_LOCKED if lock else _PRACTITIONER
        result = await self.session.execute(query, {"key": external_key})
        return result.scalar_one_or_none()

    async def practitioner_in_place(self, external_key: str) -> Practitioner | None:
        """`practitioner(key)` for the start of a turn: the same row lock, and the current
        conversation and active case loaded in the same statement, so that
        `conversation_by_id` and `case` then answer without a query.

        On PostgreSQL call it only once the row lock is held (`bot.store.dedup`): a
        statement that waits for a row lock sees the joined rows as they were before.
        After `adopt`, the adopted practitioner, without a query."""
        if self.in_place is not None and self.in_place.external_key == external_key:
            return self.in_place  # adopted
        row = (await self.session.execute(_WHERE_THEY_ARE, {"key": external_key})).one_or_none()
        if row is None:
            return None
        practitioner, conversation, case = row
        if conversation is not None:
            self._remember(conversation, practitioner.id)
        if case is not None:
            self._remember(case, practitioner.id)
        self.in_place = practitioner
        return practitioner

    async def add_practitioner(
        self, external_key: str, language: str, timezone: str
    ) -> Practitioner:
        practitioner = Practitioner(
            external_key=external_key, language=language, timezone=timezone, settings={}
        )
        self.in_place = await self._add(practitioner)
        return practitioner

    async def practitioner_by_id(self, practitioner_id: int) -> Practitioner | None:
        """A practitioner by internal id, row-locked like `practitioner` (retention job)."""
        query = select(Practitioner).where(Practitioner.id == practitioner_id).with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def practitioner_rows(self, practitioner_id: int | None = None) -> Sequence[Row[Any]]:
        """Practitioners for the operator, oldest first, or one of them (row-locked): id,
        external_key, language, created_at and number of cases. Plain columns only, so
        nothing sealed is read."""
        cases = (
            select(func.count(Case.id)).where(Case.owner_id == Practitioner.id).scalar_subquery()
        )
        query = select(
            Practitioner.id,
            Practitioner.external_key,
            Practitioner.language,
            Practitioner.created_at,
            cases.label("cases"),
        )
        if practitioner_id is not None:
            query = query.where(Practitioner.id == practitioner_id).with_for_update()
        return (await self.session.execute(query.order_by(Practitioner.id))).all()

    async def delete_practitioner(self, practitioner_id: int) -> None:
        """Delete a practitioner and everything of theirs: cases with their people and
        agreements, reminders, conversations, audit entries, the Matrix chats the channel
        remembers (their last choices may name family members), and the practitioner row."""
        self._forget(unload=True)  # the statements below leave loaded objects in the session
        await self.session.flush()  # pending changes first: no UPDATE of a deleted row later
        owned = select(Case.id).where(Case.owner_id == practitioner_id)
        for statement in (
            delete(Reminder).where(Reminder.owner_id == practitioner_id),
            delete(Agreement).where(Agreement.case_id.in_(owned)),
            delete(Person).where(Person.case_id.in_(owned)),
            delete(AuditEntry).where(AuditEntry.practitioner_id == practitioner_id),
            delete(Conversation).where(Conversation.practitioner_id == practitioner_id),
            delete(Case).where(Case.owner_id == practitioner_id),
            delete(MatrixRoom).where(
                MatrixRoom.practitioner_key
                == select(Practitioner.external_key)
                .where(Practitioner.id == practitioner_id)
                .scalar_subquery()
            ),
            delete(Practitioner).where(Practitioner.id == practitioner_id),
        ):
            await self.session.execute(statement, execution_options={"synchronize_session": False})
        self._expunge_conversations(lambda c: c.practitioner_id == practitioner_id)

    async def totals(self) -> dict[str, int]:
        """Installation-wide counts for the operator; never content."""
        return {
            "practitioners": await self._count(Practitioner.id),
            "open cases": await self._count(Case.id, Case.status == CaseStatus.OPEN),
            "closed cases": await self._count(Case.id, Case.status == CaseStatus.CLOSED),
            "people": await self._count(Person.id),
            "agreements": await self._count(Agreement.id),
        }

    async def owned_totals(self, practitioner_id: int) -> dict[str, int]:
        """How much one practitioner has stored: cases, people, agreements."""
        owned = select(Case.id).where(Case.owner_id == practitioner_id)
        return {
            "cases": await self._count(Case.id, Case.owner_id == practitioner_id),
            "people": await self._count(Person.id, Person.case_id.in_(owned)),
            "agreements": await self._count(Agreement.id, Agreement.case_id.in_(owned)),
        }
