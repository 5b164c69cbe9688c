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
the first stops renewing it (it died) or gives it up (it stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import timedelta

from nio import AsyncClient, SyncResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.matrix.channel import MatrixChannel
from bot.store import leases
from bot.store import matrix as stored

log = logging.getLogger(__name__)

SINCE_KEY = "matrix_since"
"""The `meta` row with the sync position (sealed, as every `meta` value)."""
LEASE = "matrix-sync"
POLL_MS = 30_000
"""How long the homeserver may hold a sync open when nothing happens."""
RETRY_AFTER = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds between tries while the homeserver cannot be reached."""


def holder_name() -> str:
    """Who holds the lease, for an operator reading the table: host and process id."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


class MatrixSync:
    def __init__(
        self,
        client: AsyncClient,
        channel: MatrixChannel,
        sessions: async_sessionmaker[AsyncSession],
        *,
        lease_seconds: float = 30.0,
        poll_ms: int = POLL_MS,
    ) -> None:
        self.client = client
        self.channel = channel
        self.sessions = sessions
        self.period = timedelta(seconds=lease_seconds)
        self.poll_ms = poll_ms
        self.holder = holder_name()
        self.ready = asyncio.Event()
        """Set once the lease is held and the first sync is applied (for tests and the
        start-up log)."""

    async def run(self) -> None:
        """Wait for the lease, then sync until cancelled; the lease is renewed beside the
        syncs, and losing it (the database said another process holds it) stops them."""
        await self.wait_for_lease()
        syncing = asyncio.create_task(self.sync_forever(), name="matrix-sync")
        renewing = asyncio.create_task(self.keep_lease(), name="matrix-lease")
        try:
            done, _ = await asyncio.wait({syncing, renewing}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a lost lease or a failure surfaces here
        finally:
            for task in (syncing, renewing):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            with contextlib.suppress(Exception):
                await leases.release(self.sessions, LEASE, self.holder)

    async def wait_for_lease(self) -> None:
        announced = False
        while not await leases.take(self.sessions, LEASE, self.holder, self.period):
            if not announced:
                log.info("matrix: another process syncs this account; waiting to take over")
                announced = True
            await asyncio.sleep(self.period.total_seconds() / 3)
        log.info("matrix: this process syncs the account")

    async def keep_lease(self) -> None:
        while True:
            await asyncio.sleep(self.period.total_seconds() / 3)
            if not await leases.take(self.sessions, LEASE, self.holder, self.period):
                log.error("matrix: the sync lease was taken over; this process stops syncing")
                return

    async def sync_forever(self) -> None:
        since = await stored.value(self.sessions, SINCE_KEY)
        first = True
        failures = 0
        while True:
            try:
                # The first sync of a process asks for the full state of every room, so the
                # client knows members and encryption again; with `since`, only new events.
                response = await self.client.sync(
                    timeout=0 if first else self.poll_ms, since=since, full_state=first
                )
            except (OSError, TimeoutError) as error:
                response = error
            if not isinstance(response, SyncResponse):
                wait = RETRY_AFTER[min(failures, len(RETRY_AFTER) - 1)]
                failures += 1
                log.warning(
                    "matrix: sync failed (%s); again in %.0f s", type(response).__name__, wait
                )
                await asyncio.sleep(wait)
                continue
            failures = 0
            if since is not None:
                await self.channel.apply(response)
            else:
                # The very first sync: what is in the rooms' history was written before
                # the bot ran, so only the invites waiting for it are answered.
                await self.channel.apply_invites(response)
            await self.share_keys()
            await stored.keep(self.sessions, SINCE_KEY, response.next_batch)
            since = response.next_batch
            if first:
                first = False
                self.ready.set()
                log.info("matrix bot ready (syncing)")

    async def share_keys(self) -> None:
        """What matrix-nio's own `sync_forever` does between syncs for end-to-end
        encryption: publish this device's keys, learn the others', send room keys."""
        client = self.client
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()
