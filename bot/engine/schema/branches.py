"""Where a button, an input or an option choice leads: one inline outcome, or a `next:`
list of branches tried in order."""

from __future__ import annotations

from typing import Annotated, ClassVar, Self

from pydantic import AfterValidator, Field, model_validator

from bot.engine.schema.kinds import (
    Name,
    Names,
    Place,
    Says,
    Shape,
    Text,
    Values,
    broken,
    rule,
)
from bot.engine.spec import Branch


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
