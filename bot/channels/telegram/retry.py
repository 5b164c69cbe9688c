"""Send again when Telegram failed on its side (5xx) or did not answer in time.

python-telegram-bot retries only flood control (429, in `AIORateLimiter`): a 5xx becomes a
`NetworkError`, a timeout a `TimedOut`, and the reply to a turn that is already committed
would be lost. So the bot's own messages (sends, edits, callback answers) get a few more
tries with a growing pause. Client errors (4xx: `BadRequest`, `Forbidden`, ...) are not
retried: the same request would fail the same way.

Caveat: Telegram has no idempotency key. A send that timed out may well have been
delivered (the answer was lost, not the message), and sending it again then shows it
twice. That is accepted: a repeated message is better than a practitioner left without an
answer. The stub Bot API in the tests drops a request the client gave up on, so there the
message arrives exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, NetworkError

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRIED = ("send", "edit", "answerCallbackQuery")
"""Endpoints (by prefix) that are retried: what the bot says. getUpdates has its own loop."""
ATTEMPTS = 3
FIRST_PAUSE = 0.5
"""Seconds before the second try; doubled before each next one."""


def retryable(endpoint: str, error: BaseException) -> bool:
    """A server error (5xx) or a timeout of a message the bot sends; never a 4xx."""
    return (
        endpoint.startswith(RETRIED)
        and isinstance(error, NetworkError)
        and not isinstance(error, BadRequest)
    )


async def retrying(
    call: Callable[[], Awaitable[T]],
    endpoint: str,
    *,
    attempts: int = ATTEMPTS,
    pause: float = FIRST_PAUSE,
) -> T:
    """`call()`, tried up to `attempts` times while it fails in a retryable way."""
    for attempt in range(1, attempts):
        try:
            return await call()
        except NetworkError as error:
            if not retryable(endpoint, error):
                raise
            # The type only: the message of a network error may quote the request URL.
            log.warning(
                "telegram %s failed (%s); try %d of %d",
                endpoint,
                type(error).__name__,
                attempt + 1,
                attempts,
            )
        await asyncio.sleep(pause * 2 ** (attempt - 1))
    return await call()
