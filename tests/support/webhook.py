"""Deliver updates to the bot's webhook the way Telegram does: a POST with the secret
token header, answered 200 only once the update is applied (`bot/channels/telegram/http.py`)."""

from __future__ import annotations

import io
import socket
from typing import Any

import aiohttp

from bot.channels.telegram.http import SECRET_HEADER

SECRET = "webhook-test-secret_0123456789"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def post_update(
    session: aiohttp.ClientSession,
    port: int,
    update: dict[str, Any] | bytes,
    *,
    secret: str | None = SECRET,
    path: str = "/telegram",
) -> int:
    """POST one update; the HTTP status, or 0 when no answer came (the replica is down)."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    # Raw bytes as a stream: aiohttp warns about sending a large body in one piece.
    body: Any = io.BytesIO(update) if isinstance(update, bytes) else None
    try:
        async with session.post(
            f"http://127.0.0.1:{port}{path}",
            json=None if body is not None else update,
            data=body,
            headers=headers,
        ) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, OSError):
        return 0
