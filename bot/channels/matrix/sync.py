"""The Matrix sync loop: one process per bot account, the position moved only after use.

Matrix hands out events by sync: "everything since position P", answered with the
events and the next position. The loop keeps P in the database and moves it only after
every event of a response was applied (each in its own committed turn, its event id
claimed like a Telegram update id) and answered. A crash at any moment therefore either
leaves P where it was, so the events come again and the applied ones change nothing, or
has moved it past events that were all applied. The answers of a redelivered event carry
the same transaction ids as the first time, so the homeserver does not post them twice.

Two processes syncing one account would each answer every message, so syncing takes a
lease in the database (`bot.store.leases`): a second process waits, and takes over when
the first stops renewing it (it died) or gives it up (it stopped). Only the holder opens
the device's key store: a waiting process would otherwise hold keys that the syncing one
has since moved on from (one-time keys used, sessions made).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

from nio import AsyncClient, SyncResponse, UploadFilterResponse

from bot.channels.matrix.channel import MatrixChannel
from bot.channels.matrix.client import open_client
from bot.logsetup import hide
from bot.store import leases
from bot.store import matrix as stored
from bot.store.leases import LeaseLost
from bot.turns import Turns

log = logging.getLogger(__name__)

SINCE_KEY = "matrix_since"
"""The `meta` row with the sync position (sealed, as every `meta` value)."""
LEASE = "matrix-sync"
POLL_MS = 30_000
"""How long the homeserver may hold a sync open when nothing happens."""
TIMELINE_LIMIT = 200
"""Events per room one sync may carry. After a long stop the homeserver sends at most
this many of a room's newest events (a "limited" timeline) and skips older ones; a
practitioner would have to send more than this to the stopped bot for any to be lost."""
RETRY_AFTER = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds between tries while the homeserver cannot be reached."""
PIPELINE = 64
"""Sync responses whose events may be being applied at once: the loop syncs again while a
response's answers are still going out, up to this many behind."""
STORE_EVERY = 0.5
"""Seconds between two stores of the position: a crash redelivers at most this much more
(applied ids keep it from being done twice), and a busy minute costs ~120 writes, not one
per sync."""
RESTART_AFTER = 10.0
"""Seconds before the channel starts again after a failure (the database away, a bug)."""


