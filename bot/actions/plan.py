"""/plan: two A4 PDFs to choose from, and a short summary here.

"For the family" (`bot.actions.plan_family`) is what the family keeps: what to do when
things go wrong, who does what, the check-in dates and the picture. "Working notes"
(here) is everything: everyone on the map with the parent's decision, the picture, the
agreements per phase (who does what, until when, how far along), what to do when a problem
comes up, everyone's expectations and the check-ins (the dates planned at closing, kept as
reminders, and the ones typed in phase 4). Both say "the practitioner" where the bot says
"you": the parents may read either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.actions.agreements import (
    KINDS,
    OTHER_KIND,
    STATUS,
    is_task,
    phase_title,
    short_line,
)
from bot.actions.common import open_case
from bot.actions.network import GROUP_TITLES, network_picture, sorted_people
from bot.actions.people import CLOSENESS, DECISIONS, EMPTY_MAP
from bot.actions.phase4 import NOTHING
from bot.actions.plan_parts import (
    DOES,
    NOTED_ALL,
    SIGNAL,
    STEPS_IN,
    check_in_text,
    checkin_lines,
    date,
    drop_empty_column,
    problem_plan,
    who,
)
from bot.engine.events import Attachment
from bot.engine.registry import registry
from bot.engine.render import escape, fill
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.render import plan as pdf
from bot.render.model import Column, PlanDocument, Section, Table
from bot.render.worker import off_loop
from bot.store.agreements import PREPARATION
from bot.store.models import Agreement, Case, Person, Reminder, utcnow
from bot.store.status import AgreementStatus

TITLE = N_("Network plan · {case}")
MADE = N_("Made together with the parents on {date}")
"""The family's document's footer: only that one is made together with the family."""
NOTES_FOOTER = N_("Working notes of {date}")
"""The working notes' footer: the practitioner's own notes, not made with the family."""
PAGE = N_("Page {page} of {pages}")
PEOPLE = N_("The people and the parent's decisions")
MAP = N_("The network map")
NAME, GROUP, CLOSE = N_("Name"), N_("Group"), N_("How close")
MEANING, CONTACT = N_("What they could mean"), N_("Contact")
WHAT, WHO, UNTIL = N_("What"), N_("Who"), N_("Until when")
STATE, NOTED = N_("Status"), N_("Noted on")
APPROACHED_ON = N_("approached on {date}")
NO_AGREEMENTS = N_("Nothing agreed in this phase yet.")
WORKING_NOTES = N_("Working notes")
"""Under the title, before the date: the family's copy is the other document."""
SPECIAL = (
    ("problem_plan", N_("When a problem comes up")),
    ("expectation", N_("Expectations")),
    ("check_in", N_("Check-ins")),
)
"""Phase 4's plans for after the help stops: each its own section, after the phases."""
PLAN_FILES = {"nl": "netwerkplan-werkaantekeningen.pdf", "en": "network-plan-working-notes.pdf"}
"""The file's name in the practitioner's language."""

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
SUMMARY_LINE = 60
"""Characters of one open task under "Still open:", who and kind included."""


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
            approached = turn.t(APPROACHED_ON).replace("{date}", date(turn, person.approached_at))
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
    turn: Turn,
    title: str,
    agreements: Sequence[Agreement],
    empty: str,
    *,
    kind: bool,
    lines: tuple[str, ...] = (),
    dated: bool = True,
) -> Section:
    """A table of agreements: what (with its kind), who, until when, status, and noted on
    unless not `dated` (everything in the document was noted on one day: the document
    says that once, `plan_document`)."""
    columns = (
        Column(turn.t(WHAT), 40),
        Column(turn.t(WHO), 16),
        Column(turn.t(UNTIL), 13),
        Column(turn.t(STATE), 10),
        Column(turn.t(NOTED), 21),
    )[: 5 if dated else 4]

    def cells(agreement: Agreement) -> tuple[str, ...]:
        what = check_in_text(turn, agreement) if agreement.kind == "check_in" else agreement.text
        if kind:
            what = f"{turn.t(KINDS.get(agreement.kind, OTHER_KIND))}: {what}"
        return (what, who(turn, agreement.who), agreement.due or "—")

    table = _table(turn, columns, agreements, cells, dated=dated)
    return Section(title, table, empty=turn.t(empty), lines=lines)


