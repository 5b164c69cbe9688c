"""Who the bot talks to on Matrix, and where: direct chats of admitted practitioners,
invites answered by the access rules, groups left, unencrypted chats named once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from bot.access import matrix_key
from bot.channels.messages import DIRECT_ONLY, NOT_ENCRYPTED
from bot.channels.plain import plain
from bot.config import Settings
from bot.runtime import Runtime
from bot.store.models import MatrixRoom, Practitioner
from tests.matrix.conftest import MatrixBot, in_chat
from tests.support.element import ElementUser
from tests.support.synapse import Synapse
from tests.support.telegram import texts

Bot = Callable[..., Awaitable[MatrixBot]]
User = Callable[..., Awaitable[ElementUser]]


async def counts(runtime: Runtime) -> tuple[int, int]:
    """Practitioners and remembered Matrix chats in the database."""
    async with runtime.turns.sessions() as session:
        people = (await session.execute(select(func.count(Practitioner.id)))).scalar_one()
        chats = (await session.execute(select(func.count()).select_from(MatrixRoom))).scalar_one()
    return people, chats


async def closed_with_an_invite(matrix_bot: Bot) -> tuple[MatrixBot, Runtime, str]:
    """A started bot that lets nobody in without an invite, and one invite code waiting."""
    from bot.admin import new_invite

    bot = await matrix_bot(start=False, MATRIX_ALLOWED_SERVERS="", BOT_ENV="production")
    runtime = await bot.start()
    code, _expires = await new_invite(bot.settings, 7)
    return bot, runtime, code


async def left(user: ElementUser, bot_id: str, room_id: str) -> None:
    """Wait until `bot_id` is no longer in the room (declined or left)."""

    def gone() -> bool:
        room = user.client.rooms.get(room_id)
        return room is not None and bot_id not in room.users and bot_id not in room.invited_users

    await user._until(gone, f"{bot_id} to leave")


async def test_an_invite_from_someone_not_admitted_is_declined_and_nothing_is_kept(
    matrix_bot: Bot, element: User
) -> None:
    # Only Els is listed: the stranger is on the same server, which is not.
    stranger = await element()
    els = await element()
    bot = await matrix_bot(
        start=False,
        MATRIX_ALLOWED_SERVERS="",
        MATRIX_ALLOWED_USERS=els.user_id,
        BOT_ENV="production",
    )
    runtime = await bot.start()
    room = await stranger.open_direct_chat(bot.user_id)
    await left(stranger, bot.user_id, room)
    assert stranger.seen == []
    assert await counts(runtime) == (0, 0)

    # The listed practitioner's invite is taken.
    await els.open_direct_chat(bot.user_id)
    await els.joined(bot.user_id)
    await els.answer("!start")
    assert await counts(runtime) == (1, 1)


async def test_an_invite_code_is_redeemed_in_the_chat_the_stranger_opened(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    bot, runtime, code = await closed_with_an_invite(matrix_bot)
    newcomer = await element()
    await newcomer.open_direct_chat(bot.user_id)
    await newcomer.joined(bot.user_id)  # an invite is waiting, so the bot comes in
    welcome = await newcomer.answer(f"!start {code}")
    txt = texts(settings)
    assert plain(txt.first_line("onboarding", "welcome")) in welcome.body
    assert await counts(runtime) == (1, 1)
    async with runtime.turns.sessions() as session:
        key = (await session.execute(select(Practitioner.external_key))).scalar_one()
    assert key == matrix_key(newcomer.user_id)


async def test_without_a_code_the_stranger_hears_how_to_get_in_and_the_bot_leaves(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    from bot.access import NO_ACCESS

    bot, runtime, code = await closed_with_an_invite(matrix_bot)
    stranger = await element()
    room = await stranger.open_direct_chat(bot.user_id)
    await stranger.joined(bot.user_id)
    refusal = await stranger.answer("hallo")
    assert refusal.body == plain(texts(settings).t(NO_ACCESS))
    assert await counts(runtime) == (0, 0)
    # The code is still waiting (it is someone else's), so the bot stays for it.
    insider = await element()
    await insider.open_direct_chat(bot.user_id)
    await insider.joined(bot.user_id)
    await insider.answer(f"!start {code}")
    # Now no code is left: the stranger's next message gets the bot to leave.
    await stranger.say("mag ik erin?")
    await left(stranger, bot.user_id, room)
    assert await counts(runtime) == (1, 1)


async def test_a_room_with_more_than_two_members_is_left_with_one_line(
    matrix_bot: Bot, element: User, settings: Settings, synapse: Synapse
) -> None:
    bot = await matrix_bot()
    els = await element()
    colleague = await element()
    room = await els.open_direct_chat(bot.user_id)
    await els.joined(bot.user_id)
    await els.answer("!start")
    await els.client.room_invite(room, colleague.user_id)
    await colleague._until(lambda: room in colleague.client.invited_rooms, "the invite")
    await colleague.client.join(room)
    line = await els.wait_for(lambda s: s.body == plain(texts(settings).t(DIRECT_ONLY)))
    assert line.sender == bot.user_id
    await left(els, bot.user_id, room)
    assert bot.runtime is not None
    assert (await counts(bot.runtime))[1] == 0  # the chat's remembered choices are gone


async def test_an_unencrypted_chat_works_and_is_named_once(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    txt = texts(settings)
    bot = await matrix_bot()
    els = await element()
    await els.open_direct_chat(bot.user_id, encrypted=False)
    await els.joined(bot.user_id)
    note = await els.answer("!start")
    assert note.body == plain(txt.t(NOT_ENCRYPTED))
    assert not note.encrypted
    welcome = await els.next_message(els.seen.index(note) + 1)
    assert plain(txt.first_line("onboarding", "welcome")) in welcome.body
    privacy = await els.answer("1")
    assert plain(txt.first_line("onboarding", "privacy")) in privacy.body
    notes = [s for s in els.seen if s.body == plain(txt.t(NOT_ENCRYPTED))]
    assert len(notes) == 1


async def test_one_practitioner_whatever_room_they_write_from(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    txt = texts(settings)
    bot, els = await in_chat(matrix_bot, element)
    await els.answer("!start")
    privacy = await els.answer("1")
    assert plain(txt.first_line("onboarding", "privacy")) in privacy.body
    # A second direct chat with the bot (a new phone, a chat deleted by mistake).
    second = await els.open_direct_chat(bot.user_id)
    await els.joined(bot.user_id, second)
    again = await els.answer("!start")
    assert plain(txt.first_line("onboarding", "privacy")) in again.body
    assert bot.runtime is not None
    assert await counts(bot.runtime) == (1, 2)


async def test_forgetting_everything_forgets_the_chat_and_a_new_start_remembers_it(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    bot, els = await in_chat(matrix_bot, element)
    await els.answer("!start")
    await els.answer("1")
    await els.answer("1")
    await els.answer("Gezin V.")
    assert bot.runtime is not None
    assert await counts(bot.runtime) == (1, 1)
    confirm = await els.answer("!vergeet")
    everything = number_in(confirm.body, "…")
    sure = await els.answer(str(everything))
    await els.answer(str(number_in(sure.body, "")))  # the first choice: yes, delete
    assert await counts(bot.runtime) == (0, 0)
    welcome = await els.answer("!start")
    assert plain(texts(settings).first_line("onboarding", "welcome")) in welcome.body
    assert await counts(bot.runtime) == (1, 1)


def number_in(body: str, label_part: str) -> int:
    """The first numbered choice whose label holds `label_part`."""
    return next(
        int(line.split(". ", 1)[0])
        for line in body.splitlines()
        if line[:1].isdigit() and ". " in line and label_part in line.split(". ", 1)[1]
    )
