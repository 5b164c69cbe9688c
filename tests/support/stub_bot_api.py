"""A stub Telegram Bot API server for end-to-end tests and benchmarks.

The real bot (python-telegram-bot, "PTB") talks to this server over real HTTP, exactly as it
talks to ``api.telegram.org``: the bot is built with
``ApplicationBuilder().base_url(stub.base_url)`` and polls ``getUpdates``. Tests drive it through
:class:`SimUser` objects that enqueue real Bot API update JSON and wait for the bot's output.

Why a stub server instead of mocking ``telegram.Bot``: mocks skip PTB's request encoding, its
error mapping (``RetryAfter``, ``BadRequest``, ``TimedOut``) and the polling loop, which is
where integration bugs hide. The stub mimics the parts of Telegram's behaviour that bots trip
over in production: "message is not modified", HTML parse errors, oversized callback data,
flood control (429), blocked users and long-polling semantics.

Design notes:

* Everything runs on the test's event loop; state is only touched from that loop, so plain
  dicts/deques are safe. Waiting uses :class:`asyncio.Condition` objects (one for the update
  queue, one per chat) - never polling sleeps - so hundreds of simulated users stay cheap.
* Every lookup on a request path is O(1) (dicts keyed by chat id, message id, callback query
  id); the update queue is a deque that is confirmed from the left, as Telegram does.
* The server runs with ``handler_cancellation=True``: when PTB abandons a request (its read
  timeout fired, or the updater stopped a long poll) the handler is cancelled, so a delayed
  ``sendMessage`` that PTB gave up on is never recorded, and ``stop()`` never waits for a
  forgotten long poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "ApiError",
    "BotMessage",
    "BotOutput",
    "SimUser",
    "StubBotAPI",
    "UploadedFile",
]

JSONDict = dict[str, Any]

BOT_ID: Final = 424242
BOT_FIRST_NAME: Final = "Netwerkcoach"
BOT_USERNAME: Final = "netwerkcoach_test_bot"

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
_GET_UPDATES_MAX_LIMIT: Final = 100

# PTB sends every non-string parameter JSON-encoded (``RequestParameter.json_value``) and every
# string parameter verbatim, so a form value of ``"123"`` is ambiguous: it may be the integer
# chat id 123 or the message text "123". Telegram resolves this with its schema; we do the same
# for the parameters whose type is "String" in the Bot API, and JSON-decode everything else.
_STRING_PARAMS: Final = frozenset(
    {
        "action",
        "address",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "description",
        "document",
        "emoji",
        "explanation",
        "file_id",
        "first_name",
        "foursquare_id",
        "inline_message_id",
        "ip_address",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "parse_mode",
        "phone_number",
        "photo",
        "query",
        "question",
        "secret_token",
        "short_description",
        "sticker",
        "text",
        "thumbnail",
        "title",
        "url",
        "video",
        "video_note",
        "voice",
    }
)

# Inline keyboard buttons must carry exactly one of these; a bare text button is rejected.
_INLINE_BUTTON_ACTIONS: Final = frozenset(
    {
        "callback_data",
        "callback_game",
        "copy_text",
        "login_url",
        "pay",
        "switch_inline_query",
        "switch_inline_query_chosen_chat",
        "switch_inline_query_current_chat",
        "url",
        "web_app",
    }
)

# Bot API methods the bot may call at start-up that need no behaviour beyond "ok: true".
_ACCEPTED_NOOP_METHODS: Final = (
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
    "setMyDescription",
    "setMyName",
    "setMyShortDescription",
)

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


def _now() -> int:
    return int(time.time())


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units, not code points."""
    return len(text.encode("utf-16-le")) // 2


def _as_int(value: Any, default: int) -> int:
    if value is None or isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _as_float(value: Any, default: float) -> float:
    if value is None or isinstance(value, bool):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# --------------------------------------------------------------------------------------------
# Public value types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a ``multipart/form-data`` upload (sendDocument/sendPhoto)."""

    field: str
    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class ApiError:
    """An error answer the stub gave, kept so tests can assert "the bot made no bad calls"."""

    method: str
    params: JSONDict
    status: int
    description: str


def _keyboard_rows(markup: JSONDict | None) -> tuple[list[list[str]], list[list[str]]]:
    """Button labels and callback data of an inline or reply keyboard ("" where absent)."""
    if not markup:
        return [], []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    labels: list[list[str]] = []
    data: list[list[str]] = []
    for row in rows:
        label_row: list[str] = []
        data_row: list[str] = []
        for button in row:
            if isinstance(button, str):  # reply keyboards may use bare strings
                label_row.append(button)
                data_row.append("")
            else:
                label_row.append(str(button.get("text", "")))
                data_row.append(str(button.get("callback_data", "")))
        labels.append(label_row)
        data.append(data_row)
    return labels, data


def _inline_markup(markup: JSONDict | None) -> JSONDict | None:
    """Only inline keyboards are attached to a Message; reply keyboards live on the client."""
    if markup and "inline_keyboard" in markup:
        return markup
    return None


@dataclass(slots=True)
class BotOutput:
    """One visible thing the bot did in a chat: a sent message or an edit of one.

    ``text`` is the text (or caption) exactly as the bot sent it, markup included;
    ``plain_text`` is what the user sees after Telegram parsed ``parse_mode``. For
    ``editMessageReplyMarkup`` the text fields hold the message's current text.
    """

    method: str
    message_id: int
    text: str | None
    buttons: list[list[str]]
    callback_data: list[list[str]]
    parse_mode: str | None
    raw_params: JSONDict
    plain_text: str | None = None
    file: UploadedFile | None = None

    @property
    def flat_buttons(self) -> list[str]:
        """All button labels in reading order; handy for ``"Ja" in out.flat_buttons``."""
        return [label for row in self.buttons for label in row]

    def describe(self) -> str:
        """A one-line summary for assertion messages."""
        text = (self.text or "").replace("\n", "\\n")
        if len(text) > 120:
            text = text[:117] + "..."
        return f"{self.method} #{self.message_id} {text!r} buttons={self.buttons}"


