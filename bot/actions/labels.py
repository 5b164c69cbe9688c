"""Pseudonymous labels: what we accept as the name of a family or a person.

One policy for every label a practitioner types (a family's label, a person on the map,
who steps in when a problem arises):

- contact details are refused with a kind explanation and a suggestion: a phone number,
  an e-mail address, a street address ("Dorpsstraat 12", "Laan van Meerdervoort 100") or a
  postcode ("1234 AB"). They identify someone outright and are never needed to coach;
- a likely full name ("Jan de Vries", "Gezin Bakker") only gets a warning with the same
  suggestion, and the label is kept: "Anna Maria" is a double first name, "Gezin
  Zonnebloem" a pseudonym, and a heuristic cannot tell them from real names.

Free-text notes (what someone could mean, a goal, the family's words) refuse phone
numbers, e-mail addresses, and addresses written as addresses ("Dorpsstraat 12", "1234 AB")
(`check_note`); dates, "groep 8" and "naar het park met de 2 kinderen" must pass there.

Every typed answer goes through one of these, before any action sees it: each `input` of a
flow names its check with `holds:` (`note` unless it says `family`, `person` or `reach`),
the loader refuses an unknown one, and the engine applies it (`bot.engine.registry.text`).
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Literal

from bot.engine.errors import Reject
from bot.engine.registry import registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_

MAX_LABEL = 40

Kind = Literal["family", "person"]
"""Who the label names: a family (case labels) or a person (the network map, fase 4)."""
Contact = Literal["phone", "email", "address", "postcode"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PHONE = re.compile(r"(\+?\(?\d[\d\s()\-]{7,}\d)")
_EMAIL = re.compile(r"\S+@\S+\.\S+")
_PHONE_DIGITS = 9
"""A phone number has at least 9 digits; a date such as 15-03-2026 has 8."""
_DATE_OR_TIME = re.compile(
    r"(?<![\d\-/.])(?:\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})"
    r"(?!\d|[-/.]\d)"
    r"|(?<![\d:])\d{1,2}:\d{2}(?!\d|:\d)"
)
"""Dates (15-03-2026, 2026-03-15) and times (10:00): taken out before looking for a phone
number, so "15-03-2026 10:00", a moment typed whole, is not read as one."""

_STREET_TYPES = (
    "straat|straatweg|weg|laan|plein|gracht|burgwal|kade|singel|dreef|dijk|steeg|markt|"
    "plantsoen|hof|pad|park|wal|dam|allee|boulevard|baan|erf|haven|kanaal|veld|ring"
)
_ADDRESS = re.compile(
    rf"\b[^\W\d_]*(?:{_STREET_TYPES})\b"  # a street: "Dorpsstraat", "Kerkweg", "Laan"
    r"(?:\s+[^\W\d_][\w'’.\-]*){0,3}"  # up to three more words: "van Meerdervoort"
    r"\s+(?:nr\.?\s*)?\d{1,5}(?:\s?[a-zA-Z]{1,2}\b|-\w+)?",  # a house number: 12, 3a, 5-II
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b[1-9]\d{3}\s?([A-Za-z]{2})\b")
_NEVER_POSTCODE = _words("sa sd ss")
_NOT_POSTCODE_LETTERS = _NEVER_POSTCODE | _words(
    "en de op in is te om na al nu zo ja of ik je we ze"
)
"""Dutch postcodes never use SA, SD or SS; "2024 en" or "1980 op" is a year in a sentence
(lower case). Upper-case letters after four digits always count as a postcode."""

REFUSALS: dict[Kind, dict[Contact, str]] = {
    "family": {
        "phone": N_(
            "That looks like a phone number. A family's label is only for you to recognise "
            "them: a pseudonym or initials are enough, for example “Gezin B.”."
        ),
        "email": N_(
            "That looks like an e-mail address. A family's label is only for you to "
            "recognise them: a pseudonym or initials are enough, for example “Gezin B.”."
        ),
        "address": N_(
            "That looks like an address. A family's label is only for you to recognise "
            "them: a pseudonym or initials are enough, for example “Gezin B.”."
        ),
        "postcode": N_(
            "That looks like a postcode. A family's label is only for you to recognise "
            "them: a pseudonym or initials are enough, for example “Gezin B.”."
        ),
    },
    "person": {
        "phone": N_(
            "That looks like a phone number. Contact details don't belong here: a first "
            "name, initials or a role is enough, for example “oma” or “buurman Piet”."
        ),
        "email": N_(
            "That looks like an e-mail address. Contact details don't belong here: a first "
            "name, initials or a role is enough, for example “oma” or “buurman Piet”."
        ),
        "address": N_(
            "That looks like an address. Contact details don't belong here: a first name, "
            "initials or a role is enough, for example “oma” or “buurman Piet”."
        ),
        "postcode": N_(
            "That looks like a postcode. Contact details don't belong here: a first name, "
            "initials or a role is enough, for example “oma” or “buurman Piet”."
        ),
    },
}
NAME_WARNINGS: dict[Kind, str] = {
    "family": N_(
        "⚠️ “{label}” looks like a real name. A pseudonym or initials are enough, for "
        "example “Gezin B.”. To change it: /gezin, then Rename."
    ),
    "person": N_(
        "⚠️ “{name}” looks like a full name. A first name, initials or a role (“oma”, "
        "“buurman Piet”) is enough. To change it: ‹ Back."
    ),
}
NOTE_CONTACT = N_(
    "That looks like a phone number, e-mail address or home address. Please leave contact "
    "details out: note what was agreed, not how to reach someone."
)

# Words that name a role or a relation, not a person: "Oma Riet" is a role and a first name.
_ROLES = """
    oma opa tante oom neef nicht zus zusje broer broertje moeder vader mama papa stiefmoeder
    stiefvader schoonmoeder schoonvader peettante peetoom buurman buurvrouw buren vriend
    vriendin juf meester mentor coach trainer leraar lerares docent collega baas huisarts
    dominee pastor imam overbuurman overbuurvrouw buurmeisje buurjongen pleegmoeder
    pleegvader pleegouder ouder ouders kind kinderen zoon dochter baby jongste oudste
    achterneef achternicht grootmoeder grootvader overgrootmoeder overgrootvader
    grandma grandpa granny aunt uncle cousin sister brother mother father mum mom dad
    neighbour neighbor friend teacher colleague boss doctor
