"""Pseudonymous labels: what we accept as the name of a family or a person.

One policy for every label a practitioner types (a family's label, a person on the map,
who steps in when a problem arises):

- contact details are refused with a kind explanation and a suggestion: a phone number,
  an e-mail address, a street address ("Dorpsstraat 12", "Laan van Meerdervoort 100") or a
  postcode ("1234 AB"). They identify someone outright and are never needed to coach;
- a likely full name ("Jan de Vries", "Gezin Bakker") only gets a warning with the same
  suggestion, and the label is kept: "Anna Maria" is a double first name, "Gezin
  Zonnebloem" a pseudonym, and a heuristic cannot tell them from real names.

Free-text notes (what someone could mean, a goal) refuse phone numbers and e-mail
addresses only (`check_note`); dates and "groep 8" must pass there.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Literal

from bot.engine.errors import Reject
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
_NOT_POSTCODE_LETTERS = _words("sa sd ss en de op in is te om na al nu zo ja of ik je we ze")
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
    "That looks like a phone number or e-mail address. Please leave contact details out: "
    "note what was agreed, not how to reach someone."
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


def contact_detail(text: str) -> Contact | None:
    """Which kind of contact detail `text` holds, if any (the first that matches)."""
    if _EMAIL.search(text):
        return "email"
    for match in _PHONE.finditer(text):
        if sum(ch.isdigit() for ch in match.group()) >= _PHONE_DIGITS:
            return "phone"
    if _ADDRESS.search(text):
        return "address"
    for match in _POSTCODE.finditer(text):
        letters = match.group(1)
        if letters.isupper() and letters.casefold() not in {"sa", "sd", "ss"}:
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


def check_note(text: str) -> str:
    """Free text about a family (what someone could mean, a goal, a task): refuse phone
    numbers and e-mail addresses, but let dates such as "15-03-2026" through."""
    if _EMAIL.search(text):
        raise Reject(NOTE_CONTACT)
    for match in _PHONE.finditer(text):
        if sum(ch.isdigit() for ch in match.group()) >= _PHONE_DIGITS:
            raise Reject(NOTE_CONTACT)
    return text


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
