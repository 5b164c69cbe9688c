"""A full reference family for /plan, written straight through the repository, and what
the tests read from the PDFs: the text in order, each page's text, and how far down the
first page the content reaches.

The family has everything a finished walk of phase 1 to 4 leaves: the practitioner's own
notes (the preparation, trust, how an approach went), the parent's decisions (two people
not to be contacted, one of them named in a plan for when things go wrong), tasks with
long "until when"s, plans for when things go wrong, expectations, a typed check-in and
the three check-ins after closing, kept as reminders."""

from __future__ import annotations

import io
from datetime import timedelta

from tests.support.network import NOTED, NewAgreement, NewPerson

REFUSED = ("Opa Henk", "Buurman Piet")
PEOPLE = [
    NewPerson("Oma Els", "household", "close", "yes", "Haalt de kinderen op", True),
    NewPerson("Opa Henk", "household", "close", "no"),
    NewPerson("Tante Mira", "household", "middle", "yes", "Helpt met de administratie"),
    NewPerson("Buurvrouw Fatma", "community", "close", "yes", "Kookt soms mee", True),
    NewPerson("Buurman Piet", "community", "middle", "no"),
    NewPerson("Juf Anja", "professional", "middle", "open", "Kent de kinderen goed"),
    NewPerson("Voetbaltrainer Kees", "community", "far", "yes", "Neemt zoon mee", True),
    NewPerson("Vriendin Sanne", "friends", "close", "yes", "Luistert als moeder belt"),
]
OWN_NOTES = [
    NewAgreement(
        1,
        "Waarom het netwerk ertoe doet; Luister eerst. Openingszin: “Ik help jullie een "
        "tijdje, en dan ga ik weer.”",
        "preparation",
        "practitioner",
    ),
    NewAgreement(1, "Nog niet genoeg vertrouwen: het netwerk wacht.", "trust", "practitioner"),
    NewAgreement(2, "Opa Henk: niet benaderen (keuze van de ouder)", "decision", "parent"),
    NewAgreement(3, "Loopt stroef, Oma Els twijfelt of ze het volhoudt", "outcome", "Oma Els"),
]
"""What the practitioner noted for themselves: never in the family's copy."""
WRONG = [
    NewAgreement(
        4,
        "Signaal: Moeder slaapt slecht en is erg moe. Dan Oma Els: neemt de kinderen een "
        "nacht mee; moeder belt haar.",
        "problem_plan",
        "Oma Els",
        detail={
            "signal": "Moeder slaapt slecht en is erg moe",
            "action": "neemt de kinderen een nacht mee; moeder belt haar.",
        },
    ),
    NewAgreement(
        4,
        "Signaal: Er is geen eten in huis. Dan Buurvrouw Fatma: kookt een avond mee; "
        "moeder appt haar.",
        "problem_plan",
        "Buurvrouw Fatma",
        detail={
            "signal": "Er is geen eten in huis",
            "action": "kookt een avond mee; moeder appt haar.",
        },
    ),
    NewAgreement(
        4,
        "Signaal: Moeder neemt de telefoon niet op. Dan Buurman Piet: kijkt even bij haar "
        "langs; hij woont naast haar.",
        "problem_plan",
        "Buurman Piet",
        detail={
            "signal": "Moeder neemt de telefoon niet op",
            "action": "kijkt even bij haar langs; hij woont naast haar.",
        },
    ),
]
TASKS = [
    NewAgreement(
        3,
        "Oma Els haalt de kinderen op woensdag uit school",
        "approach",
        "Oma Els",
        "na de zomervakantie",
    ),
    NewAgreement(
        3, "Vraagt Oma Els of woensdag blijft lukken", "responsibility", "parent", "eind maart"
    ),
    NewAgreement(3, "Belt de school over het ophalen", "responsibility", "practitioner", "1 april"),
    NewAgreement(
        3, "Buurvrouw Fatma kookt op vrijdag mee", "approach", "Buurvrouw Fatma", "zomervakantie"
    ),
    NewAgreement(
        3,
        "Voetbaltrainer Kees neemt de zoon mee naar de training op zaterdag",
        "approach",
        "Voetbaltrainer Kees",
        "tot de voorjaarsvakantie",
    ),
    NewAgreement(
        3, "Vraagt Tante Mira om hulp bij de administratie", "responsibility", "parent", done=True
    ),
]
EXPECTATIONS = [
    NewAgreement(4, "Oma Els: komt op woensdag", "expectation"),
    NewAgreement(4, "Moeder: belt zelf als het misgaat", "expectation"),
    NewAgreement(4, "Het netwerk: blijft ook na de zomervakantie", "expectation"),
]
TYPED_CHECKIN = NewAgreement(4, "Over twee weken: moeder bellen", "check_in", "practitioner")
AGREEMENTS = [*OWN_NOTES, *TASKS, *WRONG, *EXPECTATIONS, TYPED_CHECKIN]
CHECKIN_WEEKS = (2, 6, 12)
CHECKINS = [NOTED + timedelta(weeks=weeks) for weeks in CHECKIN_WEEKS]
CHECKINS_NL = ("28 september 2026", "26 oktober 2026", "7 december 2026")
CHECKINS_EN = ("28 September 2026", "26 October 2026", "7 December 2026")


FOOTER_ZONE = 25 * 72 / 25.4
"""The lowest 25 mm of a page hold the footer ("Page 1 of 2"): not content."""


def first_page_filled(content: bytes) -> float:
    """How far down the first page its content (text and pictures, not the footer)
    reaches, as a share of the page's height."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(io.BytesIO(content))
    page = reader.pages[0]
    height = float(page.mediabox.height)
    lowest = [height]

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        y = tm[5] * cm[3] + cm[5]
        if text.strip() and y > FOOTER_ZONE:
            lowest[0] = min(lowest[0], y)

    page.extract_text(visitor_text=visit)
    matrix: list[float] = []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"cm":
            matrix = [float(value) for value in operands]
        elif operator == b"Do" and matrix:
            lowest[0] = min(lowest[0], matrix[5])
    return (height - lowest[0]) / height


def words(*texts: str) -> set[str]:
    """Every word of `texts` (split on white space), to find whole in a PDF's text."""
    return {word for text in texts for word in text.split()}
