"""Faults around the bot, through the real Telegram stack: Telegram failing (5xx) or not
answering in time, and the database going away mid-conversation.

The promise: the state is committed before any reply leaves; a reply that failed is sent
again and arrives once; without a database the practitioner hears "try again", nothing is
half-written, and the bot carries on by itself once the database is back.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.store.db import is_sqlite
from bot.turns.service import UNAVAILABLE
from tests.e2e.test_telegram_bad_input import labels_of
from tests.support.onboarding import at_label_step
from tests.support.snapshot import Snapshot, differences, snapshot
from tests.support.stub_bot_api import StubBotAPI
from tests.support.tcp_proxy import TcpProxy
from tests.support.telegram import Texts, bot_against

pytestmark = pytest.mark.e2e

SHORT_TIMEOUT = 2.0
"""BOT_TELEGRAM_TIMEOUT in the timeout test: the stub holds the first send far longer."""
HELD = 60.0


class WatchingStub(StubBotAPI):
    """The stub Bot API, which also reads the database the moment a watched method
    arrives (before any injected fault), and knows when no request is in flight.

    A request that the bot gave up on (its read timeout) is cancelled by the server and
    counted in `abandoned`: it was never delivered.
    """

    def __init__(self, database_url: str, watched: str = "sendMessage") -> None:
        super().__init__()
        self.database_url = database_url
        self.watched = watched.lower()
        self.seen: list[Snapshot] = []
        self.abandoned: list[str] = []
        self._in_flight = 0
        self._settled = asyncio.Event()
        self._settled.set()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        if method == "getupdates":
            return await super()._handle(request)
        self._in_flight += 1
        self._settled.clear()
        try:
            if method == self.watched:
                self.seen.append(await snapshot(self.database_url))
            return await super()._handle(request)
        except asyncio.CancelledError:
            self.abandoned.append(method)
            raise
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._settled.set()

    async def settled(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - test API
        """Wait until every request has been answered or abandoned."""
        async with asyncio.timeout(timeout):
            await self._settled.wait()


def sent_with(stub: StubBotAPI, chat_id: int, text: str) -> list[str]:
    """Texts of the sendMessage calls delivered to `chat_id` that contain `text`."""
    return [
        c["text"]
        for c in stub.calls_for("sendMessage")
        if c.get("chat_id") == chat_id and text in c["text"]
    ]


# --- Telegram failing ------------------------------------------------------------------------


async def test_a_server_error_is_retried_and_the_reply_arrives_once(
    settings: Settings, txt: Texts
) -> None:
    async with WatchingStub(settings.database_url) as stub:
        user = stub.user(3101)
        async with bot_against(stub, settings):
            await at_label_step(user, txt)
            stub.seen.clear()
            stub.fail_next("sendMessage", status=500)
            await user.send("Gezin S")
            menu = await user.reply()
            await stub.settled()
        assert "Gezin S" in menu.text
        assert [f.status for f in stub.faulted] == [500]
        assert len(sent_with(stub, user.chat_id, "Gezin S")) == 1
        assert user.drain() == []
        # At the first try (the one that failed) everything was committed already, and
        # the second try changed nothing.
        first, final = stub.seen[0], await snapshot(settings.database_url)
        assert len(stub.seen) == 2
        assert first == final, differences(first, final)
        assert await labels_of(settings.database_url, user.user_id) == ["Gezin S"]


async def test_a_timeout_is_retried_and_the_reply_arrives_once(
    settings: Settings, txt: Texts
) -> None:
    impatient = settings.model_copy(update={"telegram_timeout": SHORT_TIMEOUT})
    async with WatchingStub(settings.database_url) as stub:
        user = stub.user(3102)
        async with bot_against(stub, impatient):
            await at_label_step(user, txt)
            stub.seen.clear()
            stub.delay_next("sendMessage", HELD)  # Telegram does not answer in time
            await user.send("Gezin T")
            menu = await user.reply(timeout=HELD / 2)
            await stub.settled()
        assert "Gezin T" in menu.text
        assert stub.abandoned == ["sendmessage"]  # the first try was given up, not delivered
        assert len(sent_with(stub, user.chat_id, "Gezin T")) == 1
        assert user.drain() == []
        first, final = stub.seen[0], await snapshot(settings.database_url)
        assert first == final, differences(first, final)
        assert await labels_of(settings.database_url, user.user_id) == ["Gezin T"]


# --- the database going away -------------------------------------------------------------------


async def test_database_gone_mid_conversation_then_back_without_a_restart(
    stub: StubBotAPI, settings: Settings, txt: Texts, caplog: pytest.LogCaptureFixture
) -> None:
    if is_sqlite(settings.database_url):
        pytest.skip("a server that goes away is PostgreSQL's; SQLite is a file")
    direct = settings.database_url
    async with TcpProxy(make_url(direct).port or 5432) as proxy:
        proxied = settings.model_copy(update={"database_url": proxy.url_for(direct)})
        user = stub.user(3103, language_code="nl")
        async with bot_against(stub, proxied):
            await user.send("/taal")
            await user.reply()
            await user.press("English")  # remembered: the "try again" must be in English
            await user.reply()
            await at_label_step(user, txt, "en")
            rows = await snapshot(direct)

            await proxy.cut()
            await user.send("Gezin Geheim")
            answer = await user.reply()
            assert answer.text == txt.t(UNAVAILABLE, "en")
            assert answer.buttons == []
            after = await snapshot(direct)
            assert after == rows, differences(rows, after)
            # It did try the database: on the pooled connection, cut with the rest (a
            # connection in steady use is not pinged first, see `ping_when_idle`).
            assert "database unavailable" in caplog.text

            proxy.restore()
            await user.send("Gezin Geheim")  # the same answer again
            menu = await user.reply()
            assert "Gezin Geheim" in menu.text
            assert txt.button("menu", "main", "cases", "en") in menu.flat_buttons
    assert await labels_of(direct, user.user_id) == ["Gezin Geheim"]
    assert "database unavailable" in caplog.text
    assert "Geheim" not in caplog.text
