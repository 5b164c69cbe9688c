"""`kill -9` at every step of every flow, then a restart: the practitioner is where they
were, and nothing committed is lost.

Every turn commits before it answers and nothing about a conversation lives only in
memory, so a process killed between two events loses exactly its memory: the engine,
its per-practitioner locks and language cache, and the database connections (closed by
the operating system). That is what `Restarts.kill` throws away, without any goodbye to
the conversation; `start` builds a new engine on the same database, as a new process
would. (The flow files are not read again: they are the same files.) The real process,
killed with SIGKILL, is tested in tests/e2e/test_telegram_process.py and
tests/e2e/test_telegram_crash.py.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.engine.registry import registry
from bot.runtime import Runtime, open_runtime
from bot.store.db import make_engine, make_sessionmaker
from bot.turns import Turns
from tests.support.chat import Chat
from tests.support.explore import Explorer
from tests.support.snapshot import differences, snapshot


class Restarts:
    """The bot's runtime, killed and started again on the same database."""

    def __init__(self, first: Runtime) -> None:
        self.settings = first.settings
        self.flows, self.catalogs = first.turns.flows, first.turns.catalogs
        self.db: AsyncEngine = first.db
        self.turns: Turns = first.turns
        self.count = 0

    async def kill(self) -> None:
        """What SIGKILL leaves behind: nothing in memory, the connections closed."""
        await self.db.dispose()

    async def start(self) -> None:
        self.db = make_engine(self.settings.database_url)
        sessions = make_sessionmaker(self.db)
        self.turns = Turns(self.flows, registry, self.catalogs, sessions, self.settings)
        await self.turns.start()
        self.count += 1


async def test_kill_at_every_step_of_every_flow_then_continue_there(settings: Settings) -> None:
    async with open_runtime(settings) as first:
        runtime = Restarts(first)

        async def kill_and_restart(chat: Chat, flow: str, step: str) -> None:
            where, rows = await chat.where(), await snapshot(runtime.db)
            buttons = [b.data for b in chat.buttons]
            assert (where.flow, where.step) == (flow, step)

            await runtime.kill()
            await runtime.start()
            chat.engine = runtime.turns

            assert await chat.where() == where, f"{flow}.{step}: not where it was"
            after = await snapshot(runtime.db)
            assert after == rows, f"{flow}.{step}: {differences(rows, after)}"
            # The new process shows the same step, with buttons that still work (same
            # sequence number, same signature): the conversation simply continues.
            await chat.unsupported("sticker")
            assert await chat.where() == where, f"{flow}.{step}: moved after the restart"
            assert [b.data for b in chat.buttons] == buttons, f"{flow}.{step}: other buttons"

        explorer = Explorer(first.turns.flows, lambda: runtime.turns, kill_and_restart)
        try:
            await explorer.run()
        finally:
            await runtime.kill()

    assert explorer.missing() == {}, "steps the explorer could not reach"
    steps = sum(1 for flow in first.turns.flows for s in flow.steps.values() if not s.is_end)
    assert runtime.count == steps