def _table(
    turn: Turn,
    columns: tuple[Column, ...],
    agreements: Sequence[Agreement],
    cells: Callable[[Agreement], tuple[str, ...]],
    *,
    dated: bool,
) -> Table:
    """One row per agreement: its `cells`, then its status (a task's; done ones shown in
    grey, a note's "—") and, when `dated`, the day it was noted."""
    rows, muted = [], set()
    for number, agreement in enumerate(agreements):
        status = "—"
        if is_task(agreement):
            status = turn.t(STATUS.get(agreement.status, agreement.status))
            if agreement.status == AgreementStatus.DONE:
                muted.add(number)
        row = (*cells(agreement), status)
        rows.append((*row, date(turn, agreement.created_at)) if dated else row)
    return Table(columns, tuple(rows), frozenset(muted))


def _plan_section(
    turn: Turn, title: str, agreements: Sequence[Agreement], *, dated: bool
) -> Section:
    """The plans for when a problem comes up, as the family's copy shows them (signal,
    who, what they do), with their status and, unless all share one, the day noted."""
    columns = (
        Column(turn.t(SIGNAL), 26),
        Column(turn.t(STEPS_IN), 14),
        Column(turn.t(DOES), 29),
        Column(turn.t(STATE), 10),
        Column(turn.t(NOTED), 21),
    )[: 5 if dated else 4]

    def cells(agreement: Agreement) -> tuple[str, ...]:
        plan = problem_plan(turn, agreement)
        return (plan.signal, plan.who, plan.action or "—")

    table = drop_empty_column(_table(turn, columns, agreements, cells, dated=dated), 2)
    return Section(title, table, empty=turn.t(NOTHING))


def document(
    turn: Turn,
    title: str,
    case: Case,
    sections: Sequence[Section],
    now: datetime,
    *,
    which: str | None = None,
    footer: str = MADE,
    note: str = "",
) -> PlanDocument:
    """A plan with `title` (a msgid with `{case}`), dated today (after `which` document
    it is, a msgid, if given), with `footer` (a msgid with `{date}`; by default the
    family's: made together with the parents) and page n of m on every page, and `note`
    (translated) once under the date."""
    today = date(turn, now)
    return PlanDocument(
        title=turn.t(title).replace("{case}", case.label),
        subtitle=f"{turn.t(which)} · {today}" if which else today,
        sections=tuple(sections),
        footer=turn.t(footer).replace("{date}", today),
        page=turn.t(PAGE),
        note=note,
    )


