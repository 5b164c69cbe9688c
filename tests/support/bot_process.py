"""`python -m bot run` as a real process against the stub Bot API, for the tests that kill
it, restart it or run two side by side (reminders, replicas)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from contextlib import suppress
from pathlib import Path

import aiohttp

from bot.config import PROJECT_ROOT, Settings
from tests.conftest import DATA_KEY
from tests.support.stub_bot_api import StubBotAPI
from tests.support.telegram import TOKEN
from tests.support.webhook import SECRET, free_port

CALLBACK_SECRET = "bot-process-test-secret"
"""Signs the buttons, so that a test can read a message's buttons back (`Signer`)."""
READY_WITHIN = 60.0
"""Seconds a starting webhook process may take to answer /readyz (a busy CI machine)."""


async def until(
    predicate: Callable[[], Awaitable[bool]],
    seconds: float,
    what: Callable[[], str],
    *,
    every: float = 0.05,
) -> None:
    """Poll until `predicate()` holds, `every` seconds; `seconds` is an upper bound, not a
    requirement."""
    try:
        async with asyncio.timeout(seconds):
            for _ in itertools.count():
                if await predicate():
                    return
                await asyncio.sleep(every)
    except TimeoutError:
        raise AssertionError(f"not within {seconds}s: {what()}") from None


def group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs. A zombie does not: it has ended and
    waits only for its parent to collect its exit status. The helpers of a killed bot are
    orphans whose parent becomes the machine's init, and an init may collect them late
    (about every 2 s on the 2-core development VM), which `kill(-pgid, 0)` would count as
    alive. Where `/proc` is missing (not Linux), `kill(-pgid, 0)` is all there is."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # "pid (name) state ppid pgrp ...": the name may hold spaces and parentheses.
            state, _ppid, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
        except (OSError, ValueError):
            continue  # ended while we looked
        if int(pgrp) == pgid and state not in ("Z", "X"):
            return True
    return False


class BotProcess:
    """The bot by long polling or (with `webhook`) on a webhook of its own port, so that
    two processes can run side by side without taking each other's `getUpdates`. It runs
    in a process group of its own: `kill` ends it together with the helpers it started
    (the render worker), as when its container dies, and afterwards no process of the
    group may be left. stderr goes to a file; `env` adds or overrides settings."""

    def __init__(
        self,
        name: str,
        stub: StubBotAPI,
        settings: Settings,
        logs: Path,
        *,
        webhook: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        self.port = free_port() if webhook else None
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": stub.base_url.removesuffix("/bot"),
            "DATABASE_URL": settings.database_url,
            "BOT_CALLBACK_SECRET": CALLBACK_SECRET,
            "BOT_DATA_KEY": DATA_KEY,
            "BOT_POLLING_TIMEOUT": "1",
            "BOT_CHAT_RATE": "0",  # no pacing: many messages to a few chats
            "BOT_RATE_LIMIT": "0",
        }
        if self.port is not None:
            self.env |= {
                "BOT_WEBHOOK_URL": f"http://127.0.0.1:{self.port}/telegram",
                "BOT_WEBHOOK_SECRET": SECRET,
                "BOT_WEBHOOK_PORT": str(self.port),
            }
        self.env |= env or {}
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run",
                cwd=PROJECT_ROOT, env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )  # fmt: skip

    async def ready(self, http: aiohttp.ClientSession) -> None:
        """Wait until a webhook process answers /readyz with 200."""
        assert self.port is not None, "only a webhook process has /readyz here"
        async with asyncio.timeout(READY_WITHIN):
            while True:
                assert self.alive(), self.tail()
                with suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{self.port}/readyz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)

    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self, *, whole_group: bool = True) -> None:
        """SIGKILL to the whole group. With `whole_group`, wait until none of it is left
        (the helpers too); without, return as soon as the bot itself is dead (a test that
        kills a replica mid-stream, while the other one goes on)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        assert await self.process.wait() == -signal.SIGKILL
        if whole_group:
            await until(self._group_gone, 10, lambda: f"process group {self.pid} gone")

    async def stop(self) -> None:
        """SIGKILL to the whole group and wait for it (10 s at most for the helpers to be
        reaped); for `finally`, so it raises nothing."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()
        with suppress(AssertionError):
            await until(self._group_gone, 10, lambda: "")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def _group_gone(self) -> bool:
        return not group_alive(self.pid)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self) -> str:
        return self.text()[-3000:]
