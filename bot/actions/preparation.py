"""/voorbereiden: the checklist before a first meeting, and its summary.

The flow only sets `prep_*` flags ("Done ✓") and keeps the practitioner's own opening
sentence; this module turns those into the summary they see and the one `preparation`
agreement of phase 1 that is kept with the family (preparing again replaces it). That
agreement is what the reminder before the meeting carries and what its "Open ›" shows
(`kept`): the opening sentence on the first line, because in the last minutes before the
meeting that is what she reads first, then the points prepared.
"""

from __future__ import annotations

from bot.actions.agreements import bot_label
from bot.actions.phase_records import (
    PRACTITIONER,
    conversation_case,
    data_text,
    keep_agreement,
    quoted,
)
from bot.engine.errors import Reject
from bot.engine.registry import registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.store.agreements import PREPARATION
from bot.store.models import Agreement

EXAMPLE = N_(
    "I'll help you for a while, and then I'll leave again. Family, friends or neighbours "
    "often stay longer. Shall we look together at who matters to you?"
)
POINTS = (
    ("prep_why", N_("Why the network matters, and how to say it")),
    ("prep_join", N_("Offer that someone may join the first meeting")),
    ("prep_listen", N_("Listen first to what the parents want")),
    ("prep_vulnerable", N_("Mind their dependence and vulnerability")),
    ("prep_trust", N_("Trust first, the network later")),
)
NOT_YET = N_("Not checked yet:")
OPENING = N_("Your opening sentence:")
NOTHING = N_("Nothing checked yet. Go back and choose “Done ✓” on the points you prepared.")
STORED_OPENING = bot_label(N_("Opening sentence: “{sentence}”"))
POINT = "–"
"""Before each point prepared, in the kept text (plain text: no markup)."""
NOTHING_KEPT = N_("Nothing kept yet for this family. Prepare the meeting and choose “Save ✓”.")


def _opening(turn: Turn) -> str:
    """The sentence the practitioner chose: their own, the example, or none."""
    own = data_text(turn, "opening")
    if own:
        return own
    return turn.t(EXAMPLE) if turn.data.get("opening_example") is True else ""


def _checked(turn: Turn) -> tuple[list[str], list[str]]:
    done = [turn.t(label) for key, label in POINTS if turn.data.get(key) is True]
    left = [turn.t(label) for key, label in POINTS if turn.data.get(key) is not True]
    return done, left


@registry.view("opening_example")
async def opening_example(turn: Turn) -> dict[str, str]:
    """One example sentence, shown in the first step and kept if the practitioner picks it."""
    return {"example": escape(turn.t(EXAMPLE))}


@registry.view("prep_summary")
async def prep_summary(turn: Turn) -> dict[str, str]:
    done, left = _checked(turn)
    lines = [f"✓ {escape(label)}" for label in done] or [escape(turn.t(NOTHING))]
    if done and left:
        lines += ["", escape(turn.t(NOT_YET)), *(f"– {escape(label)}" for label in left)]
    sentence = _opening(turn)
    if sentence:
        lines += ["", escape(turn.t(OPENING)), f"<i>“{escape(sentence)}”</i>"]
    return {"prepared": "\n".join(lines)}


@registry.action("save_preparation")
async def save_preparation(turn: Turn) -> None:
    """Keep the preparation with the family as one agreement of phase 1."""
    done, _ = _checked(turn)
    sentence = _opening(turn)
    if not done and not sentence:
        raise Reject(NOTHING)
    # Listed under the heading "Preparation" in /afspraken: the points need no label.
    # One point a line: read on a phone in the minutes before the meeting (the reminder
    # and its "Open ›" show this text), a run of semicolons is hard to scan.
    parts = [quoted(turn, STORED_OPENING, sentence=sentence)] if sentence else []
    parts += [f"{POINT} {label}" for label in done]
    await keep_agreement(
        turn,
        phase=1,
        kind=PREPARATION,
        text="\n".join(parts),
        who=PRACTITIONER,
        one_per_kind=True,
    )


async def _kept(turn: Turn) -> Agreement | None:
    case = await conversation_case(turn)
    return None if case is None else await turn.repo.preparation(case)


@registry.guard("has_preparation")
async def has_preparation(turn: Turn) -> bool:
    """A preparation is kept with this family: step 1 offers to look at it."""
    return await _kept(turn) is not None


@registry.view("prep_kept")
async def prep_kept(turn: Turn) -> dict[str, str]:
    """`{kept}`: the preparation as kept with the family (also as edited in /afspraken)."""
    kept = await _kept(turn)
    return {"kept": escape(kept.text if kept is not None else turn.t(NOTHING_KEPT))}
