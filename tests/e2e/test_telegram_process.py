"""The bot as an operator runs it: `python -m bot run` with a token, in its own process,
killed with SIGKILL in the middle of onboarding and started again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.config import PROJECT_ROOT, Settings
from tests.support.stub_bot_api import StubBotAPI
from tests.support.telegram import TOKEN, Texts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@asynccontextmanager
async def bot_process(
    stub: StubBotAPI, settings: Settings
) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": stub.base_url.removesuffix("/bot"),
        "DATABASE_URL": settings.database_url,
        "BOT_POLLING_TIMEOUT": "1",
        "BOT_CALLBACK_SECRET": "process-test-secret",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=PROJECT_ROOT, env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        assert process.stderr is not None
        log = (await process.stderr.read()).decode()
        assert TOKEN not in log
        assert TOKEN.split(":")[1] not in log


async def test_kill_9_mid_onboarding_then_restart_continues_at_the_same_step(
    stub: StubBotAPI, settings: Settings, txt: Texts
) -> None:
    user = stub.user(4242, language_code="nl")
    async with bot_process(stub, settings) as first:
        await user.send("/start")
        welcome = await user.reply(timeout=30)
        assert txt.first_line("onboarding", "welcome") in welcome.text
        await user.press(txt.button("onboarding", "welcome", "next"))
        await user.reply(timeout=10)
        await user.press(txt.button("onboarding", "privacy", "ok"))
        ask = await user.reply(timeout=10)
        assert txt.first_line("onboarding", "first_case") in ask.text
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
        assert first.returncode == -signal.SIGKILL

    async with bot_process(stub, settings):
        await user.send("Gezin K")
        menu = await user.reply(timeout=30)
        assert "Gezin K" in menu.text
        assert txt.button("menu", "main", "cases") in menu.flat_buttons


async def test_sigterm_stops_the_bot_cleanly(stub: StubBotAPI, settings: Settings) -> None:
    user = stub.user(4343)
    async with bot_process(stub, settings) as process:
        await user.send("/start")
        await user.reply(timeout=30)
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=15)
        assert code == 0
