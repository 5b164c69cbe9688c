"""Baseline for the Matrix benchmark: the smallest matrix-nio bot that answers in an
encrypted direct chat. It logs in, joins every invite, and answers each message with one
canned line, encrypted (`ignore_unverified_devices`, as Netwerkcoach and Element do), with
nio's own `sync_forever` doing the key handling between syncs. No database, no state.

    MATRIX_HOMESERVER=http://127.0.0.1:8008 MATRIX_USER_ID=@echo:localhost \
    MATRIX_PASSWORD=... MATRIX_STORE_DIR=/tmp/echo python -m tests.perf.baselines.matrix_echo_bot
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, InviteMemberEvent, MatrixRoom, RoomMessageText

REPLY = "Dank je, je bericht is ontvangen."
READY = "echo bot ready"


async def main() -> None:
    store = Path(os.environ["MATRIX_STORE_DIR"])
    store.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, at start-up
    client = AsyncClient(
        os.environ["MATRIX_HOMESERVER"],
        os.environ["MATRIX_USER_ID"],
        store_path=str(store),
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True),
    )

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == client.user_id and event.membership == "invite":
            await client.join(room.room_id)

    async def on_message(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != client.user_id:
            await client.room_send(
                room.room_id,
                "m.room.message",
                {"msgtype": "m.text", "body": REPLY},
                ignore_unverified_devices=True,
            )

    client.add_event_callback(on_invite, InviteMemberEvent)  # type: ignore[arg-type]
    client.add_event_callback(on_message, RoomMessageText)  # type: ignore[arg-type]
    await client.login(os.environ["MATRIX_PASSWORD"], device_name="echo")
    if client.should_upload_keys:
        await client.keys_upload()
    print(READY, flush=True)
    try:
        await client.sync_forever(timeout=30_000, full_state=True)
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
