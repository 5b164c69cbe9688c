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
IDLE_REUSE = 30.0
"""Seconds an idle connection may wait to be used again; older ones are closed instead.
Servers close idle connections after a while (nginx, in front of the Bot API, after 75 s
by default); a request sent on one the server is just closing is lost in between."""


class _Lost(Exception):  # noqa: N818 - a condition, handled below
    """The connection closed or broke before the whole answer arrived."""

    def __init__(self, unseen: bool) -> None:
        super().__init__("connection lost")
        self.unseen = unseen
        """The server closed it without a byte of answer, and not because we gave up on it:
        the case of an idle connection that the server had already closed."""


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
        """Not to be used again: closed by either side, or in a state we cannot trust."""
        self.idle_since = 0.0
        self._aborted = False
        self._parser: httptools.HttpResponseParser | None = None
        self._body: list[bytes] = []
        self._answered = False
        self._sized = False
        """The answer's end is known from its headers (a length, or chunks)."""
        self._headers_done = False
        self._done: asyncio.Future[tuple[int, bytes, bool]] | None = None

    # asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's is not a subclass of asyncio's, hence the cast).
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._parser is None or self._done is None or self._done.done():
            self.close()  # nothing was asked: a server must not talk out of turn
            return
        self._answered = True
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            self._fail(NetworkError("the Bot API sent an answer that is not HTTP"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        ended = exc is None and not self._aborted  # closed by the server, not broken
        if ended and self._headers_done and not self._sized and self._parser is not None:
            self._finish(self._parser.get_status_code(), keep=False)  # ends at close
        self._fail(_Lost(unseen=not self._answered and not self._aborted))

    # httptools callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._done is not None and self._done.done():
            self.closed = True  # a second answer to one request: never trust it again

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-length" or (
            lowered == b"transfer-encoding" and b"chunked" in value.lower()
        ):
            self._sized = True

    def on_headers_complete(self) -> None:
        assert self._parser is not None
        status = self._parser.get_status_code()
        # A bodiless answer ends with its headers; so does an interim 1xx, after which
        # the real answer follows on the same connection.
        self._headers_done = not (100 <= status < 200)
        if status in (204, 304) or 100 <= status < 200:
            self._sized = True

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        assert self._parser is not None
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self._body, self._sized = [], False  # interim (103 Early Hints): wait on
            return
        self._finish(status, keep=self._parser.should_keep_alive())

    # ---------------------------------------------------------------------------------------

    def _finish(self, status: int, *, keep: bool) -> None:
        done = self._done
        if done is not None and not done.done():
            done.set_result((status, b"".join(self._body), keep))

    def _fail(self, error: Exception) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_exception(error)

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes, bool]]:
        """Write `request`; the future gets (status, body, may the connection be reused)."""
        assert self.transport is not None
        self._parser = httptools.HttpResponseParser(self)
        self._body, self._answered, self._sized, self._headers_done = [], False, False, False
        self._done = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._done

    def close(self) -> None:
        """Close from our side (gave up, shutting down, or not to be trusted)."""
        self.closed = self._aborted = True
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
        self._closed = False

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
            for attempt in (1, 2):
                connection, reused = await self._connection(
                    origin, connect_timeout, reuse=attempt == 1
                )
                try:
                    return await self._exchange(origin, connection, request, read_timeout)
                except _Lost as lost:
                    if attempt == 2 or not reused or not lost.unseen or self._closed:
                        raise NetworkError("the Bot API closed the connection") from None
                # The server closed this idle connection without a word as our request
                # went out: its keep-alive time ran out just then, and it did not read the
                # request. Send it once more on a new connection, as HTTP libraries do. (A
                # server that did read it and then broke the connection looks the same;
                # `retry.py` would send it again as well. Connections idle for long are not
                # reused at all.)
            raise AssertionError("unreachable: the second attempt returns or raises")
        finally:
            self._slots.release()

    async def close(self) -> None:
        self._closed = True
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
        if self._closed:
            raise NetworkError("the connection to the Bot API was shut down")
        loop = asyncio.get_running_loop()
        idle = self._idle.get(origin)
        while reuse and idle:
            connection = idle.pop()
            if not connection.closed and loop.time() - connection.idle_since < IDLE_REUSE:
                return connection, True
            self._drop(connection)
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
        if self._closed:  # shut down while connecting
            connection.close()
            raise NetworkError("the connection to the Bot API was shut down")
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
            self._drop(connection)  # an answer may still come: never hand it on
            raise TimedOut("the Bot API did not answer in time") from err
        except BaseException:
            self._drop(connection)
            raise
        if keep and not connection.closed and not self._closed:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.setdefault(origin, deque()).append(connection)
        else:
            self._drop(connection)
        return status, body

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        self._open.discard(connection)
