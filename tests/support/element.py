"""A practitioner on Matrix, as Element behaves: an encrypted direct chat with the bot,
typed messages, taps on reactions. A matrix-nio client with its own device and keys, so
everything the bot sends in an encrypted chat is decrypted here as a phone would."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadResponse,
    MegolmEvent,
    ReactionEvent,
    RoomCreateResponse,
    RoomMessage,
    RoomPreset,
    RoomSendResponse,
)
from nio.crypto import decrypt_attachment

from tests.support.synapse import Synapse

WAIT = 30.0
_numbers = itertools.count(1)


def unique(prefix: str) -> str:
    """A localpart no other test of this run uses (accounts outlive a test in Synapse)."""
    return f"{prefix}{next(_numbers)}x{id(object()) % 10_000}"


@dataclass
class Seen:
    """A message from the bot: its event id, plain body and full content."""

    event_id: str
    sender: str
    body: str
    content: dict[str, Any]
    encrypted: bool
    room_id: str


@dataclass
class ElementUser:
    client: AsyncClient
    user_id: str
    room_id: str | None = None
    seen: list[Seen] = field(default_factory=list)
    reactions: list[tuple[str, str]] = field(default_factory=list)
    """(event id reacted to, key) of the bot's reactions."""
    undecryptable: int = 0
    _syncing: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def create(
        cls,
        synapse: Synapse,
        store: Path,
        localpart: str | None = None,
        *,
        poll_ms: int = 300,
        pause_ms: int = 50,
    ) -> ElementUser:
        """`poll_ms` and `pause_ms` are the sync's long-poll timeout and the pause between
        syncs: short for the tests (a closed client stops at once), long and none for the
        benchmark (20 idle clients would otherwise keep Synapse busy, and a pause adds to
        every measured latency)."""
        localpart = localpart or unique("els")
        user_id = await synapse.register(localpart, "wachtwoord")
        store.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - test set-up
        client = AsyncClient(
            synapse.url,
            user_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        await client.login("wachtwoord", device_name="Element (test)")
        user = cls(client, user_id)
        client.add_event_callback(user._on_message, (RoomMessage, MegolmEvent))
        client.add_event_callback(user._on_reaction, ReactionEvent)
        await client.sync(timeout=0, full_state=True)
        if client.should_upload_keys:
            await client.keys_upload()
        user._syncing = asyncio.create_task(
            client.sync_forever(timeout=poll_ms, loop_sleep_time=pause_ms or None)
        )
        return user

    async def close(self) -> None:
        if self._syncing is not None:
            self._syncing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._syncing
        await self.client.close()

    async def _on_message(self, room: Any, event: Any) -> None:
        if event.sender == self.user_id:
            return
        if isinstance(event, MegolmEvent):
            self.undecryptable += 1
        else:
            content = event.source.get("content", {})
            self.seen.append(
                Seen(
                    event.event_id,
                    event.sender,
                    content.get("body", ""),
                    content,
                    room.encrypted,
                    room.room_id,
                )
            )
        self._changed.set()

    async def _on_reaction(self, room: Any, event: ReactionEvent) -> None:
        if event.sender != self.user_id:
            self.reactions.append((event.reacts_to, event.key))
            self._changed.set()

    # --- what Element does -------------------------------------------------------------

    async def open_direct_chat(self, bot_id: str, *, encrypted: bool = True) -> str:
        """What Element's "Start chat" makes: a direct chat, encrypted unless switched off."""
        state = (
            [
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ]
            if encrypted
            else []
        )
        response = await self.client.room_create(
            is_direct=True,
            invite=[bot_id],
            preset=RoomPreset.trusted_private_chat,
            initial_state=state,
        )
        assert isinstance(response, RoomCreateResponse), response
        self.room_id = response.room_id
        return self.room_id

    async def share_room_key(self, room_id: str | None = None) -> None:
        """Before the first message: learn the members' devices, claim a one-time key of
        each and send them the room key, as `say` would. The benchmark does this for one
        user at a time: Synapse on PostgreSQL hands a device's oldest one-time key to
        whichever of two simultaneous claims deletes it first and gives the other none
        (its fallback key would do, but matrix-nio uploads none), and a room key shared
        with no device of the bot leaves every message in that session unreadable."""
        room = room_id or self.room_id
        assert room is not None and self.client.olm is not None
        await self._until(lambda: room in self.client.rooms, "the room")
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.olm.should_share_group_session(room):
            await self.client.share_group_session(room, ignore_unverified_devices=True)

    async def say(self, text: str, room_id: str | None = None) -> str:
        return await self._send("m.room.message", {"msgtype": "m.text", "body": text}, room_id)

    async def react(self, event_id: str, key: str) -> str:
        relates = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return await self._send("m.reaction", {"m.relates_to": relates}, None)

    async def _send(self, kind: str, content: dict[str, Any], room_id: str | None) -> str:
        room = room_id or self.room_id
        assert room is not None
        # Element waits until it knows the room's members' devices before it encrypts.
        await self._until(lambda: room in self.client.rooms, "the room")
        response = await self.client.room_send(room, kind, content, ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    # --- waiting for the bot -----------------------------------------------------------

    async def _until(self, done: Callable[[], bool], what: str, within: float = WAIT) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not done():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(
                    f"waited {within:.0f} s for {what}; saw {[s.body[:60] for s in self.seen]}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))

    async def next_message(self, after: int | None = None, within: float = WAIT) -> Seen:
        """The first message from the bot after the first `after` (default: all seen so far
        when called)."""
        start = len(self.seen) if after is None else after
        await self._until(lambda: len(self.seen) > start, "a message", within)
        return self.seen[start]

    async def wait_for(
        self, test: Callable[[Seen], bool], start: int = 0, within: float = WAIT
    ) -> Seen:
        await self._until(
            lambda: any(test(s) for s in self.seen[start:]), "a matching message", within
        )
        return next(s for s in self.seen[start:] if test(s))

    async def answer(self, text: str, *, until: Callable[[Seen], bool] | None = None) -> Seen:
        """Say `text`, return the bot's next message (or the first that passes `until`)."""
        start = len(self.seen)
        await self.say(text)
        if until is None:
            return await self.next_message(start)
        return await self.wait_for(until, start)

    async def joined(self, user_id: str, room_id: str | None = None) -> None:
        room = room_id or self.room_id
        await self._until(
            lambda: (
                room in self.client.rooms
                and user_id in self.client.rooms[room].users
                and self.client.rooms[room].users[user_id] is not None
                and user_id not in self.client.rooms[room].invited_users
            ),
            f"{user_id} to join",
        )

    async def download(self, seen: Seen) -> bytes:
        """A file the bot sent, decrypted when it came encrypted."""
        encrypted_file = seen.content.get("file")
        url = encrypted_file["url"] if encrypted_file else seen.content["url"]
        response = await self.client.download(url)
        assert isinstance(response, DownloadResponse), response
        if encrypted_file is None:
            return bytes(response.body)
        return bytes(
            decrypt_attachment(
                response.body,
                encrypted_file["key"]["k"],
                encrypted_file["hashes"]["sha256"],
                encrypted_file["iv"],
            )
        )
