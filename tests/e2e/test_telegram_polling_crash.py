"""`kill -9` of the real bot under long polling: an answer the bot has fetched is never lost.

Telegram forgets every update below the offset of a `getUpdates` call, as the stub Bot API
does. python-telegram-bot's `Updater` sent that offset as soon as it had queued a batch,
so a bot killed right after lost the batch: 45 of 48 answers on SQLite and 40 of 40 on
PostgreSQL in the reliability probe. Here several practitioners answer at once, the
bot is killed with SIGKILL the moment the stub sees an offset past their answers, and
restarted: every answer must be applied, and once. Then the same at moments spread over
the handling of a batch, round after round.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import telegram_key
from bot.config import Settings
from bot.store.models import Practitioner, ProcessedUpdate
from tests.conftest import POSTGRES_ENV
from tests.support.bot_process import BotProcess, until
from tests.support.databases import database
from tests.support.db_locks import holding
from tests.support.stub_bot_api import SimUser, StubBotAPI
from tests.support.telegram import Texts
from tests.support.walk import WISH, WISH_STEP, Action, script, state

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AT_ONCE = 8
"""Practitioners who answer in the same moment."""
ANSWERED = (0.25, 0.5, 0.75, 1.0)
"""Kill moments while a batch is applied: once this share of its steps was answered."""
ONE_DATABASE = "postgresql" if os.environ.get(POSTGRES_ENV) else "sqlite"
START_TIMEOUT = 30.0
"""A cold `python -m bot run` (imports, migrations) on a busy CI machine."""


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with database(settings) as made:  # to read back what the bot stored, sealed
        yield made


async def step(user: SimUser, action: Action, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Take one step of the walk and wait for the bot's answer."""
    user.drain()  # answers from before: `reply` waits for a new one
    await action(user)
    await user.reply(timeout=timeout)


async def walked(
    user: SimUser, walk: list[Action], sessions: async_sessionmaker[AsyncSession]
) -> dict[str, Any]:
    """The whole walk without crashes (the first step starts the bot); what it recorded."""
    for n, action in enumerate(walk):
        await step(user, action, START_TIMEOUT if n == 0 else 10.0)
    return await state(sessions, user.user_id)


async def processed(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ProcessedUpdate)) or 0)


