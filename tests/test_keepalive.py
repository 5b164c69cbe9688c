"""The keep-alive client for the Bot API's JSON calls (`bot.channels.telegram.keepalive`),
against a raw TCP server that writes exactly the bytes a test wants: reuse, a server that
closed an idle connection, chunked answers, `Connection: close`, timeouts and answers cut
off halfway."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from telegram.error import NetworkError, TimedOut

from bot.channels.telegram import keepalive
from bot.channels.telegram.keepalive import KeepAliveClient

OK = b'{"ok":true,"result":true}'


def answer(body: bytes = OK, *, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


Reply = Callable[[int, bytes], bytes | None]
"""What the server writes for the n-th request (counting from 1) with this body; None:
write nothing and close the connection. After an answer with `Connection: close`, or one
marked with `CUT` in front, the server closes the connection."""
CUT = b"CUT:"


@dataclass
class RawServer:
    reply: Reply
    port: int = 0
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    hold: float = 0.0
    """Seconds to wait before answering."""
    hangups: int = 0
    """Connections the client closed."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                if self.hold:
                    await asyncio.sleep(self.hold)
                out = self.reply(len(self.requests), body)
                if out is None:
                    break
                writer.write(out.removeprefix(CUT))
                await writer.drain()
                if out.startswith(CUT) or b"Connection: close" in out:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            self.hangups += 1
        finally:
            writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot123:abc/sendMessage"


Serve = Callable[[Reply], Awaitable[RawServer]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    started: list[tuple[RawServer, asyncio.Server]] = []

    async def make(reply: Reply) -> RawServer:
        raw = RawServer(reply)
        server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
        raw.port = server.sockets[0].getsockname()[1]
        started.append((raw, server))
        return raw

    yield make
    for _, server in started:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def client() -> AsyncIterator[KeepAliveClient]:
    made = KeepAliveClient(4, "netwerkcoach-test", ssl.create_default_context())
    yield made
    await made.close()


async def post(client: KeepAliveClient, url: str, body: dict[str, object]) -> tuple[int, bytes]:
    return await client.post(
        url,
        json.dumps(body).encode(),
        read_timeout=2.0,
        connect_timeout=2.0,
        pool_timeout=2.0,
    )


async def test_requests_reuse_one_connection(serve: Serve, client: KeepAliveClient) -> None:
    server = await serve(lambda n, body: answer(b'{"ok":true,"result":%d}' % n))
    results = [await post(client, server.url, {"chat_id": 5, "text": "hoi"}) for _ in range(3)]
    assert results == [(200, b'{"ok":true,"result":%d}' % n) for n in (1, 2, 3)]
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /bot123:abc/sendMessage HTTP/1.1\r\n")
    assert b"\r\nHost: 127.0.0.1:" in first
    assert b"\r\nContent-Type: application/json\r\n" in first
    assert first.endswith(b'{"chat_id": 5, "text": "hoi"}')


async def test_a_connection_the_server_closed_while_idle_is_replaced(
    serve: Serve, client: KeepAliveClient
) -> None:
    # The first connection answers once and then closes without a word (a keep-alive
    # timeout on the server); the request sent on it goes again on a new connection.
    server = await serve(lambda n, body: answer() if n != 2 else None)
    assert await post(client, server.url, {"n": 1}) == (200, OK)
    await asyncio.sleep(0.05)  # the server reads the second request only once it is sent
    assert await post(client, server.url, {"n": 2}) == (200, OK)
    assert server.connections == 2
    assert [r.endswith(b'{"n": 2}') for r in server.requests] == [False, True, True]


async def test_a_fresh_connection_that_breaks_is_a_network_error(
    serve: Serve, client: KeepAliveClient
) -> None:
    server = await serve(lambda n, body: None)
    with pytest.raises(NetworkError):
        await post(client, server.url, {"n": 1})
    assert server.connections == 1  # not sent again: it may have been seen


async def test_an_answer_cut_off_halfway_is_not_sent_again(
    serve: Serve, client: KeepAliveClient
) -> None:
    cut = CUT + answer()[:-5]  # five bytes short, then the server hangs up
    server = await serve(lambda n, body: answer() if n == 1 else cut)
    await post(client, server.url, {"n": 1})
    with pytest.raises(NetworkError):
        await post(client, server.url, {"n": 2})
    assert len(server.requests) == 2


async def test_a_chunked_answer_is_read_whole(serve: Serve, client: KeepAliveClient) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        b"a\r\n" + OK[:10] + b"\r\n" + b"%x\r\n" % len(OK[10:]) + OK[10:] + b"\r\n0\r\n\r\n"
    )
    server = await serve(lambda n, body: chunked)
    assert await post(client, server.url, {}) == (200, OK)
    assert await post(client, server.url, {}) == (200, OK)
    assert server.connections == 1


