"""`python -m bot run` with a messenger: every configured channel in one process.

Telegram runs when `TELEGRAM_BOT_TOKEN` is set, Matrix when `MATRIX_HOMESERVER` is set,
both when both are. They share one runtime (database, flows, turns) and one set of jobs
(reminders, retention, pruning), whose messages go to each practitioner's own channel.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from contextlib import AsyncExitStack

from bot.config import Settings
from bot.jobs import running_jobs
from bot.notify import ByChannel, Notifier
from bot.render import worker as render_worker
from bot.runtime import open_runtime

log = logging.getLogger(__name__)


def channels(settings: Settings) -> list[str]:
    """The messengers this configuration runs, in start order."""
    found = []
    if settings.telegram_bot_token is not None:
        found.append("telegram")
    if settings.matrix_homeserver is not None:
        found.append("matrix")
    return found


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then finish what is in hand and stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with open_runtime(settings) as runtime, AsyncExitStack() as stack:
        warning = await runtime.turns.access_warning()
        if warning:
            log.warning("%s", warning)
        notifiers: dict[str, Notifier] = {}
        if settings.telegram_bot_token is not None:
            from bot.channels.telegram.app import running_telegram
            from bot.channels.telegram.channel import TelegramNotifier

            app = await stack.enter_async_context(running_telegram(runtime))
            notifiers["telegram"] = TelegramNotifier(app.bot)
        if settings.matrix_homeserver is not None:
            from bot.channels.matrix.app import running_matrix

            notifiers["matrix"] = await stack.enter_async_context(running_matrix(runtime))
        await stack.enter_async_context(running_jobs(runtime.turns, ByChannel(notifiers)))
        # What start-up made (modules, flows, machines, catalogs) lives as long as the
        # process: keep it out of the collector's full passes, which otherwise stall every
        # reply for up to 100 ms now and then (seen in `make bench`).
        gc.collect()
        gc.freeze()
        warming = asyncio.create_task(render_worker.warm_up(), name="render worker")
        await stop.wait()
        await warming
    render_worker.shut_down()
    log.info("bot stopped")


def run(settings: Settings) -> None:
    """On uvloop where it exists (not on Windows): the loop's own work and the sockets
    cost a good part of each update's CPU under asyncio's loop (`make bench`)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows, where uvloop is not installed
        asyncio.run(serve(settings))
        return
    uvloop.run(serve(settings))
