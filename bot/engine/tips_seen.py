"""Which parents' tips a practitioner has seen in full for a family (#16).

The same 💡 line came back at every step where it matters, in the preparation and in
fase 1 alike; read in full once, a few words are enough to remind. So a step shows a tip
in full the first time for a family and its short form after that. What was shown is kept
per family in the practitioner's settings, as tip ids only (no text of the family): a
family's first-ever step shows everything in full, and a new family starts afresh.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.engine.turn import Turn

KEY = "tips_seen"
"""`settings["tips_seen"]`: `{case id: [tip ids shown in full]}`."""


def seen(turn: Turn) -> frozenset[str]:
    """The tips already shown in full for the family of this conversation; none for a
    conversation about no family (its tips are always shown in full)."""
    case_id = turn.conversation.case_id
    if case_id is None:
        return frozenset()
    by_case = turn.practitioner.settings.get(KEY)
    shown = by_case.get(str(case_id)) if isinstance(by_case, dict) else None
    return frozenset(shown) if isinstance(shown, list) else frozenset()


def remember(turn: Turn, tip_ids: Iterable[str]) -> None:
    """Note `tip_ids` as shown for this conversation's family. Writes the practitioner's
    row only when a tip is new for the family: a few times per family, not every turn."""
    case_id = turn.conversation.case_id
    known = seen(turn)
    new = set(tip_ids) - known
    if case_id is None or not new:
        return
    p = turn.practitioner
    by_case = p.settings.get(KEY)
    by_case = dict(by_case) if isinstance(by_case, dict) else {}
    by_case[str(case_id)] = sorted(known | new)
    p.settings = {**p.settings, KEY: by_case}
