"""Bad input and faults at the engine and channel edges, on SQLite and PostgreSQL.

What a practitioner types is kept as they meant it, minus what they cannot see; a command
in the middle of a typing step lets the step wait; a database that cannot be reached gets
"try again" and nothing half-written; a failing Telegram send is retried, within bounds.
The same situations through the real Telegram stack are in tests/e2e/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut

from bot.channels.telegram import retry
from bot.engine.events import Command, Identity
from bot.engine.messages import USE_BUTTONS
from bot.engine.typed import clean_text
from bot.store.db import make_engine, make_sessionmaker
from bot.turns.service import UNAVAILABLE
from tests.support.chat import Chat
from tests.support.snapshot import snapshot

# --- what is kept of typed text ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Gezin 👨‍👩‍👧 🌻", "Gezin 👨‍👩‍👧 🌻"),  # the joiners make one family emoji
        ("oma 👩🏽‍🦱", "oma 👩🏽‍🦱"),
        ("عائلة س", "عائلة س"),  # Arabic
        ("משפחה כ", "משפחה כ"),  # Hebrew
        ("Ge\u200bzin\u200d Z\ufeff", "Gezin Z"),  # zero-width space, joiner, BOM
        ("\u202eGezin K\u202c", "Gezin K"),  # right-to-left override: a spoofing trick
        ("\u2066oma\u2069 \u200fB", "oma B"),  # direction isolates and marks
        ("Gezin\x07 K\x1b[31m", "Gezin K[31m"),  # bell, escape
        ("*bold* _x_ [a](http://x)", "*bold* _x_ [a](http://x)"),  # Markdown stays text
        ("<b>K</b> & co", "<b>K</b> & co"),  # HTML too (escaped when shown)
        ("  twee\n\tregels  ", "twee regels"),
    ],
)
def test_typed_text_is_kept_as_meant_minus_what_cannot_be_seen(typed: str, kept: str) -> None:
    assert clean_text(typed) == kept


# --- a command in the middle of a typing step ----------------------------------------------------


async def at(chat: Chat) -> tuple[str | None, str | None]:
    where = await chat.where()
    return where.flow, where.step


async def test_a_command_while_typing_a_label_lets_the_step_wait(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")
    assert await at(chat) == ("onboarding", "first_case")

    await chat.send("/tips")  # in the middle of the first family's label
    assert (await chat.where()).flow == "tips"
    await chat.send("/start")  # coming back: the label question again, not the welcome
    assert await at(chat) == ("onboarding", "first_case")
    await chat.text("Gezin W")
    assert (await chat.where()).flow == "menu"

    await chat.send("/gezin")
    await chat.press("New family")
    await chat.send("/hulp")
    await chat.text("Gezin X")  # the help has only buttons: this is not taken as a label
    assert chat.has(USE_BUTTONS)
    await chat.send("/gezin")
    assert await at(chat) == ("cases", "ask_label")
    await chat.text("Gezin X")
    await chat.send("/gezin")
    assert "Gezin W" in chat.last.text
    assert "Gezin X" in chat.last.text


async def test_cancel_drops_a_waiting_step(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")
    await chat.text("Gezin W")
    await chat.send("/gezin")
    await chat.press("New family")
    await chat.send("/tips")
    await chat.send("/annuleer")  # stops the tips; the label question still waits
    await chat.send("/gezin")
    assert await at(chat) == ("cases", "ask_label")
    await chat.send("/annuleer")
    await chat.send("/gezin")
    assert await at(chat) == ("cases", "overview")


# --- the database unavailable ------------------------------------------------------------------


@pytest.fixture
async def unreachable() -> AsyncIterator[async_sessionmaker[Any]]:
    """Sessions on a database server that is not running (nothing listens on port 1): the
    driver's own error on every connection attempt."""
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


async def test_database_unavailable_answers_try_again_and_keeps_everything(
    chat: Chat, unreachable: async_sessionmaker[Any], caplog: pytest.LogCaptureFixture
) -> None:
    engine = chat.engine
    await chat.send("/start")
    await chat.send("/taal")
    await chat.press("English")  # the answer must come in the remembered language
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")
    before, rows = await chat.where(), await snapshot(engine.settings.database_url)

    sessions, engine.sessions = engine.sessions, unreachable
    try:
        answer = await chat.text("Gezin Geheim")
    finally:
        engine.sessions = sessions

    assert [r.text for r in answer.replies] == [engine.catalogs.get("en").gettext(UNAVAILABLE)]
    assert answer.replies[0].buttons == ()
    assert await snapshot(engine.settings.database_url) == rows
    assert await chat.where() == before
    assert "Geheim" not in caplog.text
    assert "database unavailable" in caplog.text

    await chat.text("Gezin Geheim")  # the same answer again, now that it is back
    assert (await chat.where()).flow == "menu"
    assert "Gezin Geheim" in chat.last.text


async def test_a_stranger_gets_try_again_in_the_language_of_their_app(
    chat: Chat, unreachable: async_sessionmaker[Any]
) -> None:
    engine = chat.engine
    engine.sessions, sessions = unreachable, engine.sessions
    try:
        english = await engine.handle(Identity("test:new", "en-GB"), Command("start"))
        dutch = await engine.handle(Identity("test:nieuw", "nl"), Command("start"))
    finally:
        engine.sessions = sessions
    assert english.replies[0].text == engine.catalogs.get("en").gettext(UNAVAILABLE)
    assert dutch.replies[0].text == engine.catalogs.get("nl").gettext(UNAVAILABLE)


# --- Telegram failing on its side ------------------------------------------------------------


def failing(errors: list[Exception]) -> tuple[Callable[[], Any], list[int]]:
    """A call that raises the given errors in turn, then returns "ok"; and its call count."""
    calls = [0]

    async def call() -> str:
        calls[0] += 1
        if errors:
            raise errors.pop(0)
        return "ok"

    return call, calls


@pytest.mark.parametrize(
    "error", [NetworkError("Internal Server Error"), NetworkError("Bad Gateway"), TimedOut()]
)
async def test_a_send_is_retried_after_a_server_error_or_timeout(error: Exception) -> None:
    call, calls = failing([error, error])
    assert await retry.retrying(call, "sendMessage", pause=0) == "ok"
    assert calls == [3]


async def test_retries_are_bounded() -> None:
    call, calls = failing([TimedOut()] * 5)
    with pytest.raises(TimedOut):
        await retry.retrying(call, "editMessageText", attempts=3, pause=0)
    assert calls == [3]


@pytest.mark.parametrize(
    ("error", "endpoint"),
    [
        (BadRequest("message is too long"), "sendMessage"),  # 4xx: it would fail again
        (Forbidden("bot was blocked by the user"), "sendMessage"),
        (TimedOut(), "getUpdates"),  # polling has its own loop
    ],
)
async def test_client_errors_and_polling_are_not_retried(error: Exception, endpoint: str) -> None:
    call, calls = failing([error])
    with pytest.raises(type(error)):
        await retry.retrying(call, endpoint, pause=0)
    assert calls == [1]
