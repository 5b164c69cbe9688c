"""Concurrent across practitioners, strictly in order for one practitioner.

python-telegram-bot applies one update at a time by default, which caps a bot at a few
hundred updates per second. Its `BaseUpdateProcessor` lets us run updates side by side;
a lock per user keeps one practitioner's updates (and the replies to them) in order.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import metrics
from bot.turns.locks import KeyedLock


def update_key(update: object) -> str:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return f"user:{update.effective_user.id}"
        if update.effective_chat is not None:
            return f"chat:{update.effective_chat.id}"
    return "other"


class PerPractitionerProcessor(BaseUpdateProcessor):
    """Tasks reach the lock in the order the updates were fetched, and `asyncio.Lock`
    wakes waiters first-in first-out, so order per practitioner is kept."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLock()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        started = time.perf_counter()
        async with self._locks.hold(update_key(update)):
            await coroutine
        metrics.UPDATE_SECONDS.observe(time.perf_counter() - started)
        metrics.UPDATES_HANDLED.inc()

    async def initialize(self) -> None:
        """Nothing to set up: the locks are made on demand."""

    async def shutdown(self) -> None:
        """Nothing to close."""
