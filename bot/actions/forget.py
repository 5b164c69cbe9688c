"""/vergeet: delete one family, or everything of the practitioner, after a confirmation.

Both are committed before the answer, like every turn. "Everything" deletes the
practitioner row too: the next /start begins with the introduction, for those who may
still use the bot without an invite (allow-list); someone who came in with an invite needs
a new one, and the confirmation says so before anything is deleted.
"""

from __future__ import annotations

from bot.access import allowed_without_invite
from bot.actions.cases import DELETED
from bot.engine.errors import Reject
from bot.engine.options import Option
from bot.engine.registry import registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.store.models import Case
from bot.store.status import CaseStatus

CHOSEN = "forget_case"
"""Where the flow saves the chosen family (`options: save:` in flows/vergeet.yaml)."""

CLOSED_MARK = N_("closed")
GONE = N_("That family no longer exists. Nothing was deleted.")
AFTER_START = N_("Afterwards you can start again with /start.")
AFTER_INVITE = N_(
    "You are not on this bot's list of allowed users, so afterwards you need a new invite "
    "from your organisation's operator to use me again."
)
FORGOTTEN = N_(
    "Done: I have deleted everything of yours – your families with their people and "
    "agreements, your answers, the audit trail and your settings."
)
AGAIN_START = N_("Send /start whenever you want to begin again.")
AGAIN_INVITE = N_("To use me again, ask your organisation's operator for a new invite.")


async def _chosen(turn: Turn) -> Case | None:
    """The chosen family, if it is still one of the practitioner's own."""
    key = str(turn.data.get(CHOSEN) or "")
    return await turn.repo.case(turn.practitioner, int(key)) if key.isdigit() else None


async def _may_return(turn: Turn) -> bool:
    return await allowed_without_invite(turn.repo, turn.settings, turn.practitioner.external_key)


@registry.provider("forget_choices")
async def forget_choices(turn: Turn) -> list[Option]:
    """Every family of the practitioner, open and closed; keys are ids, signed per
    practitioner and checked against this list when the button comes back."""
    closed = turn.t(CLOSED_MARK)
    return [
        Option(str(c.id), c.label if c.status == CaseStatus.OPEN else f"{c.label} ({closed})")
        for c in await turn.repo.cases(turn.practitioner, status=None)
    ]


@registry.view("forget_case_facts")
async def forget_case_facts(turn: Turn) -> dict[str, str]:
    case = await _chosen(turn)
    return {"forget_label": escape(case.label) if case else "—"}


@registry.view("forget_all_facts")
async def forget_all_facts(turn: Turn) -> dict[str, str]:
    total = await turn.repo.count_cases(turn.practitioner)
    after = AFTER_START if await _may_return(turn) else AFTER_INVITE
    return {"case_total": str(total), "after": turn.t(after)}


@registry.action("delete_chosen_case")
async def delete_chosen_case(turn: Turn) -> None:
    case = await _chosen(turn)
    if case is None:
        raise Reject(GONE)
    label = case.label
    await turn.repo.delete_case(turn.practitioner, case)
    turn.forget_case()
    turn.data.pop(CHOSEN, None)
    turn.flash.append(turn.t(DELETED).replace("{label}", escape(label)))


@registry.action("delete_everything")
async def delete_everything(turn: Turn) -> None:
    again = AGAIN_START if await _may_return(turn) else AGAIN_INVITE
    turn.flash.append(f"{turn.t(FORGOTTEN)}\n{turn.t(again)}")
    turn.erase_practitioner()
