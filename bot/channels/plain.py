"""The engine's HTML-lite (<b>, <i>, escaped values) as plain text, for a terminal and
for the plain `body` every Matrix message carries beside its HTML."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<(/?)([a-zA-Z]+)[^>]*>")
_ANSI = {"b": ("\x1b[1m", "\x1b[22m"), "i": ("\x1b[3m", "\x1b[23m")}


def to_terminal(text: str, *, ansi: bool) -> str:
    """Tags go first and entities are unescaped last, so a label typed as `<b>x</b>`
    (escaped by the turns) shows literally. `ansi`: bold and italic as terminal codes."""

    def tag(match: re.Match[str]) -> str:
        codes = _ANSI.get(match.group(2).lower())
        if not ansi or codes is None:
            return ""
        return codes[1] if match.group(1) else codes[0]

    return html.unescape(_TAG.sub(tag, text))


def plain(text: str) -> str:
    return to_terminal(text, ansi=False)
