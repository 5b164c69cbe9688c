"""The one place where the python-telegram-bot `Application` is built."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Bot, BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.access import startup_warning
from bot.channels.telegram.channel import TelegramChannel, TelegramNotifier
from bot.channels.telegram.processor import PerPractitionerProcessor
from bot.channels.telegram.ratelimit import ChatRateLimiter
from bot.channels.telegram.transport import AiohttpRequest
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.loader import FlowSet
from bot.i18n import N_, Catalogs
from bot.retention import RetentionJob, run_periodically
from bot.runtime import Runtime, open_runtime
from bot.store.repo import Repo

# python-telegram-bot 22 warns on every RetryAfter unless durations are timedeltas; that is
# what the rate limiter already uses, so opt in before anything is built.
os.environ.setdefault("PTB_TIMEDELTA", "true")

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]

CANCEL_DESCRIPTION = N_("Stop the current step")
START_DESCRIPTION = N_("Start or pick up where you were")


def api_base_url(url: str) -> str:
    """`TELEGRAM_API_BASE_URL` names a (local) Bot API server; PTB wants it up to `/bot`."""
    url = url.rstrip("/")
    return url if url.endswith("/bot") else f"{url}/bot"


def bot_commands(flows: FlowSet, catalogs: Catalogs, language: str) -> list[BotCommand]:
    """Only commands that work: /start, every flow with a command, and /annuleer."""
    t = catalogs.get(language).gettext
    commands = [BotCommand("start", t(START_DESCRIPTION))]
    commands += [
        BotCommand(flow.command, t(flow.description or flow.title))
        for flow in flows
        if flow.command
    ]
    commands.append(BotCommand("annuleer", t(CANCEL_DESCRIPTION)))
    return commands


async def publish_commands(app: Application, engine: Engine) -> None:  # type: ignore[type-arg]
    """Dutch as the default list (no language code), English for `en`."""
    await app.bot.set_my_commands(bot_commands(engine.flows, engine.catalogs, "nl"))
    await app.bot.set_my_commands(
        bot_commands(engine.flows, engine.catalogs, "en"), language_code="en"
    )


def make_bot(settings: Settings) -> Bot:
    """A plain `Bot` for the operator's commands (the invite link, reminders from cron);
    use it as `async with make_bot(settings) as bot:`."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    token = settings.telegram_bot_token.get_secret_value()
    if settings.telegram_api_base_url:
        return Bot(token, base_url=api_base_url(settings.telegram_api_base_url))
    return Bot(token)


def build_application(settings: Settings, channel: TelegramChannel) -> Application:  # type: ignore[type-arg]
    """Build the application around `channel`; starting and stopping is the caller's."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .concurrent_updates(PerPractitionerProcessor(settings.concurrent_updates))
        .rate_limiter(ChatRateLimiter(settings.rate_limit_overall, settings.rate_limit_chat))
        # aiohttp instead of PTB's httpx: a fraction of the CPU per request (transport.py).
        # The read timeout: then the send is retried (retry.py).
        .request(AiohttpRequest(read_timeout=settings.telegram_timeout))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
    )
    if settings.telegram_api_base_url:
        base = api_base_url(settings.telegram_api_base_url)
        builder = builder.base_url(base).base_file_url(base.removesuffix("/bot") + "/file/bot")
    app = builder.build()
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, channel.on_edited))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, channel.on_message))
    app.add_handler(CallbackQueryHandler(channel.on_button))
    app.add_error_handler(channel.on_error)
    return app


async def warn_about_access(runtime: Runtime) -> None:
    """Loud at start-up when everyone can get in (development) or nobody new can."""
    async with runtime.engine.sessions() as session:
        warning = await startup_warning(Repo(session), runtime.settings)
    if warning:
        log.warning("%s", warning)


@asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Open the runtime (migrations, flows), build the application and poll until the
    block ends; the retention job runs beside it. Production and the end-to-end tests both
    start the bot through here."""
    async with open_runtime(settings) as runtime:
        await warn_about_access(runtime)
        channel = TelegramChannel(runtime.engine)
        app = build_application(settings, channel)
        engine = runtime.engine
        retention = RetentionJob(
            engine.sessions, engine.catalogs, settings, TelegramNotifier(app.bot)
        )
        async with app:  # initialize ... shutdown
            await publish_commands(app, runtime.engine)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=0,
                timeout=settings.polling_timeout,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
            log.info("telegram bot ready (long polling)")
            job = asyncio.create_task(run_periodically(retention), name="retention")
            try:
                yield app
            finally:
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await job
                await app.updater.stop()
                await app.stop()


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then finish the updates in hand and stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_bot(settings):
        # What start-up made (modules, flows, machines, catalogs) lives as long as the
        # process: keep it out of the collector's full passes, which otherwise stall every
        # reply for up to 100 ms now and then (seen in `make bench`).
        gc.collect()
        gc.freeze()
        await stop.wait()
    log.info("telegram bot stopped")


def run_telegram(settings: Settings) -> None:
    asyncio.run(serve(settings))
