"""The audit trail: what was recorded or changed, by whom and when; append only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from bot.store.models import AuditEntry, Practitioner
from bot.store.queries import Queries


class AuditQueries(Queries):
    def audit(
        self,
        owner: Practitioner,
        event: str,
        *,
        case_id: int | None = None,
        flow: str | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        self.session.add(
            AuditEntry(
                practitioner_id=owner.id,
                case_id=case_id,
                event=event,
                flow=flow,
                field=field,
                value=None if value is None else str(value),
            )
        )

    async def audit_entries(
        self, owner: Practitioner, case_id: int | None = None
    ) -> Sequence[AuditEntry]:
        query = select(AuditEntry).where(AuditEntry.practitioner_id == owner.id)
        if case_id is not None:
            query = query.where(AuditEntry.case_id == case_id)
        return (await self.session.execute(query.order_by(AuditEntry.id))).scalars().all()
