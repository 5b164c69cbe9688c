"""The mappings of a flow file: the flow, its steps, buttons, input, options and tips, and
the flow's `pause:` setting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StrictInt,
    StringConstraints,
    model_validator,
)

from bot.engine.schema.branches import Branching, Guarded
from bot.engine.schema.kinds import (
    NAME,
    Count,
    Flag,
    Name,
    Names,
    Pattern,
    PhaseNumber,
    Place,
    Says,
    Shape,
    StepName,
    Text,
    broken,
)
from bot.engine.spec import Button, Flow, Input, Options, Step, Tip

TIP_ID = r"^[a-z0-9]+(\.[a-z0-9_]+)+$"
COMMAND = r"^[a-z][a-z0-9_]{0,31}$"
RESERVED_BUTTONS = frozenset({"back", "skip"})
"""Ids of the buttons the engine adds itself (`back: true`, `skip: <step>`)."""
PAUSE = "pause"
"""The id of the button a flow's `pause:` setting adds to its steps."""


class PauseShape(Branching):
    """A button without an id: the flow's `pause:` setting (its id is `pause`), and the base
    of every other button. On a button, `when` guards the button itself (shown, and working,
    only then); guarded branches go in its `next`."""

    where = "'pause'"
    not_a_mapping = "'pause' must be a mapping with label, say and flow (like a button)"

    label: Text
    when: Names = ()

    def button(self, button_id: str) -> Button:
        return Button(button_id, self.label, self.branches(), self._line, self.when)


class ButtonShape(PauseShape):
    """A fixed button; its `id` travels in the callback data."""

    where = "a button"
    not_a_mapping = "a button must be a mapping with id and label"

    id: Annotated[
        str,
        StringConstraints(pattern=NAME),
        Says.always("button 'id' must match [a-z][a-z0-9_]{{0,19}}"),
    ]

    def what(self) -> str:
        return f"button {self.id!r}"


def _unique_ids(buttons: list[ButtonShape]) -> list[ButtonShape]:
    seen: set[str] = set()
    found: list[tuple[Place, str]] = []
    for i, button in enumerate(buttons):
        if button.id in seen or button.id in RESERVED_BUTTONS:
            found.append(((i,), f"duplicate or reserved button id {button.id!r}"))
        seen.add(button.id)
    broken(found)
    return buttons


Buttons = Annotated[
    list[ButtonShape], AfterValidator(_unique_ids), Says("'buttons' must be a list")
]


class InputShape(Guarded):
    """Free text the step accepts, and how it is checked."""

    where = "'input'"
    not_a_mapping = "'input' must be a mapping"

    save: Name | None = None
    required: Flag = True
    min_length: Count = 1
    max_length: Count = 200
    pattern: Pattern | None = None
    invalid: Text | None = None
    holds: Name = "note"

    @model_validator(mode="after")
    def _lengths(self) -> Self:
        if self.max_length < self.min_length or self.max_length > 4000:
            broken([(("max_length",), "'max_length' must be within min..4000")])
        return self

    def input(self) -> Input:
        return self.build(Input, branches=self.guarded_branches(), line=self._line)


NEEDS_PROVIDER = "'options' needs 'from: <provider>'"


class OptionsShape(Guarded):
    """Buttons made at run time by a named provider."""

    where = "'options'"
    not_a_mapping = NEEDS_PROVIDER

    provider: Annotated[str, Says.always(NEEDS_PROVIDER)] = Field(alias="from")
    save: Name | None = None
    empty: Text | None = None

    def options(self) -> Options:
        return self.build(Options, branches=self.guarded_branches(), line=self._line)


class StepShape(Shape):
    """One message of a flow and what the practitioner can do with it."""

    where = "step {name!r}"
    not_a_mapping = "step {name!r} must be a mapping"

    say: Text | None = None
    buttons: Buttons = Field(default_factory=list)
    entry: InputShape | None = Field(default=None, alias="input")
    options: OptionsShape | None = None
    views: Names = ()
    card: Annotated[PhaseNumber | None, Says("'card' must be a phase number 1..4")] = None
    do: Names = ()
    dont: Names = ()
    back: Flag = False
    skip: Name | None = None
    end: Name | None = None
    counted: Flag = True
    run: Names = ()
    pause: Flag = True
    """`pause: false`: this step goes without the flow's Pause button."""

    def step(self, name: str, line: int, pause: Button | None) -> Step:
        """The step as the engine uses it; `pause` is the flow's Pause button, added last
        to every step that waits for the practitioner unless the step says `pause: false`."""
        buttons = tuple(button.button(button.id) for button in self.buttons)
        if pause is not None and self.pause and self.end is None:
            buttons += (pause,)
        return self.build(
            Step,
            name=name,
            line=line,
            buttons=buttons,
            input=self.entry.input() if self.entry else None,
            options=self.options.options() if self.options else None,
        )


