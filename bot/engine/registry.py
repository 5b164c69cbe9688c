"""Named pieces of behaviour that flows refer to: guards, actions, option providers, views.

A flow says `when: has_cases` or `run: create_case`; the Python lives here once, and the
loader refuses a flow that names something unknown. Registering with a decorator keeps each
piece next to the code it belongs with (`bot/actions/*`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from bot.engine.options import Option
from bot.errors import ArgumentError

if TYPE_CHECKING:
    from bot.engine.buttons import ButtonHandler
    from bot.engine.turn import Turn


Guard = Callable[["Turn"], Awaitable[bool]]
Action = Callable[["Turn"], Awaitable[None]]
Provider = Callable[["Turn"], Awaitable[list[Option]]]
View = Callable[["Turn"], Awaitable[dict[str, str]]]
TextCheck = Callable[[str], object]
"""Checks one typed answer before any action sees it; raises `Reject` to refuse it."""

F = TypeVar("F")


@dataclass
class Registry:
    """The name spaces a flow can refer to (guards, actions, option providers, views, and
    the checks of typed text an `input` names with `holds:`), and the handlers of buttons
    outside any step by their payload's prefix (`bot.engine.buttons`)."""

    guards: dict[str, Guard] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    texts: dict[str, TextCheck] = field(default_factory=dict)

    def guard(self, name: str) -> Callable[[Guard], Guard]:
        return self._register(self.guards, name)

    def action(self, name: str) -> Callable[[Action], Action]:
        return self._register(self.actions, name)

    def provider(self, name: str) -> Callable[[Provider], Provider]:
        return self._register(self.providers, name)

    def view(self, name: str) -> Callable[[View], View]:
        return self._register(self.views, name)

    def text(self, name: str) -> Callable[[TextCheck], TextCheck]:
        """A check that every typed answer of an input with `holds: <name>` goes through."""
        return self._register(self.texts, name)

    def button(self, prefix: str) -> Callable[[ButtonHandler], ButtonHandler]:
        """A handler for the buttons whose payload starts with `prefix:`. A step's buttons
        start with their step number, so a prefix is letters only."""
        if not prefix.isalpha():
            raise ArgumentError(f"button prefix {prefix!r} must be letters only")
        return self._register(self.buttons, prefix)

    async def passes(self, guards: tuple[str, ...], turn: Turn) -> bool:
        """Whether every named guard passes for `turn` (no guards: yes), in order, as the
        machine checks a branch's `when`."""
        for name in guards:
            if not await self.guards[name](turn):
                return False
        return True

    @staticmethod
    def _register(table: dict[str, F], name: str) -> Callable[[F], F]:
        def decorate(func: F) -> F:
            if name in table:
                raise ArgumentError(f"{name!r} is registered twice")
            table[name] = func
            return func

        return decorate


registry = Registry()
"""The registry the application uses; `bot.actions` fills it on import."""
