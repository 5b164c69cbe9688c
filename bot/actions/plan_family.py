"""/plan "for the family": the plan the family keeps, on one or two A4 pages.

A parent takes it out when something goes wrong, so that comes first: the signal, who
steps in, and what they do and how the family reaches them. Then who does what and until
when (the practitioner's own tasks apart, so a note to self is not read as an order), what
the family wants their network to mean, what everyone expects, the check-ins by date and
the network picture, its legend in plain words. It holds only
what was agreed with the family: nothing the practitioner noted for themselves (the
preparation, their view on trust, how an approach went, the parent's decisions per
person). People the parent does not want contacted are left out, from the picture and
from every agreement about them, unless the parent chooses to show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.actions.agreements import STATUS, is_task
from bot.actions.common import fill, forget, open_case
from bot.actions.network import map_people, map_texts
from bot.actions.phase4 import expectation_line
from bot.actions.phase_records import PRACTITIONER, conversation_case
from bot.actions.plan import UNTIL, WHAT, WHO, attach, document
from bot.actions.plan_parts import (
    DOES,
    SIGNAL,
    STEPS_IN,
    Refused,
    check_in_text,
    checkin_lines,
    closing_answer,
    drop_empty_column,
    moment,
    problem_plan,
    who,
)
from bot.engine.registry import registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.render import netmap
from bot.render.model import Column, PlanDocument, Section, Table
from bot.render.worker import off_loop
from bot.store.models import Agreement, Case, Reminder, utcnow
from bot.store.status import AgreementStatus

FAMILY_FILES = {"nl": "netwerkplan.pdf", "en": "network-plan.pdf"}
"""The family's copy keeps the plain name: it is the one the family sees."""
SHOW_REFUSED = "show_refused"
"""The conversation's answer: the parent chose to show the people they refused."""

TITLE = N_("Our network plan · {case}")
WRONG = N_("When things go wrong")
NO_PLAN = N_("Nothing agreed yet for when things go wrong.")
TASKS = N_("Who does what")
NO_TASKS = N_("Nothing agreed yet.")
PRACTITIONER_TASKS = N_("What the practitioner does")
"""The practitioner's own tasks, apart: typed as a note to self ("ik: bel oma"), under
"who does what" they read as an order to the family."""
WISH = N_("What we want our network to mean")
EXPECT = N_("What we expect of each other")
CHECKINS = N_("Check-ins")
NO_CHECKINS = N_("No check-ins planned yet.")
MAP = N_("Our network")
APPROACHED_LEGEND = N_("asked to help")
"""The picture's legend for someone approached, in the family's words (no phase numbers)."""
REFUSED_NOTE = N_(
    "The parent does not want these people contacted: {names}. The plan for the family "
    "leaves them out, unless the parent wants them in it."
)
LEFT_OUT = N_("Left out of this plan, as the parent wished: {names}.")

TASK_KINDS = frozenset({"agreement", "approach", "responsibility"})
"""What someone does (phases 1 to 3): the family's "who does what". The notes of those
phases (the parents' wish, trust, the preparation, how it went) are the practitioner's;
fase 3's follow-ups are check-ins."""
CHECKIN_KINDS = frozenset({"follow_up", "check_in"})
MEANING = "network_meaning"
"""The closing question whose answer is the family's wish for their network."""


def _shown(agreements: Sequence[Agreement], refused: Refused, kinds: set[str]) -> list[Agreement]:
    return [a for a in agreements if a.kind in kinds and not refused.agreement(a)]


def _wrong_section(turn: Turn, agreements: Sequence[Agreement]) -> Section:
    columns = (Column(turn.t(SIGNAL), 34), Column(turn.t(STEPS_IN), 18), Column(turn.t(DOES), 48))
    rows = []
    for agreement in agreements:
        plan = problem_plan(turn, agreement)
        rows.append((plan.signal, plan.who, plan.action or "—"))
    table = drop_empty_column(Table(columns, tuple(rows)), 2)
    return Section(turn.t(WRONG), table, empty=turn.t(NO_PLAN))


def _task_rows(
    turn: Turn, agreements: Sequence[Agreement]
) -> tuple[tuple[tuple[str, str, str], ...], frozenset[int]]:
    """What, who and until when; a done task says so (and is grey)."""
    rows, muted = [], set()
    for number, agreement in enumerate(agreements):
        what = agreement.text
        if is_task(agreement) and agreement.status == AgreementStatus.DONE:
            what = f"{what} ({turn.t(STATUS[AgreementStatus.DONE])})"
            muted.add(number)
        rows.append((what, who(turn, agreement.who), agreement.due or "—"))
    return tuple(rows), frozenset(muted)


def _tasks_section(turn: Turn, agreements: Sequence[Agreement]) -> Section:
    columns = (Column(turn.t(WHAT), 58), Column(turn.t(WHO), 22), Column(turn.t(UNTIL), 20))
    rows, muted = _task_rows(turn, agreements)
    table = drop_empty_column(Table(columns, rows, muted), 2)
    return Section(turn.t(TASKS), table, empty=turn.t(NO_TASKS))


