"""Engine replies as Telegram messages: HTML text and inline keyboards."""

from __future__ import annotations

from typing import Any

from bot.engine.events import Reply


def keyboard(reply: Reply) -> dict[str, Any] | None:
    """The reply's buttons as the Bot API's `InlineKeyboardMarkup`, a plain object: it is
    only sent, so building python-telegram-bot's objects for it would be work for nothing."""
    if not reply.buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": b.label, "callback_data": b.data} for b in row] for row in reply.buttons
        ]
    }


def message_fields(reply: Reply) -> dict[str, Any]:
    """What `sendMessage` and `editMessageText` get for a reply, besides where it goes."""
    fields: dict[str, Any] = {
        "text": reply.text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    markup = keyboard(reply)
    if markup is not None:
        fields["reply_markup"] = markup
    return fields
