"""`kill -9` of the real Matrix bot process, a restart on the same database and key store,
and two processes for one account, with a practitioner in an encrypted direct chat.

The bot talks to Synapse through a proxy (tests/support/matrix_proxy.py) that notes its
requests and can hold one of them: so each kill happens at a moment the test names (the
turn committed but no answer posted; the answer posted but the sync position not moved;
between two syncs), not after a guessed sleep. Whether something was done twice is read
where it would show: the practitioner's own client (every message the bot posted in the
room, decrypted), the database's rows, and the bot account's devices on Synapse.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from bot.access import matrix_key
from bot.channels.matrix.channel import MatrixNotifier, NotSyncing
from bot.channels.matrix.client import SESSION_KEY
from bot.channels.matrix.sync import SINCE_KEY, MatrixService
from bot.channels.messages import UNREADABLE
from bot.channels.plain import plain
from bot.config import Settings
from bot.engine.events import Reply
from bot.runtime import Runtime
from bot.store import matrix as stored
from tests.matrix.conftest import BOT_PASSWORD
from tests.support.databases import database
from tests.support.element import ElementUser, unique
from tests.support.matrix_process import (
    FIRST_LOGIN,
    KEPT_LOGIN,
    READY,
    SYNCING,
    WAITING,
    MatrixBotProcess,
)
from tests.support.matrix_proxy import MatrixProxy, Seen, sent_with, sync
from tests.support.snapshot import snapshot
from tests.support.synapse import Synapse
from tests.support.telegram import Texts, texts

User = Callable[..., Awaitable[ElementUser]]
LEASE_SECONDS = 3.0
KEYCAP_1 = "1\ufe0f\u20e3"
ONBOARDING = ("welcome", "privacy", "first_case")
WHILE_DOWN = 12
LOCATION = {"msgtype": "m.location", "body": "hier", "geo_uri": "geo:52.37,4.89"}
TAKEOVER_MARGIN = 3.0
"""Seconds beyond the lease a takeover may take: the waiting process looks every third
of the lease, then syncs once with the full state before it answers."""


@pytest.fixture
async def proxy(synapse: Synapse) -> AsyncIterator[MatrixProxy]:
    async with MatrixProxy(synapse.url) as running:
        yield running


@pytest.fixture
async def start_bot(
    synapse: Synapse, proxy: MatrixProxy, settings: Settings, tmp_path: Path
) -> AsyncIterator[Callable[[str], MatrixBotProcess]]:
    """A factory of bot processes for one fresh bot account, all on the test's database
    and one key store; every process is killed (with its group) at the end."""
    bot_id = await synapse.register(unique("netwerkcoach"), BOT_PASSWORD)
    made: list[MatrixBotProcess] = []

    def make(name: str) -> MatrixBotProcess:
        process = MatrixBotProcess(
            name,
            homeserver=proxy.url,
            user_id=bot_id,
            password=BOT_PASSWORD,
            store=tmp_path / "bot-keys",
            settings=settings,
            logs=tmp_path,
            lease_seconds=LEASE_SECONDS,
        )
        made.append(process)
        return process

    try:
        yield make
    finally:
        for process in made:
            await process.stop()


async def kept_login(settings: Settings) -> tuple[str, str]:
    """The bot's device id and access token as it kept them (sealed) in the database."""
    async with database(settings) as sessions:
        raw = await stored.value(sessions, SESSION_KEY)
    assert raw is not None, "the bot kept no login"
    kept = json.loads(raw)
    return str(kept["device_id"]), str(kept["access_token"])


async def devices(synapse: Synapse, token: str) -> list[str]:
    """The bot account's devices, as Synapse lists them to the bot itself."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{synapse.url}/_matrix/client/v3/devices",
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        assert response.status == 200, await response.text()
        return sorted(d["device_id"] for d in (await response.json())["devices"])


async def running(process: MatrixBotProcess, line: str = READY) -> MatrixBotProcess:
    """`process` started, once it logged `line` (by default: its first sync applied)."""
    await process.start()
    await process.logged(line)
    return process


async def chat_with(element: User, bot_id: str) -> ElementUser:
    """A new practitioner in an encrypted direct chat the bot joined."""
    els = await element()
    await els.open_direct_chat(bot_id)
    await els.joined(bot_id)
    return els


def assert_answers(user: ElementUser, *expected: str) -> None:
    """The bot's messages in the chat, all of them: one per expected text, in order."""
    bodies = [seen.body for seen in user.seen]
    assert len(bodies) == len(expected), bodies
    for body, text in zip(bodies, expected, strict=True):
        assert text in body, (text, body)


