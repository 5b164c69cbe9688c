"""The small repository API the engine and the actions use; no SQL elsewhere.

Every query that touches a case takes the owner, so a practitioner can only ever read or
change their own cases: ownership is part of the query, not a check someone may forget.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CursorResult,
    Row,
    Table,
    Text,
    bindparam,
    delete,
    exists,
    func,
    inspect,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import crypto, turns
from bot.store.crypto import forget_opened
from bot.store.models import (
    Agreement,
    AuditEntry,
    Case,
    Conversation,
    Invite,
    Meta,
    Person,
    Practitioner,
    Reminder,
    Revocation,
    utcnow,
)
from bot.store.reminders import ReminderQueries

log = logging.getLogger(__name__)

NO_SCOPE = "-"

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
_CASE = select(Case).where(Case.id == bindparam("id"), Case.owner_id == bindparam("owner"))
_CONVERSATION_BY_ID = select(Conversation).where(
    Conversation.id == bindparam("id"), Conversation.practitioner_id == bindparam("owner")
)
_CONVERSATION = select(Conversation).where(
    Conversation.practitioner_id == bindparam("owner"),
    Conversation.flow == bindparam("flow"),
    Conversation.scope == bindparam("scope"),
)
# Where each flow of a case stands, for the menu and /fase: four columns, without the
# answers (which would be decrypted for nothing).
_POSITIONS = select(
    Conversation.flow, Conversation.status, Conversation.step, Conversation.trail
).where(
    Conversation.practitioner_id == bindparam("owner"),
    Conversation.scope == bindparam("scope"),
)
_PEOPLE = select(Person).where(Person.case_id == bindparam("case")).order_by(Person.id)
_AGREEMENTS = (
    select(Agreement)
    .where(Agreement.case_id == bindparam("case"))
    .order_by(Agreement.phase, Agreement.id)
)
_META: Table = Meta.__table__  # type: ignore[assignment]
_INSERT_IF_NEW: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def case_scope(case_id: int) -> str:
    return f"case:{case_id}"


class Repo(ReminderQueries):
    """Queries for one unit of work; the caller owns the transaction. The reminder
    queries (`add_reminder`, `upcoming_reminders`, ...) come from `ReminderQueries`."""

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

    def adopt(self, last: turns.LastTurn) -> None:
        """Take what the practitioner's previous turn left (see `bot.store.turns`) into this
        unit of work, so that `practitioner_in_place`, `conversation_by_id` and `case`
        answer with it without a query."""
        p = last.practitioner
        self.session.add(p)
        self.in_place = p
        if last.conversation is not None:
            self.session.add(last.conversation)
            self._loaded[("conversation", last.conversation.id, p.id)] = last.conversation
        if last.case is not None:
            self.session.add(last.case)
            self._loaded[("case", last.case.id, p.id)] = last.case

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
            conversation = self._again(("conversation", p.current_conversation_id, p.id))
            if conversation is None:
                return None
        if p.active_case_id is not None:
            case = self._again(("case", p.active_case_id, p.id))
            if case is None:
                return None
        return turns.LastTurn(stamp, p, conversation, case)

    def _again(self, key: tuple[str, int, int]) -> Any:
        found = self._loaded.get(key)
        if found is None:
            return None
        if inspect(found).persistent and found not in self.session.deleted:
            return found
        del self._loaded[key]
        return None

    # practitioners ---------------------------------------------------------------------

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
        if practitioner.current_conversation_id is not None:
            key = ("conversation", practitioner.current_conversation_id, practitioner.id)
            self._loaded[key] = conversation
        if practitioner.active_case_id is not None:
            self._loaded[("case", practitioner.active_case_id, practitioner.id)] = case
        self.in_place = practitioner
        return practitioner

    async def add_practitioner(
        self, external_key: str, language: str, timezone: str
    ) -> Practitioner:
        practitioner = Practitioner(
            external_key=external_key, language=language, timezone=timezone, settings={}
        )
        self.session.add(practitioner)
        await self.session.flush()
        self.in_place = practitioner
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
        agreements, reminders, conversations, audit entries, and the practitioner row itself."""
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
            delete(Practitioner).where(Practitioner.id == practitioner_id),
        ):
            await self.session.execute(statement, execution_options={"synchronize_session": False})
        self._expunge_conversations(lambda c: c.practitioner_id == practitioner_id)

    def _expunge_conversations(self, deleted: Callable[[Conversation], bool]) -> None:
        """Conversations deleted by a bulk statement stay in the session as they were;
        take them out, so that nothing writes them again (`bot.store.answers`)."""
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, Conversation) and deleted(obj):
                self.session.expunge(obj)

    async def _count(self, column: Any, *where: Any) -> int:
        query = select(func.count(column)).where(*where)
        return int((await self.session.execute(query)).scalar_one())

    async def totals(self) -> dict[str, int]:
        """Installation-wide counts for the operator; never content."""
        return {
            "practitioners": await self._count(Practitioner.id),
            "open cases": await self._count(Case.id, Case.status == "open"),
            "closed cases": await self._count(Case.id, Case.status == "closed"),
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

    # access: invites and revocations ---------------------------------------------------

    async def add_invite(self, code_hash: str, expires_at: datetime) -> Invite:
        invite = Invite(code_hash=code_hash, expires_at=expires_at)
        self.session.add(invite)
        await self.session.flush()
        return invite

    async def redeem_invite(self, code_hash: str, now: datetime) -> bool:
        """Use up an unused, unexpired invite; one statement, so two people racing for
        the same code cannot both get in."""
        result = await self.session.execute(
            update(Invite)
            .where(
                Invite.code_hash == code_hash,
                Invite.used_at.is_(None),
                Invite.expires_at > now,
            )
            .values(used_at=now)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def any_invites(self) -> bool:
        """Whether the operator ever made an invite (used and expired ones count)."""
        return bool((await self.session.execute(select(exists().select_from(Invite)))).scalar())

    async def valid_invites(self, now: datetime) -> int:
        return await self._count(Invite.id, Invite.used_at.is_(None), Invite.expires_at > now)

    async def is_revoked(self, external_key: str) -> bool:
        return await self.session.get(Revocation, external_key) is not None

    async def revoke(self, external_key: str) -> None:
        if not await self.is_revoked(external_key):
            self.session.add(Revocation(external_key=external_key))
            await self.session.flush()

    async def lift_revocation(self, external_key: str) -> None:
        await self.session.execute(
            delete(Revocation).where(Revocation.external_key == external_key)
        )

    # cases -----------------------------------------------------------------------------

    async def cases(self, owner: Practitioner, *, status: str | None = "open") -> Sequence[Case]:
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
        if case_id is None:
            return None
        key = ("case", case_id, owner.id)
        case: Case | None = self._again(key)
        if case is None:
            result = await self.session.execute(_CASE, {"id": case_id, "owner": owner.id})
            case = self._loaded[key] = result.scalar_one_or_none()
        return case

    async def add_case(self, owner: Practitioner, label: str) -> Case:
        case = Case(owner_id=owner.id, label=label, status="open")
        self.session.add(case)
        await self.session.flush()
        self._loaded[("case", case.id, owner.id)] = case
        return case

    async def close_case(self, case: Case) -> None:
        case.status = "closed"
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
        query = select(Case).where(Case.status == "closed", Case.closed_at <= closed_by)
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
                Case.status == "closed",
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
        await self.session.delete(case)
        if owner.active_case_id == case.id:
            owner.active_case_id = None
        await self.session.flush()

    # conversations ---------------------------------------------------------------------

    async def conversation_by_id(
        self, owner: Practitioner, conv_id: int | None
    ) -> Conversation | None:
        if conv_id is None:
            return None
        key = ("conversation", conv_id, owner.id)
        conv: Conversation | None = self._again(key)
        if conv is None:
            values = {"id": conv_id, "owner": owner.id}
            result = await self.session.execute(_CONVERSATION_BY_ID, values)
            conv = self._loaded[key] = result.scalar_one_or_none()
        return conv

    async def conversation(self, owner: Practitioner, flow: str, scope: str) -> Conversation | None:
        values = {"owner": owner.id, "flow": flow, "scope": scope}
        conv = (await self.session.execute(_CONVERSATION, values)).scalar_one_or_none()
        if conv is not None:
            self._loaded[("conversation", conv.id, owner.id)] = conv
        return conv

    async def conversations(self, owner: Practitioner) -> Sequence[Conversation]:
        query = select(Conversation).where(Conversation.practitioner_id == owner.id)
        return (await self.session.execute(query.order_by(Conversation.id))).scalars().all()

    async def flow_positions(self, owner: Practitioner, scope: str) -> Sequence[Row[Any]]:
        """Where each of `owner`'s flows in `scope` stands: flow, status, step and trail."""
        values = {"owner": owner.id, "scope": scope}
        return (await self.session.execute(_POSITIONS, values)).all()

    async def add_conversation(
        self, owner: Practitioner, flow: str, scope: str, step: str, case_id: int | None
    ) -> Conversation:
        conv = Conversation(
            practitioner_id=owner.id,
            flow=flow,
            scope=scope,
            step=step,
            case_id=case_id,
            status="active",
            data={},
            trail={"steps": []},
        )
        self.session.add(conv)
        await self.session.flush()
        self._loaded[("conversation", conv.id, owner.id)] = conv
        return conv

    async def delete_conversation(self, conv: Conversation) -> None:
        await self.session.delete(conv)
        await self.session.flush()

    # audit -----------------------------------------------------------------------------

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

    # people of a case -------------------------------------------------------------------

    async def people(self, case: Case) -> Sequence[Person]:
        """The case's people, oldest first; asked again in the same unit of work (a guard,
        then a view) the same list comes back without a query, until one is added or
        deleted here."""
        found: Sequence[Person] | None = self._people.get(case.id)
        if found is None:
            result = await self.session.execute(_PEOPLE, {"case": case.id})
            found = self._people[case.id] = result.scalars().all()
        return found

    async def person(self, owner: Practitioner, person_id: int | None) -> Person | None:
        """The person if, and only if, they belong to one of `owner`'s cases."""
        if person_id is None:
            return None
        query = (
            select(Person)
            .join(Case, Case.id == Person.case_id)
            .where(Person.id == person_id, Case.owner_id == owner.id)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_person(
        self, case: Case, name: str, group: str, closeness: str, meaning: str | None, decision: str
    ) -> Person:
        person = Person(
            case_id=case.id,
            name=name,
            group=group,
            closeness=closeness,
            meaning=meaning,
            decision=decision,
        )
        self.session.add(person)
        await self.session.flush()
        self._people.pop(case.id, None)
        return person

    async def delete_person(self, person: Person) -> None:
        self._forget()
        self._people.pop(person.case_id, None)
        self._agreements.pop(person.case_id, None)
        await self.session.delete(person)
        await self.session.flush()

    # agreements --------------------------------------------------------------------------

    async def agreements(self, case: Case, phase: int | None = None) -> Sequence[Agreement]:
        """The case's agreements by phase, oldest first, or those of one phase. Like
        `people`, read once per unit of work until one is added or deleted here (a step
        that lists them often asks twice: its action, then its view)."""
        found: Sequence[Agreement] | None = self._agreements.get(case.id)
        if found is None:
            result = await self.session.execute(_AGREEMENTS, {"case": case.id})
            found = self._agreements[case.id] = result.scalars().all()
        return found if phase is None else [a for a in found if a.phase == phase]

    async def agreement(self, owner: Practitioner, agreement_id: int | None) -> Agreement | None:
        """The agreement if, and only if, it belongs to one of `owner`'s cases."""
        if agreement_id is None:
            return None
        query = (
            select(Agreement)
            .join(Case, Case.id == Agreement.case_id)
            .where(Agreement.id == agreement_id, Case.owner_id == owner.id)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

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
    ) -> Agreement:
        agreement = Agreement(
            case_id=case.id,
            phase=phase,
            kind=kind,
            text=text,
            who=who,
            person_id=person.id if person else None,
            due=due,
            status="open",
        )
        self.session.add(agreement)
        await self.session.flush()
        self._agreements.pop(case.id, None)
        return agreement

    async def delete_agreement(self, agreement: Agreement) -> None:
        self._forget()
        self._agreements.pop(agreement.case_id, None)
        await self.session.delete(agreement)
        await self.session.flush()

    # meta ------------------------------------------------------------------------------

    async def installation_secret(self, key: str) -> str:
        """An installation-wide random secret from `meta` (the key that signs buttons),
        made on first use and sealed at rest with BOT_DATA_KEY like family data.

        Two processes starting at once agree on one: the insert does nothing when the
        other's row is there (on PostgreSQL it waits for the other's commit), and both
        read the row that won. A value stored unsealed, before BOT_DATA_KEY was set or by
        a version that did not seal it, is sealed here as it is, so buttons already signed
        with it still verify; only when it is still what was read, so two processes doing
        this at once write it once. Without a key it stays as it is (development). A
        sealed value that no key opens raises `DataKeyError`, as any sealed value does.
        """
        as_stored = type_coerce(_META.c.value, Text)  # sealed or not: never opened here
        insert = _INSERT_IF_NEW[self.session.get_bind().dialect.name](_META)
        await self.session.execute(
            insert.values(key=key, value=secrets.token_urlsafe(32)).on_conflict_do_nothing()
        )
        stored = (
            await self.session.execute(select(as_stored).where(_META.c.key == key))
        ).scalar_one()
        secret = crypto.unseal(stored)
        if crypto.active() is not None and not crypto.is_sealed(stored):
            await self.session.execute(
                update(_META)
                .where(_META.c.key == key, as_stored == stored)
                .values(value=secret)  # sealed on the way in, by the column type
            )
            log.info("meta %s was stored unencrypted: sealed it with BOT_DATA_KEY", key)
        return secret
