"""Engine replies as Telegram messages: HTML text and inline keyboards."""

from __future__ import annotations

from bot.engine.events import Reply
from telegram import InlineKeyboardButton, InlineKeyboardMarkup


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )
