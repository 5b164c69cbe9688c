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

from bot.actions import agreements as ag
from bot.engine.events import Identity
from bot.runtime import Runtime
from tests.support.chat import Chat
from tests.support.explore import Explorer
from tests.support.network import many_agreements, seed_network
from tests.support.onboarding import onboard

LONGEST = 600
"""Characters of one message, as seen: the issue's limit."""


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
    assert too_long == {}
    assert len(lengths) > 80  # every step of every flow (explorer.missing() says so)


@pytest.mark.parametrize("language", ["nl", "en"])
async def test_agreements_are_paged_one_short_line_each_with_number_buttons(
    engine_runtime: Runtime, language: str
) -> None:
    """A family with 40 agreements: /afspraken shows them a page at a time, each page
    under 600 characters, its buttons the numbers of its lines and the way to the next
    page, never an agreement's text again as a button; every agreement is on a page."""
    chat = Chat(engine_runtime.turns, Identity("test:pages", language))
    await onboard(chat, "Fam. P")
    await seed_network(engine_runtime.settings.database_url, chat.who.key, [], many_agreements(40))
    await chat.send("/afspraken")
    pages: list[list[str]] = []
    later = chat.t("More ›")
    for _ in range(40):
        text = seen(chat.last.text)
        assert len(text) <= LONGEST, text
        labels = chat.labels
        page = [label for label in labels if label.isdigit()]
        assert 0 < len(page) <= ag.PAGE_SIZE
        assert all(f"{number}. " in text for number in page)  # a line per button
        assert not any("Afspraak" in label for label in labels)  # no text as a label
        pages.append(page)
        if later not in labels:
            break
        await chat.press(later)
    # Every page numbers its lines from 1, as its buttons: on the console and Matrix the
    # number of a line is the number of its choice (tests/test_agreement_lines.py).
    assert all(page == [str(n) for n in range(1, len(page) + 1)] for page in pages)
    assert sum(len(page) for page in pages) == 40
    assert chat.t("‹ Earlier") in chat.labels
    await chat.press(chat.t("‹ Earlier"))
    assert chat.t(ag.PAGE_LINE, page="6", pages="7") in chat.last.text
    await chat.press("1")  # a number opens that agreement, as its line said
    assert (await chat.where()).step == "item"
