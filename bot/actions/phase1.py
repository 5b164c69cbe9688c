"""Fase 1 · bespreken: what the parents want, the offer to join, and trust.

Each answer is kept the moment it is given, as the one agreement of its kind in phase 1:
asking again later (trust grows, a wish changes) replaces the answer, and the audit trail
keeps what it was before. "Parents name no one" and "not now" are answers like any other:
they are kept as the parents' wish, in the same neutral words.
"""

from __future__ import annotations

from bot.actions.agreements import bot_label
from bot.actions.phase_records import (
    PARENT,
    PRACTITIONER,
    bullets,
    conversation_case,
    data_text,
    keep_agreement,
    quoted,
)
from bot.engine.registry import registry
from bot.engine.turn import Turn
from bot.i18n import N_

WISH = bot_label(N_("In their words: “{wish}”"))
NO_NETWORK = {
    "none": N_("The parents name no one to involve (for now)."),
    "not_now": N_("The parents don't want to involve their network now."),
}
JOIN = {
    "accepted": N_("Offer that someone from their network joins: accepted."),
    "declined": N_("Offer that someone from their network joins: declined."),
    "not_offered": N_("Offer that someone from their network joins: not made yet."),
}
TRUST = {
    "enough": N_("There is enough trust to talk about what the network can do."),
    "not_yet": N_("Not enough trust yet: the network waits."),
}
SUMMARY_KINDS = ("wish", "join_offer", "trust")


def _choice(turn: Turn, key: str, texts: dict[str, str]) -> str:
    """The sentence for a button's value; the flow only sets values listed here."""
    value = turn.data.get(key)
    return turn.t(texts[value]) if isinstance(value, str) and value in texts else ""


@registry.action("record_wish")
async def record_wish(turn: Turn) -> None:
    text = quoted(turn, WISH, wish=data_text(turn, "wish"))
    await keep_agreement(turn, phase=1, kind="wish", text=text, who=PARENT, one_per_kind=True)


@registry.action("record_no_network")
async def record_no_network(turn: Turn) -> None:
    """No network, or not now: a valid outcome, with the parents' words when given."""
    parts = [_choice(turn, "outcome", NO_NETWORK)]
    # Only words typed on this step count (a button press has no value); a wish typed
    # earlier and then taken back with "‹ Back" is not the parents' answer any more.
    words = data_text(turn, "wish") if turn.value else ""
    if words:
        parts.append(quoted(turn, WISH, wish=words))
    text = " ".join(p for p in parts if p)
    await keep_agreement(turn, phase=1, kind="wish", text=text, who=PARENT, one_per_kind=True)


@registry.action("record_join_offer")
async def record_join_offer(turn: Turn) -> None:
    text = _choice(turn, "join", JOIN)
    await keep_agreement(turn, phase=1, kind="join_offer", text=text, who=PARENT, one_per_kind=True)


@registry.action("record_trust")
async def record_trust(turn: Turn) -> None:
    text = _choice(turn, "trust", TRUST)
    await keep_agreement(
        turn, phase=1, kind="trust", text=text, who=PRACTITIONER, one_per_kind=True
    )


@registry.view("phase1_summary")
async def phase1_summary(turn: Turn) -> dict[str, str]:
    """What phase 1 has recorded for this family, as stored (not as remembered)."""
    case = await conversation_case(turn)
    if case is None:
        return {"phase1": ""}
    kept = [a for a in await turn.repo.agreements(case, 1) if a.kind in SUMMARY_KINDS]
    kept.sort(key=lambda a: SUMMARY_KINDS.index(a.kind))
    return {"phase1": bullets([a.text for a in kept])}
