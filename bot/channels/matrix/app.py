"""The Matrix channel started and stopped: log in, sync beside the other channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.channels.matrix.channel import MatrixNotifier
from bot.channels.matrix.client import open_client
from bot.channels.matrix.sync import MatrixService
from bot.runtime import Runtime

log = logging.getLogger(__name__)


@asynccontextmanager
async def running_matrix(runtime: Runtime) -> AsyncIterator[MatrixNotifier]:
    """Sync until the block ends; yields the notifier that sends reminders on Matrix.

    The login is tried once before anything starts, so a wrong setting or a refused
    password stops the start with its name; the key store is then opened again only by
    the process that holds the sync lease (`MatrixService`)."""
    settings = runtime.settings
    await (await open_client(settings, runtime.turns.sessions)).close()
    service = MatrixService(runtime.turns, lease_seconds=settings.matrix_lease_seconds)
    task = asyncio.create_task(service.run(), name="matrix")
    try:
        yield MatrixNotifier(service)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    log.info("matrix bot stopped")
