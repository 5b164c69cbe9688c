"""What both plan documents (for the family, and the working notes) are made of.

The check-ins after closing are kept as reminders (fase 4's "remind me after 2, 6 and 12
weeks"), not as agreements, so the plan reads them from the reminders; the typed check-in
agreements come beside them. A plan for when things go wrong is stored as one sentence
("Signal: …. Then oma: …"); the family's table splits it again into signal, who and what.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.actions.people import same_name
from bot.actions.phase4 import PLAN
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.i18n.fmt import date_long
from bot.render.model import Table
from bot.store.models import Agreement, Person, Reminder
from bot.store.status import ReminderStatus

CHECKIN_PLANNED = N_("{date}: the practitioner checks in on how it is going")
CHECKIN_DONE = N_("{date}: the practitioner checked in")
NOTED_ALL = N_("Everything here was noted on {date}.")
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


def _pattern(template: str, who: str) -> re.Pattern[str] | None:
    """A regular expression for a sentence made from `template` with this `who`; the
    full stop after a value that ends in one was dropped by `fill`."""
    parts = re.split(r"(\{signal\}|\{who\}|\{action\})", template)
    if sorted(p for p in parts if p.startswith("{")) != ["{action}", "{signal}", "{who}"]:
        return None
    out = []
    for part in parts:
        if part == "{signal}":
            out.append(r"(?P<signal>.+?)")
        elif part == "{action}":
            out.append(r"(?P<action>.+)")
        elif part == "{who}":
            out.append(re.escape(who))
        elif part.startswith("."):
            out.append(r"\.?" + re.escape(part[1:]))
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$", re.DOTALL | re.IGNORECASE)


def split_problem_plan(text: str, named: str, templates: Sequence[str]) -> tuple[str, str] | None:
    """The signal and what `named` does, read back from a sentence made from one of
    `templates` (the plan's sentence in each language it may have been written in)."""
    for template in templates:
        pattern = _pattern(template, named) if named else None
        found = pattern.match(text) if pattern else None
        if found:
            return found["signal"].strip(), found["action"].strip()
    return None


def problem_plan(turn: Turn, agreement: Agreement) -> ProblemPlan:
    """Signal, who and what, read back from the stored sentence (in the practitioner's
    language, or English); a sentence that does not read that way stays whole as the
    signal."""
    parts = split_problem_plan(agreement.text, agreement.who or "", (turn.t(PLAN), PLAN))
    if parts is None:
        return ProblemPlan(agreement.text, who(turn, agreement.who), "")
    return ProblemPlan(parts[0], who(turn, agreement.who), parts[1])


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
        """The agreement is about someone refused: linked to them, with them as who, or
        naming them in its text (as a whole word, whatever the case, and not as part of
        the longer name of someone shown)."""
        if not self.people:
            return False
        text = agreement.text
        for name in self.shown:
            text = _name_pattern(name).sub(" ", text)
        for person in self.people:
            if agreement.person_id == person.id:
                return True
            if agreement.who and same_name(agreement.who, person.name):
                return True
            if person.name.strip() and _name_pattern(person.name).search(text):
                return True
        return False
