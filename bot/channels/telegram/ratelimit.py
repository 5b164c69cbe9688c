"""Rate limits: python-telegram-bot's limiter, plus one for each private chat.

`AIORateLimiter` applies Telegram's overall and per-group limits, but nothing per private
chat, where Telegram allows about one message per second (short bursts are tolerated).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

from bot.channels.telegram.retry import retrying

JSON = bool | dict[str, Any] | list[dict[str, Any]]
BURST = 3
MAX_LIMITERS = 1024


class ChatRateLimiter(AIORateLimiter):
    def __init__(self, overall_per_second: float, chat_per_second: float) -> None:
        # Retry a flood-controlled send after the wait Telegram asks for, up to three times.
        super().__init__(overall_max_rate=overall_per_second, overall_time_period=1, max_retries=3)
        self._chat_rate = chat_per_second
        self._chats: dict[int, AsyncLimiter] = {}

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            if len(self._chats) >= MAX_LIMITERS:
                # Forget chats whose bucket is full again: they are idle.
                for key, idle in list(self._chats.items()):
                    if idle.has_capacity(BURST):
                        del self._chats[key]
            limiter = AsyncLimiter(BURST, BURST / self._chat_rate)
            self._chats[chat_id] = limiter
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        """Every Bot API call passes here: sends are retried on 5xx and timeouts (see
        `retry.py`), each try waiting for its turn under the limits."""
        return await retrying(
            lambda: self._limited(callback, args, kwargs, endpoint, data, rate_limit_args),
            endpoint,
        )

    async def _limited(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        chat_id = _as_int(data.get("chat_id"))
        sends = endpoint.startswith("send") or endpoint.startswith("edit")
        if self._chat_rate > 0 and sends and isinstance(chat_id, int) and chat_id > 0:
            async with self._chat_limiter(chat_id):
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def _as_int(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None
