"""The shape of a flow after loading: plain frozen data, no behaviour.

`loader.py` builds these from `flows/*.yaml`; `machines.py` turns each `Flow` into a
`transitions` machine; `render.py` shows a `Step`. Every object keeps the file line it came
from, so later checks (guards, translations) can still point an author at the right line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

TipKind = Literal["do", "dont"]
Scope = Literal["practitioner", "case"]


@dataclass(frozen=True)
class Tip:
    """One parents' tip: a "do" nudge or a "don't" warning, with a stable id."""

    id: str
    kind: TipKind
    text: str
    phase: int | None
    line: int


@dataclass(frozen=True)
class Branch:
    """One possible outcome of a button, an input or a choice.

    Branches are tried in order; the first whose guards pass is taken. `to` names a step of
    the same flow, `flow` starts another flow, neither means: stay on this step.
    """

    when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    to: str | None = None
    flow: str | None = None
    run: tuple[str, ...] = ()
    set: tuple[tuple[str, str | int | bool | None], ...] = ()
    say: str | None = None
    warn: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Button:
    """A fixed button; `id` is what travels in the callback data. `when` names guards
    that must all pass for the button to be shown (and to work when pressed)."""

    id: str
    label: str
    branches: tuple[Branch, ...]
    line: int
    when: tuple[str, ...] = ()


@dataclass(frozen=True)
class Input:
    """Free text the step accepts, with its validation."""

    save: str | None
    branches: tuple[Branch, ...]
    required: bool
    min_length: int
    max_length: int
    pattern: str | None
    invalid: str | None
    line: int


@dataclass(frozen=True)
class Options:
    """Buttons made at run time by a named provider (for example: the practitioner's cases)."""

    provider: str
    save: str | None
    branches: tuple[Branch, ...]
    empty: str | None
    line: int


@dataclass(frozen=True)
class Step:
    """One message of a flow and what the practitioner can do with it."""

    name: str
    say: str | None
    line: int
    buttons: tuple[Button, ...] = ()
    input: Input | None = None
    options: Options | None = None
    views: tuple[str, ...] = ()
    card: int | None = None
    do: tuple[str, ...] = ()
    dont: tuple[str, ...] = ()
    back: bool = False
    skip: str | None = None
    end: str | None = None
    counted: bool = True
    run: tuple[str, ...] = ()
    """End steps only: actions run on arrival, before `say` (for a command that sends a
    file at once, such as /netwerkkaart)."""

    @property
    def is_end(self) -> bool:
        return self.end is not None


@dataclass(frozen=True)
class Flow:
    """A whole flow, as declared in one YAML file."""

    id: str
    path: Path
    line: int
    title: str
    start: str
    steps: dict[str, Step]
    command: str | None = None
    description: str | None = None
    scope: Scope = "practitioner"
    phase: int | None = None
    progress: bool = False
    """Show "step 3 of 7" above each counted step (default: on for phase flows)."""
    rank: int = 100
    """Order in command lists and menus: lower comes first."""
    resume: bool = True
    """For case flows: entering again continues where it was left (false: always start at
    `start`, as /afspraken does, a list one looks at rather than a walk one pauses)."""
    tips: tuple[Tip, ...] = ()
    order: tuple[str, ...] = field(default=())

    def step(self, name: str) -> Step:
        return self.steps[name]

    def numbered_steps(self) -> list[str]:
        """Steps that count in "step 3 of 7": in file order, without end steps."""
        return [n for n in self.order if self.steps[n].counted and not self.steps[n].is_end]
