"""The short lines of /afspraken and of "Still open" after /plan, and their numbers.

A practitioner reads them on a phone: each line says who must act, leads with what was
agreed (not with a label the stored text already carries, nor with a long kind name) and
is cut only after a whole word. The number in front of a line is the number that opens
it, on every page and on every channel: the buttons on Telegram, the numbered choices on
the console and Matrix (`bot.channels.choices`).
"""

from __future__ import annotations

import html
import re

from bot.actions import agreements as ag
from bot.actions import plan
from bot.channels.choices import flatten, numbered_lines
from bot.channels.console import parse
from bot.channels.matrix.events import text_event
from bot.engine.events import Identity, Press
from bot.runtime import Runtime
from tests.support.chat import Chat
from tests.support.network import NewAgreement, many_agreements, seed_network
from tests.support.onboarding import onboard

_TAG = re.compile(r"<[^>]+>")

TASKS = [
    NewAgreement(3, "Haalt de kinderen op woensdag uit school", "approach", "Oma"),
    NewAgreement(3, "Vraagt het zelf aan oma", "responsibility", "parent"),
    NewAgreement(3, "Zegt het als een dag niet lukt", "responsibility", "buurvrouw Fatma"),
    NewAgreement(3, "Belt de school over het ophalen", "responsibility", "practitioner"),
]
WISH = "In de woorden van de ouder: “Dat oma vaker komt en de kinderen soms ophaalt na school”"
MEANING = "Wat het netwerk gaat betekenen: minder alleen staan als het tegenzit op school"
NOTES = [
    NewAgreement(1, WISH, "wish", "parent"),
    NewAgreement(4, MEANING, "closing", "parent"),
]


