"""A family's network and agreements written straight through the repository: building
40 people and 100 agreements by walking the flows would take minutes, and what the tests
here check is what is made from them (the picture, the plan), not how they were noted."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.render.model import CLOSENESS_ORDER, GROUP_ORDER, MapTexts
from bot.store.db import make_engine, make_sessionmaker
from bot.store.models import Case, Practitioner
from bot.store.repo import Repo

NOTED = datetime(2026, 9, 14, 10, 0, tzinfo=UTC)
NOTED_NL, NOTED_EN = "14 september 2026", "14 September 2026"
APPROACHED = datetime(2026, 10, 3, 10, 0, tzinfo=UTC)
APPROACHED_NL = "3 oktober 2026"

SCRIPTS = ("Zoë", "Łukasz", "Ελένη", "Анна", "محمد", "דוד", "李雷", "Şükrü", "Nguyễn", "Ørjan")
"""First names in Latin with accents, Greek, Cyrillic, Arabic, Hebrew and Chinese."""


@dataclass(frozen=True)
class NewPerson:
    name: str
    group: str = "household"
    closeness: str = "close"
    decision: str = "yes"
    meaning: str | None = None
    approached: bool = False


@dataclass(frozen=True)
class NewAgreement:
    phase: int
    text: str
    kind: str = "agreement"
    who: str | None = None
    due: str | None = None
    done: bool = False
    detail: dict[str, Any] | None = None
    """Its parts, as fase 4 keeps them (`Agreement.detail`)."""


def many_people(count: int = 40) -> list[NewPerson]:
    """`count` people with long names in many scripts, spread over every group and ring."""
    people = []
    for i in range(count):
        first = SCRIPTS[i % len(SCRIPTS)]
        people.append(
            NewPerson(
                name=f"{first} van de overkant nummer {i + 1}"[:40],
                group=GROUP_ORDER[i % 4],
                closeness=CLOSENESS_ORDER[(i // 4) % 3],
                decision=("yes", "no", "open")[i % 3],
                meaning=f"Kan helpen met boodschappen en oppassen ({i + 1})",
                approached=i % 3 == 0 and i % 2 == 0,
            )
        )
    return people


def many_agreements(count: int = 100) -> list[NewAgreement]:
    """`count` agreements over the four phases, with every kind the plan has a section for."""
    kinds = ("agreement", "approach", "responsibility", "problem_plan", "expectation", "check_in")
    agreements = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        phase = 4 if kind in ("problem_plan", "expectation", "check_in") else 1 + i % 3
        agreements.append(
            NewAgreement(
                phase=phase,
                text=f"Afspraak {i + 1}: {SCRIPTS[i % len(SCRIPTS)]} belt de ouder op zondag",
                kind=kind,
                who=("parent", "practitioner", "Oma")[i % 3],
                due="eind maart" if i % 2 else None,
                done=i % 4 == 0,
            )
        )
    return agreements


async def seed_network(
    database_url: str,
    key: str,
    people: list[NewPerson],
    agreements: Sequence[NewAgreement] = (),
    checkins: Sequence[datetime] = (),
) -> str:
    """Add `people` and `agreements` to the active family of the practitioner `key`, all
    noted on NOTED (approached people on APPROACHED), each linked to the person its who
    names (as fase 3 and 4 link them), and the check-ins after closing due
    at `checkins` (reminders, as fase 4's "Yes, remind me" keeps them). Returns the
    family's label."""
    db = make_engine(database_url)
    try:
        async with make_sessionmaker(db)() as session, session.begin():
            repo = Repo(session)
            query = select(Practitioner).where(Practitioner.external_key == key)
            owner = (await session.execute(query)).scalar_one()
            case = await session.get(Case, owner.active_case_id)
            assert case is not None, f"{key} has no active family"
            for new in people:
                person = await repo.add_person(
                    case, new.name, new.group, new.closeness, new.meaning, new.decision
                )
                person.created_at = NOTED
                if new.approached:
                    person.approached_at = APPROACHED
            on_map = {p.name: p for p in await repo.people(case)}
            for item in agreements:
                agreement = await repo.add_agreement(
                    case,
                    item.phase,
                    item.text,
                    kind=item.kind,
                    who=item.who,
                    person=on_map.get(item.who or ""),  # as fase 3 and 4 link them
                    due=item.due,
                    **({"detail": item.detail} if item.detail else {}),
                )
                agreement.created_at = NOTED
                agreement.status = "done" if item.done else "open"
            for moment in checkins:
                await repo.add_reminder(owner, case=case, kind="checkin", due_at=moment)
            return case.label
    finally:
        await db.dispose()


def pages(content: bytes) -> list[str]:
    """Each page's text of a PDF, with runs of white space made single spaces.

    NULs are dropped: pypdf reads the two-byte codes of the embedded CJK font (a CFF font,
    which fpdf2 writes with its own CMap) one byte at a time, so "李雷" comes out as
    "\x00李\x00雷"; poppler's pdftotext reads it as "李雷"."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return [
        " ".join((page.extract_text() or "").replace("\x00", "").split()) for page in reader.pages
    ]


def pdf_text(content: bytes) -> str:
    """All text of a PDF, its pages joined (`pages`)."""
    return " ".join(pages(content))


MAP_TEXTS = MapTexts(
    title="Netwerkkaart · Gezin B.",
    date="14 september 2026",
    family="Gezin B.",
    groups={
        "household": "Huishouden / familie",
        "friends": "Vrienden en kennissen",
        "community": "Buurt, school, werk, club",
        "professional": "Professionals",
    },
    rings={"close": "Dichtbij", "middle": "Ertussenin", "far": "Verder weg"},
    decisions={
        "yes": "mag benaderd worden",
        "no": "niet benaderen (keuze van de ouder)",
        "open": "nog niet besproken",
    },
    legend_title="Contact, zoals de ouder besliste",
    approached="benaderd (fase 3)",
    empty="Nog niemand op de kaart.",
    empty_hint="Vul de kaart samen met de ouder in, als die eraan toe is.",
    key_title="Namen bij de nummers",
)
