"""Fixtures for end-to-end tests: the stub Bot API and the real bot polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from tests.support.stub_bot_api import StubBotAPI
from tests.support.telegram import Texts, bot_against, texts


@pytest.fixture
async def stub() -> AsyncIterator[StubBotAPI]:
    async with StubBotAPI() as api:
        yield api


@pytest.fixture
async def running(stub: StubBotAPI, settings: Settings) -> AsyncIterator[StubBotAPI]:
    """The bot polling the stub; the test talks to it through `stub.user(...)`."""
    async with bot_against(stub, settings):
        yield stub


@pytest.fixture
def txt(settings: Settings) -> Texts:
    return texts(settings)
