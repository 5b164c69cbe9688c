"""What both plan documents (for the family, and the working notes) are made of.

The check-ins after closing are kept as reminders (fase 4's "remind me after 2, 6 and 12
weeks"), not as agreements, so the plan reads them from the reminders; the typed check-in
agreements come beside them. A plan for when things go wrong is kept in its parts
(signal, who, what: `Agreement.detail` and `who`), and both documents show them so, in the
reader's language, whatever language it was noted in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from bot.actions.people import same_name
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.i18n.fmt import date_long
from bot.render.model import Table
from bot.store.models import Agreement, Person, Reminder
from bot.store.status import ReminderStatus

CHECKIN_PLANNED = N_("{date}: the practitioner checks in on how it is going")
CHECKIN_DONE = N_("{date}: the practitioner checked in")
NOTED_ALL = N_("Everything here was noted on {date}.")
SIGNAL, STEPS_IN, DOES = N_("Signal"), N_("Who"), N_("What they do, and how to reach them")
"""The columns of a plan for when things go wrong, in both documents."""
WHO_NAMES = {"parent": N_("the parent"), "practitioner": N_("the practitioner")}
"""The plan is read by the family too: it says "the practitioner" where the bot says "you"."""


def date(turn: Turn, moment: datetime) -> str:
    return date_long(moment, turn.language, turn.practitioner.timezone)


def who(turn: Turn, value: str | None) -> str:
    if not value:
        return "—"
    return turn.t(WHO_NAMES[value]) if value in WHO_NAMES else value


def checkin_lines(turn: Turn, checkins: Sequence[Reminder]) -> tuple[str, ...]:
    """One line per planned check-in, by its date (a done one says so)."""
    lines = []
    for reminder in checkins:
        msgid = CHECKIN_DONE if reminder.status == ReminderStatus.DONE else CHECKIN_PLANNED
        lines.append(turn.t(msgid).replace("{date}", date(turn, reminder.due_at)))
    return tuple(lines)


def drop_empty_column(table: Table, column: int, empty: str = "—") -> Table:
    """Leave out a column that is `empty` on every row ("until when" nobody said)."""
    if any(row[column] != empty for row in table.rows):
        return table
    columns = table.columns[:column] + table.columns[column + 1 :]
    rows = tuple(row[:column] + row[column + 1 :] for row in table.rows)
    return replace(table, columns=columns, rows=rows)


@dataclass(frozen=True)
class ProblemPlan:
    """One plan for when things go wrong, in its three parts."""

    signal: str
    who: str
    action: str


def problem_plan(turn: Turn, agreement: Agreement) -> ProblemPlan:
    """Signal, who and what, as fase 4 kept them (`Agreement.detail`); a plan kept
    without its parts (changed by hand, or from before they were kept and not in a form
    the migration could read) is its text, whole, as the signal."""
    detail = agreement.detail or {}
    signal, action = detail.get("signal"), detail.get("action")
    if not isinstance(signal, str) or not isinstance(action, str):
        return ProblemPlan(agreement.text, who(turn, agreement.who), "")
    return ProblemPlan(signal or "—", who(turn, agreement.who), action)


def moment(agreement: Agreement) -> datetime | None:
    """When a check-in is, if it was kept with its moment (`detail["at"]`)."""
    at = (agreement.detail or {}).get("at")
    if not isinstance(at, str):
        return None
    try:
        found = datetime.fromisoformat(at)
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def check_in_text(turn: Turn, agreement: Agreement) -> str:
    """A typed check-in with the date it meant ("28 september 2026: moeder bellen" for
    "over 2 weken: moeder bellen"); as typed when it was kept without one."""
    at = moment(agreement)
    what = (agreement.detail or {}).get("what")
    if at is None or not isinstance(what, str):
        return agreement.text
    return f"{date(turn, at)}: {what}"


def closing_answer(agreement: Agreement, question: str) -> str | None:
    """The family's answer to a closing question (`detail`), if this is that answer."""
    detail = agreement.detail or {}
    answer = detail.get("answer")
    if agreement.kind != "closing" or detail.get("question") != question:
        return None
    return answer.strip() or None if isinstance(answer, str) else None


@lru_cache(maxsize=256)
def _name_pattern(name: str) -> re.Pattern[str]:
    """A name as a whole word (or words), whatever the case and spacing."""
    words = r"\s+".join(re.escape(word) for word in name.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Refused:
    """The people the parent does not want contacted, to leave out of the family's copy;
    `shown` are the names of everyone else (so "Oma Els" is not taken for "Oma")."""

    people: tuple[Person, ...]
    shown: tuple[str, ...] = ()

    @classmethod
    def of(cls, people: Sequence[Person]) -> Refused:
        refused = tuple(p for p in people if p.decision == "no")
        others = sorted((p.name for p in people if p.decision != "no"), key=len, reverse=True)
        return cls(refused, tuple(others))

    def names(self) -> list[str]:
        return [p.name for p in self.people]

    def person(self, person: Person) -> bool:
        return any(p.id == person.id for p in self.people)

    def agreement(self, agreement: Agreement) -> bool:
        """The agreement is about someone refused. One linked to a person on the map
        (fase 3's goals, tasks and check-ins, fase 4's plans and expectations whose who
        is on the map) is decided by that link alone. Free text with no link (who not on
        the map, an expectation without who, older rows) falls back to names: who is a
        refused person's name, or the text names them as a whole word, whatever the case,
        and not as part of the longer name of someone shown."""
        if not self.people:
            return False
        if agreement.person_id is not None:
            return any(agreement.person_id == person.id for person in self.people)
        text = agreement.text
        for name in self.shown:
            text = _name_pattern(name).sub(" ", text)
        for person in self.people:
            if agreement.who and same_name(agreement.who, person.name):
                return True
            if person.name.strip() and _name_pattern(person.name).search(text):
                return True
        return False
