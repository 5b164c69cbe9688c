"""An HTTP proxy between the bot and Synapse that lets a test stop the bot at a named
request, to `kill -9` it at a moment it can name instead of after a guessed sleep.

The bot's `MATRIX_HOMESERVER` points here; the practitioners' clients talk to Synapse
directly. Every request is forwarded and noted (`requests`). `hold` names one request
(say: the PUT of the answer with transaction id `<event id>-0`) and whether it reaches
Synapse first: held *before* it is forwarded, the bot is stopped after it committed a turn
and before its answer exists; held *after*, the answer is posted but the bot never hears
so, and cannot move its sync position past the event. Held requests stay unanswered until
`release()` (after the kill, the answer goes to a closed connection).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web

from tests.support.synapse import free_port

HOP_BY_HOP = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}
)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    """Decoded, so a transaction id reads as the bot made it."""
    query: dict[str, str]


@dataclass
class Hold:
    match: Callable[[Seen], bool]
    forward: bool
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self, within: float = 30) -> None:
        """Until the request arrived; failing, not hanging, when it never comes."""
        try:
            async with asyncio.timeout(within):
                await self.reached.wait()
        except TimeoutError:
            raise AssertionError(f"no request to hold within {within:.0f} s") from None


class MatrixProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.port = free_port()
        self.requests: list[Seen] = []
        self.holds: list[Hold] = []
        self._released = asyncio.Event()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        # No total timeout: the bot's syncs are long polls.
        self._http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False
        )
        app = web.Application(client_max_size=1 << 26)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
        if self._http is not None:  # first: it ends the long polls still waiting on Synapse
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def hold(self, match: Callable[[Seen], bool], *, forward: bool) -> Hold:
        """Stop the first request that `match`es: before Synapse sees it, or (`forward`)
        after Synapse answered it; `reached` is set when it arrives."""
        self._released.clear()
        hold = Hold(match, forward)
        self.holds.append(hold)
        return hold

    def release(self) -> None:
        """Let held requests end (with a 503) and hold nothing more."""
        self.holds.clear()
        self._released.set()

    async def seen(self, match: Callable[[Seen], bool], start: int = 0, within: float = 30) -> Seen:
        """The first request from `start` on that `match`es, waiting for it."""
        async with asyncio.timeout(within):
            while True:
                found = next((r for r in self.requests[start:] if match(r)), None)
                if found is not None:
                    return found
                self._changed.clear()
                await self._changed.wait()

    def count(self, match: Callable[[Seen], bool]) -> int:
        """How many requests so far `match`."""
        return sum(1 for seen in self.requests if match(seen))

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._http is not None
        seen = Seen(request.method, request.path, dict(request.query))
        self.requests.append(seen)
        self._changed.set()
        body = await request.read()
        hold = next((h for h in self.holds if not h.reached.is_set() and h.match(seen)), None)
        if hold is not None and not hold.forward:
            return await self._held(hold)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self._http.request(
            request.method,
            f"{self.target}{request.raw_path}",
            headers=headers,
            data=body if body else None,
        ) as answer:
            content = await answer.read()
            status = answer.status
            answer_headers = {
                k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP
            }
        if hold is not None:
            return await self._held(hold)
        return web.Response(status=status, body=content, headers=answer_headers)

    async def _held(self, hold: Hold) -> web.StreamResponse:
        hold.reached.set()
        await self._released.wait()
        return web.Response(status=503)


def sync(seen: Seen) -> bool:
    return seen.path.endswith("/sync")


def sent_with(tx_id: str) -> Callable[[Seen], bool]:
    """The PUT of an event with this transaction id (a message, or a reaction)."""
    return lambda seen: seen.method == "PUT" and seen.path.endswith(f"/{tx_id}")
