"""python-telegram-bot's requests over our own keep-alive client and aiohttp, not httpx.

PTB sends every Bot API call through a `BaseRequest`; its default, `HTTPXRequest`, costs
about 1.5 to 3 ms of CPU per request on a small server (more the more requests are in
flight), which was the largest single cost per update in `make bench`. Calls without a
file go as a JSON body over `keepalive.KeepAliveClient` (about 30 µs each); calls with a
file (multipart), downloads and anything through a proxy go over aiohttp's client (about
150 µs). Behaviour is kept: the same timeouts (PTB's defaults, or what a call passes), the
same errors (`TimedOut`, `NetworkError`), and a proxy from the environment (HTTPS_PROXY,
NO_PROXY) as httpx reads it. Neither client has a write timeout: sending a request is
bounded by the connect timeout, the answer by the read timeout.

Only python-telegram-bot's public names are used: `BotApiRequest` implements `BaseRequest`
(its extension point for HTTP), and `post_json` sends a body that is JSON already through
`BaseRequest.post`, so the answer is checked and turned into PTB's errors by PTB itself.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.parse
import urllib.request
from contextvars import ContextVar
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.channels.telegram.keepalive import KeepAliveClient
from bot.errors import StartupError

# PTB's own defaults for HTTPXRequest (seconds).
READ_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
JSON_HEADERS = {"Content-Type": "application/json"}


def _ssl_context() -> ssl.SSLContext:
    """The same CA bundle as httpx (certifi), so TLS works in slim images too."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx, which PTB needs
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def timeout_or(given: object, default: float | None) -> float | None:
    """The timeout a call passed (seconds, or None: no limit), else this request's own.
    PTB passes `BaseRequest.DEFAULT_NONE` for "not passed". The parameters of `do_request`
    are typed `object` here: wider than PTB's own type, which lives in a private module."""
    if given is BaseRequest.DEFAULT_NONE:
        return default
    if isinstance(given, int | float):
        return float(given)
    return None if given is None else default


_JSON_BODY: ContextVar[bytes] = ContextVar("bot_api_json_body", default=b"")
"""The body `BotApiRequest.post_json` hands to its `do_request` through `BaseRequest.post`,
whose public signature carries only a `RequestData`, which only PTB may build (its
constructor takes PTB's private `RequestParameter`s, and the class is final). Set around
one `post` in the caller's own task, so concurrent calls never see each other's body."""


class BotApiRequest(BaseRequest):
    """Up to `connection_pool_size` connections for JSON calls, as many again in an aiohttp
    session for the rest."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = READ_TIMEOUT,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._json: KeepAliveClient | None = None
        self._proxies: dict[str, str] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def post_json(
        self, url: str, fields: dict[str, Any]
    ) -> dict[str, Any] | list[dict[str, Any]] | bool:
        """The Bot API call at `url` with `fields` as its JSON body: for the calls whose
        answer the bot does not read (replies, `send.py`). It goes through `BaseRequest.post`,
        as `Bot`'s methods do, so a failure raises python-telegram-bot's own error
        (`BadRequest`, `Forbidden`, `RetryAfter`, `TimedOut`, ...); the answer comes back as
        the plain JSON `result`, not as a `Message`."""
        token = _JSON_BODY.set(json.dumps(fields, separators=(",", ":")).encode())
        try:
            return await self.post(url)
        finally:
            _JSON_BODY.reset(token)

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            context = _ssl_context()
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=context)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )
            self._json = KeepAliveClient(self._pool_size, self.USER_AGENT, context)
            # HTTPS_PROXY and friends, read once as httpx does (aiohttp's own `trust_env`
            # reads them and ~/.netrc again in a thread for every request).
            self._proxies = urllib.request.getproxies_environment()

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        if self._json is not None:
            await self._json.close()
        self._session, self._json = None, None

    def _proxy(self, url: str) -> str | None:
        if not self._proxies:
            return None
        parts = urllib.parse.urlsplit(url)
        if urllib.request.proxy_bypass(parts.hostname or ""):  # NO_PROXY
            return None
        return self._proxies.get(parts.scheme)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session, keepalive = self._session, self._json
        if session is None or session.closed or keepalive is None:
            raise StartupError("This BotApiRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = timeout_or(read_timeout, self._read_timeout)
        connect = timeout_or(connect_timeout, self._connect_timeout)
        pool = timeout_or(pool_timeout, self._pool_timeout)
        proxy = self._proxy(url)
        if request_data is None:  # `post_json`'s body, else none (a download, say)
            body = _JSON_BODY.get()
        else:
            # Without a file, a JSON body, which the Bot API takes for every method: one
            # `json.dumps` instead of encoding each value and then url-quoting the form.
            # (`parameters` is a property that builds a new dict each time.)
            parameters = request_data.parameters if not files else None
            body = json.dumps(parameters, separators=(",", ":")).encode() if parameters else b""
        if not files and method == "POST" and proxy is None:
            return await keepalive.post(
                url, body, read_timeout=read, connect_timeout=connect, pool_timeout=pool
            )
        data: Any = body or None
        headers = JSON_HEADERS if body else None
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():  # type: ignore[union-attr]
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
        timeout = aiohttp.ClientTimeout(
            # aiohttp's `connect` includes waiting for a free connection from the pool.
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout, proxy=proxy
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are asyncio.TimeoutError
            raise TimedOut from err
        except (aiohttp.ClientError, asyncio.IncompleteReadError, OSError) as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err
