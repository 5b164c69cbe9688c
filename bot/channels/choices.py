"""Buttons as numbered choices, for channels without buttons: the console and Matrix.

One rendering and one reading, so a practitioner who knows one knows the other: each
choice on its own line (`1. Verder`), short enough for a phone; the answer is the number,
or the start of the label ("verder", "pauze"). A typed line that is neither is ordinary
text for the step, so free-text answers keep working while choices are shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.engine.events import ReplyButton

Rows = Sequence[Sequence[ReplyButton]]

MIN_PREFIX = 2
"""Letters of a label that must be typed before they press it: one letter is too often
the start of an ordinary answer."""


def flatten(rows: Rows) -> list[ReplyButton]:
    """The buttons in the order they are numbered: row by row, left to right."""
    return [button for row in rows for button in row]


def numbered_lines(choices: Sequence[ReplyButton]) -> list[str]:
    """`1. Verder`, one line per choice."""
    return [f"{number}. {button.label}" for number, button in enumerate(choices, start=1)]


def words_of(label: str) -> str:
    """A label as typed: lower case, without the arrows, emoji and punctuation around it
    ("› Verder" and "Verder ›" both read as "verder")."""
    kept = "".join(
        char if unicodedata.category(char)[0] in "LN" else " " for char in label.casefold()
    )
    return " ".join(kept.split())


def chosen_number(text: str, count: int) -> int | None:
    """The 1-based number typed as the whole answer (`2`, `2.`, ` 2 `), if it is one of
    the `count` choices."""
    match = re.fullmatch(r"\s*([0-9]{1,2})\s*[.)]?\s*", text)
    if match is None:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= count else None


def pick(text: str, choices: Sequence[ReplyButton]) -> ReplyButton | None:
    """The choice `text` answers: its number, a whole label, or the start of exactly one
    label (at least `MIN_PREFIX` letters). None: the line is text, not a choice."""
    number = chosen_number(text, len(choices))
    if number is not None:
        return choices[number - 1]
    typed = words_of(text)
    if len(typed) < MIN_PREFIX:
        return None
    exact = [button for button in choices if words_of(button.label) == typed]
    if len(exact) == 1:
        return exact[0]
    starting = [button for button in choices if words_of(button.label).startswith(typed)]
    return starting[0] if len(starting) == 1 else None