"""
ROLE_WORDS = _words(_ROLES)
# Words that come before a surname: "Gezin Bakker", "mevrouw Jansen".
SURNAME_MARKERS = _words("gezin familie fam family mevrouw meneer mevr mw dhr mr mrs ms miss")
# Everyday words people capitalise in a label that are not names: "juf Petra (Groep 5)".
_COMMON = """
    groep klas school kerk moskee club team werk sport voetbal buurt wijk hiernaast overkant
    boven beneden kant moederskant vaderskant opvang kinderopvang bso peuterspeelzaal zuid
    noord oost west jong oud
"""
COMMON_WORDS = _words(_COMMON)
# Particles of Dutch surnames: "de Vries", "van den Berg", "ter Horst".
PARTICLES = _words("van de der den ter ten te 't la le el al von")
# A word after these is a place, not a surname: "tante Ria uit Utrecht".
PLACE_WORDS = _words("uit in bij naar aan")
_INITIALS = 3
"""Up to this many capitals in a row read as initials ("Gezin AB"), not a name."""
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")


def _has_phone(text: str) -> bool:
    apart = _DATE_OR_TIME.sub(" , ", text)  # a comma ends a run of digits
    digits = (sum(ch.isdigit() for ch in m.group()) for m in _PHONE.finditer(apart))
    return any(count >= _PHONE_DIGITS for count in digits)


def contact_detail(text: str) -> Contact | None:
    """Which kind of contact detail `text` holds, if any (the first that matches)."""
    if _EMAIL.search(text):
        return "email"
    if _has_phone(text):
        return "phone"
    if _ADDRESS.search(text):
        return "address"
    for match in _POSTCODE.finditer(text):
        letters = match.group(1)
        if letters.isupper() and letters.casefold() not in _NEVER_POSTCODE:
            return "postcode"
        if not letters.isupper() and letters.casefold() not in _NOT_POSTCODE_LETTERS:
            return "postcode"
    return None


def check_label(label: str, kind: Kind = "family") -> str:
    """Refuse contact details outright; they never belong in a label."""
    found = contact_detail(label)
    if found is not None:
        raise Reject(REFUSALS[kind][found])
    return label


_NOTE_STREET = re.compile(
    r"[^\W\d_]+(?:straat|straatweg|laan|gracht|plein|kade|singel|dreef|steeg|burgwal)",
    re.IGNORECASE,
)
"""A street in lower case, in running text: a compound of a street type that means
nothing else ("kerkstraat", not "supermarkt" or "onderweg")."""


def _written_as_address(text: str) -> bool:
    """An address in running text, read more strictly than in a label: a street written
    as a name ("Dorpsstraat 12", "Laan van Meerdervoort 100", "kerkstraat 5") or a postcode
    in capitals ("1234 AB"). "Naar het park met de 2 kinderen", "de supermarkt 2 keer" and
    "onderweg 2 keer" are sentences, not addresses."""
    for match in _ADDRESS.finditer(text):
        street = match.group().split()[0]
        if street[0].isupper() or _NOTE_STREET.fullmatch(street):
            return True
    return any(
        match.group(1).isupper() and match.group(1).casefold() not in _NEVER_POSTCODE
        for match in _POSTCODE.finditer(text)
    )


def check_note(text: str) -> str:
    """Free text about a family (what someone could mean, a goal, a task, the family's
    words): refuse phone numbers, e-mail addresses and addresses, but let dates such as
    "15-03-2026" through."""
    if _EMAIL.search(text) or _written_as_address(text):
        raise Reject(NOTE_CONTACT)
    if _has_phone(text):
        raise Reject(NOTE_CONTACT)
    return text


@registry.text("note")
def typed_note(text: str) -> None:
    """The check of every typed answer that is not a label: the default."""
    check_note(text)


@registry.text("family")
def typed_family_label(text: str) -> None:
    """A family's label (onboarding, /gezin)."""
    check_label(text, "family")


