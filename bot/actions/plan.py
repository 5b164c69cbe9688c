"""/plan: the shared network plan ("netwerkplan") as an A4 PDF, and a short summary here.

The plan is what the family keeps: everyone on the map with the parent's decision, the
picture, the agreements per phase (who does what, until when, how far along), what to do
when a problem comes up, everyone's expectations and the planned check-ins. It is written
for the parents too, so it says "the practitioner" where the bot says "you".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.actions.agreements import (
    KINDS,
    OTHER_KIND,
    PREPARATION,
    STATUS,
    is_task,
    phase_title,
)
from bot.actions.common import open_case, shorten
from bot.actions.network import GROUP_TITLES, network_picture, sorted_people
from bot.actions.people import CLOSENESS, DECISIONS, EMPTY_MAP
from bot.actions.phase4 import NOTHING
from bot.engine.events import Attachment
from bot.engine.registry import registry
from bot.engine.render import escape, fill
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.i18n.fmt import date_long
from bot.render import plan as pdf
from bot.render.model import Column, PlanDocument, Section, Table
from bot.render.worker import off_loop
from bot.store.models import Agreement, Case, Person, utcnow
from bot.store.status import AgreementStatus

TITLE = N_("Network plan · {case}")
MADE = N_("Made together with the parents on {date}")
PAGE = N_("Page {page} of {pages}")
PEOPLE = N_("The people and the parent's decisions")
MAP = N_("The network map")
NAME, GROUP, CLOSE = N_("Name"), N_("Group"), N_("How close")
MEANING, CONTACT = N_("What they could mean"), N_("Contact")
WHAT, WHO, UNTIL = N_("What"), N_("Who"), N_("Until when")
STATE, NOTED = N_("Status"), N_("Noted on")
APPROACHED_ON = N_("approached on {date}")
NO_AGREEMENTS = N_("Nothing agreed in this phase yet.")
WHO_NAMES = {"parent": N_("the parent"), "practitioner": N_("the practitioner")}
SPECIAL = (
    ("problem_plan", N_("When a problem comes up")),
    ("expectation", N_("Expectations")),
    ("check_in", N_("Check-ins")),
)
"""Phase 4's plans for after the help stops: each its own section, after the phases."""
PLAN_FILES = {"nl": "netwerkplan.pdf", "en": "network-plan.pdf"}
"""The file's name in the practitioner's language: it is what the family sees too."""

SUMMARY = N_("<b>Network plan · {case}</b> (the PDF is above)")
SUMMARY_PEOPLE = N_(
    "People on the map: {count}. May be contacted: {yes} · not: {no} · not discussed yet: "
    "{open}. Approached: {approached}."
)
SUMMARY_TASKS = N_("Tasks: {open} open, {done} done.")
SUMMARY_AFTER = N_(
    "When a problem comes up: {problem_plan} · expectations: {expectation} · check-ins: {check_in}."
)
SUMMARY_NEXT = N_("Still open:")
SUMMARY_SHOWN = 5


def _date(turn: Turn, moment: datetime) -> str:
    return date_long(moment, turn.language, turn.practitioner.timezone)


def _who(turn: Turn, who: str | None) -> str:
    if not who:
        return "—"
    return turn.t(WHO_NAMES[who]) if who in WHO_NAMES else who


def _people_section(turn: Turn, people: Sequence[Person]) -> Section:
    columns = (
        Column(turn.t(NAME), 20),
        Column(turn.t(GROUP), 17),
        Column(turn.t(CLOSE), 12),
        Column(turn.t(MEANING), 27),
        Column(turn.t(CONTACT), 24),
    )
    rows = []
    for person in sorted_people(people):
        contact = turn.t(DECISIONS.get(person.decision, person.decision))
        if person.approached_at is not None:
            approached = turn.t(APPROACHED_ON).replace("{date}", _date(turn, person.approached_at))
            contact = f"{contact}; {approached}"
        rows.append(
            (
                person.name,
                turn.t(GROUP_TITLES.get(person.group, person.group)),
                turn.t(CLOSENESS.get(person.closeness, person.closeness)),
                person.meaning or "—",
                contact,
            )
        )
    return Section(turn.t(PEOPLE), Table(columns, tuple(rows)), empty=turn.t(EMPTY_MAP))


