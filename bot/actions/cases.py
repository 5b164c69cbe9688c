"""Cases: a family known by a pseudonymous label. Create, switch, rename, close, delete."""

from __future__ import annotations

from bot.actions.labels import check_label, warn_if_full_name
from bot.engine.errors import Reject
from bot.engine.options import Option
from bot.engine.registry import registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.i18n.fmt import date_long
from bot.retention import deletion_of
from bot.store.status import CaseStatus

DUPLICATE = N_("You already have a family called “{label}”. Please choose another label.")
NO_ACTIVE = N_("There is no active family yet.")
CREATED = N_("Family “{label}” is ready and active.")
SWITCHED = N_("Now working on family “{label}”.")
RENAMED = N_("The family is now called “{label}”.")
CLOSED = N_("Family “{label}” is closed.")
RETENTION_NOTE = N_(
    "Everything noted about it is deleted on {date}; I will remind you a few days before. "
    "Until then, /export gives you a copy."
)
REMINDERS_CANCELLED = N_(
    "Its reminders for the first meeting and for follow-ups are cancelled; check-ins after "
    "closing stay in /herinneringen."
)
DELETED = N_("Family “{label}” and everything noted about it have been deleted.")
LIST_ITEM = N_("{label} · since {date}")
ACTIVE_MARK = N_("(active)")
NO_CASES = N_("No families yet.")


def _say(turn: Turn, msgid: str, label: str) -> None:
    turn.flash.append(turn.t(msgid).replace("{label}", escape(label)))


async def _unique(turn: Turn, label: str, *, except_id: int | None = None) -> None:
    for case in await turn.repo.cases(turn.practitioner):
        if case.id != except_id and case.label.casefold() == label.casefold():
            raise Reject(DUPLICATE, label=escape(label))


@registry.guard("has_cases")
async def has_cases(turn: Turn) -> bool:
    return bool(await turn.repo.cases(turn.practitioner))


@registry.guard("has_active_case")
async def has_active_case(turn: Turn) -> bool:
    case = await turn.active_case()
    return case is not None and case.status == CaseStatus.OPEN


@registry.guard("has_other_cases")
async def has_other_cases(turn: Turn) -> bool:
    active = turn.practitioner.active_case_id
    return any(c.id != active for c in await turn.repo.cases(turn.practitioner))


@registry.action("create_case")
async def create_case(turn: Turn) -> None:
    label = check_label(str(turn.value or ""))
    await _unique(turn, label)
    case = await turn.repo.add_case(turn.practitioner, label)
    turn.practitioner.active_case_id = case.id
    turn.forget_case()
    turn.record("case.created", case_id=case.id)
    turn.data.pop("label", None)
    _say(turn, CREATED, label)
    warn_if_full_name(turn, label, "family")


@registry.action("rename_case")
async def rename_case(turn: Turn) -> None:
    case = await turn.active_case()
    if case is None:
        raise Reject(NO_ACTIVE)
    label = check_label(str(turn.value or ""))
    await _unique(turn, label, except_id=case.id)
    case.label = label
    turn.record("case.renamed", "label", label, case_id=case.id)
    turn.data.pop("label", None)
    _say(turn, RENAMED, label)
    warn_if_full_name(turn, label, "family")


@registry.action("switch_case")
async def switch_case(turn: Turn) -> None:
    case = await turn.repo.case(turn.practitioner, int(turn.value or 0))
    if case is None or case.status != CaseStatus.OPEN:  # the provider only offers own open cases
        raise Reject(NO_ACTIVE)
    turn.practitioner.active_case_id = case.id
    turn.forget_case()
    _say(turn, SWITCHED, case.label)


@registry.action("close_case")
async def close_case(turn: Turn) -> None:
    case = await turn.active_case()
    if case is None:
        raise Reject(NO_ACTIVE)
    await turn.repo.close_case(case)
    turn.practitioner.active_case_id = None
    turn.forget_case()
    turn.record("case.closed", case_id=case.id)
    _say(turn, CLOSED, case.label)
    if await turn.repo.cancel_before_closing(case):
        turn.flash.append(turn.t(REMINDERS_CANCELLED))
    deleted_on = await deletion_of(turn.repo, case, turn.settings)  # after its check-ins
    date = date_long(deleted_on, turn.language, turn.practitioner.timezone)
    turn.flash.append(turn.t(RETENTION_NOTE).replace("{date}", date))


@registry.action("delete_case")
async def delete_case(turn: Turn) -> None:
    case = await turn.active_case()
    if case is None:
        raise Reject(NO_ACTIVE)
    label = case.label
    await turn.repo.delete_case(turn.practitioner, case)
    turn.forget_case()
    _say(turn, DELETED, label)


@registry.action("finish_onboarding")
async def finish_onboarding(turn: Turn) -> None:
    turn.practitioner.onboarded = True


@registry.provider("other_cases")
async def other_cases(turn: Turn) -> list[Option]:
    """Open cases other than the active one; keys are ids, which the engine signs per
    practitioner and checks against this same list when a button comes back."""
    active = turn.practitioner.active_case_id
    return [
        Option(str(c.id), c.label)
        for c in await turn.repo.cases(turn.practitioner)
        if c.id != active
    ]


@registry.view("case_list")
async def case_list(turn: Turn) -> dict[str, str]:
    cases = await turn.repo.cases(turn.practitioner)
    if not cases:
        return {"cases": turn.t(NO_CASES), "case_count": "0"}
    lines = []
    for case in cases:
        date = date_long(case.created_at, turn.language, turn.practitioner.timezone)
        line = "• " + turn.t(LIST_ITEM).replace("{label}", escape(case.label))
        line = line.replace("{date}", date)
        if case.id == turn.practitioner.active_case_id:
            line = f"<b>{line}</b> {turn.t(ACTIVE_MARK)}"
        lines.append(line)
    return {"cases": "\n".join(lines), "case_count": str(len(cases))}