def seen(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def numbered(text: str) -> dict[int, str]:
    """The list's lines by their number, as read (markup out)."""
    found = {}
    for line in seen(text).splitlines():
        match = re.match(r"(\d+)\. (.*)", line)
        if match:
            found[int(match.group(1))] = match.group(2)
    return found


def line_with(text: str, words: str) -> str:
    [line] = [line for line in seen(text).splitlines() if words in line]
    return line


async def family(runtime: Runtime, agreements: list[NewAgreement], language: str = "nl") -> Chat:
    chat = Chat(runtime.turns, Identity("test:lines", language))
    await onboard(chat, "Gezin F.")
    await seed_network(runtime.settings.database_url, chat.who.key, [], agreements)
    return chat


# --- 1. who --------------------------------------------------------------------------------


async def test_a_task_line_says_who_acts(engine_runtime: Runtime) -> None:
    chat = await family(engine_runtime, TASKS)
    await chat.send("/afspraken")
    text = chat.last.text
    assert f"{ag.OPEN_MARK} <b>Buurvrouw Fatma</b>: Zegt het als een dag niet lukt" in text
    assert f"{ag.OPEN_MARK} <b>De ouder</b>: Vraagt het zelf aan oma" in text
    assert f"{ag.OPEN_MARK} <b>Jij</b>: Belt de school over het ophalen" in text
    goal = chat.t(ag.KINDS["approach"])
    assert line_with(text, "Haalt de kinderen").startswith(f"1. {ag.OPEN_MARK} {goal} · Oma: ")
    assert chat.t(ag.KINDS["responsibility"]) not in text  # who says it: "Fatma: …"


async def test_still_open_after_plan_says_who_acts(engine_runtime: Runtime) -> None:
    chat = await family(engine_runtime, TASKS)
    await chat.send("/plan")
    await chat.press("Working notes")
    text = chat.outcomes[-1].replies[0].text
    still = text[text.index(chat.t(plan.SUMMARY_NEXT)) :]
    assert f"{ag.OPEN_MARK} <b>Buurvrouw Fatma</b>: Zegt het als een dag niet lukt" in still
    assert f"{ag.OPEN_MARK} <b>De ouder</b>: Vraagt het zelf aan oma" in still


# --- 2. the content leads ------------------------------------------------------------------


async def test_a_line_leads_with_the_content_and_cuts_after_a_whole_word(
    engine_runtime: Runtime,
) -> None:
    chat = await family(engine_runtime, NOTES)
    await chat.send("/afspraken")
    wish = line_with(chat.last.text, "Dat oma")
    meaning = line_with(chat.last.text, "minder alleen")
    assert wish.startswith(f"1. {chat.t(ag.SHORT_KINDS['wish'])}: “Dat oma vaker komt"), wish
    assert meaning.startswith(f"2. {chat.t(ag.SHORT_KINDS['closing'])}: minder alleen"), meaning
    for line, stored in ((wish, WISH), (meaning, MEANING)):
        assert "In de woorden" not in line and "Wat het netwerk" not in line
        assert line.endswith("…") and len(line) <= len("1. ") + ag.LINE_TEXT
        shown = line.split(": ", 1)[1][:-1]
        content = stored.split(": ", 1)[1]
        assert content.startswith(shown) and content[len(shown)] == " ", line  # a whole word


def test_words_are_cut_whole() -> None:
    from bot.actions.common import shorten_words

    assert shorten_words("Wat het netwerk gaat betekenen", 24) == "Wat het netwerk gaat…"
    assert shorten_words("Wat het netwerk gaat", 24) == "Wat het netwerk gaat"
    assert shorten_words("Ontzettendlangwoordzonderspaties", 10) == "Ontzettend"[:9] + "…"


def test_only_the_bots_own_labels_are_left_out(engine_runtime: Runtime) -> None:
    """The bot's labels go ("Signaal:", in either language), in every language; a label
    the practitioner typed ("Let op:") is their words and stays."""
    catalogs = engine_runtime.turns.catalogs
    assert ag.without_label("Signaal: ze neemt niet op. Dan oma: belt", catalogs) == (
        "ze neemt niet op. Dan oma: belt"
    )
    assert ag.without_label("Signal: no answer. Then grandma: calls", catalogs) == (
        "no answer. Then grandma: calls"
    )
    assert ag.without_label("Oma belt om 10:30 op zondag", catalogs) == (
        "Oma belt om 10:30 op zondag"
    )
    for typed in ("Let op: oma rijdt geen auto", "Belangrijk voor school: niet bellen"):
        assert ag.without_label(typed, catalogs) == typed


async def test_a_label_the_practitioner_typed_stays_in_the_list(engine_runtime: Runtime) -> None:
    typed = "Let op: oma rijdt geen auto meer"
    chat = await family(engine_runtime, [NewAgreement(4, typed, "expectation", None)])
    await chat.send("/afspraken")
    assert "Let op: oma rijdt" in seen(chat.last.text)


# --- 3. the numbers ------------------------------------------------------------------------


async def to_page(chat: Chat, page: int) -> None:
    await chat.send("/afspraken")
    for _ in range(page - 1):
        await chat.press(chat.t("More ›"))


async def assert_numbers_open_their_lines(chat: Chat, page: int) -> None:
    """Every number shown in the list is the button of that line (Telegram), and typed
    on the console or Matrix it opens that same line's agreement."""
    await to_page(chat, page)
    lines = numbered(chat.last.text)
    assert sorted(lines) == list(range(1, ag.PAGE_SIZE + 1))
    assert chat.labels[: ag.PAGE_SIZE] == [str(n) for n in lines]
    for number, line in lines.items():
        choices = flatten(chat.last.buttons)  # each reply signs its own buttons
        assert numbered_lines(choices)[number - 1] == f"{number}. {number}"
        typed = parse(str(number), choices)
        assert isinstance(typed, Press)
        assert text_event(str(number), choices, ()) == typed  # Matrix reads it the same
        await chat.handle(typed)
        assert (await chat.where()).step == "item"
        content = line.split(": ", 1)[1].removesuffix("…")
        assert content in seen(chat.last.text), (number, line)
        await chat.press(chat.t("‹ All agreements"))
        assert numbered(chat.last.text) == lines  # back on the same page
    beyond = str(2 * ag.PAGE_SIZE + 1)  # "13": no line says 13, on page 3 neither
    assert not isinstance(parse(beyond, flatten(chat.last.buttons)), Press)
    # Under the list: which page, not "13–18 of 40" above lines numbered 1 to 6.
    assert chat.t(ag.PAGE_LINE, page=str(page), pages="7") in chat.last.text


async def test_page_one_numbers_match_on_every_channel(engine_runtime: Runtime) -> None:
    chat = await family(engine_runtime, many_agreements(40))
    await assert_numbers_open_their_lines(chat, 1)


async def test_page_three_numbers_match_on_every_channel(engine_runtime: Runtime) -> None:
    chat = await family(engine_runtime, many_agreements(40))
    await assert_numbers_open_their_lines(chat, 3)
