"""Pseudonymous labels: what we accept as the name of a family or a person.

Contact details are refused outright wherever family data is typed; a full name is only
warned about, because "Oma Riet" or "Anna Maria" are fine and a heuristic cannot tell.
"""

from __future__ import annotations

import re

from bot.engine.errors import Reject
from bot.i18n import N_

MAX_LABEL = 40

_PHONE = re.compile(r"(\+?\d[\d\s\-]{7,}\d)")
_EMAIL = re.compile(r"\S+@\S+\.\S+")
_PHONE_DIGITS = 9
"""In free text a phone number has at least 9 digits; a date such as 15-03-2026 has 8."""

PHONE_OR_MAIL = N_(
    "That looks like a phone number or e-mail address. Please use a pseudonym or initials "
    "instead, for example “Gezin B.”."
)
PERSON_CONTACT = N_(
    "That looks like a phone number or e-mail address. Contact details don't belong here: "
    "a first name, initials or a role is enough, for example “oma” or “buurman Piet”."
)
NOTE_CONTACT = N_(
    "That looks like a phone number or e-mail address. Please leave contact details out: "
    "note what was agreed, not how to reach someone."
)

# Words that name a role or a relation, not a person: "Oma Riet" is a role and a first name.
_ROLES = """
    oma opa tante oom neef nicht zus zusje broer broertje moeder vader mama papa stiefmoeder
    stiefvader schoonmoeder schoonvader peettante peetoom buurman buurvrouw buren vriend
    vriendin juf meester mentor coach trainer leraar lerares docent collega baas huisarts
    dominee pastor imam
    grandma grandpa granny aunt uncle cousin sister brother mother father mum mom dad
    neighbour neighbor friend teacher colleague boss doctor
"""
ROLE_WORDS = frozenset(_ROLES.split())
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")


def check_label(label: str, message: str = PHONE_OR_MAIL) -> str:
    """Refuse contact details outright; they never belong in a label."""
    if _PHONE.search(label) or _EMAIL.search(label):
        raise Reject(message)
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


def looks_like_full_name(name: str) -> bool:
    """Two or more capitalised words that are not roles or initials: "Jan de Vries" yes,
    "oma Riet", "Tante Ria", "Jan B." and "juf A." no."""
    capitalised = [
        word
        for word in _WORD.findall(name)
        if word[0].isupper() and len(word) > 1 and word.casefold() not in ROLE_WORDS
    ]
    return len(capitalised) >= 2