async def test_answers_fetched_just_before_a_kill_are_applied_once_after_the_restart(
    stub: StubBotAPI,
    settings: Settings,
    txt: Texts,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    walk, wish_at = script(txt), WISH_STEP
    first = BotProcess("first", stub, settings, tmp_path)
    second = BotProcess("second", stub, settings, tmp_path)
    try:
        await first.start()
        expected = await walked(stub.user(7200, language_code="nl"), walk, sessions)

        users = [stub.user(7201 + n, language_code="nl") for n in range(AT_ONCE)]
        for action in walk[:wish_at]:
            await asyncio.gather(*(step(user, action) for user in users))
        keys = [telegram_key(user.user_id) for user in users]
        rows = select(Practitioner.id).where(Practitioner.external_key.in_(keys))

        # Their turns wait for the database while the answers are in the bot's hands, so
        # that a bot which confirms what it has merely fetched is killed before any commit.
        async with holding(settings.database_url, rows):
            for user in users:
                await walk[wish_at](user)
            stub.on_confirm(stub.last_update_id, lambda: os.killpg(first.pid, signal.SIGKILL))
            await stub.wait_idle()  # every answer fetched
            await asyncio.sleep(0.5)  # time enough to confirm them too early
        assert first.process is not None
        assert await asyncio.wait_for(first.process.wait(), 30) == -signal.SIGKILL

        await second.start()
        replied = [False] * AT_ONCE

        async def answered(n: int, user: SimUser) -> None:
            await user.reply(timeout=START_TIMEOUT)
            replied[n] = True

        await asyncio.gather(
            *(answered(n, user) for n, user in enumerate(users)), return_exceptions=True
        )
        wishes = [
            sum(WISH in text for _phase, _kind, text, _who, _status in mine["agreements"])
            for mine in [await state(sessions, user.user_id) for user in users]
        ]
        kept, twice = sum(n >= 1 for n in wishes), sum(n > 1 for n in wishes)
        assert (kept, twice) == (AT_ONCE, 0), f"kept {kept} of {AT_ONCE}, twice {twice}"
        assert all(replied)

        for action in walk[wish_at + 1 :]:
            await asyncio.gather(*(step(user, action) for user in users))
        for user in users:
            assert await state(sessions, user.user_id) == expected, user
        assert await processed(sessions) == len(walk) * (AT_ONCE + 1)
    finally:
        await asyncio.gather(first.stop(), second.stop())


@pytest.mark.parametrize("database_url", [ONE_DATABASE], indirect=True)
async def test_kill_9_at_every_moment_of_a_batch_loses_no_answer_and_applies_none_twice(
    stub: StubBotAPI,
    settings: Settings,
    txt: Texts,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    """Round after round, one practitioner at every step of the walk takes their next step
    at once, and the bot is killed at one moment of handling that batch: before it could
    fetch it, once it fetched it, once a quarter, half, three quarters and all of the steps
    were answered, and once it confirmed them. Then it is started again. Each step must get
    its answer after the restart; in the end every practitioner is where a walk without
    crashes puts them. So every step of the walk meets a kill at every moment. Each round
    restarts the bot, so this runs on one database: PostgreSQL where the suite has it (CI),
    else SQLite; the test above covers both."""
    walk = script(txt)
    bots = [BotProcess("bot-0", stub, settings, tmp_path)]
    await bots[0].start()
    try:
        expected = await walked(stub.user(7300, language_code="nl"), walk, sessions)
        updates = len(walk)

        users = (stub.user(7301 + n, language_code="nl") for n in range(10_000))
        walking = [(next(users), at) for at in range(len(walk))]
        # Without kills, each to their own step: one practitioner in flight at every step.
        await asyncio.gather(*(walk_on(user, walk[:at]) for user, at in walking))
        await stub.wait_confirmed()
        updates += sum(at for _, at in walking)

        done: list[SimUser] = []
        moments: list[str | float] = ["unfetched", "fetched", *ANSWERED, "confirmed"]
        for round_, moment in enumerate(moments, start=1):
            in_round = [user for user, _ in walking]
            for user in in_round:
                user.drain()
            seen = [len(user.outputs) for user in in_round]
            if moment == "unfetched":
                with stub.holding_updates():
                    for user, at in walking:
                        await walk[at](user)
                    await bots[-1].kill()
            else:
                for user, at in walking:
                    await walk[at](user)
                if moment == "fetched":
                    await stub.wait_idle()
                elif moment == "confirmed":
                    await stub.wait_confirmed(START_TIMEOUT)
                else:
                    await answered_share(in_round, seen, float(moment), round_)
                await bots[-1].kill()
            updates += len(walking)
            bots.append(BotProcess(f"bot-{round_}", stub, settings, tmp_path))
            await bots[-1].start()
            await answered_after_restart(in_round, stub, round_)
            moved = [(user, at + 1) for user, at in walking]
            done += [user for user, at in moved if at == len(walk)]
            walking = [(user, at) for user, at in moved if at < len(walk)]
            walking.append((next(users), 0))  # the step just left is taken by a new one

        # The rest of their walks, without kills.
        await asyncio.gather(*(walk_on(user, walk[at:]) for user, at in walking))
        updates += sum(len(walk) - at for _, at in walking)
        done += [user for user, _ in walking]
        for user in done:
            assert await state(sessions, user.user_id) == expected, user
        assert await processed(sessions) == updates
    finally:
        for bot in bots:
            await bot.stop()


async def walk_on(user: SimUser, actions: list[Action]) -> None:
    for action in actions:
        await step(user, action)


async def answered_share(users: list[SimUser], seen: list[int], share: float, round_: int) -> None:
    """Wait until at least `share` of `users` have an answer since they had `seen` outputs
    (polled every millisecond, so that the kill comes while the rest are being applied)."""
    wanted = math.ceil(share * len(users))

    async def enough() -> bool:
        got = sum(len(user.outputs) > n for user, n in zip(users, seen, strict=True))
        return got >= wanted

    await until(enough, START_TIMEOUT, lambda: f"round {round_}: {wanted} answers", every=0.001)


async def answered_after_restart(users: list[SimUser], stub: StubBotAPI, round_: int) -> None:
    """Every practitioner of the round got an answer, and Telegram (the stub) holds no
    update any more: the bot confirmed them all, so no late copy of one is still to come."""

    waiting = set(users)

    async def answered() -> bool:
        waiting.difference_update({user for user in waiting if user.drain()})
        return not waiting and stub.pending_updates == 0

    await until(
        answered, START_TIMEOUT, lambda: f"round {round_}: no answer after the restart: {waiting}"
    )