def _agreement_section(
    turn: Turn, title: str, agreements: Sequence[Agreement], empty: str, *, kind: bool
) -> Section:
    """A table of agreements: what (with its kind), who, until when, status, noted on."""
    columns = (
        Column(turn.t(WHAT), 40),
        Column(turn.t(WHO), 16),
        Column(turn.t(UNTIL), 13),
        Column(turn.t(STATE), 10),
        Column(turn.t(NOTED), 21),  # "14 september 2026" on one line
    )
    rows, muted = [], set()
    for number, agreement in enumerate(agreements):
        what = agreement.text
        if kind:
            what = f"{turn.t(KINDS.get(agreement.kind, OTHER_KIND))}: {what}"
        status = "—"
        if is_task(agreement):
            status = turn.t(STATUS.get(agreement.status, agreement.status))
            if agreement.status == AgreementStatus.DONE:
                muted.add(number)
        rows.append(
            (
                what,
                _who(turn, agreement.who),
                agreement.due or "—",
                status,
                _date(turn, agreement.created_at),
            )
        )
    return Section(title, Table(columns, tuple(rows), frozenset(muted)), empty=turn.t(empty))


def plan_document(
    turn: Turn,
    case: Case,
    people: Sequence[Person],
    agreements: Sequence[Agreement],
    picture: bytes,
    now: datetime,
) -> PlanDocument:
    """The whole plan, translated, as plain data for the PDF renderer."""
    special = {kind for kind, _ in SPECIAL}
    sections = [_people_section(turn, people), Section(turn.t(MAP), picture=picture)]
    preparation = [a for a in agreements if a.kind == PREPARATION]
    if preparation:
        title = turn.t(KINDS[PREPARATION])
        sections.append(_agreement_section(turn, title, preparation, NOTHING, kind=False))
    for phase in (1, 2, 3, 4):
        found = [
            a
            for a in agreements
            if a.phase == phase and a.kind not in special and a.kind != PREPARATION
        ]
        title = phase_title(turn, phase)
        sections.append(_agreement_section(turn, title, found, NO_AGREEMENTS, kind=True))
    for kind, title in SPECIAL:
        found = [a for a in agreements if a.kind == kind]
        sections.append(_agreement_section(turn, turn.t(title), found, NOTHING, kind=False))
    today = _date(turn, now)
    return PlanDocument(
        title=turn.t(TITLE).replace("{case}", case.label),
        subtitle=today,
        sections=tuple(sections),
        footer=turn.t(MADE).replace("{date}", today),
        page=turn.t(PAGE),
    )


def summary(
    turn: Turn, case: Case, people: Sequence[Person], agreements: Sequence[Agreement]
) -> str:
    """A few lines for the chat: who is on the map, how far the tasks are, what is open."""
    decided = {d: sum(1 for p in people if p.decision == d) for d in ("yes", "no", "open")}
    tasks = [a for a in agreements if is_task(a)]
    counts = {
        "count": str(len(people)),
        **{d: str(n) for d, n in decided.items()},
        "approached": str(sum(1 for p in people if p.approached_at is not None)),
    }
    after = {kind: str(sum(1 for a in agreements if a.kind == kind)) for kind, _ in SPECIAL}
    still = [a for a in tasks if a.status != AgreementStatus.DONE]
    lines = [
        fill(turn.t(SUMMARY), {"case": escape(case.label)}),
        fill(turn.t(SUMMARY_PEOPLE), counts),
        fill(
            turn.t(SUMMARY_TASKS),
            {"open": str(len(still)), "done": str(len(tasks) - len(still))},
        ),
        fill(turn.t(SUMMARY_AFTER), after),
    ]
    if still:
        shown = "\n".join(f"▫️ {escape(shorten(a.text, 60))}" for a in still[:SUMMARY_SHOWN])
        more = f"\n… +{len(still) - SUMMARY_SHOWN}" if len(still) > SUMMARY_SHOWN else ""
        lines.append(f"{turn.t(SUMMARY_NEXT)}\n{shown}{more}")
    return "\n".join(lines)


@registry.action("send_plan")
async def send_plan(turn: Turn) -> None:
    """Attach the plan of the active family as a PDF; put the summary above the next step."""
    case = await open_case(turn)
    now = utcnow()
    people = await turn.repo.people(case)
    agreements = await turn.repo.agreements(case)
    picture = await network_picture(turn, case, now)
    document = plan_document(turn, case, people, agreements, picture.png, now)
    content = await off_loop(pdf.render, document)
    caption = f"<b>{escape(document.title)}</b>\n{document.subtitle}"
    name = PLAN_FILES.get(turn.practitioner.language, PLAN_FILES["nl"])
    turn.attachments.append(Attachment("document", name, content, caption))
    turn.flash.append(summary(turn, case, people, agreements))
    turn.record("plan.pdf", "plan", None, case_id=case.id)
