"""Readable Dutch: Flesch-Douma over every Dutch text of the nl catalog (#16).

Practitioners read the bot between two home visits, on a phone. Flesch-Douma (Flesch
reading ease with Douma's constants for Dutch: 206.835 - 0.93 x words per sentence - 77 x
syllables per word) drops with long sentences and long words, the two things that make
a chat message hard to take in at a glance. textstat computes it, with Dutch syllables
from pyphen's hyphenation dictionary (never its English word list, which it would
download). Every msgstr of 8 words or more counts, once markup, placeholders and emoji
are taken out; shorter texts (buttons, labels) are too short for a sentence measure.

The bar: the median at 80 or above (easy) and no text under 50 (hard). When it fails,
the message lists the hardest texts with their msgid, so the author knows which to
rewrite: shorter sentences, common words, one thing per sentence.

The same texts say "de ouder" for this family's parent, never "de ouders" or "ouder(s)"
(the rule is at `THE_PARENTS`).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po
from textstat.textstat import textstatistics

from bot.config import PROJECT_ROOT

NL_CATALOG = PROJECT_ROOT / "locales" / "nl" / "LC_MESSAGES" / "messages.po"
MIN_WORDS = 8
MEDIAN_AT_LEAST = 80.0
EACH_AT_LEAST = 50.0
SHOWN = 12
"""How many of the hardest texts a failure lists."""

TAG = re.compile(r"<[^>]+>")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
KEPT_PUNCTUATION = frozenset(".,!?;:'’‘“”\"()-–/…")
LINE_END = re.compile(r"(?<![.!?:;…])[ \t]*\n")
"""A line that ends without punctuation (a heading, a list item) still ends a thought on
a phone screen: it counts as a sentence end, not as the start of a longer sentence."""


def _flesch_douma() -> textstatistics:
    """A textstat instance of our own, set to Dutch: the module's shared one starts in
    English, whose syllable count downloads a word list."""
    meter = textstatistics()
    meter.set_lang("nl")
    return meter


METER = _flesch_douma()


def plain(text: str) -> str:
    """The words a reader reads: no HTML, no `{placeholders}`, no emoji or other symbols."""
    text = PLACEHOLDER.sub("", TAG.sub("", text))
    text = "".join(c for c in text if c.isalnum() or c.isspace() or c in KEPT_PUNCTUATION)
    return LINE_END.sub(".\n", text.strip())


@dataclass(frozen=True)
class Scored:
    score: float
    msgid: str
    text: str

    def line(self) -> str:
        return f"{self.score:5.1f}  {self.msgid!r}\n       nl: {self.text!r}"


def words(text: str) -> int:
    return int(METER.lexicon_count(text))


def score(text: str) -> float:
    return float(METER.flesch_reading_ease(text))


def dutch_texts(catalog_path: Path) -> list[tuple[str, str]]:
    """Every Dutch text of the catalog with its msgid; each plural form on its own."""
    with catalog_path.open("rb") as handle:
        catalog = read_po(handle)
    found = []
    for message in catalog:
        if message.id:
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            forms = message.string if isinstance(message.string, tuple | list) else [message.string]
            found.extend((msgid, form) for form in forms if form)
    return found


def scored_texts(catalog_path: Path) -> list[Scored]:
    """Every Dutch text of `MIN_WORDS` words or more with its Flesch-Douma, hardest first."""
    found = []
    for msgid, form in dutch_texts(catalog_path):
        text = plain(form)
        if words(text) >= MIN_WORDS:
            found.append(Scored(score(text), msgid, form))
    return sorted(found, key=lambda s: s.score)


def verdict(scored: list[Scored]) -> list[str]:
    """What is wrong with these texts' readability, worded for the author; empty if fine."""
    problems = []
    median = statistics.median(s.score for s in scored)
    if median < MEDIAN_AT_LEAST:
        problems.append(f"median Flesch-Douma {median:.1f}, below {MEDIAN_AT_LEAST:.0f}")
    too_hard = [s for s in scored if s.score < EACH_AT_LEAST]
    if too_hard:
        problems.append(f"{len(too_hard)} text(s) under {EACH_AT_LEAST:.0f}")
    if problems:
        hardest = "\n".join(s.line() for s in scored[:SHOWN])
        problems.append(
            "Rewrite the hardest: shorter sentences, shorter and more common words.\n"
            f"The {min(SHOWN, len(scored))} hardest texts (score, msgid, Dutch):\n{hardest}"
        )
    return problems


