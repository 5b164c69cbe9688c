"""Long polling that confirms an update to Telegram only once it is done.

Telegram forgets every update below the `offset` of a `getUpdates` call: that offset is
the bot's confirmation. python-telegram-bot's `Updater` sends it with its next call as
soon as it has queued a batch, before the handlers have committed anything; a crash in
between lost the whole batch (the reliability probe lost 45 of 48 answers on SQLite and
40 of 40 on PostgreSQL). The `Updater` has no hook to confirm later, so the bot polls
itself, through public APIs only:

- `Bot.get_updates` with the offset below which every fetched update is *done*: applied
  and committed, or refused for good with its answer sent (`Ledger.offset`);
- each new update runs through the application's own update processor and handlers
  (`Application.process_update`), side by side with other practitioners' updates, as
  under the `Updater`;
- updates still in hand come back with every call until they are confirmed;
  `UpdatesRequest` (a `BaseRequest`, PTB's extension point for HTTP) drops those from the
  answer before python-telegram-bot turns it into `Update` objects, which would cost
  about 0.1 ms each on every call. It does not even decode their JSON when it can find
  where the first new update begins (`_new_updates`): under full load up to 100 come
  back with every call, and decoding them was about 6% of the bot's CPU in `make bench`.

After a crash Telegram delivers the unconfirmed updates again; the update-id claim of the
turn (`bot.store.dedup`) makes sure each is applied once. An update that met a database
outage was answered ("try again in a moment") and is done: it is not delivered again.

Telegram hands out at most 100 updates from the offset on, so at most 100 can be in hand;
one that takes long (its practitioner's row locked) holds the others back once the bot
is 100 updates past it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot import metrics
from bot.channels.telegram.transport import BotApiRequest

log = logging.getLogger(__name__)

REPOLL = 0.01
"""Seconds between two calls while updates are in hand: Telegram answers at once with
those, so a long poll is impossible; without a pause the loop would spin. New updates of
other practitioners wait at most this long (or until the oldest in hand is done), which
adds to their latency: `make bench` (paced) measures it."""
RE_READ_SPACING = 0.0002
"""Seconds between two calls for each update the next call returns again (in hand, or
done above the oldest in hand): re-reading one costs about 6 µs here and as much in the
Bot API, so this keeps that under about 3% of a core, also under full load (100 in hand:
a call every 20 ms at most). With few in hand the next call goes out as soon as the
oldest is done."""
BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds before the next call after 1, 2, ... failed ones in a row."""
LIMIT = 100
"""Telegram's largest batch."""
DRAIN_TIMEOUT = 8.0
"""Seconds a stopping bot waits for the updates in hand, polling or webhook (< 10 s, so
that a container's stop does not end in SIGKILL)."""


class Ledger:
    """Which fetched updates are still in hand, and so how far Telegram may forget: up to
    the oldest one in hand, or past the newest fetched when none is. Telegram numbers
    updates in increasing order, so one below the newest fetched was fetched before."""

    def __init__(self) -> None:
        self._in_hand: set[int] = set()
        self._next: int | None = None
        self.advanced = asyncio.Event()
        """Set whenever the offset moves forward."""

    @property
    def offset(self) -> int | None:
        """The `offset` for the next `getUpdates`; None before the first update."""
        if self._in_hand:
            return min(self._in_hand)
        return self._next

    @property
    def busy(self) -> bool:
        return bool(self._in_hand)

    @property
    def known(self) -> int:
        """How many updates the next call returns that were fetched before."""
        offset = self.offset
        return 0 if offset is None or self._next is None else self._next - offset

    @property
    def next_new(self) -> int | None:
        """The lowest update id not fetched before; None before the first update."""
        return self._next

    def is_new(self, update_id: int) -> bool:
        """Not fetched before. (Not "not in hand": an answer to a call made while an
        update was in hand may arrive after it is done.)"""
        return self._next is None or update_id >= self._next

    @property
    def in_hand(self) -> int:
        return len(self._in_hand)

    def take(self, update_id: int) -> None:
        """The update is now in hand."""
        self._in_hand.add(update_id)
        metrics.UPDATES_IN_HAND.set(len(self._in_hand))
        if self._next is None or update_id >= self._next:
            self._next = update_id + 1

    def finish(self, update_id: int) -> None:
        """The update is done; the offset moves when it was the oldest in hand."""
        before = self.offset
        self._in_hand.discard(update_id)
        metrics.UPDATES_IN_HAND.set(len(self._in_hand))
        if self.offset != before:
            self.advanced.set()


