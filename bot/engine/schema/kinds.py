"""The kinds of value a flow file holds (a name, names, text, a flag, a count, ...), each
with what an author reads when a value is not of its kind, and `Shape`, the base of every
mapping."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Self, TypeVar, cast

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

NAME = r"^[a-z][a-z0-9_]{0,19}$"
"""Flows, steps and buttons: lower case letters, digits and _, starting with a letter."""

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


def _valid_regex(pattern: str) -> str:
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
Pattern = Annotated[str, AfterValidator(_valid_regex), Says("'pattern' must be text")]


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
