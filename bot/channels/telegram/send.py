"""Replies sent without reading back the message Telegram returns.

`Bot.send_message` and `Message.edit_text` turn Telegram's answer into a `Message`, which
the bot never looks at; building it took a quarter of a millisecond per reply on a small
server, as much as a database write (`make bench`). These post the same Bot API calls
through the bot's `_post`, below the method but above the request: python-telegram-bot
still encodes the parameters, applies the rate limiter and its retries (`ratelimit.py`),
and raises its own errors (`BadRequest`, `Forbidden`, `TimedOut`, ...).

`_post` is not public API; the version of python-telegram-bot is pinned to 22.x in
pyproject.toml, and every end-to-end test goes through here.
"""

from __future__ import annotations

from telegram import Bot

from bot.channels.telegram.render import message_fields
from bot.engine.events import Reply


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    """`sendMessage` with the reply's text (HTML) and buttons."""
    await bot._post("sendMessage", {"chat_id": chat_id, **message_fields(reply)})


async def edit_reply(bot: Bot, chat_id: int, message_id: int, reply: Reply) -> None:
    """`editMessageText`: the message with the pressed button shows the reply instead."""
    data = {"chat_id": chat_id, "message_id": message_id, **message_fields(reply)}
    await bot._post("editMessageText", data)
