"""Agreements for the shared plan, and /afspraken: list per phase, mark done, edit, delete.

Parents asked that what is agreed about their network is written down in a plan they
share. Every agreement is made and changed through the helpers here, so each change also
lands in the audit trail, and every lookup goes through the active case: an id that
travels in a button is never trusted on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.actions.labels import check_note
from bot.engine.errors import Reject
from bot.engine.registry import Option, registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.i18n.fmt import date_long
from bot.store.models import Agreement, Case, Person

NO_CASE = N_("This works per family. First choose or add a family.")
GONE = N_("That agreement no longer exists. Nothing was changed.")
NONE_YET = N_("No agreements yet. They are made in the phases, together with the family.")
MARKED_DONE = N_("Marked as done.")
REOPENED = N_("Open again.")
EDITED = N_("The agreement now reads: “{text}”")
DELETED = N_("The agreement was deleted.")
OPEN_MARK, DONE_MARK = "▫️", "✅"

KINDS = {
    "preparation": N_("Preparation"),
    "wish": N_("The parents' wish"),
    "join_offer": N_("Someone along"),
    "trust": N_("Trust"),
    "decision": N_("Contact"),
    "approach": N_("Goal"),
    "responsibility": N_("Who does what"),
    "follow_up": N_("Check-in"),
    "closing": N_("Closing conversation"),
    "problem_plan": N_("When a problem comes up"),
    "expectation": N_("Expectation"),
    "check_in": N_("Check-in"),
}
"""How /afspraken names each kind of agreement, in all phases; unknown kinds: OTHER_KIND."""
OTHER_KIND = N_("Agreement")
WHO = {"parent": N_("the parent"), "practitioner": N_("you")}
PHASE = N_("Phase {number}")
UNTIL = N_("until when: {due}")
STATUS = {"open": N_("open"), "done": N_("done")}
OPTION_LABEL = 40

# The keys /afspraken keeps in the conversation while one agreement is open.
CHOSEN = "agreement_id"


# --- helpers other modules use ------------------------------------------------------------


async def open_case(turn: Turn) -> Case:
    """The active, open case, or a refusal: family data is only touched through it."""
    case = await turn.active_case()
    if case is None or case.status != "open":
        raise Reject(NO_CASE)
    return case


async def add_agreement(
    turn: Turn,
    case: Case,
    phase: int,
    kind: str,
    text: str,
    *,
    who: str | None = None,
    person: Person | None = None,
    due: str | None = None,
) -> Agreement:
    """Store an agreement and note it in the audit trail."""
    agreement = await turn.repo.add_agreement(
        case, phase, text, kind=kind, who=who, person=person, due=due
    )
    turn.record("agreement.added", _ref(agreement), text, case_id=case.id)
    return agreement


def _ref(agreement: Agreement) -> str:
    return f"agreement:{agreement.id}"


def who_label(turn: Turn, who: str | None) -> str:
    """`parent` and `practitioner` in the practitioner's language; a name as noted."""
    if who is None:
        return "—"
    return turn.t(WHO[who]) if who in WHO else escape(who)


def phase_title(turn: Turn, phase: int) -> str:
    """The title of the phase's flow ("Fase 2 · in kaart brengen"), else "Phase 2"."""
    flow = next((f for f in turn.flows if f.phase == phase and f.scope == "case"), None)
    if flow is not None:
        return turn.t(flow.title)
    return turn.t(PHASE).replace("{number}", str(phase))


def agreement_line(turn: Turn, agreement: Agreement) -> str:
    """One line of the plan: mark, kind, text, who, until when (user text escaped)."""
    mark = DONE_MARK if agreement.status == "done" else OPEN_MARK
    kind = turn.t(KINDS.get(agreement.kind, OTHER_KIND))
    line = f"{mark} <b>{kind}</b>: {escape(agreement.text)}"
    if agreement.who and agreement.kind in ("approach", "responsibility"):
        line += f" — {who_label(turn, agreement.who)}"
    if agreement.due:
        line += f" ({turn.t(UNTIL).replace('{due}', escape(agreement.due))})"
    return line


async def _case_agreements(turn: Turn) -> Sequence[Agreement]:
    case = await turn.active_case()
    if case is None or case.status != "open":
        return []
    return await turn.repo.agreements(case)


