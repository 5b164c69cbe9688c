"""Typed text as the interpreter reads it: cleaned, then checked against the step's `input`."""

from __future__ import annotations

import re
import unicodedata

from bot.engine.messages import EMPTY, INVALID, TOO_LONG, TOO_SHORT
from bot.engine.render import fill
from bot.engine.spec import Input
from bot.i18n import Translator

_EMOJI = r"[\u2600-\u27bf\ufe0f\U0001f000-\U0001faff]"
# Zero-width and direction-changing characters go, except the joiner inside an emoji
# sequence (👨‍👩‍👧 is one family, not three people).
_INVISIBLE = re.compile(
    rf"(?!(?<={_EMOJI})\u200d(?={_EMOJI}))[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


def clean_text(text: str) -> str:
    """What we keep of typed text: no control or invisible characters, single spaces."""
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if ch in "\n" or unicodedata.category(ch) != "Cc")
    return " ".join(text.split())


def problem_with(text: str, spec: Input, t: Translator) -> str | None:
    """The line that says why `text` (cleaned) does not fit `spec`, or None when it does.
    Empty text passes a step whose input is not required."""
    if not text:
        return t.gettext(EMPTY) if spec.required else None
    if len(text) > spec.max_length:
        return fill(t.gettext(TOO_LONG), {"max": str(spec.max_length)})
    if len(text) < spec.min_length:
        return fill(t.gettext(TOO_SHORT), {"min": str(spec.min_length)})
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        return t.gettext(spec.invalid or INVALID)
    return None