def answering(tx_suffix: str) -> Callable[[Seen], bool]:
    """The bot's PUT of an answer to a practitioner's event: its transaction id is that
    event's id (`$…`) and `tx_suffix` (`-0` the first reply, `-0-r1` its first keycap)."""

    def match(seen: Seen) -> bool:
        last = seen.path.rsplit("/", 1)[-1]
        return seen.method == "PUT" and last.startswith("$") and last.endswith(tx_suffix)

    return match


async def anna_held_at(
    request: Callable[[Seen], bool],
    start_bot: Callable[[str], MatrixBotProcess],
    element: User,
    proxy: MatrixProxy,
) -> tuple[MatrixBotProcess, ElementUser, ElementUser]:
    """A running bot and two practitioners in encrypted chats with it, Anna and Bert;
    Anna has said `!start` and the bot's `request` for it is held at the homeserver's door."""
    bot = await running(start_bot("1"))
    bot_id = bot.env["MATRIX_USER_ID"]
    anna = await chat_with(element, bot_id)
    bert = await chat_with(element, bot_id)
    hold = proxy.hold(request, forward=False)
    await anna.say("!start")
    await hold.wait()
    return bot, anna, bert


def assert_readable(user: ElementUser, txt: Texts) -> None:
    """Every message of the bot came encrypted and was decrypted here, and the bot never
    had to say that it could not decrypt one of the practitioner's."""
    assert user.undecryptable == 0
    assert all(seen.encrypted for seen in user.seen)
    assert not [s.body for s in user.seen if plain(txt.t(UNREADABLE)) in s.body]


def assert_keycaps_once(user: ElementUser) -> None:
    assert len(user.reactions) == len(set(user.reactions)), user.reactions


@pytest.mark.slow
async def test_kill_9_between_syncs_then_restart_keeps_the_encrypted_chat_and_login(
    start_bot: Callable[[str], MatrixBotProcess],
    element: User,
    proxy: MatrixProxy,
    synapse: Synapse,
    settings: Settings,
) -> None:
    """Killed once its position is stored past the last answer; restarted on the same
    database and key store: the encrypted chat goes on where it was, with the kept
    login, and what was written while it was down is answered, all of it, once."""
    txt = texts(settings)
    first = await running(start_bot("first"))
    els = await chat_with(element, first.env["MATRIX_USER_ID"])
    await els.answer("!start")
    answer = await els.say("1")
    privacy = await els.next_message(1)
    assert plain(txt.first_line("onboarding", "privacy")) in privacy.body
    # Killed between two syncs, after the privacy step's answer and its keycap. The
    # position may not be stored past the "1" yet (it is stored at most every half
    # second): then the "1" comes again and changes nothing (checked below).
    keycap = await proxy.seen(sent_with(f"{answer}-0-r1"))
    await proxy.seen(sync, proxy.requests.index(keycap) + 1)
    device, token = await kept_login(settings)
    before = await devices(synapse, token)  # registering the account made one as well
    assert device in before
    await first.kill()
    rows = await snapshot(settings.database_url)
    # While the bot is down the practitioner sends more than a sync hands out by default
    # (10 events a room): a location, which the bot cannot read, changes no step.
    for _ in range(WHILE_DOWN):
        await els._send("m.room.message", LOCATION, None)

    second = await running(start_bot("second"))
    # Each is answered after the restart, none lost: the step as it is, with a keycap.
    await els._until(lambda: len(els.seen) == 2 + WHILE_DOWN, "an answer to each")
    # The same encrypted chat: the typed answer is decrypted, answered where it was left.
    ask = await els.answer(txt.button("onboarding", "privacy", "ok")[:4])
    assert plain(txt.first_line("onboarding", "first_case")) in ask.body
    menu = await els.answer("Gezin A")
    assert plain(txt.first_line("menu", "main")) in menu.body and "Gezin A" in menu.body

    welcome, privacy, first_case = (plain(txt.first_line("onboarding", s)) for s in ONBOARDING)
    assert_answers(els, welcome, *[privacy] * (1 + WHILE_DOWN), first_case, menu.body)
    assert_readable(els, txt)
    assert_keycaps_once(els)
    # What was committed before the kill was all there; one family since, stored once.
    after = await snapshot(settings.database_url)
    assert rows["cases"] == [] and len(after["cases"]) == 1
    # No second login: the kept token, one device, the same one.
    assert FIRST_LOGIN in first.text()
    assert KEPT_LOGIN in second.text() and FIRST_LOGIN not in second.text()
    assert await kept_login(settings) == (device, token)
    assert await devices(synapse, token) == before


