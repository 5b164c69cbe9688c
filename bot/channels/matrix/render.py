"""Engine replies as Matrix messages: HTML with a plain-text body, choices numbered.

Matrix has no buttons, so a reply's buttons become the numbered lines the console shows
too (`bot.channels.choices`), under the text; for a question with a few choices the bot
also reacts to its own message with keycaps (1️⃣ … 5️⃣), so that one tap answers.

Element takes a typed `/start` as its own command, so wherever a text names one of the
bot's commands (`/menu`), Matrix shows the form that works there (`!menu`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Sequence
from typing import Any

from bot.channels.choices import numbered_lines
from bot.channels.plain import plain
from bot.engine.events import ReplyButton

PREFIX = "!"
KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣")
"""Reactions for the first choices; a question with more choices gets none (a row of
nine emoji under a message reads worse than the numbered list above them)."""

_SLASH_COMMAND = re.compile(r"(?<![\w/<.:])/([a-z]+)\b")


def command_form(text: str, commands: Collection[str]) -> str:
    """`/menu` as `!menu` where `menu` is one of the bot's commands; other slashes stay."""

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        return PREFIX + name if name in commands else match.group(0)

    return _SLASH_COMMAND.sub(swap, text)


def message_content(
    text: str, choices: Sequence[ReplyButton], commands: Collection[str]
) -> dict[str, Any]:
    """An `m.text` message: the engine's HTML as `formatted_body`, its plain text as
    `body` (what notifications and older clients show), the choices under both."""
    text = command_form(text, commands)
    lines = numbered_lines(choices)
    body = plain(text)
    formatted = text.replace("\n", "<br>")
    if lines:
        body += "\n\n" + "\n".join(lines)
        formatted += "<br><br>" + "<br>".join(html.escape(line, quote=False) for line in lines)
    return {
        "msgtype": "m.text",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
    }


def notice_content(text: str, commands: Collection[str]) -> dict[str, Any]:
    """A short line from the channel itself (a button-press notice, a warning)."""
    return message_content(text, (), commands) | {"msgtype": "m.notice"}


def keycap_number(key: str) -> int | None:
    """The choice a reaction presses (1-based), or None for any other emoji. Clients
    differ in whether they send the variation selector (U+FE0F); both forms count."""
    bare = key.replace("\ufe0f", "")
    for number, keycap in enumerate(KEYCAPS, start=1):
        if bare == keycap.replace("\ufe0f", ""):
            return number
    return None
