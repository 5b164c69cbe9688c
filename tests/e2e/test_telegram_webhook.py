"""Webhook mode in one process: the real Application behind the Starlette route, against
the stub Bot API; the test posts updates as Telegram would (tests/support/webhook.py).

Several replicas as real processes, `kill -9` and SIGTERM are in test_telegram_replicas.py.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot import metrics
from bot.channels.telegram.app import running_bot
from bot.channels.telegram.http import MAX_UPDATE_BYTES, SECRET_HEADER
from bot.cli import cmd_run
from bot.config import Settings
from bot.health import database_ready
from bot.store.db import make_engine
from bot.store.migrate import head_revision
from bot.turns import Turns
from tests.support.snapshot import differences, snapshot
from tests.support.stub_bot_api import StubBotAPI
from tests.support.telegram import Texts, bot_settings, content, engine_of
from tests.support.webhook import SECRET, free_port, post_update

pytestmark = pytest.mark.e2e


def webhook_settings(settings: Settings, stub: StubBotAPI, port: int) -> Settings:
    return bot_settings(settings, stub).model_copy(
        update={
            "webhook_url": f"http://127.0.0.1:{port}/telegram",
            "webhook_secret": SecretStr(SECRET),
            "webhook_port": port,
        }
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def webhook_bot(stub: StubBotAPI, settings: Settings) -> AsyncIterator[tuple[int, Any]]:
    """The bot in webhook mode on a free port: (port, application)."""
    port = free_port()
    async with running_bot(
        webhook_settings(settings, stub, port), content=content(settings)
    ) as app:
        yield port, app


async def test_the_webhook_answers_after_the_update_is_applied_and_once_only(
    stub: StubBotAPI,
    webhook_bot: tuple[int, Any],
    http: aiohttp.ClientSession,
    settings: Settings,
    txt: Texts,
) -> None:
    port, _app = webhook_bot
    assert stub.webhook_url == f"http://127.0.0.1:{port}/telegram"
    assert stub.webhook_secret == SECRET
    [set_webhook] = stub.calls_for("setWebhook")
    assert "message" in set_webhook["allowed_updates"]

    user = stub.user(5101, language_code="nl")
    await user.send("/start")
    update = stub.take_update(user)
    assert await post_update(http, port, update) == 200
    # Answered only after the turn was committed and its reply sent: both are there now.
    [welcome] = user.drain()
    assert txt.first_line("onboarding", "welcome") in welcome.text
    before = await snapshot(settings.database_url)
    assert before["practitioners"]

    # Telegram delivers it again (our answer was lost): nothing changes, the step is shown.
    assert await post_update(http, port, update) == 200
    [again] = user.drain()
    assert again.text == welcome.text
    assert differences(before, await snapshot(settings.database_url)) == {}


async def test_a_webhook_without_the_right_secret_is_refused_and_changes_nothing(
    stub: StubBotAPI, webhook_bot: tuple[int, Any], http: aiohttp.ClientSession, settings: Settings
) -> None:
    port, _app = webhook_bot
    user = stub.user(5102)
    await user.send("/start")
    update = stub.take_update(user)
    before = await snapshot(settings.database_url)
    assert await post_update(http, port, update, secret=None) == 403
    assert await post_update(http, port, update, secret="not-the-secret") == 403
    assert await post_update(http, port, update, secret=SECRET[:-1]) == 403
    assert await post_update(http, port, update, secret="x", path="/telegram/") in (403, 404)
    assert await post_update(http, port, b"{not json", secret=SECRET) == 400
    assert differences(before, await snapshot(settings.database_url)) == {}
    assert user.drain() == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1,2]", "not_an_update"),
        (b'"hello"', "not_an_update"),
        (b"42", "not_an_update"),
        (b"null", "not_an_update"),
        (b"{}", "not_an_update"),
        (b'{"update_id": "7"}', "not_an_update"),
        (b'{"update_id": 7, "message": [1]}', "not_an_update"),
        (b'{"update_id": 7, "message": {"text": "\xff\xfe"}}', "not_utf8"),
        (b"{not json", "not_json"),
        (b"[" * 200_000 + b"]" * 200_000, "not_json"),
        (b'{"update_id": 7, "pad": "' + b"x" * MAX_UPDATE_BYTES + b'"}', "too_large"),
    ],
    ids=[
        "list",
        "string",
        "number",
        "null",
        "empty",
        "id-text",
        "bad-shape",
        "utf8",
        "json",
        "deep",
        "big",
    ],
)
async def test_a_body_that_is_no_update_is_answered_400_without_a_traceback(
    stub: StubBotAPI,
    webhook_bot: tuple[int, Any],
    http: aiohttp.ClientSession,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    reason: str,
) -> None:
    port, _app = webhook_bot
    before = await snapshot(settings.database_url)
    refused = metrics.WEBHOOK_REFUSED.labels(reason)._value.get()
    assert await post_update(http, port, body, secret=SECRET) == 400
    assert metrics.WEBHOOK_REFUSED.labels(reason)._value.get() == refused + 1
    assert differences(before, await snapshot(settings.database_url)) == {}
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    # and the next real update is applied as ever
    user = stub.user(5103)
    await user.send("/start")
    assert await post_update(http, port, stub.take_update(user)) == 200
    assert user.drain()


async def test_a_body_sent_in_chunks_is_refused_past_the_limit(
    webhook_bot: tuple[int, Any], http: aiohttp.ClientSession
) -> None:
    """Without a Content-Length (chunked), the route counts what it reads: an update that
    would be valid but is over the limit is refused."""
    port, _app = webhook_bot

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"update_id": 7, "pad": "'
        for _ in range(2 * MAX_UPDATE_BYTES // 65536):
            yield b"x" * 65536
        yield b'"}'

    refused = metrics.WEBHOOK_REFUSED.labels("too_large")._value.get()
    headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
    url = f"http://127.0.0.1:{port}/telegram"
    async with http.post(url, data=chunks(), headers=headers) as response:
        assert response.status == 400
    assert metrics.WEBHOOK_REFUSED.labels("too_large")._value.get() == refused + 1


async def test_an_update_that_fails_is_answered_500_and_applied_when_delivered_again(
    stub: StubBotAPI, webhook_bot: tuple[int, Any], http: aiohttp.ClientSession, txt: Texts
) -> None:
    port, app = webhook_bot
    engine: Turns = engine_of(app)
    user = stub.user(5103)
    await user.send("/start")
    update = stub.take_update(user)

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("Gezin Geheim")

    original = engine.handle
    engine.handle = broken  # type: ignore[method-assign]
    try:
        assert await post_update(http, port, update) == 500
    finally:
        engine.handle = original  # type: ignore[method-assign]
    assert user.drain() == []  # no "something went wrong": Telegram delivers it again
    assert await post_update(http, port, update) == 200
    [welcome] = user.drain()
    assert txt.first_line("onboarding", "welcome") in welcome.text


async def test_health_readiness_and_metrics(
    stub: StubBotAPI, webhook_bot: tuple[int, Any], http: aiohttp.ClientSession
) -> None:
    port, _app = webhook_bot
    user = stub.user(5104)
    await user.send("/start")
    assert await post_update(http, port, stub.take_update(user)) == 200
    base = f"http://127.0.0.1:{port}"
    async with http.get(f"{base}/healthz") as response:
        assert response.status == 200
    async with http.get(f"{base}/readyz") as response:
        assert response.status == 200
    async with http.get(f"{base}/metrics") as response:
        assert response.status == 200
        body = await response.text()
    handled = _metric(body, "netwerkcoach_updates_handled_total")
    assert handled >= 1
    assert _metric(body, "netwerkcoach_update_seconds_count") >= 1
    for name in ("netwerkcoach_update_errors_total", "netwerkcoach_reminders_due"):
        assert f"\n{name} " in body


def _metric(body: str, name: str) -> float:
    [line] = [line for line in body.splitlines() if line.startswith(f"{name} ")]
    return float(line.split()[1])


async def test_readiness_needs_the_database_at_the_migrations_head(settings: Settings) -> None:
    db = make_engine(settings.database_url)
    try:
        assert await database_ready(db, head_revision())
        assert not await database_ready(db, "0000")
    finally:
        await db.dispose()
    gone = make_engine("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert not await database_ready(gone, head_revision())
    finally:
        await gone.dispose()


async def test_long_polling_serves_health_and_metrics_on_bot_http_port(
    stub: StubBotAPI, settings: Settings, http: aiohttp.ClientSession
) -> None:
    port = free_port()
    polling = bot_settings(settings, stub).model_copy(update={"http_port": port})
    async with running_bot(polling, content=content(settings)):
        async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
            assert response.status == 200
        assert await post_update(http, port, {"update_id": 1}) == 404  # no webhook here


async def test_webhook_mode_without_a_secret_refuses_to_start(
    stub: StubBotAPI, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    unsafe = webhook_settings(settings, stub, free_port()).model_copy(
        update={"webhook_secret": None}
    )
    with pytest.raises(ValueError, match="BOT_WEBHOOK_SECRET"):
        async with running_bot(unsafe):
            pass
    assert cmd_run(unsafe, argparse.Namespace()) == 2
    assert "BOT_WEBHOOK_SECRET" in capsys.readouterr().err
    spaced = unsafe.model_copy(update={"webhook_secret": SecretStr("with space")})
    assert cmd_run(spaced, argparse.Namespace()) == 2
    assert "with space" not in capsys.readouterr().err
    assert stub.calls_for("setWebhook") == []
