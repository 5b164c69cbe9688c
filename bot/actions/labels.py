"""Pseudonymous labels: what we accept as the name of a family or a person."""

from __future__ import annotations

import re

from bot.engine.errors import Reject
from bot.i18n import N_

MAX_LABEL = 40

_PHONE = re.compile(r"(\+?\d[\d\s\-]{7,}\d)")
_EMAIL = re.compile(r"\S+@\S+\.\S+")

PHONE_OR_MAIL = N_(
    "That looks like a phone number or e-mail address. Please use a pseudonym or initials "
    "instead, for example “Gezin B.”."
)


def check_label(label: str) -> str:
    """Refuse contact details outright; they never belong in a label."""
    if _PHONE.search(label) or _EMAIL.search(label):
        raise Reject(PHONE_OR_MAIL)
    return label
