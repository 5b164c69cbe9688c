"""The shape of a flow file, declared: which keys each mapping takes, what kind of value each
holds, and what a content author reads when one is wrong.

Each mapping of `flows/*.yaml` has a model here (`FlowShape`, `StepShape`, `ButtonShape`, ...);
pydantic checks a whole file against them at once, and `shape_errors.py` turns what it finds
into `file:line` messages, using the `Says` next to each key. A valid shape becomes the plain
data of `spec.py` (`FlowShape.flow`). Whether the names a flow uses exist (steps, flows,
guards, actions, tips) is not a question of shape: `loader.py` answers it in code.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.engine.spec import Branch, Button, Flow, Input, Options, Step, Tip

NAME = r"^[a-z][a-z0-9_]{0,19}$"
TIP_ID = r"^[a-z0-9]+(\.[a-z0-9_]+)+$"
COMMAND = r"^[a-z][a-z0-9_]{0,31}$"
RESERVED_BUTTONS = frozenset({"back", "skip"})
"""Ids of the buttons the engine adds itself (`back: true`, `skip: <step>`)."""
PAUSE = "pause"
"""The id of the button a flow's `pause:` setting adds to its steps."""

RULE = "rule"
"""Error type of a broken rule whose message is final (it names what is wrong)."""
WRONG = "wrong"
"""Error type of a value of the wrong kind: the key's `Says` words it."""
Place = tuple[str | int, ...]
T = TypeVar("T")


@dataclass(frozen=True)
class Says:
    """What an author reads when a key's value is wrong (`{key}` is the key) or, with
    `missing`, when the key is left out (default: "missing 'key'")."""

    wrong: str
    missing: str | None = None

    @classmethod
    def always(cls, message: str) -> Says:
        """The same message whether the key is wrong or missing."""
        return cls(message, missing=message)


def rule(message: str) -> PydanticCustomError:
    """A broken rule, reported with exactly `message`."""
    return PydanticCustomError(RULE, "{message}", {"message": message})


def broken(found: Iterable[tuple[Place, str]]) -> None:
    """Report every broken rule at its own place (below the value being checked)."""
    details = [
        InitErrorDetails(type=rule(message), loc=place, input=None) for place, message in found
    ]
    if details:
        raise ValidationError.from_exception_data("flow", details)


# --- kinds of value ---------------------------------------------------------------------------