def test_every_dutch_text_is_easy_to_read() -> None:
    scored = scored_texts(NL_CATALOG)
    assert len(scored) > 100, "the catalog was not read: too few texts"
    problems = verdict(scored)
    assert not problems, "\n".join(problems)


# --- the measure itself ---------------------------------------------------------------------


def test_markup_placeholders_and_emoji_are_not_read() -> None:
    text = "⚠️ <b>Vraag de ouder</b>\nmag ik contact opnemen met {name}? 💡"
    assert plain(text) == "Vraag de ouder.\nmag ik contact opnemen met ?"


def test_a_heading_line_ends_a_sentence() -> None:
    # Five short lines are five short sentences, not one of twenty words.
    lines = "\n".join(["<b>Wie doet wat</b>", "• de ouder: belt oma", "• jij: vraagt na"] * 2)
    assert score(plain(lines)) > score(TAG.sub("", lines).replace("\n", " "))


def test_long_sentences_with_long_words_score_lower() -> None:
    easy = "Vraag de ouder wie belangrijk is. Schrijf het op in eigen woorden."
    hard = (
        "Inventariseer in samenspraak met de ouder welke personen uit het sociale netwerk "
        "een ondersteunende betekenis zouden kunnen vervullen."
    )
    assert score(easy) >= MEDIAN_AT_LEAST > EACH_AT_LEAST > score(hard)


def test_a_hard_text_in_the_catalog_fails_with_its_msgid(tmp_path: Path) -> None:
    """The guard can fail: one deliberately hard sentence among easy ones is named."""
    easy = "Vraag de ouder wie er voor het gezin belangrijk is. Noteer het kort."
    hard = (
        "De hulpverleningsinterventie dient in nauwe afstemming met de maatschappelijke "
        "omgeving van het gezinssysteem geoperationaliseerd te worden."
    )
    catalog = tmp_path / "messages.po"
    entries = [f'msgid "easy {n}"\nmsgstr "{easy}"\n' for n in range(5)]
    entries.append(f'msgid "hard one"\nmsgstr "{hard}"\n')
    entries.append('msgid "too short"\nmsgstr "Organisatieverantwoordelijkheid."\n')
    catalog.write_text('msgid ""\nmsgstr ""\n\n' + "\n".join(entries), encoding="utf-8")
    scored = scored_texts(catalog)
    assert scored[0].msgid == "hard one"
    assert "too short" not in {s.msgid for s in scored}
    problems = verdict(scored)
    assert problems and "1 text(s) under 50" in problems[0]
    assert "'hard one'" in problems[-1]
    # And a catalog of only such texts fails on its median as well.
    hard_only = verdict([s for s in scored if s.msgid == "hard one"] * 3)
    assert any("median" in problem for problem in hard_only)


# --- one word for the parent ----------------------------------------------------------------

THE_PARENTS = re.compile(r"\bde ouders\b|\bouder\(s\)", re.IGNORECASE)
"""The rule for Dutch texts: "ouders" (no article) for parents in general, as in the tips;
"de ouder" for the parent of this family who is asked, listens and decides (one parent's
yes or no counts); "het gezin" for the family as a whole (trust, the plan, the pace).
"De ouders" would shut out a parent who raises the children alone."""


def test_the_parent_of_this_family_is_de_ouder_not_de_ouders() -> None:
    wrong = [
        f"{msgid!r}\n  nl: {text!r}"
        for msgid, text in dutch_texts(NL_CATALOG)
        if THE_PARENTS.search(text)
    ]
    assert not wrong, (
        "Say “de ouder” for this family's parent, “het gezin” for the family, “ouders” for "
        "parents in general:\n" + "\n".join(wrong)
    )


def test_the_parent_rule_catches_both_spellings() -> None:
    assert THE_PARENTS.search("Vraag het aan de ouders.")
    assert THE_PARENTS.search("Wat wil de ouder(s)?")
    assert not THE_PARENTS.search("Ouders weten zelf het best wie ertoe doet. Vraag de ouder.")
