"""The one place where the python-telegram-bot `Application` is built."""

from __future__ import annotations

import contextlib
import logging
import os
import re
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

from bot.channels.telegram.channel import TelegramChannel, TelegramNotifier
from bot.channels.telegram.polling import DRAIN_TIMEOUT, Ledger, Poller, UpdatesRequest
from bot.channels.telegram.processor import PerPractitionerProcessor
from bot.channels.telegram.ratelimit import ChatRateLimiter
from bot.channels.telegram.transport import BotApiRequest
from bot.config import Settings
from bot.engine.spec import START, FlowSet, cancel_in
from bot.errors import SettingError
from bot.i18n import N_, Catalogs
from bot.jobs import running_jobs
from bot.runtime import Runtime, open_runtime
from bot.turns import Turns

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
    """Only commands that work: /start, every flow with a command, and /annuleer, each
    by its name in `language` (the other language's names work too, unlisted)."""
    t = catalogs.get(language).gettext
    commands = [BotCommand(START, t(START_DESCRIPTION))]
    commands += [
        BotCommand(name, t(flow.description or flow.title))
        for flow in flows
        if (name := flow.command_in(language))
    ]
    commands.append(BotCommand(cancel_in(language), t(CANCEL_DESCRIPTION)))
    return commands


async def publish_commands(app: Application, turns: Turns) -> None:  # type: ignore[type-arg]
    """Dutch as the default list (no language code), English for `en`."""
    await app.bot.set_my_commands(bot_commands(turns.flows, turns.catalogs, "nl"))
    await app.bot.set_my_commands(
        bot_commands(turns.flows, turns.catalogs, "en"), language_code="en"
    )


def make_bot(settings: Settings) -> Bot:
    """A plain `Bot` for the operator's commands (the invite link, reminders from cron);
    use it as `async with make_bot(settings) as bot:`. Over `BotApiRequest`, as the
    application's bot, because replies are sent through it (`send.py`)."""
    if settings.telegram_bot_token is None:
        raise SettingError("TELEGRAM_BOT_TOKEN is not set")
    token = settings.telegram_bot_token.get_secret_value()
    request = BotApiRequest()
    if settings.telegram_api_base_url:
        base = api_base_url(settings.telegram_api_base_url)
        return Bot(token, base_url=base, request=request)
    return Bot(token, request=request)


def build_application(
    settings: Settings, channel: TelegramChannel, ledger: Ledger | None = None
) -> Application:  # type: ignore[type-arg]
    """Build the application around `channel`; starting and stopping is the caller's.
    Updates come from our own `Poller` (with `ledger`) or the webhook, never from PTB's
    `Updater`, which confirms them to Telegram before they are applied (polling.py)."""
    if settings.telegram_bot_token is None:
        raise SettingError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .concurrent_updates(PerPractitionerProcessor(settings.concurrent_updates))
        .rate_limiter(ChatRateLimiter(settings.rate_limit_overall, settings.rate_limit_chat))
        # Our own transport instead of PTB's httpx: a fraction of the CPU per request
        # (transport.py). The read timeout: then the send is retried (retry.py).
        .request(BotApiRequest(read_timeout=settings.telegram_timeout))
        .get_updates_request(UpdatesRequest(ledger or Ledger()))
        .updater(None)
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
    warning = await runtime.turns.access_warning()
    if warning:
        log.warning("%s", warning)


@asynccontextmanager
async def running_bot(
    settings: Settings, *, content: tuple[FlowSet, Catalogs] | None = None
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Open the runtime (migrations, flows), start the Telegram channel and the jobs
    beside it (retention, prune, reminders) until the block ends. The end-to-end tests
    start the bot through here; `bot.serve` does the same with every configured channel.
    `content` is as for `open_runtime` (the tests load the flows once, not for each bot)."""
    if settings.webhook_url is not None:
        webhook_secret(settings)  # refuse before anything starts
    async with open_runtime(settings, content=content) as runtime:
        await warn_about_access(runtime)
        async with (
            running_telegram(runtime) as app,
            running_jobs(runtime.turns, TelegramNotifier(app.bot)),
        ):
            yield app


@asynccontextmanager
async def running_telegram(runtime: Runtime) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Build the application and take updates (`receiving`) until the block ends."""
    settings = runtime.settings
    if settings.webhook_url is not None:
        webhook_secret(settings)
    channel = TelegramChannel(runtime.turns)
    ledger = Ledger()
    app = build_application(settings, channel, ledger)
    async with app:  # initialize ... shutdown
        await publish_commands(app, runtime.turns)
        await app.start()
        try:
            async with receiving(app, runtime, ledger):
                yield app
        finally:
            await app.stop()


@asynccontextmanager
async def receiving(
    app: Application,  # type: ignore[type-arg]
    runtime: Runtime,
    ledger: Ledger,
) -> AsyncIterator[None]:
    """Take updates until the block ends: from Telegram's webhook when `BOT_WEBHOOK_URL`
    is set, else by long polling (with /healthz, /readyz and /metrics on `BOT_HTTP_PORT`
    when that is set). On the way out a webhook replica first answers 503 to new updates
    and finishes those in hand (`http.serving`); the poller finishes those in hand and
    confirms them."""
    settings = runtime.settings
    async with contextlib.AsyncExitStack() as stack:
        if settings.webhook_url is not None or settings.http_port is not None:
            from bot.channels.telegram.http import BotHttp, serving, webhook_path
            from bot.store.migrate import head_revision

            head = head_revision()
        if settings.webhook_url is not None:
            secret = webhook_secret(settings)
            http = BotHttp(
                app, runtime.db, head, path=webhook_path(settings.webhook_url), secret=secret
            )
            await stack.enter_async_context(
                serving(http, settings.webhook_listen, settings.webhook_port)
            )
            # Every replica sets the same address (the proxy's); never deleted on the way
            # out, since the other replicas go on. Polling (`Poller.start`) removes it.
            await app.bot.set_webhook(
                settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
            )
            log.info("telegram bot ready (webhook on port %d)", settings.webhook_port)
            yield
            return
        poller = Poller(
            app, ledger, timeout=settings.polling_timeout, allowed_updates=ALLOWED_UPDATES
        )
        await poller.start()
        stack.push_async_callback(poller.stop, DRAIN_TIMEOUT)
        if settings.http_port is not None:
            http = BotHttp(app, runtime.db, head)
            await stack.enter_async_context(
                serving(http, settings.webhook_listen, settings.http_port)
            )
        log.info("telegram bot ready (long polling)")
        yield


WEBHOOK_WITHOUT_SECRET = (
    "BOT_WEBHOOK_URL is set but BOT_WEBHOOK_SECRET is not: without it anyone who finds the "
    "address could post updates. Set BOT_WEBHOOK_SECRET to 1-256 characters of A-Z, a-z, "
    "0-9, _ and - (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
)
WEBHOOK_BAD_SECRET = (
    "BOT_WEBHOOK_SECRET may only hold 1-256 characters of A-Z, a-z, 0-9, _ and - "
    "(Telegram's rule for the secret token)."
)


def webhook_secret(settings: Settings) -> str:
    """The webhook's secret token; refuses (`SettingError`, with what to do) when it is missing
    or Telegram would not take it. The message never quotes the secret."""
    if settings.webhook_secret is None:
        raise SettingError(WEBHOOK_WITHOUT_SECRET)
    secret = settings.webhook_secret.get_secret_value()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise SettingError(WEBHOOK_BAD_SECRET)
    return secret