async def test_connection_close_is_honoured(serve: Serve, client: KeepAliveClient) -> None:
    server = await serve(lambda n, body: answer(extra=b"Connection: close\r\n"))
    await post(client, server.url, {})
    await post(client, server.url, {})
    assert server.connections == 2


async def test_an_error_status_comes_back_with_its_body(
    serve: Serve, client: KeepAliveClient
) -> None:
    body = b'{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}'
    server = await serve(lambda n, _: answer(body).replace(b"200 OK", b"400 Bad Request"))
    assert await post(client, server.url, {}) == (400, body)


async def test_a_slow_answer_times_out_and_its_connection_is_dropped(
    serve: Serve, client: KeepAliveClient
) -> None:
    server = await serve(lambda n, body: answer(b'{"ok":true,"result":%d}' % n))
    server.hold = 0.5
    with pytest.raises(TimedOut):
        await client.post(
            server.url, b"{}", read_timeout=0.1, connect_timeout=1.0, pool_timeout=1.0
        )
    await asyncio.sleep(0.6)
    assert server.hangups == 1  # given up on: closed, not left open
    server.hold = 0.0
    # The late answer to the first request must not be taken for the second one's.
    assert await post(client, server.url, {}) == (200, b'{"ok":true,"result":2}')
    assert server.connections == 2


async def test_nobody_listening_is_a_network_error(client: KeepAliveClient) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(NetworkError):
        await post(client, f"http://127.0.0.1:{port}/bot1:a/getMe", {})


async def test_an_early_hints_answer_is_not_taken_for_the_answer(
    serve: Serve, client: KeepAliveClient
) -> None:
    hints = b"HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n"
    server = await serve(lambda n, body: hints + answer(b'{"ok":true,"result":%d}' % n))
    assert await post(client, server.url, {}) == (200, b'{"ok":true,"result":1}')
    assert await post(client, server.url, {}) == (200, b'{"ok":true,"result":2}')


async def test_an_answer_that_ends_when_the_server_closes(
    serve: Serve, client: KeepAliveClient
) -> None:
    """No length and no chunks: the body is everything up to the close (HTTP/1.0 style)."""
    server = await serve(lambda n, body: CUT + b"HTTP/1.0 200 OK\r\n\r\n" + OK)
    assert await post(client, server.url, {}) == (200, OK)
    assert await post(client, server.url, {}) == (200, OK)
    assert server.connections == 2  # such an answer cannot leave the connection reusable


async def test_closing_the_client_mid_request_never_sends_it_again(
    serve: Serve, client: KeepAliveClient
) -> None:
    server = await serve(lambda n, body: answer())
    await post(client, server.url, {"n": 1})  # a connection to reuse
    server.hold = 0.5
    pending = asyncio.create_task(post(client, server.url, {"n": 2}))
    await asyncio.sleep(0.1)
    await client.close()  # shutting down, with the request on a reused connection
    with pytest.raises(NetworkError):
        await pending
    await asyncio.sleep(0.1)
    assert [r.endswith(b'{"n": 2}') for r in server.requests] == [False, True]
    assert server.connections == 1


async def test_a_connection_idle_for_long_is_not_used_again(
    serve: Serve, client: KeepAliveClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keepalive, "IDLE_REUSE", 0.05)
    server = await serve(lambda n, body: answer())
    await post(client, server.url, {})
    await post(client, server.url, {})
    assert server.connections == 1
    await asyncio.sleep(0.1)
    await post(client, server.url, {})
    assert server.connections == 2
