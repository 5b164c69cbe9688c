"""`python -m bot run` on Matrix alone, as a real process: for the tests that kill it with
SIGKILL, restart it on the same database and key store, or run two side by side."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bot.config import Settings
from tests.conftest import DATA_KEY
from tests.support.bot_process import BotProcess
from tests.support.synapse import SERVER_NAME

READY = "matrix bot ready (syncing)"
WAITING = "another process syncs this account; waiting to take over"
SYNCING = "this process syncs the account"
FIRST_LOGIN = "logged in with MATRIX_PASSWORD"
KEPT_LOGIN = "logged in with the kept access token"
START_WITHIN = 60.0
"""Seconds a cold start (imports, migrations, login, first sync) may take on a busy CI."""


class MatrixBotProcess(BotProcess):
    """The bot with only `MATRIX_*` set (no Telegram token): the log, the kill of its whole
    process group and the clean-up are `BotProcess`'s."""

    def __init__(
        self,
        name: str,
        *,
        homeserver: str,
        user_id: str,
        password: str,
        store: Path,
        settings: Settings,
        logs: Path,
        lease_seconds: float = 3,
    ) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        self.port = None
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        self.env = environment | {
            "DATABASE_URL": settings.database_url,
            "BOT_DATA_KEY": DATA_KEY,
            "BOT_CALLBACK_SECRET": "matrix-process-test-secret",
            "MATRIX_HOMESERVER": homeserver,
            "MATRIX_USER_ID": user_id,
            "MATRIX_PASSWORD": password,
            "MATRIX_STORE_DIR": str(store),
            "MATRIX_ALLOWED_SERVERS": SERVER_NAME,
            "MATRIX_LEASE_SECONDS": str(lease_seconds),
        }
        self.process = None

    async def logged(self, line: str, within: float = START_WITHIN) -> None:
        """Wait until the process logged `line` (it must stay alive meanwhile)."""
        try:
            async with asyncio.timeout(within):
                while line not in self.text():
                    assert self.alive(), f"{self.name} died:\n{self.tail()}"
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise AssertionError(f"{self.name} did not log {line!r}:\n{self.tail()}") from None
