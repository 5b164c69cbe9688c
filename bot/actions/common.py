"""Helpers every kind of action uses: the active family, the conversation's answers, texts.

They lived in whichever action module needed them first, so a module about reminders
imported from the one about the network map; here they have one place that says what
they are for, and action modules import one another only for what is theirs.
"""

from __future__ import annotations

from bot.engine.errors import Reject
from bot.engine.render import fill as render_fill
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.store.models import Case
from bot.store.status import CaseStatus

NO_CASE = N_("This works per family. First choose or add a family.")


async def active_open_case(turn: Turn) -> Case | None:
    """The active case while it is open; None otherwise (views show less, never refuse)."""
    case = await turn.active_case()
    if case is None or case.status != CaseStatus.OPEN:
        return None
    return case


async def open_case(turn: Turn) -> Case:
    """The active, open case, or a refusal: family data is only touched through it."""
    case = await active_open_case(turn)
    if case is None:
        raise Reject(NO_CASE)
    return case


def forget(turn: Turn, *keys: str) -> None:
    """Drop keys from the conversation's answers. A new dict, so the change is saved."""
    turn.conversation.data = {k: v for k, v in turn.data.items() if k not in keys}


def fill(turn: Turn, msgid: str, **values: str) -> str:
    """Translate `msgid` and put in values that are already escaped (a name that starts
    a sentence gets a capital, and a value ending in "." no second one: see `fill`)."""
    return render_fill(turn.t(msgid), values)


def shorten_words(text: str, limit: int) -> str:
    """Like `shorten`, but cut after a whole word ("Wat het netwerk gaat…", never
    "gaat beteke…"); a first word longer than the line is cut where it must be."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    kept = flat[: limit - 1]
    if flat[limit - 1] != " " and " " in kept:
        kept = kept[: kept.rindex(" ")]
    return kept.rstrip(" ,;:–-") + "…"