def plan_document(
    turn: Turn,
    case: Case,
    people: Sequence[Person],
    agreements: Sequence[Agreement],
    picture: bytes,
    now: datetime,
    checkins: Sequence[Reminder] = (),
) -> PlanDocument:
    """The working notes, translated, as plain data for the PDF renderer. A phase that
    has nothing of its own but something under another heading (phase 4's plans, the
    preparation) gets no "nothing agreed" line: that would stand above its agreements."""
    special = {kind for kind, _ in SPECIAL}
    days = {date(turn, a.created_at) for a in agreements}
    dated = len(days) != 1  # one day for all: said once, under the title, not per section
    note = "" if dated else turn.t(NOTED_ALL).replace("{date}", next(iter(days)))
    sections = [_people_section(turn, people), Section(turn.t(MAP), picture=picture)]
    preparation = [a for a in agreements if a.kind == PREPARATION]
    if preparation:
        title = turn.t(KINDS[PREPARATION])
        sections.append(
            _agreement_section(turn, title, preparation, NOTHING, kind=False, dated=dated)
        )
    for phase in (1, 2, 3, 4):
        found = [
            a
            for a in agreements
            if a.phase == phase and a.kind not in special and a.kind != PREPARATION
        ]
        if not found and any(a.phase == phase for a in agreements):
            continue
        title = phase_title(turn, phase)
        sections.append(
            _agreement_section(turn, title, found, NO_AGREEMENTS, kind=True, dated=dated)
        )
    for kind, title in SPECIAL:
        found = [a for a in agreements if a.kind == kind]
        if kind == "problem_plan":
            sections.append(_plan_section(turn, turn.t(title), found, dated=dated))
            continue
        planned = checkin_lines(turn, checkins) if kind == "check_in" else ()
        section = _agreement_section(
            turn, turn.t(title), found, NOTHING, kind=False, lines=planned, dated=dated
        )
        sections.append(section)
    return document(
        turn, TITLE, case, sections, now, which=WORKING_NOTES, footer=NOTES_FOOTER, note=note
    )


def summary(
    turn: Turn,
    case: Case,
    people: Sequence[Person],
    agreements: Sequence[Agreement],
    checkins: Sequence[Reminder] = (),
) -> str:
    """A few lines for the chat: who is on the map, how far the tasks are, what is open."""
    decided = {d: sum(1 for p in people if p.decision == d) for d in ("yes", "no", "open")}
    tasks = [a for a in agreements if is_task(a)]
    counts = {
        "count": str(len(people)),
        **{d: str(n) for d, n in decided.items()},
        "approached": str(sum(1 for p in people if p.approached_at is not None)),
    }
    after = {kind: sum(1 for a in agreements if a.kind == kind) for kind, _ in SPECIAL}
    after["check_in"] += len(checkins)
    still = [a for a in tasks if a.status != AgreementStatus.DONE]
    lines = [
        fill(turn.t(SUMMARY), {"case": escape(case.label)}),
        fill(turn.t(SUMMARY_PEOPLE), counts),
        fill(
            turn.t(SUMMARY_TASKS),
            {"open": str(len(still)), "done": str(len(tasks) - len(still))},
        ),
        fill(turn.t(SUMMARY_AFTER), {kind: str(n) for kind, n in after.items()}),
    ]
    if still:
        # As in /afspraken: who must act, then what, so a phone shows who to ask.
        shown = "\n".join(f"▫️ {short_line(turn, a, SUMMARY_LINE)}" for a in still[:SUMMARY_SHOWN])
        more = f"\n… +{len(still) - SUMMARY_SHOWN}" if len(still) > SUMMARY_SHOWN else ""
        lines.append(f"{turn.t(SUMMARY_NEXT)}\n{shown}{more}")
    return "\n".join(lines)


async def attach(turn: Turn, document: PlanDocument, files: dict[str, str]) -> None:
    """Render `document` off the event loop and attach it, named in the practitioner's
    language (an English practitioner gets an English file name)."""
    content = await off_loop(pdf.render, document)
    caption = f"<b>{escape(document.title)}</b>\n{document.subtitle}"
    name = files.get(turn.practitioner.language, files["nl"])
    turn.attachments.append(Attachment("document", name, content, caption))


@registry.action("send_plan")
async def send_plan(turn: Turn) -> None:
    """Attach the working notes of the active family as a PDF; put the summary above the
    next step."""
    case = await open_case(turn)
    now = utcnow()
    people = await turn.repo.people(case)
    agreements = await turn.repo.agreements(case)
    checkins = await turn.repo.checkins(case)
    picture = await network_picture(turn, case, now)
    document = plan_document(turn, case, people, agreements, picture.png, now, checkins)
    await attach(turn, document, PLAN_FILES)
    turn.flash.append(summary(turn, case, people, agreements, checkins))
    turn.record("plan.pdf", "plan", "notes", case_id=case.id)