@pytest.mark.slow
async def test_kill_9_after_applying_and_before_moving_the_sync_position(
    start_bot: Callable[[str], MatrixBotProcess],
    element: User,
    proxy: MatrixProxy,
    settings: Settings,
) -> None:
    """Three kills, each where the event was applied (its turn committed) and the sync
    position still lies before it, so the restarted bot gets it again: (1) the answer and
    its keycap posted, (2) the answer posted but not its keycap, (3) nothing posted yet.
    The practitioner ends up with each answer and keycap once, and the family label typed
    before the third kill is stored once."""
    txt = texts(settings)
    step = {name: plain(txt.first_line("onboarding", name)) for name in ONBOARDING}

    async def kill_at(bot: MatrixBotProcess, text: str, tx_suffix: str, *, forward: bool) -> None:
        """Say `text`; kill the bot at its PUT with transaction id `<that event>-<suffix>`,
        held before it reaches Synapse or (`forward`) after."""
        hold = proxy.hold(answering(tx_suffix), forward=forward)
        await els.say(text)
        await hold.wait()
        await bot.kill()
        proxy.release()

    bot = await running(start_bot("1"))
    els = await chat_with(element, bot.env["MATRIX_USER_ID"])

    # (1) The welcome and its keycap posted; the bot never heard back.
    await kill_at(bot, "!start", "-0-r1", forward=True)
    bot = await running(start_bot("2"))
    welcome = await els.wait_for(lambda s: step["welcome"] in s.body)
    await els._until(lambda: (welcome.event_id, KEYCAP_1) in els.reactions, "a keycap")

    # (2) The privacy step posted, its keycap not: it comes after the restart.
    await kill_at(bot, "1", "-0", forward=True)
    bot = await running(start_bot("3"))
    privacy = await els.wait_for(lambda s: step["privacy"] in s.body)
    await els._until(lambda: (privacy.event_id, KEYCAP_1) in els.reactions, "a keycap")

    # (3) The family label's turn committed, nothing posted yet.
    await els.answer("1")
    await kill_at(bot, "Gezin A", "-0", forward=False)
    committed = await snapshot(settings.database_url)
    assert len(committed["cases"]) == 1
    await running(start_bot("4"))
    # The restarted bot shows where the practitioner is: the menu, with the family.
    menu = await els.wait_for(lambda s: plain(txt.first_line("menu", "main")) in s.body)
    assert "Gezin A" in menu.body
    help_text = await els.answer("hulp")  # a duplicate of anything above would precede it
    assert plain(txt.first_line("hulp", "info")) in help_text.body

    assert_answers(els, *step.values(), menu.body, help_text.body)
    assert_readable(els, txt)
    assert_keycaps_once(els)
    assert (await snapshot(settings.database_url))["cases"] == committed["cases"]


@pytest.mark.slow
async def test_a_held_answer_stops_neither_another_chat_nor_keeps_its_event_past_a_kill(
    start_bot: Callable[[str], MatrixBotProcess],
    element: User,
    proxy: MatrixProxy,
    settings: Settings,
) -> None:
    """The bot syncs again while a response's answers are still going out: one chat's
    answer held at the homeserver's door (its turn committed) stops neither the next
    syncs nor another practitioner's answers. The stored position stays before the held
    event all the same: killed then, the restarted bot gets it again and answers it,
    and the other chat gets nothing twice."""
    txt = texts(settings)
    step = {name: plain(txt.first_line("onboarding", name)) for name in ONBOARDING}
    bot, anna, bert = await anna_held_at(answering("-0"), start_bot, element, proxy)
    # Anna's welcome waits at the door; Bert, who writes after her, is answered.
    assert step["welcome"] in (await bert.answer("!start")).body
    privacy = await bert.answer("1")
    assert step["privacy"] in privacy.body
    await bert._until(lambda: (privacy.event_id, KEYCAP_1) in bert.reactions, "a keycap")
    await bot.kill()
    proxy.release()
    assert anna.seen == []

    await running(start_bot("2"))
    # Anna's "!start" came again: her welcome, with its keycap, and her chat goes on.
    welcome = await anna.wait_for(lambda s: step["welcome"] in s.body)
    await anna._until(lambda: (welcome.event_id, KEYCAP_1) in anna.reactions, "a keycap")
    assert step["privacy"] in (await anna.answer("1")).body
    help_text = await bert.answer("hulp")  # a repeat of Bert's answers would precede it
    assert_answers(anna, step["welcome"], step["privacy"])
    assert_answers(bert, step["welcome"], step["privacy"], help_text.body)
    for els in (anna, bert):
        assert_readable(els, txt)
        assert_keycaps_once(els)


