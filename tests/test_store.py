"""The store below everything that uses it (it imports none of them); its owner-scoped
lookups (`bot.store.queries.owned`): a row found by id only for the practitioner it
belongs to, and asked again in the same unit of work without a query; and the statuses,
which are stored as the strings they stand for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import make_engine, make_sessionmaker
from bot.store.models import Agreement, Case, Conversation, Person, Reminder
from bot.store.repo import Repo, case_scope
from bot.store.status import AgreementStatus, CaseStatus, ConversationStatus, ReminderStatus
from tests.test_architecture import offenders

ALICE, BOB = "test:alice", "test:bob"
DUE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_the_store_imports_nothing_that_uses_it() -> None:
    above = ("bot.access", "bot.actions", "bot.channels", "bot.engine", "bot.reminders")
    above += ("bot.retention", "bot.runtime", "bot.turns")
    assert offenders("bot.store", above) == []


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def _alice_and_bob(repo: Repo) -> dict[str, Any]:
    """Alice with one row of every kind a practitioner owns; Bob with nothing."""
    alice = await repo.add_practitioner(ALICE, "nl", "Europe/Amsterdam")
    bob = await repo.add_practitioner(BOB, "nl", "Europe/Amsterdam")
    case = await repo.add_case(alice, "Gezin B.")
    conv = await repo.add_conversation(alice, "fase1", case_scope(case.id), "start", case.id)
    person = await repo.add_person(case, "oma", "household", "close", None, "open")
    agreement = await repo.add_agreement(case, 4, "oma haalt op")
    reminder = await repo.add_reminder(alice, case=case, kind="free", due_at=DUE)
    return {
        "alice": alice,
        "bob": bob,
        "rows": [
            (Repo.case, case),
            (Repo.conversation_by_id, conv),
            (Repo.person, person),
            (Repo.agreement, agreement),
            (Repo.reminder, reminder),
        ],
    }


async def test_a_row_is_found_by_id_only_by_its_owner(session: AsyncSession) -> None:
    made = await _alice_and_bob(Repo(session))
    await session.commit()
    repo = Repo(session)  # a new unit of work: nothing remembered
    for lookup, row in made["rows"]:
        assert await lookup(repo, made["bob"], row.id) is None, type(row).__name__
        assert await lookup(repo, made["alice"], row.id) is row, type(row).__name__
        assert await lookup(repo, made["alice"], None) is None
        assert await lookup(repo, made["alice"], row.id + 1000) is None


async def test_a_row_asked_again_in_the_same_unit_of_work_takes_no_query(
    session: AsyncSession,
) -> None:
    made = await _alice_and_bob(Repo(session))
    await session.commit()
    repo = Repo(session)
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    sync_engine = session.get_bind()
    for lookup, row in made["rows"]:
        await lookup(repo, made["alice"], row.id)
    event.listen(sync_engine, "before_cursor_execute", seen)
    try:
        for lookup, row in made["rows"]:
            assert await lookup(repo, made["alice"], row.id) is row
    finally:
        event.remove(sync_engine, "before_cursor_execute", seen)
    assert statements == []


async def test_a_deleted_row_is_no_longer_found(session: AsyncSession) -> None:
    made = await _alice_and_bob(Repo(session))
    repo = Repo(session)
    alice = made["alice"]
    rows = dict((type(row), row) for _, row in made["rows"])
    person, agreement = rows[Person], rows[Agreement]
    assert await repo.person(alice, person.id) is person
    await repo.delete_person(person)
    assert await repo.person(alice, person.id) is None
    assert await repo.agreement(alice, agreement.id) is agreement
    await repo.delete_agreement(agreement)
    assert await repo.agreement(alice, agreement.id) is None


async def test_statuses_are_stored_as_their_strings(session: AsyncSession) -> None:
    made = await _alice_and_bob(Repo(session))
    repo = Repo(session)
    rows = dict((type(row), row) for _, row in made["rows"])
    await repo.close_case(rows[Case])
    await session.flush()
    stored = {
        table: (await session.execute(text(f"SELECT status FROM {table}"))).scalar_one()
        for table in ("cases", "conversations", "agreements", "reminders")
    }
    assert stored == {
        "cases": "closed",
        "conversations": "active",
        "agreements": "open",
        "reminders": "pending",
    }
    assert stored["cases"] == CaseStatus.CLOSED
    assert stored["conversations"] == ConversationStatus.ACTIVE
    assert stored["agreements"] == AgreementStatus.OPEN
    assert stored["reminders"] == ReminderStatus.PENDING
    found = await session.execute(select(Reminder.id).where(Reminder.status == "pending"))
    assert found.scalar_one() == rows[Reminder].id
    assert (await repo.cases(made["alice"], status="closed"))[0] is rows[Case]
    assert rows[Conversation].status == "active"
