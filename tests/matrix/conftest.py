"""Fixtures for the Matrix tests: a real Synapse, the real bot syncing it, practitioners
with their own encrypted devices (tests/support/element.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.channels.matrix.app import running_matrix
from bot.channels.matrix.channel import MatrixNotifier
from bot.config import Settings
from bot.engine.spec import FlowSet
from bot.i18n import Catalogs
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.support.element import ElementUser, unique
from tests.support.synapse import SERVER_NAME, Synapse

BOT_PASSWORD = "bot-wachtwoord"


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """One homeserver per test process (each xdist worker its own), stopped by its pid."""
    server = Synapse.start(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        server.stop()


def matrix_settings(
    database_url: str, synapse: Synapse, bot_id: str, store: Path, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": bot_id,
        "MATRIX_PASSWORD": BOT_PASSWORD,
        "MATRIX_STORE_DIR": str(store),
        "MATRIX_ALLOWED_SERVERS": SERVER_NAME,
        "MATRIX_LEASE_SECONDS": 3,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


@dataclass
class MatrixBot:
    """The bot's account and settings; `start()` runs it in this process."""

    user_id: str
    settings: Settings
    content: tuple[FlowSet, Catalogs]
    stack: AsyncExitStack
    runtime: Runtime | None = None
    notifier: MatrixNotifier | None = None

    async def start(self) -> Runtime:
        runtime = await self.stack.enter_async_context(
            open_runtime(self.settings, content=self.content)
        )
        self.notifier = await self.stack.enter_async_context(running_matrix(runtime))
        self.runtime = runtime
        return runtime


@pytest.fixture
async def matrix_bot(
    synapse: Synapse,
    database_url: str,
    tmp_path: Path,
    checked_content: tuple[FlowSet, Catalogs],
) -> AsyncIterator[Callable[..., Awaitable[MatrixBot]]]:
    """A factory: a fresh bot account (settings overridable), started unless told not."""
    async with AsyncExitStack() as stack:

        async def make(*, start: bool = True, **overrides: Any) -> MatrixBot:
            localpart = unique("netwerkcoach")
            bot_id = await synapse.register(localpart, BOT_PASSWORD)
            settings = matrix_settings(
                database_url, synapse, bot_id, tmp_path / localpart, **overrides
            )
            bot = MatrixBot(bot_id, settings, checked_content, stack)
            if start:
                await bot.start()
            return bot

        yield make


@pytest.fixture
async def element(
    synapse: Synapse, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[ElementUser]]]:
    """A factory of practitioners on Element, each with their own device and keys."""
    users: list[ElementUser] = []

    async def make(localpart: str | None = None) -> ElementUser:
        name = localpart or unique("els")
        user = await ElementUser.create(synapse, tmp_path / "element" / name, name)
        users.append(user)
        return user

    try:
        yield make
    finally:
        for user in users:
            await user.close()


async def in_chat(
    matrix_bot: Callable[..., Awaitable[MatrixBot]],
    element: Callable[..., Awaitable[ElementUser]],
) -> tuple[MatrixBot, ElementUser]:
    """A started bot and a practitioner in an encrypted direct chat it has joined."""
    bot = await matrix_bot()
    els = await element()
    await els.open_direct_chat(bot.user_id)
    await els.joined(bot.user_id)
    return bot, els
