"""The network picture, the plan and reminders on Matrix: files encrypted in an
encrypted chat, a reminder in the practitioner's direct chat exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.access import matrix_key
from bot.actions import plan
from bot.channels.matrix.render import KEYCAPS
from bot.channels.plain import plain
from bot.config import Settings
from bot.engine.events import Reply, ReplyButton
from bot.reminders.delivery import for_turns as reminder_job
from bot.store import matrix as matrix_rooms
from bot.store.models import Reminder
from bot.store.repo import Repo
from bot.store.status import ReminderStatus
from tests.matrix.conftest import MatrixBot, in_chat
from tests.support.element import ElementUser
from tests.support.network import NewAgreement, NewPerson, pdf_text, seed_network
from tests.support.telegram import texts

Bot = Callable[..., Awaitable[MatrixBot]]
User = Callable[..., Awaitable[ElementUser]]

PEOPLE = [
    NewPerson("Oma", "household", "close", "yes", "Haalt de kinderen op woensdag", True),
    NewPerson("Buurman Piet", "community", "middle", "no"),
]
AGREEMENTS = [NewAgreement(3, "Oma haalt de kinderen op woensdag", "approach", "Oma")]
PNG = b"\x89PNG\r\n\x1a\n"


async def onboarded(matrix_bot: Bot, element: User, label: str) -> tuple[MatrixBot, ElementUser]:
    bot, els = await in_chat(matrix_bot, element)
    await els.answer("!start")
    await els.answer("1")
    await els.answer("1")
    await els.answer(label)
    return bot, els


async def test_picture_and_plan_arrive_encrypted_and_open_on_the_phone(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    bot, els = await onboarded(matrix_bot, element, "Gezin B.")
    await seed_network(bot.settings.database_url, matrix_key(els.user_id), PEOPLE, AGREEMENTS)

    start = len(els.seen)
    await els.say("!netwerkkaart")
    picture = await els.wait_for(lambda s: s.content.get("msgtype") == "m.image", start)
    assert picture.encrypted and "file" in picture.content and "url" not in picture.content
    assert (await els.download(picture)).startswith(PNG)

    await els.answer("plan")  # which document: for the family, or the working notes
    start = len(els.seen)
    await els.say("werkaantekeningen")
    document = await els.wait_for(lambda s: s.content.get("msgtype") == "m.file", start)
    assert document.encrypted and document.content["info"]["mimetype"] == "application/pdf"
    text = pdf_text(await els.download(document))
    assert "Gezin B." in text and "Oma haalt de kinderen op woensdag" in text
    summary = await els.next_message(els.seen.index(document) + 1)
    assert plain(texts(settings).t(plan.TITLE)).split("{")[0] in summary.body


async def test_a_due_reminder_arrives_once_and_its_choice_works(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    bot, els = await onboarded(matrix_bot, element, "Gezin R.")
    assert bot.runtime is not None and bot.notifier is not None
    turns = bot.runtime.turns
    late = datetime(2026, 12, 8, 22, 0, tzinfo=UTC)  # 23:00 in Amsterdam: quiet hours
    async with turns.sessions() as session, session.begin():
        repo = Repo(session)
        owner = await repo.practitioner(matrix_key(els.user_id))
        assert owner is not None
        case = await repo.case(owner, None)
        reminder = await repo.add_reminder(
            owner, case=case, kind="free", due_at=late - timedelta(minutes=1), about="oma"
        )
        reminder_id = reminder.id

    start = len(els.seen)
    turns.clock = lambda: late
    job = reminder_job(turns, bot.notifier)
    assert (await job.run_once()).deferred == 1  # the same quiet hours as on Telegram
    turns.clock = lambda: late + timedelta(hours=11)  # 10:00 the next morning
    job = reminder_job(turns, bot.notifier)
    assert (await job.run_once()).sent == 1
    arrived = await els.next_message(start)
    assert "oma" in arrived.body and "\n1. " in arrived.body
    # Stored at once, not with the next sync position: no sync may come for a while.
    room = await matrix_rooms.room(turns.sessions, els.room_id)
    assert room is not None and room.question is not None
    assert room.question.event_id == arrived.event_id
    await job.run_once()  # nothing due any more: no second copy
    async with turns.sessions() as session:
        stored = await session.get(Reminder, reminder_id)
        assert stored is not None and stored.status == ReminderStatus.SENT

    # Its first choice, by number, is taken like a button under the reminder.
    answer = await els.answer("1")
    assert answer.body != arrived.body
    assert [s for s in els.seen[start:] if s.body == arrived.body] == [arrived]


async def test_every_reminder_gets_keycaps_of_its_own(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    """A reminder answers no event, so no transaction id comes from one: its keycaps still
    get ids of their own. (A fixed id per keycap made the homeserver hand back the first
    reminder's reaction for every later one, and post nothing.)"""
    bot, els = await onboarded(matrix_bot, element, "Gezin K.")
    assert bot.runtime is not None and bot.notifier is not None
    turns = bot.runtime.turns
    morning = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
    turns.clock = lambda: morning
    for about in ("oma", "buurman"):
        async with turns.sessions() as session, session.begin():
            repo = Repo(session)
            owner = await repo.practitioner(matrix_key(els.user_id))
            assert owner is not None
            case = await repo.case(owner, None)
            await repo.add_reminder(
                owner, case=case, kind="free", due_at=morning - timedelta(minutes=1), about=about
            )
        start = len(els.seen)
        assert (await reminder_job(turns, bot.notifier).run_once()).sent == 1
        arrived = await els.next_message(start)
        assert about in arrived.body
        keycap = (arrived.event_id, KEYCAPS[0])
        await els._until(lambda keycap=keycap: keycap in els.reactions, "a keycap")


async def test_a_reminder_goes_to_a_chat_the_practitioner_is_still_in(
    matrix_bot: Bot, element: User
) -> None:
    bot, els = await onboarded(matrix_bot, element, "Gezin S.")
    assert bot.runtime is not None and bot.notifier is not None
    first = els.room_id
    second = await els.open_direct_chat(bot.user_id)
    await els.joined(bot.user_id, second)
    await els.answer("!menu")  # the second chat is now the one written from last
    await els.client.room_leave(second)
    await left_room(els, bot, second)

    start = len(els.seen)
    reply = Reply("Herinnering: bel oma", ((ReplyButton("Klaar", "x"),),))
    assert await bot.notifier.notify(matrix_key(els.user_id), reply)
    arrived = await els.next_message(start)
    assert arrived.body.startswith("Herinnering: bel oma")
    assert arrived.room_id == first
    assert [s.body for s in els.seen[start:]] == [arrived.body]


async def left_room(els: ElementUser, bot: MatrixBot, room_id: str) -> None:
    """Until the bot has left the chat the practitioner left, and forgot it."""
    assert bot.runtime is not None
    sessions = bot.runtime.turns.sessions

    async def forgotten() -> bool:
        return await matrix_rooms.room(sessions, room_id) is None

    for _ in range(100):
        if await forgotten():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the bot kept the chat the practitioner left")