def _practitioner_section(turn: Turn, agreements: Sequence[Agreement]) -> Section:
    """The practitioner's tasks: what and until when, under a heading that says whose."""
    columns = (Column(turn.t(WHAT), 78), Column(turn.t(UNTIL), 22))
    rows, muted = _task_rows(turn, agreements)
    table = drop_empty_column(Table(columns, tuple((r[0], r[2]) for r in rows), muted), 1)
    return Section(turn.t(PRACTITIONER_TASKS), table)


def _checkin_lines(
    turn: Turn, checkins: Sequence[Reminder], agreements: Sequence[Agreement]
) -> tuple[str, ...]:
    """The check-ins after closing, fase 3's follow-ups and the typed ones, by date; the
    typed ones without a date last, as typed."""
    dated = list(zip((r.due_at for r in checkins), checkin_lines(turn, checkins), strict=True))
    undated = []
    for agreement in agreements:
        at = moment(agreement)
        line = check_in_text(turn, agreement)
        if at is None:
            undated.append(line)
        else:
            dated.append((at, line))
    dated.sort(key=lambda pair: pair[0])
    return tuple(line for _, line in dated) + tuple(undated)


def family_document(
    turn: Turn,
    case: Case,
    refused: Refused,
    agreements: Sequence[Agreement],
    checkins: Sequence[Reminder],
    picture: bytes,
    now: datetime,
) -> PlanDocument:
    """The family's plan, translated, as plain data for the PDF renderer; what is about
    someone in `refused` is left out."""
    tasks = _shown(agreements, refused, set(TASK_KINDS))
    sections = [
        _wrong_section(turn, _shown(agreements, refused, {"problem_plan"})),
        _tasks_section(turn, [a for a in tasks if a.who != PRACTITIONER]),
    ]
    own = [a for a in tasks if a.who == PRACTITIONER]
    if own:
        sections.append(_practitioner_section(turn, own))
    wishes = [closing_answer(a, MEANING) for a in _shown(agreements, refused, {"closing"})]
    if any(wishes):
        sections.append(Section(turn.t(WISH), lines=tuple(w for w in wishes if w)))
    expected = _shown(agreements, refused, {"expectation"})
    if expected:
        sections.append(Section(turn.t(EXPECT), lines=tuple(map(expectation_line, expected))))
    lines = _checkin_lines(turn, checkins, _shown(agreements, refused, set(CHECKIN_KINDS)))
    sections.append(Section(turn.t(CHECKINS), lines=lines, empty=turn.t(NO_CHECKINS)))
    sections.append(Section(turn.t(MAP), picture=picture))
    return document(turn, TITLE, case, sections, now)


async def _refused(turn: Turn) -> Refused:
    case = await conversation_case(turn)
    return Refused.of(await turn.repo.people(case)) if case is not None else Refused(())


@registry.guard("has_refused_people")
async def has_refused_people(turn: Turn) -> bool:
    """Someone on the map is not to be contacted: offer a family's copy that shows them."""
    return bool((await _refused(turn)).people)


@registry.view("refused_people")
async def refused_people(turn: Turn) -> dict[str, str]:
    """`{refused}`: a paragraph naming the people the parent does not want contacted, and
    that the family's copy leaves them out unless asked otherwise; "" without them."""
    names = (await _refused(turn)).names()
    if not names:
        return {"refused": ""}
    listed = ", ".join(f"<b>{escape(name)}</b>" for name in names)
    return {"refused": "\n\n" + fill(turn, REFUSED_NOTE, names=listed)}


@registry.action("send_family_plan")
async def send_family_plan(turn: Turn) -> None:
    """Attach the family's plan as a PDF; say above the menu who was left out."""
    case = await open_case(turn)
    now = utcnow()
    show = turn.data.get(SHOW_REFUSED) is True
    forget(turn, SHOW_REFUSED)
    people = await turn.repo.people(case)
    agreements = await turn.repo.agreements(case)
    checkins = await turn.repo.checkins(case)
    refused = Refused(()) if show else Refused.of(people)
    shown = [p for p in people if not refused.person(p)]
    texts = replace(map_texts(turn, case, now), approached=turn.t(APPROACHED_LEGEND))
    if refused.people:  # no one "not to be contacted" is on the picture: nor in its legend
        decisions = {d: text for d, text in texts.decisions.items() if d != "no"}
        texts = replace(texts, decisions=decisions)
    picture = await off_loop(netmap.draw, map_people(shown), texts)
    document = family_document(turn, case, refused, agreements, checkins, picture.png, now)
    await attach(turn, document, FAMILY_FILES)
    if refused.people:
        names = ", ".join(escape(name) for name in refused.names())
        turn.flash.append(fill(turn, LEFT_OUT, names=names))
    turn.record("plan.pdf", "plan", "family", case_id=case.id)