def _one_or_many(value: Any) -> Any:
    """`run: note` means `run: [note]`; nothing means none."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(value)
    raise PydanticCustomError(WRONG, "")


def _plain_values(value: Any) -> Any:
    if isinstance(value, dict):
        broken(
            ((key,), f"'set.{key}' must be a plain value")
            for key, item in value.items()
            if not isinstance(item, str | int | bool) and item is not None
        )
    return value


def _step_name(name: str) -> str:
    if not re.match(NAME, name):
        raise rule(f"step name {name!r} must match [a-z][a-z0-9_]{{0,19}}")
    return name


def _valid_regex(pattern: str | None) -> str | None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise rule(f"'pattern' is not a valid regex: {exc}") from exc
    return pattern


Name = Annotated[str, Says("{key!r} must be a name")]
Names = Annotated[
    tuple[str, ...],
    BeforeValidator(_one_or_many),
    Says("{key!r} must be a name or a list of names"),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    Says("{key!r} must be non-empty text"),
]
Flag = Annotated[StrictBool, Says("{key!r} must be true or false")]
Count = Annotated[StrictInt, Field(ge=0), Says("{key!r} must be a whole number >= 0")]
PhaseNumber = Annotated[StrictInt, Field(ge=1, le=4)]
Values = Annotated[
    dict[str, Any], AfterValidator(_plain_values), Says("'set' must map names to values")
]
StepName = Annotated[str, AfterValidator(_step_name)]


# --- mappings ---------------------------------------------------------------------------------


class Shape(BaseModel):
    """One mapping of a flow file. Unknown keys are errors (a typo must not pass silently);
    `where` and `not_a_mapping` word the errors about the mapping itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    where: ClassVar[str]
    not_a_mapping: ClassVar[str]
    _line: int = PrivateAttr(default=0)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_line(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """Keep the line the mapping starts on (yamlsource gives it), for the spec."""
        shape = handler(data)
        shape._line = getattr(data, "line", 0)
        return shape

    @classmethod
    def keys(cls) -> list[str]:
        """The keys an author may write here, sorted."""
        return sorted(info.alias or name for name, info in cls.model_fields.items())

    def build(self, spec: Callable[..., T], **given: Any) -> T:
        """The `spec` dataclass filled with `given`, and for every other field with this
        shape's value of the same name (most keys mean the same in the file and the spec)."""
        names = {f.name for f in dataclasses.fields(cast(Any, spec))} - given.keys()
        same = {name: getattr(self, name) for name in names & type(self).model_fields.keys()}
        return spec(**same, **given)

    def written(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` the author wrote in this mapping."""
        fields = type(self).model_fields
        return {fields[name].alias or name for name in self.model_fields_set} & set(keys)


class Outcome(Shape):
    """Where a branch leads and what happens on the way; the keys a button, an input and an
    option choice may also carry themselves (an inline branch)."""

    to: Name | None = None
    flow: Name | None = None
    run: Names = ()
    values: Values = Field(default_factory=dict, alias="set")
    say: Text | None = None
    warn: Name | None = None

    OUTCOME_KEYS: ClassVar[frozenset[str]] = frozenset({"to", "flow", "run", "set", "say", "warn"})

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if self.to is not None and self.flow is not None:
            raise rule("a branch goes either 'to' a step or to another 'flow', not both")
        return self

    def branch(self, when: tuple[str, ...] = (), unless: tuple[str, ...] = ()) -> Branch:
        return self.build(
            Branch, when=when, unless=unless, set=tuple(self.values.items()), line=self._line
        )


class BranchShape(Outcome):
    """One entry of a `next:` list: an outcome, taken when its guards pass."""

    where = "a branch"
    not_a_mapping = "a branch must be a mapping (when / to / run ...)"

    when: Names = ()
    unless: Names = ()

    def guarded(self) -> Branch:
        return self.branch(self.when, self.unless)


def _fallback_last(branches: list[BranchShape]) -> list[BranchShape]:
    """Branches are tried in order, so only the last may (and must) be taken always."""
    found: list[tuple[Place, str]] = [
        ((i,), "only the last branch may be without 'when'/'unless'")
        for i, branch in enumerate(branches[:-1])
        if not branch.when and not branch.unless
    ]
    if branches[-1].when or branches[-1].unless:
        found.append(
            ((len(branches) - 1,), "the last branch needs no 'when'/'unless': it is the fallback")
        )
    broken(found)
    return branches


Branches = Annotated[
    list[BranchShape],
    Field(min_length=1),
    AfterValidator(_fallback_last),
    Says("'next' must be a non-empty list of branches"),
]


class Branching(Outcome):
    """A mapping that leads on: either one inline outcome or a `next:` list, never both."""

    then: Branches | None = Field(default=None, alias="next")

    INLINE_KEYS: ClassVar[frozenset[str]] = Outcome.OUTCOME_KEYS

    def what(self) -> str:
        """How a message names this mapping."""
        return self.where

    @model_validator(mode="after")
    def _next_or_inline(self) -> Self:
        inline = self.written(self.INLINE_KEYS)
        if self.then is not None and inline - {"say"}:
            found = ", ".join(sorted(inline))
            message = f"{self.what()} has both 'next' and {found}: put them in 'next'"
            broken([(("next",), message)])
        return self

    def branches(
        self, when: tuple[str, ...] = (), unless: tuple[str, ...] = ()
    ) -> tuple[Branch, ...]:
        if self.then is not None:
            return tuple(branch.guarded() for branch in self.then)
        return (self.branch(when, unless),)


class Guarded(Branching):
    """Input and options: their inline outcome may carry guards too."""

    when: Names = ()
    unless: Names = ()

    INLINE_KEYS = Outcome.OUTCOME_KEYS | {"when", "unless"}

    def guarded_branches(self) -> tuple[Branch, ...]:
        return self.branches(self.when, self.unless)


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
    pattern: Annotated[str | None, AfterValidator(_valid_regex), Says("'pattern' must be text")] = (
        None
    )
    invalid: Text | None = None

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
    phase: Annotated[PhaseNumber | None, Says("tip 'phase' must be 1..4")] = None

    def tip(self) -> Tip:
        return Tip(self.id, self.kind, self.text, self.phase, self._line)


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
        found: list[tuple[Place, str]] = []
        if self.command is not None and self.description is None:
            found.append((("description",), "missing 'description'"))
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
