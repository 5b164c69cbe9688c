"""The cases (families): an owner's cases, opening, closing and deleting one, and the
retention job's view of closed ones.

Every query about a practitioner's cases takes the owner, so a practitioner can only ever
read or change their own: ownership is part of the query, not a check someone may forget.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, func, select, update

from bot.store.models import AuditEntry, Case, Conversation, Practitioner, Reminder, utcnow
from bot.store.queries import Queries, owned
from bot.store.status import CaseStatus

_CASE = owned(Case, Case.id, Case.owner_id)


class CaseQueries(Queries):
    async def cases(
        self, owner: Practitioner, *, status: str | None = CaseStatus.OPEN
    ) -> Sequence[Case]:
        query = select(Case).where(Case.owner_id == owner.id).order_by(Case.created_at, Case.id)
        if status is not None:
            query = query.where(Case.status == status)
        return (await self.session.execute(query)).scalars().all()

    async def count_cases(self, owner: Practitioner, *, status: str | None = None) -> int:
        query = select(func.count(Case.id)).where(Case.owner_id == owner.id)
        if status is not None:
            query = query.where(Case.status == status)
        return int((await self.session.execute(query)).scalar_one())

    async def case(self, owner: Practitioner, case_id: int | None) -> Case | None:
        """The case with this id if, and only if, it belongs to `owner`."""
        return await self._owned(_CASE, owner, case_id)

    async def add_case(self, owner: Practitioner, label: str) -> Case:
        return await self._add(
            Case(owner_id=owner.id, label=label, status=CaseStatus.OPEN), owner_id=owner.id
        )

    async def close_case(self, case: Case) -> None:
        case.status = CaseStatus.CLOSED
        case.closed_at = utcnow()
        case.retention_reminded_at = None

    async def closed_cases(
        self,
        closed_by: datetime,
        *,
        owner_id: int | None = None,
        reminded: bool | None = None,
    ) -> Sequence[Case]:
        """Cases closed at or before `closed_by`, of every practitioner or of one (for the
        retention job); `reminded` filters on the reminder having gone out."""
        query = select(Case).where(Case.status == CaseStatus.CLOSED, Case.closed_at <= closed_by)
        if owner_id is not None:
            query = query.where(Case.owner_id == owner_id)
        if reminded is not None:
            sent = Case.retention_reminded_at.is_not(None)
            query = query.where(sent if reminded else ~sent)
        return (await self.session.execute(query.order_by(Case.id))).scalars().all()

    async def _lock_owner_of(self, case_id: int) -> None:
        """The owner's row lock, before a job changes one of their cases: a turn holds it
        while it changes a case, and changing a case takes it too (the trigger of migration
        0007), so taking it first keeps the order of the two locks the same (no deadlock)."""
        owner = select(Case.owner_id).where(Case.id == case_id).scalar_subquery()
        await self.session.execute(
            select(Practitioner.id).where(Practitioner.id == owner).with_for_update()
        )

    async def claim_reminder(self, case_id: int, now: datetime) -> bool:
        """Mark the case's reminder as sent unless it already was; True for the one caller
        that may send it (two job runs never both remind)."""
        await self._lock_owner_of(case_id)
        result = await self.session.execute(
            update(Case)
            .where(
                Case.id == case_id,
                Case.status == CaseStatus.CLOSED,
                Case.retention_reminded_at.is_(None),
            )
            .values(retention_reminded_at=now)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def release_reminder(self, case_id: int) -> None:
        """Undo `claim_reminder` when sending failed, so the next run tries again."""
        await self._lock_owner_of(case_id)
        await self.session.execute(
            update(Case).where(Case.id == case_id).values(retention_reminded_at=None)
        )

    async def delete_case(self, owner: Practitioner, case: Case) -> None:
        """Delete a case with everything recorded about it (conversations, reminders,
        audit)."""
        self._forget(unload=True)
        await self.session.execute(delete(Reminder).where(Reminder.case_id == case.id))
        await self.session.execute(delete(Conversation).where(Conversation.case_id == case.id))
        self._expunge_conversations(lambda c: c.case_id == case.id)
        await self.session.execute(delete(AuditEntry).where(AuditEntry.case_id == case.id))
        if owner.active_case_id == case.id:
            owner.active_case_id = None
        owner.settings = without_case(owner.settings, case.id)
        await self._delete(case)


def without_case(settings: dict[str, Any], case_id: int) -> dict[str, Any]:
    """The settings with what they keep per family (a mapping keyed by the case id, such
    as the tips already shown in full) dropped for this family: nothing of a forgotten
    family stays, not even ids."""
    key = str(case_id)
    return {
        name: {k: v for k, v in value.items() if k != key} if isinstance(value, dict) else value
        for name, value in settings.items()
    }
