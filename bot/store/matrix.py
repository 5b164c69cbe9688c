"""What the Matrix channel keeps between events, beside the conversation itself.

Per direct chat (`MatrixRoom`): whose it is, the question whose numbered choices a number
or a reaction answers (and the few before it, so that a tap on an older one gets the same
polite "that belongs to an earlier step" as an old Telegram button), and whether the
practitioner heard that the chat is unencrypted.
Per installation (in `meta`, sealed): the bot's access token and device id, and how far it
has synced. The channel writes these after a turn, never inside one: they describe what
was shown. The questions a sync's answers asked are stored with its position, in one
transaction (`keep_position`), a reminder's at once: a crash before that leaves the
position before those events, which come again, and their answers ask again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store import leases
from bot.store.models import MatrixRoom, Meta, utcnow

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Question:
    """The last message with choices in a room: its event id and (label, data) per choice."""

    event_id: str
    choices: tuple[tuple[str, str], ...]


KEEP_QUESTIONS = 5
"""Earlier questions remembered per room, for reactions to them."""


@dataclass(frozen=True)
class Room:
    room_id: str
    practitioner_key: str
    question: Question | None
    """The current question: what a typed number answers."""
    questions: tuple[Question, ...]
    """The latest questions, newest first (the current one among them)."""
    warned_unencrypted: bool

    def asked(self, event_id: str) -> Question | None:
        return next((q for q in self.questions if q.event_id == event_id), None)


def _questions(stored: dict[str, Any]) -> tuple[Question, ...]:
    return tuple(
        Question(str(q["event"]), tuple((str(label), str(data)) for label, data in q["choices"]))
        for q in stored.get("questions", [])
    )


def _room(row: MatrixRoom) -> Room:
    questions = _questions(row.choices)
    current = next((q for q in questions if q.event_id == row.question_event_id), None)
    return Room(row.room_id, row.practitioner_key, current, questions, row.warned_unencrypted)


async def room(sessions: Sessions, room_id: str) -> Room | None:
    async with sessions() as session:
        row = await session.get(MatrixRoom, room_id)
        return None if row is None else _room(row)


async def rooms_of(sessions: Sessions, practitioner_key: str) -> list[str]:
    """The practitioner's direct chats, the one they wrote from last first: where
    reminders go (the first the bot is still in)."""
    async with sessions() as session:
        return list(
            (
                await session.execute(
                    select(MatrixRoom.room_id)
                    .where(MatrixRoom.practitioner_key == practitioner_key)
                    .order_by(MatrixRoom.updated_at.desc())
                )
            ).scalars()
        )


async def seen(sessions: Sessions, room_id: str, practitioner_key: str) -> Room:
    """The room as the practitioner's chat, made if new; it becomes where reminders go."""
    async with sessions() as session, session.begin():
        row = await session.get(MatrixRoom, room_id)
        if row is None:
            row = MatrixRoom(room_id=room_id, practitioner_key=practitioner_key, choices={})
            session.add(row)
        row.practitioner_key = practitioner_key
        row.updated_at = utcnow()
        await session.flush()
        return _room(row)


def asked(known: Room, question: Question | None) -> Room:
    """`known` with `question` as its current one (None: the last message had no
    choices), the earlier ones kept, up to `KEEP_QUESTIONS`."""
    questions = known.questions
    if question is not None:
        questions = (question, *questions)[:KEEP_QUESTIONS]
    return replace(known, question=question, questions=questions)


async def _store_questions(session: AsyncSession, room: Room) -> bool:
    """One UPDATE, no read: only the syncing process writes rooms, and it holds them."""
    choices = {
        "questions": [
            {"event": q.event_id, "choices": [list(pair) for pair in q.choices]}
            for q in room.questions
        ]
    }
    event_id = room.question.event_id if room.question else None
    result = await session.execute(
        update(MatrixRoom)
        .where(MatrixRoom.room_id == room.room_id)
        .values(question_event_id=event_id, choices=choices)
        .execution_options(synchronize_session=False)  # a fresh session holds no rows
    )
    return bool(getattr(result, "rowcount", 0))


async def store_questions(sessions: Sessions, room: Room) -> bool:
    """Store the room's questions as `room` holds them (a reminder's, at once); False
    when its row is gone (no practitioner's chat any more)."""
    async with sessions() as session, session.begin():
        return await _store_questions(session, room)


async def warned(sessions: Sessions, room_id: str) -> bool:
    """Note that the practitioner heard the chat is unencrypted; False when the room's
    row is gone."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(MatrixRoom)
            .where(MatrixRoom.room_id == room_id)
            .values(warned_unencrypted=True)
            .execution_options(synchronize_session=False)  # a fresh session holds no rows
        )
    return bool(getattr(result, "rowcount", 0))


async def forget_room(sessions: Sessions, room_id: str) -> None:
    async with sessions() as session, session.begin():
        await session.execute(delete(MatrixRoom).where(MatrixRoom.room_id == room_id))


async def value(sessions: Sessions, key: str) -> str | None:
    """A sealed installation value (`meta`), opened; None when not stored."""
    async with sessions() as session:
        row = await session.get(Meta, key)
        return None if row is None else row.value


async def keep(sessions: Sessions, key: str, stored: str) -> None:
    """Store (or replace) a sealed installation value."""
    async with sessions() as session, session.begin():
        await _keep(session, key, stored)


async def keep_position(
    sessions: Sessions, key: str, position: str, questions: Iterable[Room], lease: tuple[str, str]
) -> None:
    """Store the sync position (`meta` row `key`) and, in the same transaction, the
    questions of `questions` (those its events' answers asked; a room whose row is gone
    is passed over), only while `lease` (name, holder) is still held: a process that
    stalled past its lease must not write over the new holder's rooms. Raises
    `LeaseLost` then, and nothing is written."""
    async with sessions() as session, session.begin():
        if not await leases.fence(session, *lease):
            raise leases.LeaseLost
        # Rows in one order, so two transactions on PostgreSQL never wait for each other.
        for room in sorted(questions, key=lambda room: room.room_id):
            await _store_questions(session, room)
        await _keep(session, key, position)


async def _keep(session: AsyncSession, key: str, stored: str) -> None:
    """One UPDATE when the value is there (the sync position, twice a second at most),
    else an INSERT."""
    result = await session.execute(
        update(Meta)
        .where(Meta.key == key)
        .values(value=stored)
        .execution_options(synchronize_session=False)  # a fresh session holds no rows
    )
    if not getattr(result, "rowcount", 0):
        session.add(Meta(key=key, value=stored))
