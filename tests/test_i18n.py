"""Translations: complete, up to date with the code and flows, and faithful to placeholders
and markup; language choice and Babel formatting."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import PROJECT_ROOT
from bot.engine.loader import parse_flow
from bot.engine.spec import FlowSet
from bot.i18n import LANGUAGES, language_for
from bot.i18n.fmt import date_long

LOCALES = PROJECT_ROOT / "locales"
POT = LOCALES / "messages.pot"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?[bi]>")


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def po(language: str) -> Catalog:
    return read(LOCALES / language / "LC_MESSAGES" / "messages.po")


def entries(catalog: Catalog) -> list[Message]:
    """Every message but the header."""
    return [message for message in catalog if message.id]


def strings(message: Message) -> list[str]:
    value = message.string
    return list(value) if isinstance(value, tuple | list) else [value or ""]


def msgid(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def flow_texts() -> set[str]:
    """What the Babel extractor takes from flows/*.yaml: each file parsed on its own, as
    `make i18n` does, walked with `FlowSet.msgids()`."""
    flows = {}
    for path in sorted((PROJECT_ROOT / "flows").glob("*.yaml")):
        flow, _problems = parse_flow(path)
        if flow is not None:
            flows[flow.id] = flow
    return {text for _path, _line, text in FlowSet(flows).msgids()}


def code_texts() -> set[str]:
    """What the Babel extractor takes from bot/**.py (N_, _, gettext ...)."""
    found = extract_from_dir(str(PROJECT_ROOT), method_map=[("bot/**.py", "python")])
    return {message if isinstance(message, str) else message[0] for *_, message, _c, _x in found}


def from_flows(message: Message) -> bool:
    return any(comment.startswith("flow ") for comment in message.auto_comments)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_has_a_finished_translation(language: str) -> None:
    catalog = po(language)
    problems = []
    for message in entries(read(POT)):
        translated = catalog.get(message.id)
        if translated is None:
            problems.append(f"missing: {msgid(message)!r}")
        elif translated.fuzzy:
            problems.append(f"fuzzy: {msgid(message)!r}")
        elif not all(text.strip() for text in strings(translated)):
            problems.append(f"empty: {msgid(message)!r}")
    assert problems == [], f"{len(problems)} messages not finished in {language}"


def test_every_flow_text_is_in_the_pot() -> None:
    pot = entries(read(POT))
    in_pot = {msgid(message) for message in pot}
    texts = flow_texts()

    assert sorted(texts - in_pot) == [], "run `make i18n`: flow texts missing from the .pot"
    stale = {msgid(message) for message in pot if from_flows(message)} - texts
    assert sorted(stale) == [], "run `make i18n`: the .pot has flow texts no flow uses"


def test_every_code_text_is_in_the_pot() -> None:
    pot = entries(read(POT))
    in_pot = {msgid(message) for message in pot}
    texts = code_texts()

    assert sorted(texts - in_pot) == [], "run `make i18n`: code texts missing from the .pot"
    stale = {msgid(message) for message in pot if not from_flows(message)} - texts
    assert sorted(stale) == [], "run `make i18n`: the .pot has code texts no code uses"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_markup(language: str) -> None:
    """The same placeholders (a translation may name one twice, never drop or invent one)
    and exactly as many <b>, </b>, <i>, </i> as the msgid."""
    problems = []
    for message in entries(po(language)):
        if message.fuzzy:
            continue
        source = msgid(message)
        for text in strings(message):
            if not text:
                continue
            want, got = set(PLACEHOLDER.findall(source)), set(PLACEHOLDER.findall(text))
            if want != got:
                problems.append(f"placeholders {sorted(want)} != {sorted(got)} in {text!r}")
            want_tags, got_tags = Counter(TAG.findall(source)), Counter(TAG.findall(text))
            if want_tags != got_tags:
                problems.append(f"tags {dict(want_tags)} != {dict(got_tags)} in {text!r}")
    assert problems == []


@pytest.mark.parametrize(
    ("code", "language"),
    [("en-GB", "en"), ("en", "en"), ("EN-us", "en"), ("de", "nl"), ("nl", "nl"), (None, "nl")],
)
def test_language_for(code: str | None, language: str) -> None:
    assert language_for(code) == language


def test_dates_in_dutch_and_english_in_the_practitioners_zone() -> None:
    noon = datetime(2026, 9, 14, 12, 0, tzinfo=UTC)
    late = datetime(2026, 9, 14, 22, 30, tzinfo=UTC)  # already the 15th in Amsterdam

    assert date_long(noon, "nl", "Europe/Amsterdam") == "14 september 2026"
    assert date_long(noon, "en", "Europe/Amsterdam") == "14 September 2026"
    assert date_long(late, "nl", "Europe/Amsterdam") == "15 september 2026"
    assert date_long(late, "nl", "UTC") == "14 september 2026"


def test_english_texts_name_the_english_commands() -> None:
    """An English text says /help, /prepare, /cancel, never the Dutch /hulp, ... (both
    work, but an English practitioner reads English)."""
    parsed = (parse_flow(path)[0] for path in sorted((PROJECT_ROOT / "flows").glob("*.yaml")))
    dutch_only = {
        flow.command
        for flow in parsed
        if flow is not None and flow.command_en and flow.command_en != flow.command
    } | {"annuleer"}
    named = re.compile(r"(?<![\w/<.:])/(" + "|".join(sorted(dutch_only)) + r")\b")
    problems = [
        f"{msgid(message)!r} says /{found}"
        for message in entries(po("en"))
        for text in strings(message)
        for found in named.findall(text)
    ]
    assert problems == []


def test_english_texts_have_no_dutch_examples() -> None:
    """English examples are English: "grandma", "Family B.", not "oma", "Gezin B."."""
    dutch = re.compile(r"\b(oma|opa|tante|buurvrouw|buurman|juf|gezin|fam\.|netwerkplan)", re.I)
    problems = [
        f"{msgid(message)!r}: {found}"
        for message in entries(po("en"))
        for text in strings(message)
        for found in dutch.findall(text)
    ]
    assert problems == []