def holder_name() -> str:
    """Who holds the lease, for an operator reading the table: host and process id."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def sync_filter(bot_id: str) -> dict[str, Any]:
    """Room timelines of up to `TIMELINE_LIMIT` events, without the bot's own (its replies
    and reactions would otherwise take most of the room)."""
    return {"room": {"timeline": {"limit": TIMELINE_LIMIT, "not_senders": [bot_id]}}}


async def uploaded_filter(client: AsyncClient) -> str | dict[str, object]:
    """The sync filter stored on the homeserver, named by its id in every sync: given
    inline, the homeserver parses and validates it again at each sync (one per message
    now). Inline when the upload fails."""
    wanted = sync_filter(client.user_id)
    response = await client.upload_filter(room=wanted["room"])
    if isinstance(response, UploadFilterResponse):
        return str(response.filter_id)
    log.warning("matrix: the sync filter was not stored (%s)", type(response).__name__)
    return wanted


class MatrixService:
    """The Matrix channel of one process: waits for the lease, then logs in, syncs and
    answers until the lease is lost or the process stops. A failure is logged and the
    channel starts again after `RESTART_AFTER`, so one bad room or a database outage never
    silences it for good. `channel` is the live channel while this process syncs."""

    def __init__(self, turns: Turns, *, lease_seconds: float = 30.0, poll_ms: int = POLL_MS):
        self.turns = turns
        self.sessions = turns.sessions
        self.period = timedelta(seconds=lease_seconds)
        self.poll_ms = poll_ms
        self.holder = holder_name()
        self.channel: MatrixChannel | None = None
        self.ready = asyncio.Event()
        """Set while this process syncs and its first sync is applied."""

    async def run(self) -> None:
        while True:
            try:
                await self.wait_for_lease()
                await self.hold()
            except LeaseLost:
                log.error("matrix: the sync lease was taken over; waiting to take it back")
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as error:
                log.error(
                    "matrix: the channel failed (%s); it starts again in %.0f s",
                    type(error).__name__,
                    RESTART_AFTER,
                )
                await asyncio.sleep(RESTART_AFTER)

    async def wait_for_lease(self) -> None:
        announced = False
        while not await leases.take(self.sessions, LEASE, self.holder, self.period):
            if not announced:
                log.info("matrix: another process syncs this account; waiting to take over")
                announced = True
            await asyncio.sleep(self.period.total_seconds() / 3)
        log.info("matrix: this process syncs the account")

    async def hold(self) -> None:
        """Log in and sync while the lease is renewed beside it; give the lease up on the
        way out (a clean stop), so a waiting process need not wait it out."""
        client = await open_client(self.turns.settings, self.sessions)
        hide(client.access_token)
        channel = MatrixChannel(client, self.turns)
        keep = partial(channel.keep_position, SINCE_KEY, (LEASE, self.holder))
        positions = Positions(client, keep)
        tasks = {
            asyncio.create_task(self.sync_forever(client, channel, positions), name="matrix-sync"),
            asyncio.create_task(positions.keep_forever(), name="matrix-position"),
            asyncio.create_task(self.keep_lease(), name="matrix-lease"),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a lost lease or a failure surfaces here
        finally:
            self.ready.clear()
            self.channel = None
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await channel.close()
            await client.close()
            with contextlib.suppress(Exception):
                await leases.release(self.sessions, LEASE, self.holder)

    async def keep_lease(self) -> None:
        while True:
            await asyncio.sleep(self.period.total_seconds() / 3)
            if not await leases.take(self.sessions, LEASE, self.holder, self.period):
                raise LeaseLost

    async def sync_forever(
        self, client: AsyncClient, channel: MatrixChannel, positions: Positions
    ) -> None:
        """Sync again as soon as a response is handed to the channel; `positions` stores
        the newest position whose response and all earlier ones are answered, at most
        every `STORE_EVERY`, with the questions their answers asked."""
        since = await stored.value(self.sessions, SINCE_KEY)
        first = True
        failures = 0
        wanted = await uploaded_filter(client)
        while True:
            await positions.room()
            try:
                # The first sync of a process asks for the full state of every room, so the
                # client knows members and encryption again; with `since`, only new events.
                response = await client.sync(
                    timeout=0 if first else self.poll_ms,
                    sync_filter=wanted,
                    since=since,
                    full_state=first,
                )
            except (OSError, TimeoutError) as error:
                response = error
            if not isinstance(response, SyncResponse):
                wait = RETRY_AFTER[min(failures, len(RETRY_AFTER) - 1)]
                failures += 1
                log.warning(
                    "matrix: sync failed (%s); again in %.0f s",
                    getattr(response, "status_code", None) or type(response).__name__,
                    wait,
                )
                await asyncio.sleep(wait)
                continue
            failures = 0
            # Keys first: a device the practitioner added in this sync gets the room key
            # of the replies below.
            await positions.share_keys()
            await channel.apply_invites(response)
            # The very first sync (no position yet): what is in the rooms' history was
            # written before the bot ran, so only the invites waiting for it are answered.
            applied = channel.dispatch(response) if since is not None else asyncio.gather()
            since = response.next_batch
            if not first:
                positions.add(applied, since)
            else:
                # Ready once what came again after a restart is answered and stored.
                await applied
                await positions.share_keys()
                await positions.keep(since)
                first = False
                self.channel = channel
                self.ready.set()
                log.info("matrix bot ready (syncing)")


class Positions:
    """The sync positions handed out, in order, each with the future of its events being
    applied. The stored position moves to the newest one whose events, and all earlier
    ones', are applied and answered (several at once when they finish together); a crash
    before that gives the events again, and their applied ids and fixed transaction ids
    keep them from being done twice. At most `PIPELINE` responses are in flight."""

    def __init__(self, client: AsyncClient, keep: Callable[[str], Awaitable[None]]) -> None:
        self.client = client
        self.keep = keep
        """Stores a position (with the questions its events asked: `keep_position`)."""
        self.pending: deque[tuple[asyncio.Future[list[Any]], str]] = deque()
        self.changed = asyncio.Event()
        self.keys = asyncio.Lock()

    def add(self, applied: asyncio.Future[list[Any]], position: str) -> None:
        self.pending.append((applied, position))
        self.changed.set()

    async def room(self) -> None:
        """Wait while `PIPELINE` responses are still being applied."""
        while len(self.pending) >= PIPELINE:
            await self._change()

    async def _change(self) -> None:
        # No await between a caller's check and this clear: no change is missed.
        self.changed.clear()
        await self.changed.wait()

    async def share_keys(self) -> None:
        async with self.keys:
            await share_keys(self.client)

    async def keep_forever(self) -> None:
        while True:
            while not self.pending:
                await self._change()
            await asyncio.wait({self.pending[0][0]})
            _, position = self.pending.popleft()
            while self.pending and self.pending[0][0].done():
                _, position = self.pending.popleft()
            # What the answers left to send between devices (nio's `sync_forever` does
            # this after each sync's callbacks), then the position.
            await self.share_keys()
            await self.keep(position)
            self.changed.set()
            # Positions that come in meanwhile are stored together, in one transaction.
            await asyncio.sleep(STORE_EVERY)


async def share_keys(client: AsyncClient) -> None:
    """What matrix-nio's own `sync_forever` does between syncs for end-to-end encryption:
    publish this device's keys, learn the others', send room keys. A failure is logged
    (by its type) and tried again after the next sync."""
    try:
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()
    except Exception as error:
        log.warning(
            "matrix: key exchange failed (%s); again after the next sync", type(error).__name__
        )