@dataclass(slots=True)
class BotMessage:
    """The current state of one bot message in a chat, updated in place by edits."""

    message_id: int
    chat_id: int
    date: int
    kind: str  # "text", "document" or "photo"
    text: str | None
    plain_text: str | None
    entities: list[JSONDict]
    parse_mode: str | None
    reply_markup: JSONDict | None
    file: UploadedFile | None = None
    file_ref: str | None = None  # file_id or URL when the bot did not upload bytes
    file_id: str = ""
    edited: bool = False
    edit_count: int = 0
    edit_date: int | None = None

    @property
    def buttons(self) -> list[list[str]]:
        return _keyboard_rows(self.reply_markup)[0]

    @property
    def callback_data(self) -> list[list[str]]:
        return _keyboard_rows(self.reply_markup)[1]

    @property
    def has_inline_keyboard(self) -> bool:
        return _inline_markup(self.reply_markup) is not None

    def to_output(self, method: str, params: JSONDict) -> BotOutput:
        labels, data = _keyboard_rows(self.reply_markup)
        return BotOutput(
            method=method,
            message_id=self.message_id,
            text=self.text,
            buttons=labels,
            callback_data=data,
            parse_mode=self.parse_mode,
            raw_params=params,
            plain_text=self.plain_text,
            file=self.file,
        )

    def to_api(self, chat: JSONDict) -> JSONDict:
        """The Bot API ``Message`` object Telegram would return for this message."""
        message: JSONDict = {
            "message_id": self.message_id,
            "from": _bot_user_short(),
            "chat": chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        text_key, entities_key = ("text", "entities")
        if self.kind == "document":
            text_key, entities_key = ("caption", "caption_entities")
            message["document"] = self._document_api()
        elif self.kind == "photo":
            text_key, entities_key = ("caption", "caption_entities")
            message["photo"] = self._photo_api()
        if self.plain_text is not None:
            message[text_key] = self.plain_text
            if self.entities:
                message[entities_key] = self.entities
        inline = _inline_markup(self.reply_markup)
        if inline is not None:
            message["reply_markup"] = inline
        return message

    def _document_api(self) -> JSONDict:
        document: JSONDict = {"file_id": self.file_id, "file_unique_id": "u" + self.file_id}
        if self.file is not None:
            document["file_name"] = self.file.filename
            document["mime_type"] = self.file.content_type
            document["file_size"] = len(self.file.content)
        return document

    def _photo_api(self) -> list[JSONDict]:
        size = len(self.file.content) if self.file is not None else 1024
        return [
            {
                "file_id": f"{self.file_id}s",
                "file_unique_id": f"u{self.file_id}s",
                "width": 90,
                "height": 90,
                "file_size": max(size // 10, 1),
            },
            {
                "file_id": self.file_id,
                "file_unique_id": "u" + self.file_id,
                "width": 800,
                "height": 600,
                "file_size": size,
            },
        ]


def _bot_user_short() -> JSONDict:
    return {"id": BOT_ID, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME}


def _bot_user_full() -> JSONDict:
    return {
        **_bot_user_short(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


# --------------------------------------------------------------------------------------------
# Errors and Telegram-style HTML parsing
# --------------------------------------------------------------------------------------------


class _BotApiError(Exception):
    """Raised inside a method implementation to answer ``{"ok": false, ...}``."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(description: str) -> _BotApiError:
    return _BotApiError(400, f"Bad Request: {description}")


_HTML_ENTITY_TYPES: Final = {
    "a": "text_link",
    "b": "bold",
    "blockquote": "blockquote",
    "code": "code",
    "del": "strikethrough",
    "em": "italic",
    "i": "italic",
    "ins": "underline",
    "pre": "pre",
    "s": "strikethrough",
    "span": "spoiler",
    "strike": "strikethrough",
    "strong": "bold",
    "tg-emoji": "custom_emoji",
    "tg-spoiler": "spoiler",
    "u": "underline",
}
_HTML_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ATTR_RE: Final = re.compile(r"""([a-zA-Z][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_HTML_SPECIAL_RE: Final = re.compile(r"[<&]")


@dataclass(slots=True)
class _OpenTag:
    name: str
    offset: int
    extra: JSONDict
    emit: bool = True


def _parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram's HTML subset into plain text plus entities, or fail like Telegram.

    Telegram rejects unsupported tags (``<br>``, ``<p>``), unbalanced tags and stray ``<``
    with "can't parse entities"; catching that here is the point, since the bot would
    otherwise only find out in production.
    """
    out: list[str] = []
    length = 0
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    i = 0
    size = len(source)

    def fail(message: str, at: int) -> _BotApiError:
        offset = len(source[:at].encode("utf-8"))
        return _bad_request(f"can't parse entities: {message} at byte offset {offset}")

    while i < size:
        match = _HTML_SPECIAL_RE.search(source, i)
        stop = match.start() if match else size
        if stop > i:
            chunk = source[i:stop]
            out.append(chunk)
            length += _utf16_len(chunk)
            i = stop
            continue
        if source[i] == "&":
            semi = source.find(";", i + 1, i + 12)
            decoded = _decode_html_entity(source[i + 1 : semi]) if semi != -1 else None
            if decoded is None:
                out.append("&")
                length += 1
                i += 1
            else:
                out.append(decoded)
                length += _utf16_len(decoded)
                i = semi + 1
            continue
        end = source.find(">", i)
        if end == -1:
            raise fail("Unclosed start tag", i)
        try:
            _apply_html_tag(source[i + 1 : end], length, stack, entities)
        except _HtmlTagError as exc:
            raise fail(str(exc), i) from None
        i = end + 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"', size)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _apply_html_tag(raw: str, length: int, stack: list[_OpenTag], entities: list[JSONDict]) -> None:
    """Open or close one tag; closing a tag emits its entity over the text in between."""
    if not raw.startswith("/"):
        stack.append(_open_html_tag(raw, length, stack))
        return
    name = raw[1:].strip().lower()
    if not stack or stack[-1].name != name:
        expected = f'"</{stack[-1].name}>"' if stack else "no end tag"
        raise _HtmlTagError(f'Unmatched end tag, expected {expected}, found "</{name}>"')
    tag = stack.pop()
    if tag.emit and length > tag.offset:
        entity: JSONDict = {
            "type": _HTML_ENTITY_TYPES[tag.name],
            "offset": tag.offset,
            "length": length - tag.offset,
        }
        entity.update(tag.extra)
        entities.append(entity)


def _decode_html_entity(name: str) -> str | None:
    if name in _HTML_NAMED_ENTITIES:
        return _HTML_NAMED_ENTITIES[name]
    try:
        if name.startswith(("#x", "#X")):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
    except (ValueError, OverflowError):
        return None
    return None


class _HtmlTagError(ValueError):
    """A start tag Telegram would reject; the caller adds the byte offset."""


def _open_html_tag(raw: str, offset: int, stack: list[_OpenTag]) -> _OpenTag:
    parts = raw.strip().split(None, 1)
    name = parts[0].lower() if parts else ""
    if name not in _HTML_ENTITY_TYPES:
        raise _HtmlTagError(f'Unsupported start tag "{name}"')
    attrs = {
        m.group(1).lower(): html.unescape(next(g for g in m.groups()[1:] if g is not None))
        for m in _HTML_ATTR_RE.finditer(parts[1] if len(parts) > 1 else "")
    }
    extra: JSONDict = {}
    emit = True
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _HtmlTagError('Tag "span" must have class "tg-spoiler"')
    if name == "a":
        href = attrs.get("href", "")
        emit = bool(href)
        extra["url"] = href
    elif name == "tg-emoji":
        extra["custom_emoji_id"] = attrs.get("emoji-id", "")
    elif name == "blockquote" and "expandable" in raw:
        extra["type"] = "expandable_blockquote"
    elif name == "code" and stack and stack[-1].name == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].extra["language"] = language.removeprefix("language-")
            emit = False  # Telegram folds <pre><code class="language-x"> into one entity
    return _OpenTag(name=name, offset=offset, extra=extra, emit=emit)


def _render_text(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
    """Text as the user sees it plus its entities, given how the bot sent it."""
    if isinstance(entities, list) and entities:
        return text, [dict(e) for e in entities if isinstance(e, dict)]
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        return _parse_html(text)
    # MarkdownV2/Markdown are passed through unparsed: the bot uses HTML, and a faithful
    # Markdown parser is not worth its weight here.
    return text, []


def _check_markup(markup: Any) -> JSONDict | None:
    """Validate reply_markup the way Telegram does for the mistakes bots actually make."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _bad_request('can\'t find field "text"')
            if not _INLINE_BUTTON_ACTIONS.intersection(button):
                raise _bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not (
                isinstance(data, str) and 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
            ):
                raise _bad_request("BUTTON_DATA_INVALID")
    return markup


_COMMAND_RE: Final = re.compile(r"^[a-z0-9_]{1,32}$")


def _check_commands(commands: Any) -> list[JSONDict]:
    if not isinstance(commands, list):
        raise _bad_request("can't parse commands JSON object")
    checked: list[JSONDict] = []
    for command in commands:
        if not isinstance(command, dict):
            raise _bad_request("can't parse BotCommand JSON object")
        name = command.get("command")
        description = command.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.match(name):
            raise _bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name, "description": description})
    return checked


def _scope_key(scope: Any) -> str:
    if not isinstance(scope, dict) or scope.get("type", "default") == "default":
        return "default"
    return json.dumps(scope, sort_keys=True)


# --------------------------------------------------------------------------------------------
# Request parsing
# --------------------------------------------------------------------------------------------


def _decode_form_value(key: str, value: str) -> Any:
    """Undo PTB's per-parameter encoding of a form/multipart/query value (see _STRING_PARAMS)."""
    if key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> JSONDict:
    """Collect parameters from the query string and a JSON, urlencoded or multipart body.

    PTB's HTTPXRequest posts ``RequestData.json_parameters`` as httpx ``data=`` (urlencoded,
    or multipart once a file is attached); ``do_api_request`` users and other clients may post
    JSON, whose values are already typed.
    """
    params: JSONDict = {k: _decode_form_value(k, v) for k, v in request.query.items()}
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise _bad_request("can't parse JSON body") from exc
        if not isinstance(body, dict):
            raise _bad_request("JSON body must be an object")
        params.update(body)
        return params
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = UploadedFile(
                field=key,
                filename=value.filename,
                content=value.file.read(),
                content_type=value.content_type,
            )
        elif isinstance(value, bytes | bytearray):
            params[key] = _decode_form_value(key, bytes(value).decode("utf-8"))
        else:
            params[key] = _decode_form_value(key, value)
    return params


# --------------------------------------------------------------------------------------------
# Chats and simulated users
# --------------------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Chat:
    """Per-chat state. The message_id counter is shared by user and bot messages, as in
    Telegram, so ids interleave realistically."""

    chat_id: int
    api: JSONDict
    chat_instance: str
    messages: dict[int, BotMessage] = field(default_factory=dict)
    user_messages: dict[int, JSONDict] = field(default_factory=dict)
    outputs: list[BotOutput] = field(default_factory=list)
    pending: deque[BotOutput] = field(default_factory=deque)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    blocked: bool = False
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def next_message_id(self) -> int:
        return next(self._message_ids)


@dataclass(slots=True)
class _Fault:
    status: int
    description: str
    parameters: JSONDict | None
    remaining: int


class SimUser:
    """A simulated Telegram user in one chat (private, or a group shared with other users).

    Methods that produce updates are ``async`` because they wake the bot's pending
    ``getUpdates`` long poll; they return as soon as the update is queued.
    """

    def __init__(self, stub: StubBotAPI, chat: _Chat, user: JSONDict) -> None:
        self._stub = stub
        self._chat = chat
        self.user: JSONDict = user
        self.callback_answers: list[JSONDict] = []

    def __repr__(self) -> str:
        return f"SimUser(user_id={self.user_id}, chat_id={self.chat_id})"

    @property
    def user_id(self) -> int:
        return int(self.user["id"])

    @property
    def chat_id(self) -> int:
        return self._chat.chat_id

    @property
    def chat(self) -> JSONDict:
        """The Bot API ``Chat`` object of this user's chat."""
        return self._chat.api

    @property
    def outputs(self) -> list[BotOutput]:
        """Every bot output in this chat so far, consumed or not."""
        return self._chat.outputs

    @property
    def messages(self) -> dict[int, BotMessage]:
        """The chat's current bot messages by message_id (deleted ones are removed)."""
        return self._chat.messages

    def last_keyboard_message(self) -> BotMessage | None:
        """The newest bot message that still carries an inline keyboard."""
        for message in reversed(self._chat.messages.values()):
            if message.has_inline_keyboard:
                return message
        return None

    # -- updates the user causes -------------------------------------------------------------

    async def send(self, text: str) -> int:
        """Send a text message; a leading ``/command`` gets its ``bot_command`` entity."""
        message = self._new_message(text=text)
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return await self._send_message(message)

    async def send_photo(self, caption: str | None = None) -> int:
        file_id = self._stub._new_file_id("AgAC")
        photo = [
            {"file_id": f"{file_id}s", "file_unique_id": f"u{file_id}s", "width": 90,
             "height": 67, "file_size": 1500},
            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 1280, "height": 960,
             "file_size": 98304},
        ]  # fmt: skip
        return await self._send_message(self._new_message(photo=photo, caption=caption))

    async def send_sticker(self, emoji: str = "👍") -> int:
        file_id = self._stub._new_file_id("CAAC")
        sticker = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": 20480,
        }
        return await self._send_message(self._new_message(sticker=sticker))

    async def send_voice(self, duration: int = 3) -> int:
        file_id = self._stub._new_file_id("AwAC")
        voice = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 4000 * duration,
        }
        return await self._send_message(self._new_message(voice=voice))

    async def send_location(self, latitude: float = 52.0907, longitude: float = 5.1214) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return await self._send_message(self._new_message(location=location))

    async def send_contact(
        self, phone_number: str = "+31612345678", first_name: str = "Piet"
    ) -> int:
        contact = {"phone_number": phone_number, "first_name": first_name}
        return await self._send_message(self._new_message(contact=contact))

    async def send_document(
        self,
        file_name: str = "verslag.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> int:
        file_id = self._stub._new_file_id("BQAC")
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": 12345,
        }
        return await self._send_message(self._new_message(document=document, caption=caption))

    async def edit(self, message_id: int, new_text: str) -> None:
        """Edit one of this user's earlier text messages (an ``edited_message`` update)."""
        original = self._chat.user_messages.get(message_id)
        if original is None or original["from"]["id"] != self.user_id:
            raise AssertionError(f"{self!r} sent no message {message_id} that could be edited")
        original.pop("entities", None)
        original.update(text=new_text, edit_date=_now())
        await self._stub._enqueue("edited_message", dict(original))

    async def press(self, label_or_data: str, *, message_id: int | None = None) -> str:
        """Press an inline button by label (or callback_data) on the newest message having it.

        Returns the callback query id. Raises AssertionError listing the available buttons
        when nothing matches, so a failing test says what the bot actually offered.
        """
        if message_id is not None:
            if message_id not in self._chat.messages:
                raise AssertionError(
                    f"{self!r}: no bot message {message_id}; {self._describe_keyboards()}"
                )
            candidates: Iterable[BotMessage] = (self._chat.messages[message_id],)
        else:
            candidates = reversed(self._chat.messages.values())
        for message in candidates:
            button = _find_button(message, label_or_data)
            if button is None:
                continue
            data = button.get("callback_data")
            if not isinstance(data, str):
                raise AssertionError(
                    f"{self!r}: button {button.get('text')!r} on message {message.message_id} "
                    f"has no callback_data (it is {sorted(set(button) - {'text'})})"
                )
            return await self._send_callback(message.to_api(self._chat.api), data)
        raise AssertionError(
            f"{self!r}: no inline button {label_or_data!r}; {self._describe_keyboards()}"
        )

    async def press_data(self, data: str, message_id: int) -> str:
        """Send a callback query with arbitrary (possibly forged or stale) callback_data."""
        message = self._chat.messages.get(message_id)
        if message is not None:
            payload = message.to_api(self._chat.api)
        else:  # what Telegram sends for messages the bot can no longer access
            payload = {"chat": self._chat.api, "message_id": message_id, "date": 0}
        return await self._send_callback(payload, data)

    async def block(self) -> None:
        """Block the bot: later sends to this chat fail with 403, as in Telegram."""
        await self._set_blocked(blocked=True)

    async def unblock(self) -> None:
        await self._set_blocked(blocked=False)

    # -- the bot's output ----------------------------------------------------------------------

    async def reply(self, timeout: float = 5.0) -> BotOutput:  # noqa: ASYNC109 - test API
        """Wait for and consume the next bot output in this chat."""
        chat = self._chat
        try:
            async with chat.changed, asyncio.timeout(timeout):
                await chat.changed.wait_for(lambda: bool(chat.pending))
        except TimeoutError:
            raise AssertionError(
                f"{self!r}: no bot output within {timeout}s. {self._diagnostics()}"
            ) from None
        return chat.pending.popleft()

    def drain(self) -> list[BotOutput]:
        """Return and consume all pending outputs without waiting."""
        pending = list(self._chat.pending)
        self._chat.pending.clear()
        return pending

    async def wait_until(
        self,
        predicate: Callable[[BotOutput], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a per-call deadline is the point of a test API
    ) -> BotOutput:
        """Consume outputs until one satisfies ``predicate`` and return it.

        Like ``pexpect.expect``, outputs before the match are consumed and dropped.
        """
        chat = self._chat
        skipped: list[BotOutput] = []
        try:
            async with chat.changed, asyncio.timeout(timeout):
                while True:
                    while chat.pending:
                        output = chat.pending.popleft()
                        if predicate(output):
                            return output
                        skipped.append(output)
                    await chat.changed.wait()
        except TimeoutError:
            seen = "; ".join(o.describe() for o in skipped[-5:]) or "none"
            raise AssertionError(
                f"{self!r}: no matching bot output within {timeout}s (skipped: {seen}). "
                f"{self._diagnostics()}"
            ) from None

    # -- internals -------------------------------------------------------------------------------

    def _new_message(self, **content: Any) -> JSONDict:
        message: JSONDict = {
            "message_id": self._chat.next_message_id(),
            "from": self.user,
            "chat": self._chat.api,
            "date": _now(),
        }
        message.update({k: v for k, v in content.items() if v is not None})
        return message

    async def _send_message(self, message: JSONDict) -> int:
        self._chat.user_messages[message["message_id"]] = message
        await self._stub._enqueue("message", dict(message))
        return int(message["message_id"])

    async def _send_callback(self, message: JSONDict, data: str) -> str:
        query_id = self._stub._register_callback(self)
        query = {
            "id": query_id,
            "from": self.user,
            "message": message,
            "chat_instance": self._chat.chat_instance,
            "data": data,
        }
        await self._stub._enqueue("callback_query", query)
        return query_id

    async def _set_blocked(self, *, blocked: bool) -> None:
        self._chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        bot = _bot_user_short()
        new_member: JSONDict = {"user": bot, "status": new}
        if blocked:
            new_member["until_date"] = 0
        update = {
            "chat": self._chat.api,
            "from": self.user,
            "date": _now(),
            "old_chat_member": {"user": bot, "status": old},
            "new_chat_member": new_member,
        }
        await self._stub._enqueue("my_chat_member", update)

    def _describe_keyboards(self) -> str:
        described = [
            f"message {m.message_id}: "
            + str([[f"{label} -> {data}" for label, data in zip(lr, dr, strict=True)]
                   for lr, dr in zip(m.buttons, m.callback_data, strict=True)])
            for m in reversed(self._chat.messages.values())
            if m.has_inline_keyboard
        ][:3]  # fmt: skip
        return "available buttons: " + ("; ".join(described) if described else "none")

    def _diagnostics(self) -> str:
        last = "; ".join(o.describe() for o in self._chat.outputs[-5:]) or "none"
        errors = [
            f"{e.method}: {e.description}"
            for e in self._stub.errors[-20:]
            if e.params.get("chat_id") in (self.chat_id, str(self.chat_id))
        ]
        text = f"Last outputs: {last}."
        if errors:
            text += f" Recent API errors for this chat: {errors[-3:]}."
        return text


def _find_button(message: BotMessage, needle: str) -> JSONDict | None:
    markup = _inline_markup(message.reply_markup)
    if markup is None:
        return None
    buttons: list[JSONDict] = [b for row in markup["inline_keyboard"] for b in row]
    for button in buttons:
        if button.get("text") == needle:
            return button
    for button in buttons:
        if button.get("callback_data") == needle:
            return button
    return None


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

_Method = Callable[[JSONDict], Awaitable[Any]]


class StubBotAPI:
    """An in-process HTTP server speaking enough of the Telegram Bot API for PTB.

    Usage::

        async with StubBotAPI() as stub:
            app = ApplicationBuilder().token("123:TEST").base_url(stub.base_url).build()
            ...
            user = stub.user(1001)
            await user.send("/start")
            out = await user.reply()
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False

        #: Every call that reached a method, in arrival order: ``(method, params)``.
        self.calls: list[tuple[str, JSONDict]] = []
        #: Calls to methods the stub does not implement (answered with 404).
        self.unknown_calls: list[tuple[str, JSONDict]] = []
        #: Calls answered with an injected fault instead of being delivered.
        self.faulted: list[ApiError] = []
        #: Error answers the stub gave for delivered calls (400, 403, 409...).
        self.errors: list[ApiError] = []
        self.bot_user: JSONDict = _bot_user_full()
        self.webhook_url = ""
        #: The ``secret_token`` of the last setWebhook (Telegram sends it with each update).
        self.webhook_secret = ""

        self._calls_by_method: dict[str, list[JSONDict]] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._chats: dict[int, _Chat] = {}
        self._users: dict[tuple[int, int], SimUser] = {}
        self._callback_owner: dict[str, SimUser] = {}
        self._answered_callbacks: set[str] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._delays: dict[str, deque[list[float]]] = {}
        self._held: dict[str, int] = {}

        self._updates: deque[JSONDict] = deque()
        self._updates_changed = asyncio.Condition()
        self._update_ids = itertools.count(1)
        self._delivered_upto = 0
        self._poll_generation = 0
        self._handing_out = asyncio.Event()
        self._handing_out.set()
        self._on_confirm: list[tuple[int, Callable[[], None]]] = []
        #: The id of the newest update queued (0: none yet).
        self.last_update_id = 0
        self._allowed_updates: frozenset[str] | None = None
        self._callback_ids = itertools.count(7_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)

        table: list[tuple[str, _Method]] = [
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("sendMessage", self._send_message),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("answerCallbackQuery", self._answer_callback_query),
            ("sendChatAction", self._send_chat_action),
            ("deleteMessage", self._delete_message),
            ("sendDocument", self._send_document),
            ("sendPhoto", self._send_photo),
            ("close", self._return_true),
            ("logOut", self._return_true),
            *((name, self._return_true) for name in _ACCEPTED_NOOP_METHODS),
        ]
        # Telegram method names are case-insensitive.
        self._methods: dict[str, tuple[str, _Method]] = {
            name.lower(): (name, impl) for name, impl in table
        }

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("StubBotAPI is already running")
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, 0)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._port = int(runner.addresses[0][1])
        self._runner = runner

    async def stop(self) -> None:
        """Stop serving. Pending long polls are answered with ``[]`` first, so they do not
        hold up the shutdown."""
        if self._runner is None:
            return
        self._closing = True
        async with self._updates_changed:
            self._updates_changed.notify_all()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("StubBotAPI is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``; PTB appends ``<token>/<method>``."""
        return f"http://{self._host}:{self.port}/bot"

    # -- users -------------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Sanne",
        language_code: str | None = "nl",
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> SimUser:
        """The simulated user in their private chat with the bot (chat id == user id).

        Calling it again with the same id returns the same SimUser.
        """
        if user_id <= 0:
            raise ValueError("user ids are positive")
        existing = self._users.get((user_id, user_id))
        if existing is not None:
            return existing
        user = _user_api(user_id, first_name, language_code, last_name, username)
        chat_api: JSONDict = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat_api["last_name"] = last_name
        if username:
            chat_api["username"] = username
        return self._add_user(user, self._chat(user_id, chat_api))

    def group_user(
        self,
        user_id: int,
        chat_id: int = -100123,
        *,
        first_name: str = "Sanne",
        language_code: str | None = "nl",
        chat_type: str = "group",
        title: str = "Testgroep",
    ) -> SimUser:
        """A simulated user in a group chat; several users may share one group."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        existing = self._users.get((user_id, chat_id))
        if existing is not None:
            return existing
        user = _user_api(user_id, first_name, language_code, None, None)
        chat_api: JSONDict = {"id": chat_id, "type": chat_type, "title": title}
        return self._add_user(user, self._chat(chat_id, chat_api))

    def _chat(self, chat_id: int, api: JSONDict) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = _Chat(chat_id=chat_id, api=api, chat_instance=str(8_000_000_000 + abs(chat_id)))
            self._chats[chat_id] = chat
        return chat

    def _add_user(self, user: JSONDict, chat: _Chat) -> SimUser:
        sim = SimUser(self, chat, user)
        self._users[(int(user["id"]), chat.chat_id)] = sim
        return sim

    # -- fault injection and inspection --------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error instead of running it.

        429 mimics flood control (PTB raises ``RetryAfter``); 5xx a server error; any other
        status (e.g. 403) uses ``description``. Faulted calls land in ``faulted``, not
        ``calls``.
        """
        parameters: JSONDict | None = None
        if status == 429:
            text = description or f"Too Many Requests: retry after {retry_after}"
            parameters = {"retry_after": retry_after}
        elif description is not None:
            text = description
        elif status == 502:
            text = "Bad Gateway"
        elif status >= 500:
            text = "Internal Server Error"
        else:
            text = f"Error {status}"
        fault = _Fault(status=status, description=text, parameters=parameters, remaining=times)
        self._faults.setdefault(method.lower(), deque()).append(fault)

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the answer to the next ``times`` calls of ``method`` (for timeout tests).

        The call is only recorded and executed after the delay; if the client gives up
        first, it is never delivered.
        """
        self._delays.setdefault(method.lower(), deque()).append([seconds, times])

    def held(self, method: str) -> int:
        """How many calls of ``method`` are in flight: received, and held back by
        ``delay_next`` (a test that kills the bot while a send is on its way waits for
        this)."""
        return self._held.get(method.lower(), 0)

    def calls_for(self, method: str) -> list[JSONDict]:
        """Params of every delivered call of ``method`` (case-insensitive), in order."""
        return list(self._calls_by_method.get(method.lower(), ()))

    @property
    def commands(self) -> dict[str, list[JSONDict]]:
        """Default-scope commands by language_code ("" = all languages)."""
        return {lang: cmds for (scope, lang), cmds in self._commands.items() if scope == "default"}

    def commands_for(
        self, language_code: str = "", scope: JSONDict | None = None
    ) -> list[JSONDict]:
        return list(self._commands.get((_scope_key(scope), language_code), ()))

    def take_update(self, user: SimUser) -> JSONDict:
        """Remove and return the oldest queued update from `user`: for a test that delivers
        updates itself, as Telegram does to a webhook (getUpdates is refused meanwhile)."""
        for update in self._updates:
            payload = update.get("message") or update.get("callback_query") or {}
            if payload.get("from", {}).get("id") == user.user_id:
                self._updates.remove(update)
                return update
        raise AssertionError(f"{user!r}: no queued update")

    @contextlib.contextmanager
    def holding_updates(self) -> Iterator[None]:
        """Updates made in the block are queued but not handed out: a getUpdates call waits
        until the block ends and then gets them in one batch, as close to "at once" as
        Telegram gets."""
        self._handing_out.clear()
        try:
            yield
        finally:
            self._handing_out.set()

    def on_confirm(self, update_id: int, action: Callable[[], None]) -> None:
        """Call `action()` once, as soon as a getUpdates offset confirms `update_id` (and so
        every update before it): Telegram has then forgotten them. It runs before that call
        is answered, so a test can kill the bot right there."""
        self._on_confirm.append((update_id, action))

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    async def wait_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - test API
        """Wait until every queued update has been handed out by getUpdates.

        That means the bot has *fetched* them, not that it has finished handling them; use
        ``SimUser.reply()`` to wait for handling.
        """

        def idle() -> bool:
            return not self._updates or self._updates[-1]["update_id"] <= self._delivered_upto

        try:
            async with self._updates_changed, asyncio.timeout(timeout):
                await self._updates_changed.wait_for(idle)
        except TimeoutError:
            raise AssertionError(
                f"{len(self._updates)} updates still queued after {timeout}s; is the bot polling?"
            ) from None

    async def wait_confirmed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - test API
        """Wait until a getUpdates offset confirmed every queued update: Telegram has then
        forgotten them, so a bot killed now is not handed any of them again."""
        if not self._updates:
            return
        confirmed = asyncio.Event()
        self.on_confirm(self._updates[-1]["update_id"], confirmed.set)
        try:
            async with asyncio.timeout(timeout):
                await confirmed.wait()
        except TimeoutError:
            raise AssertionError(
                f"{len(self._updates)} updates still unconfirmed after {timeout}s"
            ) from None

    # -- request handling ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        try:
            params = await _read_params(request)
        except _BotApiError as failure:
            return _error_response(failure.status, failure.description, failure.parameters)
        entry = self._methods.get(name.lower())
        if entry is None:
            self.calls.append((name, params))
            self.unknown_calls.append((name, params))
            return _error_response(404, "Not Found: method not found")
        method, impl = entry
        key = method.lower()
        fault = _take(self._faults, key)
        if fault is not None:
            self.faulted.append(ApiError(method, params, fault.status, fault.description))
            return _error_response(fault.status, fault.description, fault.parameters)
        delay = _take_delay(self._delays, key)
        if delay:
            self._held[key] = self._held.get(key, 0) + 1
            try:
                await asyncio.sleep(delay)
            finally:
                self._held[key] -= 1
        self.calls.append((method, params))
        self._calls_by_method.setdefault(key, []).append(params)
        try:
            result = await impl(params)
        except _BotApiError as failure:
            self.errors.append(ApiError(method, params, failure.status, failure.description))
            return _error_response(failure.status, failure.description, failure.parameters)
        return web.Response(
            body=json.dumps({"ok": True, "result": result}).encode("utf-8"),
            content_type="application/json",
        )

    # -- updates ---------------------------------------------------------------------------------

    async def _enqueue(self, kind: str, payload: JSONDict) -> None:
        if self._allowed_updates is not None and kind not in self._allowed_updates:
            return  # Telegram does not even generate updates the bot did not ask for
        self.last_update_id = next(self._update_ids)
        self._updates.append({"update_id": self.last_update_id, kind: payload})
        async with self._updates_changed:
            self._updates_changed.notify_all()

    def _register_callback(self, user: SimUser) -> str:
        query_id = str(next(self._callback_ids))
        self._callback_owner[query_id] = user
        return query_id

    def _new_file_id(self, prefix: str) -> str:
        return f"{prefix}gQAAxkBAAI{next(self._file_ids):06d}"

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self.webhook_url:
            raise _BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset"), 0)
        limit = min(max(_as_int(params.get("limit"), _GET_UPDATES_MAX_LIMIT), 1), 100)
        timeout = max(_as_float(params.get("timeout"), 0.0), 0.0)
        self._set_allowed_updates(params.get("allowed_updates"))
        self._confirm(offset)
        await self._handing_out.wait()
        # A newer getUpdates call terminates an older pending one, as Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        if not self._updates and timeout > 0 and not self._closing:
            async with self._updates_changed:
                try:
                    async with asyncio.timeout(timeout):
                        await self._updates_changed.wait_for(
                            lambda: (
                                bool(self._updates)
                                or self._closing
                                or self._poll_generation != generation
                            )
                        )
                except TimeoutError:
                    pass
            if self._poll_generation != generation:
                raise _BotApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
        batch = list(itertools.islice(self._updates, limit))
        if batch:
            self._delivered_upto = max(self._delivered_upto, batch[-1]["update_id"])
        async with self._updates_changed:
            self._updates_changed.notify_all()  # wakes wait_idle()
        return batch

    def _confirm(self, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last -offset."""
        updates = self._updates
        if offset > 0:
            while updates and updates[0]["update_id"] < offset:
                updates.popleft()
            due = [hook for hook in self._on_confirm if hook[0] < offset]
            for hook in due:
                self._on_confirm.remove(hook)
                hook[1]()
        elif offset < 0:
            while len(updates) > -offset:
                updates.popleft()

    def _set_allowed_updates(self, allowed: Any) -> None:
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) if allowed else None

    async def _drop_pending_updates(self) -> None:
        self._updates.clear()
        async with self._updates_changed:
            self._updates_changed.notify_all()

    # -- Bot API methods ---------------------------------------------------------------------

    async def _return_true(self, params: JSONDict) -> bool:
        return True

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return self.bot_user

    async def _set_webhook(self, params: JSONDict) -> bool:
        self.webhook_url = str(params.get("url") or "")
        self.webhook_secret = str(params.get("secret_token") or "")
        self._set_allowed_updates(params.get("allowed_updates"))
        if params.get("drop_pending_updates") is True:
            await self._drop_pending_updates()
        return True

    async def _delete_webhook(self, params: JSONDict) -> bool:
        self.webhook_url = ""
        self.webhook_secret = ""
        if params.get("drop_pending_updates") is True:
            await self._drop_pending_updates()
        return True

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = _check_commands(params.get("commands"))
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands[key] = commands
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return list(self._commands.get(key, ()))

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    def _chat_for(self, params: JSONDict, *, writing: bool = True) -> _Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        chat = self._chats.get(_as_int(raw, 0))
        if chat is None:
            raise _bad_request("chat not found")
        if writing and chat.blocked:
            raise _BotApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    async def _emit(self, chat: _Chat, output: BotOutput) -> None:
        chat.outputs.append(output)
        chat.pending.append(output)
        async with chat.changed:
            chat.changed.notify_all()

    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for(params)
        text = params.get("text")
        if not isinstance(text, str):
            raise _bad_request("message text is empty")
        parse_mode = params.get("parse_mode")
        plain, entities = _render_text(text, parse_mode, params.get("entities"))
        if not plain.strip():
            raise _bad_request("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        markup = _check_markup(params.get("reply_markup"))
        message = BotMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.chat_id,
            date=_now(),
            kind="text",
            text=text,
            plain_text=plain,
            entities=entities,
            parse_mode=parse_mode if isinstance(parse_mode, str) else None,
            reply_markup=markup,
        )
        chat.messages[message.message_id] = message
        await self._emit(chat, message.to_output("sendMessage", params))
        return message.to_api(chat.api)

    def _message_to_edit(self, params: JSONDict) -> tuple[_Chat, BotMessage]:
        if params.get("inline_message_id"):
            raise _bad_request("message to edit not found")
        chat = self._chat_for(params)
        message_id = _as_int(params.get("message_id"), 0)
        message = chat.messages.get(message_id)
        if message is None:
            if message_id in chat.user_messages:
                raise _bad_request("message can't be edited")
            raise _bad_request("message to edit not found")
        return chat, message

    async def _edit_message_text(self, params: JSONDict) -> JSONDict:
        chat, message = self._message_to_edit(params)
        if message.kind != "text":
            raise _bad_request("there is no text in the message to edit")
        text = params.get("text")
        if not isinstance(text, str):
            raise _bad_request("message text is empty")
        parse_mode = params.get("parse_mode")
        plain, entities = _render_text(text, parse_mode, params.get("entities"))
        if not plain.strip():
            raise _bad_request("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        # Editing without reply_markup removes the inline keyboard, as in Telegram.
        markup = _check_markup(params.get("reply_markup"))
        if (
            plain == message.plain_text
            and entities == message.entities
            and _inline_markup(markup) == _inline_markup(message.reply_markup)
        ):
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        message.text = text
        message.plain_text = plain
        message.entities = entities
        message.parse_mode = parse_mode if isinstance(parse_mode, str) else None
        message.reply_markup = markup
        self._mark_edited(message)
        await self._emit(chat, message.to_output("editMessageText", params))
        return message.to_api(chat.api)

    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        chat, message = self._message_to_edit(params)
        markup = _check_markup(params.get("reply_markup"))
        if _inline_markup(markup) == _inline_markup(message.reply_markup):
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        message.reply_markup = markup
        self._mark_edited(message)
        output = message.to_output("editMessageReplyMarkup", params)
        if _inline_markup(markup) is None:
            # Buttons taken away from an older message: the chat's state (`messages`,
            # `outputs`), not an answer a test waits for with `reply()`.
            chat.outputs.append(output)
        else:
            await self._emit(chat, output)
        return message.to_api(chat.api)

    @staticmethod
    def _mark_edited(message: BotMessage) -> None:
        message.edited = True
        message.edit_count += 1
        message.edit_date = _now()

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        user = self._callback_owner.get(query_id)
        if user is None or query_id in self._answered_callbacks:
            raise _bad_request(_QUERY_INVALID.removeprefix("Bad Request: "))
        self._answered_callbacks.add(query_id)
        user.callback_answers.append(params)
        return True

    async def _send_chat_action(self, params: JSONDict) -> bool:
        self._chat_for(params)
        return True

    async def _delete_message(self, params: JSONDict) -> bool:
        chat = self._chat_for(params, writing=False)
        message_id = _as_int(params.get("message_id"), 0)
        if chat.messages.pop(message_id, None) is None and (
            chat.user_messages.pop(message_id, None) is None
        ):
            raise _bad_request("message to delete not found")
        return True

    async def _send_document(self, params: JSONDict) -> JSONDict:
        return await self._send_file(params, "document", "sendDocument", "BQAC")

    async def _send_photo(self, params: JSONDict) -> JSONDict:
        return await self._send_file(params, "photo", "sendPhoto", "AgAC")

    async def _send_file(self, params: JSONDict, kind: str, method: str, prefix: str) -> JSONDict:
        chat = self._chat_for(params)
        source = params.get(kind)
        upload = source if isinstance(source, UploadedFile) else None
        if upload is None and not (isinstance(source, str) and source):
            raise _bad_request(f"there is no {kind} in the request")
        if upload is not None and not upload.content:
            raise _bad_request("file must be non-empty")
        caption = params.get("caption")
        parse_mode = params.get("parse_mode")
        plain: str | None = None
        entities: list[JSONDict] = []
        if isinstance(caption, str) and caption:
            plain, entities = _render_text(caption, parse_mode, params.get("caption_entities"))
            if len(plain) > MAX_CAPTION_LENGTH:
                raise _bad_request("message caption is too long")
        message = BotMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.chat_id,
            date=_now(),
            kind=kind,
            text=caption if isinstance(caption, str) and caption else None,
            plain_text=plain,
            entities=entities,
            parse_mode=parse_mode if isinstance(parse_mode, str) else None,
            reply_markup=_check_markup(params.get("reply_markup")),
            file=upload,
            file_ref=source if isinstance(source, str) else None,
            file_id=self._new_file_id(prefix),
        )
        chat.messages[message.message_id] = message
        await self._emit(chat, message.to_output(method, params))
        return message.to_api(chat.api)


def _user_api(
    user_id: int,
    first_name: str,
    language_code: str | None,
    last_name: str | None,
    username: str | None,
) -> JSONDict:
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def _take(faults: dict[str, deque[_Fault]], key: str) -> _Fault | None:
    queue = faults.get(key)
    if not queue:
        return None
    fault = queue[0]
    fault.remaining -= 1
    if fault.remaining <= 0:
        queue.popleft()
    return fault


def _take_delay(delays: dict[str, deque[list[float]]], key: str) -> float:
    queue = delays.get(key)
    if not queue:
        return 0.0
    entry = queue[0]
    entry[1] -= 1
    if entry[1] <= 0:
        queue.popleft()
    return entry[0]


def _error_response(
    status: int, description: str, parameters: JSONDict | None = None
) -> web.Response:
    payload: JSONDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        payload["parameters"] = parameters
    return web.Response(
        status=status,
        body=json.dumps(payload).encode("utf-8"),
        content_type="application/json",
    )
