"""What the phase flows note down: an agreement row and its audit entry, always together.

Fase 1 and fase 4 record each answer the moment it is given, so a pause or a restart never
loses it. Going back and answering again must not leave two versions, so every write says
which earlier agreement it replaces: the one remembered in a slot of the conversation's
data, or (for answers a case has only one of, like "is there trust?") the earlier
agreement of the same kind in the same phase.
"""

from __future__ import annotations

from typing import Any

from bot.actions.labels import check_label, check_note
from bot.engine.errors import Reject
from bot.engine.registry import registry
from bot.engine.render import escape, fill
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.store.models import Agreement, Case, Person
from bot.store.status import CaseStatus

PARENT = "parent"
PRACTITIONER = "practitioner"

NO_CASE = N_("This family is no longer open. Choose a family first.")
NO_CONTACT = N_(
    "Please leave out phone numbers, e-mail addresses and home addresses: write how they "
    "are reached (“mother calls oma”), not the number. Contact details belong in your "
    "organisation's system."
)


async def conversation_case(turn: Turn) -> Case | None:
    """The case this conversation is about, owner-checked (views use this: they must not
    refuse, only show less)."""
    return await turn.repo.case(turn.practitioner, turn.conversation.case_id)


async def flow_case(turn: Turn) -> Case:
    """The case to record for; refuse if it was closed or deleted meanwhile."""
    case = await conversation_case(turn)
    if case is None or case.status != CaseStatus.OPEN:
        raise Reject(NO_CASE)
    return case


def no_contact_details(text: str) -> str:
    """How someone is reached, without the number or address itself: the same rule as for
    notes (dates pass), with advice that fits the question "how do you reach them?"."""
    try:
        return check_note(text)
    except Reject:
        raise Reject(NO_CONTACT) from None


@registry.text("reach")
def typed_reach(text: str) -> None:
    """How someone is reached (fase 4's plan for when a problem comes up): the note check,
    with advice that fits that question."""
    no_contact_details(text)


def person_label(text: str) -> str:
    """Who steps in: a role or first name, never contact details."""
    return check_label(text, "person")


def data_text(turn: Turn, key: str) -> str:
    """A typed answer from the conversation's data ('' when skipped)."""
    value = turn.data.get(key)
    return value.strip() if isinstance(value, str) else ""


async def keep_agreement(
    turn: Turn,
    *,
    phase: int,
    kind: str,
    text: str,
    who: str | None = None,
    person: Person | None = None,
    detail: dict[str, Any] | None = None,
    slot: str | None = None,
    one_per_kind: bool = False,
) -> Agreement:
    """Add or update one agreement of the conversation's case and write the audit entry.

    `slot` names a key in the conversation's data that remembers the agreement's id, so
    answering the same step again updates it; `one_per_kind` keeps a single agreement of
    this kind per phase (the latest answer counts, the audit trail keeps the history).
    `person` links the agreement to someone on the map it is about; `detail` keeps its
    parts as typed (`Agreement.detail`).
    """
    case = await flow_case(turn)
    earlier: Agreement | None = None
    if slot is not None:
        remembered = turn.data.get(slot)
        if isinstance(remembered, int):
            earlier = await turn.repo.agreement(turn.practitioner, remembered)
    elif one_per_kind:
        same = [a for a in await turn.repo.agreements(case, phase) if a.kind == kind]
        earlier = same[-1] if same else None
    if earlier is not None and earlier.case_id == case.id:
        earlier.text, earlier.who, earlier.detail = text, who, detail
        earlier.person_id = person.id if person is not None else None
        agreement = earlier
        turn.record("agreement.edited", _ref(agreement), text, case_id=case.id)
    else:
        agreement = await turn.repo.add_agreement(
            case, phase, text, kind=kind, who=who, person=person, detail=detail
        )
        turn.record("agreement.added", _ref(agreement), text, case_id=case.id)
    if slot is not None:
        turn.data[slot] = agreement.id
    return agreement


def _ref(agreement: Agreement) -> str:
    """The audit field for an agreement, as /afspraken writes it too."""
    return f"agreement:{agreement.id}"


def quoted(turn: Turn, msgid: str, **values: str) -> str:
    """Fill a translated sentence with the practitioner's own words, as plain text for the
    database (escaping happens when it is shown). Words that end a sentence themselves
    ("zegt niets meer.") keep their own full stop: `fill` drops the one after them."""
    return fill(turn.t(msgid), values)


def bullets(lines: list[str]) -> str:
    """Stored texts as an HTML list for a step: every line escaped once, here."""
    return "\n".join(f"• {escape(line)}" for line in lines)
