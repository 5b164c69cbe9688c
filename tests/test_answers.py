"""A conversation's answers changed in place are written; unchanged ones are not written
again (`bot.store.answers`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from bot.store.models import Conversation
from bot.turns import Turns
from tests.support.chat import Chat
from tests.test_phase1_4 import conversation, walk_fase1


async def _current(engine: Turns, chat: Chat) -> dict[str, Any]:
    async with engine.sessions() as session:
        p = await chat.practitioner()
        assert p is not None
        conv = await session.get(Conversation, p.current_conversation_id)
        assert conv is not None
        return conv.data


async def test_an_answer_changed_in_place_is_written(chat: Chat, engine: Turns) -> None:
    await chat.send("/start")
    async with engine.sessions() as session, session.begin():
        conv = (await session.execute(select(Conversation))).scalar_one()
        conv.data["noted"] = "in place"  # SQLAlchemy alone does not see this; the
        # session's commit does (`bot.store.answers`)

    assert (await _current(engine, chat))["noted"] == "in place"


async def test_a_step_that_changes_no_answer_does_not_write_them(chat: Chat, engine: Turns) -> None:
    await chat.send("/start")
    await chat.press("Continue")
    written: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE CONVERSATIONS"):
            written.append(statement)

    sync_engine = engine.sessions.kw["bind"].sync_engine
    event.listen(sync_engine, "before_cursor_execute", seen)
    try:
        await chat.press("Understood")  # a step further, no answer given
    finally:
        event.remove(sync_engine, "before_cursor_execute", seen)

    assert (await chat.where()).step == "first_case"
    assert len(written) == 1
    assert "step" in written[0] and "data" not in written[0]


async def test_answers_set_before_a_step_with_a_view_reach_the_database(
    chat: Chat, engine: Turns
) -> None:
    """`set:` changes the answers in place; the next step's view queries the database,
    which flushes the step change first. The answers must go with that write, not only be
    right in memory (a restart or another replica reads the database)."""
    await walk_fase1(chat, "Yes", "Yes, map later")
    assert (await chat.where()).flow == "menu"  # after `later`, which shows `phase1_summary`

    stored = await conversation(chat, "fase1")
    assert stored is not None
    assert (stored.data.get("join"), stored.data.get("trust")) == ("accepted", "enough")