async def stored_state(settings: Settings, room_id: str) -> tuple[str | None, str | None]:
    """The sync position and the event id of the room's current question, as stored."""
    async with database(settings) as sessions:
        room = await stored.room(sessions, room_id)
        position = await stored.value(sessions, SINCE_KEY)
    return position, (room.question.event_id if room and room.question else None)


@pytest.mark.slow
async def test_the_question_is_stored_with_the_sync_position_and_kept_past_kill_9(
    start_bot: Callable[[str], MatrixBotProcess],
    element: User,
    proxy: MatrixProxy,
    settings: Settings,
) -> None:
    """An answer's question is not stored on its own but with the sync position past its
    event. Once that is stored, a `kill -9` brings nothing back (no event comes again,
    no answer is sent again) and the practitioner's next number answers that question."""
    txt = texts(settings)
    step = {name: plain(txt.first_line("onboarding", name)) for name in ONBOARDING}
    bot = await running(start_bot("1"))
    els = await chat_with(element, bot.env["MATRIX_USER_ID"])
    welcome = await els.answer("!start")
    mark = len(proxy.requests)
    before, _ = await stored_state(settings, els.room_id)
    privacy = await els.answer("1")
    answered = proxy.requests.index(await proxy.seen(answering("-0"), mark))
    await els._until(lambda: (privacy.event_id, KEYCAP_1) in els.reactions, "a keycap")
    # Past the "1": a position the bot synced from once it had the "1" (its next sync
    # starts as it begins to answer, so the last one before the answer or any after).
    syncs = [i for i, seen in enumerate(proxy.requests[:answered]) if sync(seen)]
    deadline = time.monotonic() + 10
    while True:
        position, question = await stored_state(settings, els.room_id)
        past = {seen.query.get("since") for seen in proxy.requests[syncs[-1] :] if sync(seen)}
        if position != before and position in past and question == privacy.event_id:
            break
        assert time.monotonic() < deadline, "the position and question were not stored"
        await asyncio.sleep(0.2)
    answers_sent = proxy.count(answering("-0"))
    await bot.kill()

    await running(start_bot("2"))  # ready: anything that came again is answered by now
    assert proxy.count(answering("-0")) == answers_sent
    first_case = await els.answer("1")
    assert step["first_case"] in first_case.body
    assert_answers(els, welcome.body, privacy.body, first_case.body)
    assert_keycaps_once(els)


@pytest.mark.slow
async def test_keycaps_go_out_one_at_a_time_for_the_whole_channel(
    start_bot: Callable[[str], MatrixBotProcess],
    element: User,
    proxy: MatrixProxy,
    settings: Settings,
) -> None:
    """At most one keycap waits at the homeserver, so reactions never queue there in
    front of another practitioner's answer: with Anna's first keycap held at the door,
    Bert is answered, by number too, but gets no keycap; once hers fails, his current
    question gets its keycaps and the one he answered meanwhile gets none."""
    txt = texts(settings)
    step = {name: plain(txt.first_line("onboarding", name)) for name in ONBOARDING}
    _, anna, bert = await anna_held_at(answering("-0-r1"), start_bot, element, proxy)
    welcome = await bert.answer("!start")
    assert step["welcome"] in welcome.body
    privacy = await bert.answer("1")
    assert step["privacy"] in privacy.body
    assert proxy.count(answering("-r1")) == 1
    assert bert.reactions == []

    proxy.release()  # Anna's keycap fails (503): it and the rest of hers are left out
    await bert._until(lambda: (privacy.event_id, KEYCAP_1) in bert.reactions, "a keycap")
    assert (welcome.event_id, KEYCAP_1) not in bert.reactions
    await anna.wait_for(lambda s: step["welcome"] in s.body)
    assert step["privacy"] in (await anna.answer("1")).body  # her numbers work without
    assert_keycaps_once(bert)


