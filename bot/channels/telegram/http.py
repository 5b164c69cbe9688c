"""The bot's HTTP side: Telegram's webhook, `/healthz`, `/readyz` and `/metrics`.

A small Starlette app served by uvicorn inside the bot's own event loop, rather than
python-telegram-bot's webhook server, for one reason: Telegram must get its answer only
after the update is applied and committed. PTB's server answers 200 as soon as the update
is queued, so a crash right after would lose it. Here the route runs the update through
the same `Application` (its handlers and per-practitioner processor) and answers:

- 200 once it is applied (or recognised as applied before: a redelivery),
- 500 when applying failed (the database away, a bug): Telegram delivers it again,
- 400 to a body that is no update: not UTF-8, not JSON, not an object with an
  `update_id`, or larger than `MAX_UPDATE_BYTES` (read no further than that),
- 403 without the right `X-Telegram-Bot-Api-Secret-Token`, before anything is read,
- 503 once the replica is stopping, so Telegram (through the proxy) tries another one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import urllib.parse
from collections.abc import AsyncIterator, Generator

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot import metrics
from bot.channels.telegram.delivery import CURRENT, Delivery
from bot.channels.telegram.polling import DRAIN_TIMEOUT
from bot.errors import StartupError
from bot.health import database_ready

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1 << 20
"""An update holds at most a message of 4,096 characters with its entities, the message it
answers and a keyboard: a few tens of kilobytes. 1 MiB leaves room and bounds memory."""


def webhook_path(url: str) -> str:
    """The route Telegram posts to: the path of `BOT_WEBHOOK_URL` (`/` when it has none)."""
    return urllib.parse.urlsplit(url).path or "/"


class Gate:
    """Counts the updates in hand and closes for new ones when the replica stops."""

    def __init__(self) -> None:
        self.stopping = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def hold(self) -> Generator[None, None, None]:
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def drain(self, seconds: float) -> bool:
        """Close, then wait up to `seconds` for the updates in hand; True if all
        finished."""
        self.stopping = True
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True


class BotHttp:
    """The routes. `app` is the running PTB application; `secret` None serves no webhook
    (long polling with `BOT_HTTP_PORT`: health and metrics only)."""

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        db: AsyncEngine,
        head: str,
        *,
        path: str | None = None,
        secret: str | None = None,
    ) -> None:
        self.app = app
        self.db = db
        self.head = head
        self.secret = secret.encode() if secret is not None else None
        self.gate = Gate()
        routes = [
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/readyz", self.readyz, methods=["GET"]),
            Route("/metrics", self.metrics, methods=["GET"]),
        ]
        if path is not None and secret is not None:
            routes.append(Route(path, self.webhook, methods=["POST"]))
        self.asgi = Starlette(routes=routes)

    async def healthz(self, request: Request) -> Response:
        """The process lives and its event loop turns."""
        return PlainTextResponse("ok")

    async def readyz(self, request: Request) -> Response:
        """Take updates? Not while stopping, nor without a migrated database."""
        if self.gate.stopping:
            return PlainTextResponse("stopping", status_code=503)
        if not await database_ready(self.db, self.head):
            return PlainTextResponse("database not ready", status_code=503)
        return PlainTextResponse("ready")

    async def metrics(self, request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    def _authentic(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "").encode()
        return self.secret is not None and hmac.compare_digest(given, self.secret)

    async def webhook(self, request: Request) -> Response:
        """One update from Telegram, answered only after it is applied and committed."""
        if not self._authentic(request):
            metrics.WEBHOOK_REFUSED.labels("secret").inc()
            log.warning("webhook request without the right secret refused")
            return Response(status_code=403)
        if self.gate.stopping:
            metrics.WEBHOOK_REFUSED.labels("stopping").inc()
            return Response(status_code=503)
        update, refusal = await self._read_update(request)
        if update is None:
            metrics.WEBHOOK_REFUSED.labels(refusal).inc()
            log.warning("webhook request refused (400): %s", refusal)
            return Response(status_code=400)
        delivery = Delivery()
        with self.gate.hold():
            token = CURRENT.set(delivery)
            try:
                processor = self.app.update_processor
                await processor.process_update(update, self.app.process_update(update))
            except Exception as exc:  # the handlers' errors go to on_error; this is the rest
                log.error("update %d failed: %s", update.update_id, type(exc).__name__)
                delivery.failed = True
            finally:
                CURRENT.reset(token)
        if delivery.failed:
            log.info("update %d not applied; Telegram will deliver it again", update.update_id)
            return Response(status_code=500)
        return Response(status_code=200)

    async def _read_update(self, request: Request) -> tuple[Update | None, str]:
        """The update in the body, or None and why not (the reason only: never the body,
        which holds what a practitioner wrote)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_UPDATE_BYTES:
            return None, "too_large"
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_UPDATE_BYTES:
                return None, "too_large"
        try:
            data = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            return None, "not_utf8"
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            return None, "not_json"
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return None, "not_an_update"
        try:
            return Update.de_json(data, self.app.bot), ""
        except Exception:  # any shape PTB cannot read: a wrong type anywhere inside
            return None, "not_an_update"


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the bot's `serve` owns SIGTERM and SIGINT
    and stops the server itself once the updates in hand are done."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def serving(http: BotHttp, host: str, port: int) -> AsyncIterator[None]:
    """Serve `http` on host:port for the duration of the block; on the way out, close the
    webhook (503), let the updates in hand finish, then stop listening."""
    config = uvicorn.Config(
        http.asgi,
        host=host,
        port=port,
        lifespan="off",
        access_log=False,  # addresses and paths only, but nothing an operator needs
        log_config=None,  # the bot's own logging (bot/logsetup.py)
        timeout_graceful_shutdown=1,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(), name="http")
    while not server.started:
        if task.done():
            await task  # raises what stopped it (the port taken, say)
            raise StartupError(f"the HTTP server on {host}:{port} did not start")
        await asyncio.sleep(0.01)
    log.info("http server listening on %s:%d", host, port)
    try:
        yield
    finally:
        if not await http.gate.drain(DRAIN_TIMEOUT):
            log.warning("stopping with updates still in hand; Telegram delivers them again")
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
