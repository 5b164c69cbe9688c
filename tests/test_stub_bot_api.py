"""The stub Bot API must be indistinguishable from Telegram for a real PTB Application.

These tests run PTB's real polling loop over real HTTP against the stub, so a passing suite
means the e2e tests built on the stub exercise PTB's actual request encoding and error mapping.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import aiohttp
import pytest
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from tests.support.stub_bot_api import BOT_ID, StubBotAPI

pytestmark = pytest.mark.e2e

AnyApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]

START_TEXT = "Welkom! Kies een optie."


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without this, constructing RetryAfter emits PTBDeprecationWarning (int time periods),
    # which filterwarnings=error turns into the exception PTB raises instead of RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def stub() -> AsyncIterator[StubBotAPI]:
    async with StubBotAPI() as server:
        yield server


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ja", callback_data="choice:yes"),
                InlineKeyboardButton("Nee", callback_data="choice:no"),
            ]
        ]
    )
    await update.message.reply_text(START_TEXT, reply_markup=keyboard)


async def _on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Gekozen")
    await query.edit_message_text(f"Je koos <b>{query.data}</b>", parse_mode=ParseMode.HTML)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def _describe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    kind = next(
        k
        for k in ("photo", "sticker", "voice", "location", "contact", "document")
        if getattr(message, k)
    )
    await message.reply_text(f"kind:{kind}")


async def _edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.edited_message is not None and update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, f"edited:{update.edited_message.text}")


async def _record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    context.bot_data.setdefault("updates", []).append(update)


@pytest.fixture
async def app(stub: StubBotAPI) -> AsyncIterator[AnyApp]:
    application = ApplicationBuilder().token("123:TEST").base_url(stub.base_url).build()
    application.add_handler(TypeHandler(Update, _record), group=-1)
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(CallbackQueryHandler(_on_button))
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, _echo)
    )
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.COMMAND, _describe)
    )
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, _edited))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


# -- conversations through the real polling loop ----------------------------------------------


async def test_start_replies_with_inline_keyboard(stub: StubBotAPI, app: AnyApp) -> None:
    user = stub.user(1001, first_name="Sanne", language_code="nl")
    await user.send("/start")

    out = await user.reply()

    assert out.method == "sendMessage"
    assert out.text == START_TEXT
    assert out.buttons == [["Ja", "Nee"]]
    assert out.callback_data == [["choice:yes", "choice:no"]]
    assert out.raw_params["chat_id"] == 1001
    assert user.messages[out.message_id].buttons == [["Ja", "Nee"]]
    assert user.last_keyboard_message() is user.messages[out.message_id]
    methods = [method for method, _ in stub.calls]
    assert methods[0] == "getMe"
    assert "deleteWebhook" in methods
    update = app.bot_data["updates"][0]
    assert update.message.text == "/start"
    assert update.message.from_user.language_code == "nl"
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/start")


async def test_press_answers_query_and_edits_message(
    stub: StubBotAPI,
    app: AnyApp,
) -> None:
    user = stub.user(1002)
    await user.send("/start")
    sent = await user.reply()

    query_id = await user.press("Ja")
    edited = await user.reply()

    assert edited.method == "editMessageText"
    assert edited.message_id == sent.message_id
    assert edited.text == "Je koos <b>choice:yes</b>"
    assert edited.plain_text == "Je koos choice:yes"
    assert edited.buttons == []  # editing without reply_markup drops the keyboard
    assert [a["callback_query_id"] for a in user.callback_answers] == [query_id]
    assert user.callback_answers[0]["text"] == "Gekozen"
    state = user.messages[sent.message_id]
    assert state.edited and state.parse_mode == "HTML"
    assert state.entities == [{"type": "bold", "offset": 8, "length": 10}]
    assert user.last_keyboard_message() is None
    query = app.bot_data["updates"][-1].callback_query
    assert query.data == "choice:yes"
    assert query.message.message_id == sent.message_id
    assert query.message.reply_markup.inline_keyboard[0][1].text == "Nee"


async def test_press_by_callback_data_and_unknown_label(
    stub: StubBotAPI,
    app: AnyApp,
) -> None:
    user = stub.user(1003)
    await user.send("/start")
    await user.reply()

    with pytest.raises(AssertionError, match=r"no inline button 'Misschien'.*Ja -> choice:yes"):
        await user.press("Misschien")

    await user.press("choice:no")
    assert (await user.reply()).text == "Je koos <b>choice:no</b>"


async def test_echo_for_many_users_concurrently(stub: StubBotAPI, app: AnyApp) -> None:
    users = [stub.user(2000 + n, first_name=f"User{n}") for n in range(25)]
    await asyncio.gather(*(u.send(f"hallo {u.user_id}") for u in users))

    replies = await asyncio.gather(*(u.reply() for u in users))

    assert [r.text for r in replies] == [f"hallo {u.user_id}" for u in users]
    await stub.wait_idle(5)
    assert all(u.drain() == [] for u in users)


async def test_other_message_kinds_and_edits_parse_in_ptb(
    stub: StubBotAPI,
    app: AnyApp,
) -> None:
    user = stub.user(1004)
    await user.send_photo(caption="foto")
    await user.send_sticker()
    await user.send_voice()
    await user.send_location()
    await user.send_contact()
    await user.send_document()
    kinds = [(await user.reply()).text for _ in range(6)]
    assert kinds == [
        "kind:photo",
        "kind:sticker",
        "kind:voice",
        "kind:location",
        "kind:contact",
        "kind:document",
    ]

    message_id = await user.send("eerste versie")
    assert (await user.reply()).text == "eerste versie"
    await user.edit(message_id, "tweede versie")
    out = await user.wait_until(lambda o: (o.text or "").startswith("edited:"))
    assert out.text == "edited:tweede versie"


async def test_group_user_gets_group_chat(stub: StubBotAPI, app: AnyApp) -> None:
    member = stub.group_user(1005, chat_id=-100123)
    await member.send("hallo groep")

    out = await member.reply()

    assert out.raw_params["chat_id"] == -100123
    update: Update = app.bot_data["updates"][-1]
    assert update.effective_chat is not None and update.effective_chat.type == "group"
    assert update.effective_user is not None and update.effective_user.id == 1005


async def test_set_my_commands_per_language(stub: StubBotAPI, app: AnyApp) -> None:
    await app.bot.set_my_commands([BotCommand("start", "Begin")])
    await app.bot.set_my_commands(
        [BotCommand("start", "Start"), BotCommand("help", "Help")], language_code="en"
    )

    assert stub.commands[""] == [{"command": "start", "description": "Begin"}]
    assert [c["command"] for c in stub.commands["en"]] == ["start", "help"]
    fetched = await app.bot.get_my_commands(language_code="en")
    assert [c.command for c in fetched] == ["start", "help"]
    assert await app.bot.delete_my_commands(language_code="en")
    assert "en" not in stub.commands
    # PTB strips "Bad Request: " and capitalize()s the rest, hence the odd casing.
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await app.bot.set_my_commands([BotCommand("Start", "Hoofdletter")])


# -- faults --------------------------------------------------------------------------------------


async def test_injected_429_raises_retry_after(stub: StubBotAPI, app: AnyApp) -> None:
    stub.user(1006)
    stub.fail_next("sendMessage", status=429, retry_after=3)

    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(1006, "te snel")

    assert "Retry in" in str(caught.value)
    assert stub.faulted[0].status == 429 and stub.faulted[0].method == "sendMessage"
    assert stub.calls_for("sendMessage") == []  # a faulted call is not delivered
    message = await app.bot.send_message(1006, "nu wel")
    assert isinstance(message, Message) and message.text == "nu wel"
    assert message.from_user is not None and message.from_user.id == BOT_ID


async def test_injected_server_errors_and_delay(stub: StubBotAPI, app: AnyApp) -> None:
    user = stub.user(1007)
    stub.fail_next("sendMessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await app.bot.send_message(1007, "x")

    stub.delay_next("sendMessage", 30)
    with pytest.raises(TimedOut):
        await app.bot.send_message(1007, "te laat", read_timeout=0.2)
    assert user.drain() == []

    await user.block()
    with pytest.raises(Forbidden, match="blocked"):
        await app.bot.send_message(1007, "geblokkeerd")


async def test_bad_requests_like_telegram(stub: StubBotAPI, app: AnyApp) -> None:
    stub.user(1008)
    sent = await app.bot.send_message(1008, "<b>vet</b>", parse_mode=ParseMode.HTML)
    assert sent.text == "vet" and sent.entities[0].type == "bold"

    with pytest.raises(BadRequest, match="Message is not modified"):
        await app.bot.edit_message_text("<b>vet</b>", 1008, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await app.bot.edit_message_text("x", 1008, 9999)
    with pytest.raises(BadRequest, match="unsupported start tag"):
        await app.bot.send_message(1008, "regel<br>regel", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Chat not found"):
        await app.bot.send_message(777, "niemand")
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="y" * 65)]])
        await app.bot.send_message(1008, "te lang", reply_markup=markup)
    assert [e.status for e in stub.errors] == [400] * 5


async def test_unknown_method_is_404(stub: StubBotAPI, app: AnyApp) -> None:
    with pytest.raises(EndPointNotFound):
        await app.bot.do_api_request("sendTelepathy")

    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{stub.base_url}123:TEST/fooBar", data={"a": "1"}) as response,
    ):
        body = await response.json()
    assert response.status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
    assert [name for name, _ in stub.unknown_calls] == ["sendTelepathy", "fooBar"]


async def test_uploads_are_stored(stub: StubBotAPI, app: AnyApp) -> None:
    user = stub.user(1009)
    message = await app.bot.send_document(
        1009, document=b"%PDF-1.4 test", filename="plan.pdf", caption="Je plan"
    )
    await app.bot.send_photo(1009, photo=b"\x89PNG fake", filename="kaart.png")

    doc, photo = await user.reply(), await user.reply()
    assert doc.method == "sendDocument" and doc.text == "Je plan"
    assert doc.file is not None and doc.file.filename == "plan.pdf"
    assert doc.file.content == b"%PDF-1.4 test"
    assert message.document is not None and message.document.file_name == "plan.pdf"
    assert photo.method == "sendPhoto"
    assert photo.file is not None and photo.file.content == b"\x89PNG fake"


# -- raw HTTP: parameter encodings and long polling --------------------------------------------


async def test_parameter_encodings(stub: StubBotAPI) -> None:
    user = stub.user(1010)
    url = f"{stub.base_url}123:TEST"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{url}/sendMessage",
            json={"chat_id": 1010, "text": "json", "reply_markup": markup},
        ) as response:
            assert (await response.json())["result"]["reply_markup"] == markup
        async with session.post(
            f"{url}/sendMessage",
            data={"chat_id": "1010", "text": "123", "reply_markup": json.dumps(markup)},
        ) as response:
            assert response.status == 200
        async with session.get(f"{url}/sendMessage?chat_id=1010&text=true") as response:
            assert response.status == 200
        async with session.get(f"{url}/getMe") as response:
            me = (await response.json())["result"]
    outs = user.drain()
    assert [o.text for o in outs] == ["json", "123", "true"]  # strings stay strings
    assert outs[1].buttons == [["A"]] and outs[1].raw_params["chat_id"] == 1010
    assert me["id"] == BOT_ID and me["username"] == "netwerkcoach_test_bot"


async def test_get_updates_long_polling_and_offsets(stub: StubBotAPI) -> None:
    user = stub.user(1011)
    url = f"{stub.base_url}123:TEST/getUpdates"
    async with aiohttp.ClientSession() as session:

        async def get_updates(**params: int) -> list[dict[str, object]]:
            async with session.post(url, data={k: str(v) for k, v in params.items()}) as resp:
                body = await resp.json()
            assert body["ok"], body
            result: list[dict[str, object]] = body["result"]
            return result

        assert await get_updates(timeout=0) == []
        waiting = asyncio.create_task(get_updates(timeout=10))
        await user.send("een")
        first = await waiting
        assert [u["update_id"] for u in first] == [1]

        await user.send("twee")
        await user.send("drie")
        assert len(await get_updates(limit=1)) == 1
        assert [u["update_id"] for u in await get_updates(offset=2)] == [2, 3]
        assert stub.pending_updates == 2  # update 1 confirmed and dropped
        await get_updates(offset=4, timeout=0)
        assert stub.pending_updates == 0
        await stub.wait_idle(1)
