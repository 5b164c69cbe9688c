"""What a turn leaves for the practitioner's next turn (`bot.store.turns`): used only when
nothing else changed the practitioner, their conversations or their cases in between.

Every change below is made the way another process, a job or an operator would make it:
in a session of its own, committed, between two turns. On PostgreSQL the triggers of
migration 0007 must then make the next turn read again; on SQLite the connection's count
of writes by others (`sqlite_inline.Connection.turn`). Later tests show the kept turn is
really used (no read of the practitioner), also after other practitioners' turns.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable
from contextlib import closing
from typing import Any

from sqlalchemy import event, make_url, select, text, update

from bot.engine.events import Identity
from bot.store.db import is_sqlite, make_engine
from bot.store.models import Case, Conversation, Practitioner
from bot.store.turns import LastTurn, LastTurns
from bot.turns import Turns
from tests.support.chat import Chat
from tests.support.onboarding import onboard


async def change(engine: Turns, statement: Any) -> None:
    """Another writer's change, committed in its own transaction."""
    async with engine.sessions() as session, session.begin():
        await session.execute(statement)


async def test_a_step_changed_by_another_writer_is_where_the_next_turn_starts(
    chat: Chat, engine: Turns
) -> None:
    await onboard(chat)
    await chat.send("/voorbereiden")
    assert (await chat.where()).step == "why"
    current = (await chat.practitioner()).current_conversation_id  # type: ignore[union-attr]

    await change(engine, update(Conversation).where(Conversation.id == current).values(step="join"))
    await chat.text("hallo")  # a step with buttons only: it is shown again

    join = chat.t(engine.flows["voorbereiden"].step("join").say or "")
    assert join.split("{")[0].strip()
    assert join.split("{")[0] in chat.last.text


async def test_a_family_renamed_by_another_writer_shows_its_new_name(
    chat: Chat, engine: Turns
) -> None:
    await onboard(chat, "Fam. K")
    await chat.send("/start")
    assert "Fam. K" in chat.last.text

    async with engine.sessions() as session, session.begin():
        case = (await session.execute(select(Case))).scalar_one()
        case.label = "Fam. Z"  # through the ORM: the label is sealed at rest
    await chat.send("/start")

    assert "Fam. Z" in chat.last.text
    assert "Fam. K" not in chat.last.text


async def test_a_language_changed_by_another_writer_is_spoken_next(
    chat: Chat, engine: Turns
) -> None:
    await onboard(chat)
    await chat.send("/start")
    assert chat.outcome.language == "nl"

    key = chat.who.key
    await change(
        engine, update(Practitioner).where(Practitioner.external_key == key).values(language="en")
    )
    await chat.send("/start")

    assert chat.outcome.language == "en"


async def test_a_practitioner_deleted_by_the_operator_starts_afresh(
    chat: Chat, engine: Turns
) -> None:
    await onboard(chat)
    async with engine.sessions() as session, session.begin():
        p = (await session.execute(select(Practitioner))).scalar_one()
        await session.delete(p)

    await chat.send("/start")

    assert (await chat.where()).flow == "onboarding"


async def test_deleting_a_family_keeps_no_copy_of_it(
    chat: Chat, engine: Turns, database_url: str
) -> None:
    """The kept turns hold decrypted family data, like the decryption cache: deleting a
    family (here one of another practitioner) empties both."""
    await onboard(chat)
    other = Chat(engine, Identity("test:bob"))
    await onboard(other, "Fam. B")
    await chat.send("/start")
    assert len(engine.last_turns) == 2

    await other.send("/gezin")
    await other.press("Close or delete")
    await other.press("Delete…")
    await other.press("Yes, delete")

    assert len(engine.last_turns) == 0


async def test_the_next_turn_takes_what_the_last_one_left(
    chat: Chat, engine: Turns, database_url: str
) -> None:
    await onboard(chat)
    await chat.send("/voorbereiden")

    statements = await _statements_of(engine, chat.press("Done ✓"))

    assert (await chat.where()).step == "sentence"
    assert _practitioner_reads(statements) == [], statements  # taken from the previous turn


def _practitioner_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT PRACTITIONERS")]


async def _statements_of(engine: Turns, turn: Awaitable[object]) -> list[str]:
    """The SQL statements `turn` (a `Chat` call not yet awaited) makes."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sync_engine = engine.sessions.kw["bind"].sync_engine
    event.listen(sync_engine, "before_cursor_execute", seen)
    try:
        await turn
    finally:
        event.remove(sync_engine, "before_cursor_execute", seen)
    return statements


async def test_other_practitioners_turns_leave_a_kept_turn_usable(
    chat: Chat, engine: Turns
) -> None:
    """Turns write only their own practitioner's rows, so they do not count as another
    writer, also not one that an action refused and rolled back."""
    await onboard(chat)
    other = Chat(engine, Identity("test:bob"))
    await onboard(other, "Fam. B")
    await chat.send("/start")
    await other.send("/start")
    await other.send("/gezin")
    await other.press("New family")
    await other.text("0612345678")  # a label with contact details: refused, rolled back
    assert (await other.where()).step == "ask_label"

    assert _practitioner_reads(await _statements_of(engine, chat.send("/start"))) == []


async def test_a_commit_by_another_connection_makes_the_next_turn_read(
    chat: Chat, engine: Turns, database_url: str
) -> None:
    """Another process, or an operator's command, writes through a connection of its own:
    on SQLite its commit moves the file's `data_version` (here a plain `sqlite3` one, as
    the `sqlite3` shell would make)."""
    await onboard(chat)
    await chat.send("/start")
    change = "UPDATE practitioners SET language = 'en' WHERE external_key = :key"
    if is_sqlite(database_url):
        with closing(sqlite3.connect(make_url(database_url).database or "")) as connection:
            connection.execute(change.replace(":key", "?"), (chat.who.key,))
            connection.commit()
    else:
        other = make_engine(database_url)
        try:
            async with other.begin() as connection:
                await connection.execute(text(change), {"key": chat.who.key})
        finally:
            await other.dispose()

    assert len(_practitioner_reads(await _statements_of(engine, chat.send("/start")))) == 1
    assert chat.outcome.language == "en"


def _turn(stamp: tuple[int, int]) -> LastTurn:
    return LastTurn(stamp, Practitioner(external_key="k"), None, None)


def test_a_kept_turn_is_given_only_for_the_next_number_of_the_same_row() -> None:
    turns = LastTurns()
    for stamp, given in [((7, 5), True), ((7, 6), False), ((8, 5), False), (None, False)]:
        turns.keep("k", _turn((7, 4)), turns.generation)
        assert (turns.take("k", stamp) is not None) is given, stamp
        assert turns.take("k", (7, 5)) is None  # taken or dropped: never twice


def test_a_turn_under_way_while_the_store_was_emptied_keeps_nothing() -> None:
    turns = LastTurns()
    began = turns.generation
    turns.clear()  # family data deleted meanwhile
    turns.keep("k", _turn((7, 4)), began)
    assert len(turns) == 0


def test_kept_turns_are_bounded_in_number_and_age() -> None:
    turns = LastTurns(keep=2, max_age=60)
    for key in "abc":
        turns.keep(key, _turn((1, 1)), turns.generation)
    assert len(turns) == 2 and turns.take("a", (1, 2)) is None
    old = LastTurn((1, 1), Practitioner(external_key="b"), None, None, at=time.monotonic() - 61)
    turns.keep("b", old, turns.generation)
    assert turns.take("b", (1, 2)) is None
