"""The Matrix channel started and stopped: log in, sync beside the other channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.channels.matrix.channel import MatrixChannel, MatrixNotifier
from bot.channels.matrix.client import open_client
from bot.channels.matrix.sync import MatrixSync
from bot.runtime import Runtime

log = logging.getLogger(__name__)


@asynccontextmanager
async def running_matrix(runtime: Runtime) -> AsyncIterator[MatrixNotifier]:
    """Sync until the block ends; yields the notifier that sends reminders on Matrix. A
    sync that fails for good (the lease lost to another process) is logged and ends the
    channel; the rest of the process goes on."""
    settings = runtime.settings
    turns = runtime.turns
    client = await open_client(settings, turns.sessions)
    try:
        channel = MatrixChannel(client, turns)
        sync = MatrixSync(
            client, channel, turns.sessions, lease_seconds=settings.matrix_lease_seconds
        )
        task = asyncio.create_task(sync.run(), name="matrix")
        try:
            yield MatrixNotifier(channel)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await client.close()
    log.info("matrix bot stopped")
