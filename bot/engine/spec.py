"""The shape of a flow after loading: plain frozen data, no behaviour.

`loader.py` builds these from `flows/*.yaml` into one `FlowSet`; `machines.py` turns each
`Flow` into a `transitions` machine; `render.py` shows a `Step`. Every object keeps the file
line it came from, so later checks (guards, translations) can still point an author at the
right line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
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
    short: str | None = None
    """The same tip in a few words, shown once the full text was shown for the family."""


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
    holds: str
    """The name of the text check every typed answer here goes through before any action
    sees it (`Registry.text`): `note` unless the flow says what else the text holds."""
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

    def branches(self) -> Iterator[Branch]:
        """Every way on from this step: its buttons' branches, then its input's, then its
        options'."""
        for button in self.buttons:
            yield from button.branches
        if self.input is not None:
            yield from self.input.branches
        if self.options is not None:
            yield from self.options.branches


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
    """The command in Dutch (`hulp`), and in every language that has no name of its own."""
    command_en: str | None = None
    """The command in English (`help`). Either name works in either language."""
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

    def command_in(self, language: str) -> str | None:
        """The name to show a practitioner who speaks `language`."""
        return self.command_en if language == "en" and self.command_en else self.command

    def command_names(self) -> tuple[str, ...]:
        """Every name the command answers to, Dutch first."""
        return tuple(name for name in (self.command, self.command_en) if name)

    def numbered_steps(self) -> list[str]:
        """Steps that count in "step 3 of 7": in file order, without end steps."""
        return [n for n in self.order if self.steps[n].counted and not self.steps[n].is_end]


START = "start"
CANCEL = "annuleer"
CANCEL_EN = "cancel"
ENGINE_COMMANDS = frozenset({START, CANCEL, CANCEL_EN})
"""Commands the engine answers itself, in every language; no flow may take their names."""


def cancel_in(language: str) -> str:
    return CANCEL_EN if language == "en" else CANCEL


@dataclass(frozen=True)
class FlowSet:
    """Every flow of the bot, validated together (flows refer to each other)."""

    flows: dict[str, Flow]

    def __getitem__(self, flow_id: str) -> Flow:
        return self.flows[flow_id]

    def __iter__(self) -> Iterator[Flow]:
        return iter(sorted(self.flows.values(), key=lambda f: (f.rank, f.id)))

    def by_command(self, command: str) -> Flow | None:
        """The flow a command starts, by its name in any language."""
        return next((f for f in self if command in f.command_names()), None)

    def command_names(self) -> frozenset[str]:
        """Every command in every language: the flows' and the engine's own."""
        return ENGINE_COMMANDS | {name for flow in self for name in flow.command_names()}

    def tips(self) -> dict[str, tuple[Flow, Tip]]:
        """Every tip by id, with its flow. Built once: every rendered step asks for it."""
        return self._tips

    @cached_property
    def _tips(self) -> dict[str, tuple[Flow, Tip]]:
        return {tip.id: (flow, tip) for flow in self for tip in flow.tips}

    def msgids(self) -> Iterator[tuple[Path, int, str]]:
        """Every translatable text with its place; the Babel extractor and the
        translation check both walk this one list."""
        for flow in self:
            yield from flow_msgids(flow)


def flow_msgids(flow: Flow) -> Iterator[tuple[Path, int, str]]:
    """The translatable texts of one flow with their lines, in file order; the Babel
    extractor reads one file at a time, so it walks a single flow."""
    path = flow.path
    yield path, flow.line, flow.title
    if flow.description:
        yield path, flow.line, flow.description
    for tip in flow.tips:
        yield path, tip.line, tip.text
        if tip.short:
            yield path, tip.line, tip.short
    for step in flow.steps.values():
        if step.say:
            yield path, step.line, step.say
        branches: list[Branch] = []
        for button in step.buttons:
            yield path, button.line, button.label
            branches.extend(button.branches)
        if step.input:
            if step.input.invalid:
                yield path, step.input.line, step.input.invalid
            branches.extend(step.input.branches)
        if step.options:
            if step.options.empty:
                yield path, step.options.line, step.options.empty
            branches.extend(step.options.branches)
        for branch in branches:
            if branch.say:
                yield path, branch.line, branch.say
