"""The jobs beside the channels of a running bot: reminders, retention, and pruning the
applied event ids. One set per process, whichever channels it runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.notify import Notifier
from bot.reminders.delivery import for_turns as reminder_job
from bot.reminders.delivery import run_periodically as deliver_reminders
from bot.retention import RetentionJob, run_periodically
from bot.store.dedup import prune_periodically
from bot.turns import Turns

DRAIN_TIMEOUT = 8.0
"""Seconds a stopping process gives the reminder on its way to be sent and marked."""


@asynccontextmanager
async def running_jobs(turns: Turns, notifier: Notifier) -> AsyncIterator[None]:
    """Run the jobs until the block ends; on the way out the reminder being sent is
    finished and marked first, so a stop never sends one twice."""
    retention = RetentionJob(turns.sessions, turns.catalogs, turns.settings, notifier)
    reminders = reminder_job(turns, notifier)
    delivering = asyncio.create_task(deliver_reminders(reminders), name="reminders")
    jobs = [
        asyncio.create_task(run_periodically(retention), name="retention"),
        asyncio.create_task(prune_periodically(turns.sessions), name="prune-updates"),
        delivering,
    ]
    try:
        yield
    finally:
        reminders.stopping.set()
        await asyncio.wait([delivering], timeout=DRAIN_TIMEOUT)
        for job in jobs:
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job
