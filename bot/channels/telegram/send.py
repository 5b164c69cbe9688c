"""Replies sent without reading back the message Telegram returns.

`Bot.send_message` and `Message.edit_text` turn Telegram's answer into a `Message`, which
the bot never looks at; building it took a quarter of a millisecond per reply on a small
server, as much as a database write (`make bench`). These post the same Bot API calls as a
JSON body through the bot's own request (`BotApiRequest.post_json`), and through the bot's
rate limiter when it has one, as `ExtBot` does for its methods: with public names only.
The limiter waits for each call's turn and retries (`ratelimit.py`, `retry.py`); the
request raises python-telegram-bot's own errors (`BadRequest`, `Forbidden`, `TimedOut`,
...), which the callers catch.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot
from telegram.ext import ExtBot

from bot.channels.telegram.render import message_fields
from bot.channels.telegram.transport import BotApiRequest
from bot.engine.events import Reply
from bot.errors import ArgumentError


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> int | None:
    """`sendMessage` with the reply's text (HTML) and buttons; the new message's id, read
    from the plain JSON answer (None if Telegram's answer had none)."""
    sent = await post_unread(bot, "sendMessage", {"chat_id": chat_id, **message_fields(reply)})
    message_id = sent.get("message_id") if isinstance(sent, dict) else None
    return message_id if isinstance(message_id, int) else None


async def clear_keyboard(bot: Bot, chat_id: int, message_id: int) -> None:
    """`editMessageReplyMarkup` without a markup: the message keeps its text, its buttons
    go (they belong to a step that is no longer current)."""
    await post_unread(bot, "editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id})


async def edit_reply(bot: Bot, chat_id: int, message_id: int, reply: Reply) -> None:
    """`editMessageText`: the message with the pressed button shows the reply instead."""
    data = {"chat_id": chat_id, "message_id": message_id, **message_fields(reply)}
    await post_unread(bot, "editMessageText", data)


async def post_unread(bot: Bot, endpoint: str, data: dict[str, Any]) -> object:
    """Call `endpoint` with `data` (plain JSON); the answer comes back as plain JSON, never
    turned into python-telegram-bot's objects, and an error is raised. Every bot the bot
    builds sends over `BotApiRequest` (`app.py`); `Bot.request` is the public way to reach
    it."""
    request = bot.request
    if not isinstance(request, BotApiRequest):
        raise ArgumentError(f"replies need a bot built with BotApiRequest, not {type(request)}")
    url = f"{bot.base_url}/{endpoint}"
    limiter = bot.rate_limiter if isinstance(bot, ExtBot) else None
    if limiter is None:
        return await request.post_json(url, data)
    return await limiter.process_request(
        callback=request.post_json,
        args=(url, data),
        kwargs={},
        endpoint=endpoint,
        data=data,
        rate_limit_args=None,
    )
