"""Buttons outside any step: a message sent on its own (a reminder) carries buttons that
stay valid while the practitioner works on, so they carry no step number.

A module that sends such a message registers a handler for the prefix of its buttons'
payload (`registry.button("r")`); the interpreter checks the signature, calls the handler
in the turn, and shows its answer. The engine knows no reminder: it only knows prefixes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.engine.events import Reply
from bot.i18n import Translator

if TYPE_CHECKING:
    from bot.engine.spec import FlowSet
    from bot.store.models import Practitioner
    from bot.store.repo import Repo


@dataclass(frozen=True)
class Opening:
    """Where a button takes the practitioner: a flow (of a family, when `case_id` is set),
    and the step in it, if not the flow's own place."""

    case_id: int | None
    flow: str
    step: str | None = None


@dataclass(frozen=True)
class ButtonPress:
    """One press of a registered button, its signature already checked for the presser."""

    repo: Repo
    practitioner: Practitioner
    payload: str
    """The signed payload, `<prefix>:...`."""
    translator: Translator
    flows: FlowSet
    now: datetime


@dataclass(frozen=True)
class ButtonAnswer:
    """What to show: the message as it now is (edited in place), a short notice for the
    press, and, to open a flow, where."""

    reply: Reply | None
    notice: str
    open: Opening | None = None


ButtonHandler = Callable[[ButtonPress], Awaitable[ButtonAnswer | None]]
"""None: the payload is not one this handler makes (the button no longer works)."""