class TipShape(Shape):
    """One parents' tip, with a stable id that steps and `warn:` refer to."""

    where = "a tip"
    not_a_mapping = "a tip must be a mapping with id, kind and text"

    id: Annotated[
        str,
        StringConstraints(pattern=TIP_ID),
        Says.always("tip 'id' must look like f1.do.explain_why"),
    ]
    kind: Annotated[Literal["do", "dont"], Says.always("tip 'kind' must be do or dont")]
    text: Text
    short: Text
    phase: Annotated[PhaseNumber | None, Says("tip 'phase' must be 1..4")] = None

    def tip(self) -> Tip:
        return Tip(self.id, self.kind, self.text, self.phase, self._line, self.short)


FLOW_ID = "'flow' must be an id like fase1"
STEPS = "'steps' must map step names to steps"
START = "missing 'start' (the first step)"


class FlowShape(Shape):
    """A whole flow file."""

    where = "the flow"
    not_a_mapping = "a flow file must be a mapping with 'flow', 'title', 'start' and 'steps'"

    flow: Annotated[str, StringConstraints(pattern=NAME), Says.always(FLOW_ID)]
    title: Text
    command: Annotated[
        Annotated[str, StringConstraints(pattern=COMMAND)] | None,
        Says("'command' must be lower case letters, digits or _"),
    ] = None
    command_en: Annotated[
        Annotated[str, StringConstraints(pattern=COMMAND)] | None,
        Says("'command_en' must be lower case letters, digits or _"),
    ] = None
    description: Text | None = None
    scope: Annotated[
        Literal["practitioner", "case"], Says("'scope' must be practitioner or case")
    ] = "practitioner"
    phase: Annotated[PhaseNumber | None, Says("'phase' must be 1..4")] = None
    progress: Flag | None = None
    rank: Annotated[StrictInt, Says("'rank' must be a whole number")] = 100
    resume: Flag = True
    start: Annotated[Name, Says.always(START)]
    pause: PauseShape | None = None
    tips: Annotated[list[TipShape], Says("'tips' must be a list")] = Field(default_factory=list)
    steps: Annotated[dict[StepName, StepShape], Field(min_length=1), Says.always(STEPS)]
    _step_lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_step_lines(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """A step's line is the line of its name."""
        shape = handler(data)
        shape._step_lines = dict(getattr(data.get("steps"), "key_lines", {}))
        return shape

    @model_validator(mode="after")
    def _whole_flow(self) -> Self:
        """A command needs a description (for /hulp and Telegram's command list); with a
        `pause:` setting no step has a button of its own with the id `pause`."""
        found: list[tuple[Place, str]] = []
        if self.command is not None and self.description is None:
            found.append((("description",), "missing 'description'"))
        if self.command_en is not None and self.command is None:
            found.append((("command_en",), "'command_en' needs 'command' (the Dutch name)"))
        if self.pause is not None:
            found += [
                (("steps", name, "buttons", i), f"duplicate or reserved button id {PAUSE!r}")
                for name, step in self.steps.items()
                for i, button in enumerate(step.buttons)
                if button.id == PAUSE
            ]
        broken(found)
        return self

    def flow_spec(self, path: Path) -> Flow:
        """The flow as the engine uses it, from the file at `path`."""
        pause = self.pause.button(PAUSE) if self.pause is not None else None
        steps = {
            name: step.step(name, self._step_lines.get(name, 0), pause)
            for name, step in self.steps.items()
        }
        return self.build(
            Flow,
            id=self.flow,
            path=path,
            line=self._line,
            steps=steps,
            progress=self.phase is not None if self.progress is None else self.progress,
            tips=tuple(tip.tip() for tip in self.tips),
            order=tuple(steps),
        )


STEP_KEYS = StepShape.keys()
"""The keys a step may have, as the error about an unknown one lists them."""