@pytest.mark.slow
async def test_kill_9_between_an_answer_and_its_keycaps_leaves_a_working_chat(
    start_bot: Callable[[str], MatrixBotProcess],
    element: User,
    proxy: MatrixProxy,
    settings: Settings,
) -> None:
    """The keycaps go out after the answer, off its path: killed with the answer posted
    and its question remembered but no keycap at the homeserver, the restarted bot sends
    the keycap (once, under the same answer, not a second answer), and the chat goes on
    by number as by tap."""
    txt = texts(settings)
    step = {name: plain(txt.first_line("onboarding", name)) for name in ONBOARDING}
    bot = await running(start_bot("1"))
    els = await chat_with(element, bot.env["MATRIX_USER_ID"])
    hold = proxy.hold(answering("-0-r1"), forward=False)
    await els.say("!start")
    await hold.wait()
    welcome = await els.wait_for(lambda s: step["welcome"] in s.body)
    await bot.kill()
    proxy.release()
    assert els.reactions == []

    await running(start_bot("2"))
    await els._until(lambda: (welcome.event_id, KEYCAP_1) in els.reactions, "the keycap")
    privacy = await els.answer("1")
    assert step["privacy"] in privacy.body
    await els._until(lambda: (privacy.event_id, KEYCAP_1) in els.reactions, "a keycap")
    await els.react(privacy.event_id, KEYCAP_1)
    first_case = await els.wait_for(lambda s: step["first_case"] in s.body)
    assert_answers(els, step["welcome"], step["privacy"], first_case.body)
    assert_readable(els, txt)
    assert_keycaps_once(els)


@pytest.mark.slow
async def test_a_second_process_waits_and_takes_over_after_kill_9(
    start_bot: Callable[[str], MatrixBotProcess],
    element: User,
    settings: Settings,
) -> None:
    """Two processes, one account: the second neither syncs nor answers while the first
    holds the lease, and after the first's kill -9 takes over within the lease and a
    margin, decrypting the chat that began while it waited."""
    txt = texts(settings)
    first = await running(start_bot("first"))
    # It waits; it read the keys from the store at its start, before the chat began.
    second = await running(start_bot("second"), WAITING)
    els = await chat_with(element, first.env["MATRIX_USER_ID"])
    await els.answer("!start")
    privacy = await els.answer("1")
    assert plain(txt.first_line("onboarding", "privacy")) in privacy.body
    holders = [row[1] for row in (await snapshot(settings.database_url))["leases"]]
    assert holders and holders[0].endswith(f":{first.pid}")
    assert SYNCING not in second.text()

    await first.kill()
    killed = time.monotonic()
    # Said while nobody syncs: the second process answers it once it took over.
    ask = await els.answer(
        "1", until=lambda s: plain(txt.first_line("onboarding", "first_case")) in s.body
    )
    took = time.monotonic() - killed
    assert took < LEASE_SECONDS + TAKEOVER_MARGIN, f"took over after {took:.1f} s"
    assert ask.encrypted
    assert SYNCING in second.text()
    holders = [row[1] for row in (await snapshot(settings.database_url))["leases"]]
    assert holders and holders[0].endswith(f":{second.pid}")
    menu = await els.answer("Gezin A")
    assert "Gezin A" in menu.body

    # Each message answered once, by one of the two.
    assert_answers(
        els, *(plain(txt.first_line("onboarding", step)) for step in ONBOARDING), menu.body
    )
    assert_readable(els, txt)
    assert_keycaps_once(els)
    assert len((await snapshot(settings.database_url))["cases"]) == 1


async def test_a_process_that_does_not_sync_leaves_a_reminder_for_later(runtime: Runtime) -> None:
    """A process waiting for the lease (or before its first sync) knows no rooms: it must
    not call a reminder undeliverable, which would drop it, but leave it for later, when
    the process that syncs sends it."""
    notifier = MatrixNotifier(MatrixService(runtime.turns, lease_seconds=LEASE_SECONDS))
    key = matrix_key("@els:localhost")
    await stored.seen(runtime.turns.sessions, "!chat:localhost", key)
    with pytest.raises(NotSyncing):
        await notifier.notify(key, Reply("Herinnering"))