async def _chosen(turn: Turn) -> Agreement:
    """The agreement this conversation is about, re-checked against the active case."""
    case = await open_case(turn)
    raw = str(turn.data.get(CHOSEN) or "")
    agreement = await turn.repo.agreement(turn.practitioner, int(raw) if raw.isdigit() else None)
    if agreement is None or agreement.case_id != case.id:
        raise Reject(GONE)
    return agreement


# --- /afspraken -------------------------------------------------------------------------------


@registry.view("agreement_list")
async def agreement_list(turn: Turn) -> dict[str, str]:
    """The plan, per phase, numbered like the buttons below it."""
    agreements = await _case_agreements(turn)
    if not agreements:
        return {"agreements": turn.t(NONE_YET)}
    blocks: list[str] = []
    phase: int | None = None
    for number, agreement in enumerate(agreements, start=1):
        if agreement.phase != phase:
            phase = agreement.phase
            blocks.append(f"\n<b>{escape(phase_title(turn, phase))}</b>")
        blocks.append(f"{number}. {agreement_line(turn, agreement)}")
    return {"agreements": "\n".join(blocks).strip()}


@registry.provider("agreement_options")
async def agreement_options(turn: Turn) -> list[Option]:
    """One button per agreement of the active case; the key is its id, which the engine
    signs and checks against this same list when the button comes back."""
    options = []
    for number, agreement in enumerate(await _case_agreements(turn), start=1):
        mark = DONE_MARK if agreement.status == "done" else OPEN_MARK
        text = " ".join(agreement.text.split())
        if len(text) > OPTION_LABEL:
            text = text[: OPTION_LABEL - 1] + "…"
        options.append(Option(str(agreement.id), f"{number}. {mark} {text}"))
    return options


@registry.view("agreement_card")
async def agreement_card(turn: Turn) -> dict[str, str]:
    """The chosen agreement for `{kind}`, `{phase}`, `{text}`, `{who}`, `{due}`,
    `{status}` and `{date}`."""
    try:
        agreement = await _chosen(turn)
    except Reject:
        gone = {key: "—" for key in ("kind", "phase", "who", "due", "status", "date")}
        return {**gone, "text": turn.t(GONE)}
    return {
        "kind": turn.t(KINDS.get(agreement.kind, OTHER_KIND)),
        "phase": escape(phase_title(turn, agreement.phase)),
        "text": escape(agreement.text),
        "who": who_label(turn, agreement.who),
        "due": escape(agreement.due) if agreement.due else "—",
        "status": turn.t(STATUS.get(agreement.status, agreement.status)),
        "date": date_long(agreement.created_at, turn.language, turn.practitioner.timezone),
    }


@registry.guard("agreement_is_open")
async def agreement_is_open(turn: Turn) -> bool:
    return (await _chosen(turn)).status == "open"


@registry.guard("agreement_is_done")
async def agreement_is_done(turn: Turn) -> bool:
    return (await _chosen(turn)).status == "done"


@registry.action("mark_agreement_done")
async def mark_agreement_done(turn: Turn) -> None:
    agreement = await _chosen(turn)
    agreement.status = "done"
    turn.record("agreement.done", _ref(agreement), "done")
    turn.flash.append(turn.t(MARKED_DONE))


@registry.action("reopen_agreement")
async def reopen_agreement(turn: Turn) -> None:
    agreement = await _chosen(turn)
    agreement.status = "open"
    turn.record("agreement.reopened", _ref(agreement), "open")
    turn.flash.append(turn.t(REOPENED))


@registry.action("edit_agreement")
async def edit_agreement(turn: Turn) -> None:
    agreement = await _chosen(turn)
    text = check_note(str(turn.value or "").strip())
    agreement.text = text
    turn.record("agreement.edited", _ref(agreement), text)
    turn.flash.append(turn.t(EDITED).replace("{text}", escape(text)))


@registry.action("delete_agreement")
async def delete_agreement(turn: Turn) -> None:
    agreement = await _chosen(turn)
    ref = _ref(agreement)
    await turn.repo.delete_agreement(agreement)
    turn.record("agreement.deleted", ref)
    turn.conversation.data = {k: v for k, v in turn.data.items() if k != CHOSEN}
    turn.flash.append(turn.t(DELETED))
