"""The people of a case: the family's network, by first name, initials or role."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select

from bot.store.models import Case, Person, Practitioner
from bot.store.queries import Queries, owned

_PERSON = owned(Person, Person.id, Case.owner_id, through=(Case, Case.id == Person.case_id))
_PEOPLE = select(Person).where(Person.case_id == bindparam("case")).order_by(Person.id)


class PeopleQueries(Queries):
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
        return await self._owned(_PERSON, owner, person_id)

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
        await self._add(person, owner_id=case.owner_id)
        self._people.pop(case.id, None)
        return person

    async def delete_person(self, person: Person) -> None:
        self._forget()
        self._people.pop(person.case_id, None)
        self._agreements.pop(person.case_id, None)
        await self._delete(person)
