"""The Bot API's JSON calls over kept-alive HTTP/1.1 connections, parsed by httptools.

Almost every request the bot makes is one small JSON POST (sendMessage, editMessageText,
answerCallbackQuery, getUpdates) whose answer is a small JSON body. aiohttp's client spent
about 150 µs of CPU on each of them in `make bench`, a tenth of an update's cost; writing
the request by hand and parsing the answer with httptools (the parser uvicorn uses) costs
about 30. Everything else stays with aiohttp (`transport.py`): files (multipart), GET
(file downloads) and requests through a proxy.

What a client owes the server is kept: at most `limit` connections, a connection is reused
only when the server said it may be (`should_keep_alive`), and one the client gave up on
(a timeout) is closed, never reused with an answer still on its way.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.parse
from collections import deque
from dataclasses import dataclass
from typing import cast

import httptools
from telegram.error import NetworkError, TimedOut

URL_CACHE = 256
"""Request URLs remembered with their parsed origin and path (a bot uses a few dozen)."""


class _Lost(Exception):  # noqa: N818 - a condition, handled below
    """The connection closed or broke before the whole answer arrived."""

    def __init__(self, answered: bool) -> None:
        super().__init__("connection lost")
        self.answered = answered
        """Whether any of the answer had arrived (then the request surely reached the server)."""


@dataclass(frozen=True, slots=True)
class _Origin:
    host: str
    port: int
    tls: bool
    host_header: bytes


class _Connection(asyncio.Protocol):
    """One kept-alive connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser: httptools.HttpResponseParser | None = None
        self._body: list[bytes] = []
        self._answered = False
        self._done: asyncio.Future[tuple[int, bytes, bool]] | None = None

    # asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's is not a subclass of asyncio's, hence the cast).
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._answered = True
        if self._parser is None:  # nothing asked: a server must not talk first
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail(NetworkError("the Bot API sent an answer that is not HTTP"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(_Lost(self._answered))

    # httptools callbacks -----------------------------------------------------------------

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        done, parser = self._done, self._parser
        if done is not None and parser is not None and not done.done():
            answer = b"".join(self._body)
            done.set_result((parser.get_status_code(), answer, parser.should_keep_alive()))

    # ---------------------------------------------------------------------------------------

    def _fail(self, error: Exception) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_exception(error)

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes, bool]]:
        """Write `request`; the future gets (status, body, may the connection be reused)."""
        assert self.transport is not None
        self._parser = httptools.HttpResponseParser(self)
        self._body, self._answered = [], False
        self._done = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._done

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class KeepAliveClient:
    """POSTs JSON to the Bot API; see the module's docstring for what it takes on."""

    def __init__(self, limit: int, user_agent: str, ssl_context: ssl.SSLContext) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._idle: dict[_Origin, deque[_Connection]] = {}
        self._open: set[_Connection] = set()
        self._urls: dict[str, tuple[_Origin, bytes]] = {}
        self._user_agent = user_agent.encode()
        self._ssl = ssl_context

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        read_timeout: float | None,
        connect_timeout: float | None,
        pool_timeout: float | None,
    ) -> tuple[int, bytes]:
        """The status and body of the answer; `TimedOut` or `NetworkError` as PTB expects."""
        origin, path = self._target(url)
        request = self._request(origin, path, body)
        try:
            async with asyncio.timeout(pool_timeout):
                await self._slots.acquire()
        except TimeoutError as err:
            raise TimedOut("no free connection to the Bot API in time") from err
        try:
            connection, reused = await self._connection(origin, connect_timeout)
            try:
                return await self._exchange(origin, connection, request, read_timeout)
            except _Lost as lost:
                if not reused or lost.answered:
                    raise NetworkError("the Bot API closed the connection") from None
            # The server had closed this idle connection before our request reached it
            # (its keep-alive time ran out): the request was not seen, so send it once
            # more on a new connection, as browsers and HTTP libraries do.
            connection, _ = await self._connection(origin, connect_timeout, reuse=False)
            try:
                return await self._exchange(origin, connection, request, read_timeout)
            except _Lost:
                raise NetworkError("the Bot API closed the connection") from None
        finally:
            self._slots.release()

    async def close(self) -> None:
        for connection in list(self._open):
            connection.close()
        self._open.clear()
        self._idle.clear()

    # ---------------------------------------------------------------------------------------

    def _target(self, url: str) -> tuple[_Origin, bytes]:
        found = self._urls.get(url)
        if found is None:
            parts = urllib.parse.urlsplit(url)
            tls = parts.scheme == "https"
            host = parts.hostname or ""
            port = parts.port or (443 if tls else 80)
            default = port == (443 if tls else 80)
            shown = f"[{host}]" if ":" in host else host
            header = (shown if default else f"{shown}:{port}").encode("idna")
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            found = (_Origin(host, port, tls, header), path.encode())
            if len(self._urls) >= URL_CACHE:
                self._urls.clear()
            self._urls[url] = found
        return found

    def _request(self, origin: _Origin, path: bytes, body: bytes) -> bytes:
        head = [
            b"POST " + path + b" HTTP/1.1",
            b"Host: " + origin.host_header,
            b"User-Agent: " + self._user_agent,
            b"Accept: application/json",
            b"Content-Length: " + str(len(body)).encode(),
        ]
        if body:
            head.append(b"Content-Type: application/json")
        return b"\r\n".join(head) + b"\r\n\r\n" + body

    async def _connection(
        self, origin: _Origin, connect_timeout: float | None, *, reuse: bool = True
    ) -> tuple[_Connection, bool]:
        """An idle connection to `origin` (True: reused), else a new one."""
        idle = self._idle.get(origin)
        while reuse and idle:
            connection = idle.pop()
            if not connection.closed:
                return connection, True
            self._open.discard(connection)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(connect_timeout):
                _transport, connection = await loop.create_connection(
                    _Connection,
                    origin.host,
                    origin.port,
                    ssl=self._ssl if origin.tls else None,
                    server_hostname=origin.host if origin.tls else None,
                )
        except TimeoutError as err:
            raise TimedOut("connecting to the Bot API timed out") from err
        except OSError as err:
            raise NetworkError(f"cannot connect to the Bot API: {type(err).__name__}") from err
        self._open.add(connection)
        return connection, False

    async def _exchange(
        self,
        origin: _Origin,
        connection: _Connection,
        request: bytes,
        read_timeout: float | None,
    ) -> tuple[int, bytes]:
        answer = connection.send(request)
        try:
            async with asyncio.timeout(read_timeout):
                status, body, keep = await answer
        except TimeoutError as err:
            connection.close()  # an answer may still come: never hand it to the next request
            self._open.discard(connection)
            raise TimedOut("the Bot API did not answer in time") from err
        except BaseException:
            connection.close()
            self._open.discard(connection)
            raise
        if keep and not connection.closed:
            self._idle.setdefault(origin, deque()).append(connection)
        else:
            connection.close()
            self._open.discard(connection)
        return status, body
