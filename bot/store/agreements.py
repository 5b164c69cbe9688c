"""The agreements of a case: who does what, until when, in which phase (the shared plan)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Agreement, Case, Person, Practitioner
from bot.store.queries import Queries, owned
from bot.store.status import AgreementStatus

_AGREEMENT = owned(
    Agreement, Agreement.id, Case.owner_id, through=(Case, Case.id == Agreement.case_id)
)
PREPARATION = "preparation"
"""The kind of the one agreement /voorbereiden keeps per case (phase 1)."""
_PREPARATION = (
    select(Agreement.text)
    .where(Agreement.case_id == bindparam("case"), Agreement.kind == PREPARATION)
    .order_by(Agreement.id.desc())
    .limit(1)
)
_AGREEMENTS = (
    select(Agreement)
    .where(Agreement.case_id == bindparam("case"))
    .order_by(Agreement.phase, Agreement.id)
)


class AgreementQueries(Queries):
    async def agreements(self, case: Case, phase: int | None = None) -> Sequence[Agreement]:
        """The case's agreements by phase, oldest first, or those of one phase. Like
        `people`, read once per unit of work until one is added or deleted here (a step
        that lists them often asks twice: its action, then its view)."""
        found: Sequence[Agreement] | None = self._agreements.get(case.id)
        if found is None:
            result = await self.session.execute(_AGREEMENTS, {"case": case.id})
            found = self._agreements[case.id] = result.scalars().all()
        return found if phase is None else [a for a in found if a.phase == phase]

    async def preparation(self, case: Case) -> Agreement | None:
        """The case's kept preparation (/voorbereiden), the latest if there were more."""
        kept = [a for a in await self.agreements(case, 1) if a.kind == PREPARATION]
        return kept[-1] if kept else None

    async def agreement(self, owner: Practitioner, agreement_id: int | None) -> Agreement | None:
        """The agreement if, and only if, it belongs to one of `owner`'s cases."""
        return await self._owned(_AGREEMENT, owner, agreement_id)

    async def add_agreement(
        self,
        case: Case,
        phase: int,
        text: str,
        *,
        kind: str = "agreement",
        who: str | None = None,
        person: Person | None = None,
        due: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Agreement:
        agreement = Agreement(
            case_id=case.id,
            phase=phase,
            kind=kind,
            text=text,
            who=who,
            person_id=person.id if person else None,
            due=due,
            detail=detail,
            status=AgreementStatus.OPEN,
        )
        await self._add(agreement, owner_id=case.owner_id)
        self._agreements.pop(case.id, None)
        return agreement

    async def delete_agreement(self, agreement: Agreement) -> None:
        self._forget()
        self._agreements.pop(agreement.case_id, None)
        await self._delete(agreement)


async def preparation_text(session: AsyncSession, case: Case) -> str | None:
    """The text of `case`'s kept preparation, for the reminder before its first meeting: the
    delivery job's one read of a family's content, by a case it already owner-checked."""
    found: str | None = (
        await session.execute(_PREPARATION, {"case": case.id})
    ).scalar_one_or_none()
    return found