@registry.text("person")
def typed_person_label(text: str) -> None:
    """Someone of the network by first name, initials or role (the map, fase 3 and 4)."""
    check_label(text, "person")


def _after_place_word(words: list[str], index: int) -> bool:
    return words[index - 1].casefold() in PLACE_WORDS


def _name_like(word: str) -> bool:
    """A capitalised word of two letters or more that is not a role or an everyday word,
    a code with digits ("C2") or initials in capitals ("AB")."""
    folded = word.casefold()
    return (
        word[0].isupper()
        and len(word) > 1
        and not any(char.isdigit() for char in word)
        and not (word.isupper() and len(word) <= _INITIALS)
        and folded not in ROLE_WORDS
        and folded not in SURNAME_MARKERS
        and folded not in COMMON_WORDS
        and folded not in PARTICLES
    )


def looks_like_full_name(name: str) -> bool:
    """Whether a label probably holds someone's real name.

    Yes: two name-like words ("Jan de Vries", "Marie Jansen", and also "Anna Maria"), a
    surname after "gezin", "familie" or "mevrouw" ("Gezin Bakker"), or a surname particle
    before a capitalised word ("opa de Boer", "van Dijk"). No: roles with a first name
    ("Oma Riet", "buurvrouw Ans"), initials ("Jan B.", "Fam. K", "J.K."), lower-case
    roles ("buurman"), a place after "uit" or "in" ("tante Ria uit Utrecht"). Lower-case
    full names ("jan de vries") are not recognised.
    """
    words = _WORD.findall(name)
    counted = [w for i, w in enumerate(words) if i == 0 or not _after_place_word(words, i)]
    if sum(_name_like(word) for word in counted) >= 2:
        return True
    for before, after in pairwise(words):
        folded = before.casefold()
        if (folded in SURNAME_MARKERS or folded in PARTICLES) and _name_like(after):
            return True
    return False


def warn_if_full_name(turn: Turn, label: str, kind: Kind) -> None:
    """Add the full-name warning above the next step; the label itself is kept."""
    if looks_like_full_name(label):
        placeholder = "{label}" if kind == "family" else "{name}"
        turn.flash.append(turn.t(NAME_WARNINGS[kind]).replace(placeholder, escape(label)))