class UpdatesRequest(BotApiRequest):
    """The connection for `getUpdates` (and nothing else): drops the updates the ledger
    knows from each answer, before python-telegram-bot parses them."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(connection_pool_size=1)
        self.ledger = ledger

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """A documented hook of `BaseRequest` (static there; `post` calls it on the
        instance)."""
        new = _new_updates(payload, self.ledger.next_new)
        data = {"ok": True, "result": new} if new is not None else None
        if data is None:
            data = BotApiRequest.parse_json_payload(payload)
        result = data.get("result")
        if isinstance(result, list):
            data["result"] = [
                update
                for update in result
                if not isinstance(update, dict)
                or not isinstance(update.get("update_id"), int)
                or self.ledger.is_new(update["update_id"])
            ]
        return data


_ANSWER_HEAD = re.compile(rb'\s*\{\s*"ok"\s*:\s*true\s*,\s*"result"\s*:\s*\[')
_ANSWER_TAIL = re.compile(r"\]\s*\}\s*$")


def _new_updates(payload: bytes, first_new: int | None) -> list[Any] | None:
    """The updates of a `getUpdates` answer from the update `first_new` on, decoding none
    of the ones before it; None when that is not certain (then the whole answer is
    decoded).

    Telegram returns updates in increasing order, so everything from the update whose id
    is `first_new` on is new, and everything before it was fetched before. That update
    starts with the bytes `{"update_id":` and its id, which cannot occur elsewhere: inside
    a JSON string a quote is escaped, and only an update has the key `update_id`. Found
    only if the answer is `{"ok":true,"result":[...]}` and the update is in it; anything
    else (an error, an answer without it, JSON that does not decode) goes the long way."""
    if first_new is None or _ANSWER_HEAD.match(payload) is None:
        return None
    digits = str(first_new).encode("ascii")
    for marker in (b'{"update_id":' + digits, b'{"update_id": ' + digits):
        start = payload.find(marker)
        end = start + len(marker)
        if start != -1 and not payload[end : end + 1].isdigit():
            break
    else:
        return None
    tail = payload[start:].decode("utf-8", "replace")
    closing = _ANSWER_TAIL.search(tail)
    if closing is None:
        return None
    try:
        updates = json.loads("[" + tail[: closing.start()] + "]")
    except ValueError:
        return None
    return updates if isinstance(updates, list) else None


class Poller:
    """Fetches updates by long polling and applies them; see the module's docstring."""

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        ledger: Ledger,
        *,
        timeout: int,
        allowed_updates: Sequence[str],
    ) -> None:
        self.app = app
        self.ledger = ledger
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self._applying: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """No webhook may be set while polling (Telegram refuses getUpdates then); pending
        updates are kept."""
        await self.app.bot.delete_webhook(drop_pending_updates=False)
        self._loop = asyncio.create_task(self._poll(), name="telegram polling")

    async def stop(self, drain: float) -> None:
        """Stop fetching, let the updates in hand finish (up to `drain` seconds), and
        confirm the done ones, so that a restart does not fetch them again. What did not
        finish is left unconfirmed: Telegram delivers it again."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        if self._applying:
            _done, late = await asyncio.wait(self._applying, timeout=drain)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
                log.warning(
                    "stopped with %d updates in hand; Telegram delivers them again", len(late)
                )
        if self.ledger.offset is not None:
            try:
                await self.app.bot.get_updates(
                    offset=self.ledger.offset,
                    timeout=0,
                    limit=1,
                    allowed_updates=self.allowed_updates,
                )
            except TelegramError as err:
                log.warning("could not confirm the last updates: %s", type(err).__name__)

    async def _poll(self) -> None:
        failures = 0
        loop = asyncio.get_running_loop()
        last_call = loop.time()
        while True:
            if self.ledger.busy:
                # Not `asyncio.wait_for`: on Python 3.11 it swallows a cancellation that
                # meets the event being set, and `stop` would then wait for a long poll.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(REPOLL):
                        await self.ledger.advanced.wait()
                spacing = self.ledger.known * RE_READ_SPACING - (loop.time() - last_call)
                if spacing > 0:
                    await asyncio.sleep(spacing)
            self.ledger.advanced.clear()
            last_call = loop.time()
            try:
                updates = await self.app.bot.get_updates(
                    offset=self.ledger.offset,
                    limit=LIMIT,
                    timeout=self.timeout,
                    allowed_updates=self.allowed_updates,
                )
            except TimedOut:
                continue  # the long poll outlived its read timeout: ask again
            except RetryAfter as err:
                await asyncio.sleep(_seconds(err.retry_after))
                continue
            except Exception as err:  # the network, Telegram, or its answer: try again
                failures += 1
                pause = BACKOFF[min(failures, len(BACKOFF)) - 1]
                # The type only: a network error's message may quote the request's URL,
                # which holds the token.
                log.warning("getUpdates failed (%s); again in %.1f s", type(err).__name__, pause)
                await asyncio.sleep(pause)
                continue
            failures = 0
            for update in updates:
                self._apply(update)
            if updates and self.ledger.in_hand >= LIMIT:
                # Telegram now hands out nothing new until the oldest in hand is done.
                log.warning("%d updates in hand: new ones wait for the oldest", LIMIT)

    def _apply(self, update: Update) -> None:
        self.ledger.take(update.update_id)
        task = asyncio.create_task(self._process(update), name=f"update {update.update_id}")
        self._applying.add(task)
        task.add_done_callback(self._applying.discard)

    async def _process(self, update: Update) -> None:
        """Through the application's processor (one practitioner's updates in order) and
        handlers; done when they return. Their errors were answered by the error handler;
        anything that escapes it is logged and the update counts as done, or it would hold
        back every later one."""
        try:
            await self.app.update_processor.process_update(update, self.app.process_update(update))
        except Exception as exc:
            log.error("update %d failed: %s", update.update_id, type(exc).__name__)
        self.ledger.finish(update.update_id)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
