"""No message a practitioner can receive is longer than a phone screen can take in (#16).

Every step of every flow is reached the way a practitioner reaches it (the explorer of
tests/support/explore.py), in Dutch and in English, and its text as the bot sends it –
the step's words, its progress line, its tips and warnings, and the lines said above it –
is measured as the practitioner sees it (markup taken out). /afspraken is measured
apart, page by page, for a family with many agreements.
"""

from __future__ import annotations

import html
import re

import pytest

from bot.runtime import Runtime
from tests.support.chat import Chat
from tests.support.explore import Explorer

LONGEST = 600
"""Characters of one message, as seen: the issue's limit."""

TOO_LONG_TODAY = {
    *(
        (language, flow, step)
        for language in ("nl", "en")
        for flow, step in (
            ("afspraken", "list"),
            ("hulp", "info"),
            ("privacy", "info"),
            ("tips", "phase1"),
            ("tips", "phase3"),
        )
    ),
    ("nl", "tips", "phase4"),
}
"""Known before the round of #16 that shortens them; this set goes when they are short."""

_TAG = re.compile(r"<[^>]+>")


def seen(text: str) -> str:
    """What the practitioner reads: the text without its HTML markup."""
    return html.unescape(_TAG.sub("", text))


@pytest.mark.parametrize("language", ["nl", "en"])
async def test_every_step_as_shown_fits_in_600_characters(
    engine_runtime: Runtime, language: str
) -> None:
    turns = engine_runtime.turns
    lengths: dict[tuple[str, str, str], int] = {}

    async def measure(chat: Chat, flow: str, step: str) -> None:
        lengths[(language, flow, step)] = len(seen(chat.last.text))

    explorer = Explorer(turns.flows, lambda: turns, measure, language=language)
    await explorer.run()
    assert explorer.missing() == {}
    too_long = {where: n for where, n in lengths.items() if n > LONGEST}
    known = {where for where in TOO_LONG_TODAY if where[0] == language}
    assert set(too_long) == known, sorted(too_long.items())
