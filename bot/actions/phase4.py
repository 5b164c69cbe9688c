"""Fase 4 · afsluiten: the closing conversation and the agreements for the time after.

The three closing questions are kept in the family's words, one agreement each; answering a
question again (after "back") replaces that answer. Problem plans, expectations and
check-ins can be several, so each one typed is a new agreement. The check-ins typed here
are the family's words; the reminders offered at the end (after 2, 6 and 12 weeks) are in
`bot/actions/reminders/checkins.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.actions.agreements import bot_label
from bot.actions.labels import MAX_LABEL, warn_if_full_name
from bot.actions.people import same_name
from bot.actions.phase_records import (
    PARENT,
    PRACTITIONER,
    bullets,
    conversation_case,
    data_text,
    keep_agreement,
    no_contact_details,
    person_label,
    quoted,
)
from bot.engine.errors import Reject
from bot.engine.registry import registry
from bot.engine.render import escape, fill
from bot.engine.turn import Turn
from bot.i18n import N_

CLOSING = {
    "where_now": ("now", bot_label(N_("Where we are now: {answer}"))),
    "own_place": ("place", bot_label(N_("Their place in the network: {answer}"))),
    "network_meaning": ("meaning", bot_label(N_("What the network will mean: {answer}"))),
}
PLAN = bot_label(N_("Signal: {signal}. Then {who}: {action}"))
SECTIONS = (
    ("closing", N_("Closing conversation")),
    ("problem_plan", N_("When a problem comes up")),
    ("expectation", N_("Expectations")),
    ("check_in", N_("Check-ins")),
)
NOTHING = N_("Nothing noted yet.")
WHO_FIRST = N_(
    "Start with who steps in, then a colon and what they do, for example “grandma: mother "
    "calls her that evening”."
)
NOT_WANTED = N_(
    "⚠️ On the map, {name} is marked: not to be contacted (the parent's choice). Only note "
    "{name} here if the parent wants that."
)


def _closing(key: str, msgid: str) -> Callable[[Turn], Awaitable[None]]:
    async def record(turn: Turn) -> None:
        text = quoted(turn, msgid, answer=data_text(turn, key))
        await keep_agreement(turn, phase=4, kind="closing", text=text, who=PARENT, slot=f"ag_{key}")

    record.__doc__ = f"Keep the family's answer to the closing question {key!r}."
    return record


for _name, (_key, _msgid) in CLOSING.items():
    registry.action(f"record_{_name}")(_closing(_key, _msgid))


def _who_and_how(text: str) -> tuple[str, str] | None:
    """ "oma: moeder belt haar die avond" as who and how; None without a short "who:"."""
    who, colon, how = text.partition(":")
    who, how = who.strip(), how.strip()
    if not colon or not who or not how or len(who) > MAX_LABEL:
        return None
    return who, how


@registry.guard("says_who_and_how")
async def says_who_and_how(turn: Turn) -> bool:
    """Who steps in and what they do, typed in one line, starting with who."""
    return _who_and_how(str(turn.value or "")) is not None


@registry.action("take_who_and_how")
async def take_who_and_how(turn: Turn) -> None:
    """Split the typed line into who (`plan_who`) and what they do (`plan_how`)."""
    found = _who_and_how(str(turn.value or ""))
    assert found is not None  # the guard of this branch
    who, how = found
    turn.conversation.data = {**turn.data, "plan_who": who, "plan_how": how}


@registry.action("check_who")
async def check_who(turn: Turn) -> None:
    """Who steps in: a role or first name, never a phone number or address. Someone the
    parent said no to on the map gets a warning, not a refusal: it is the family's plan,
    and the parent may see it differently now."""
    who = person_label(data_text(turn, "plan_who"))
    if len(who) > MAX_LABEL:
        raise Reject(WHO_FIRST)
    warn_if_full_name(turn, who, "person")
    case = await conversation_case(turn)
    if case is None:
        return
    for person in await turn.repo.people(case):
        if person.decision == "no" and same_name(person.name, who):
            turn.flash.append(fill(turn.t(NOT_WANTED), {"name": escape(person.name)}))
            return


@registry.action("record_problem_plan")
async def record_problem_plan(turn: Turn) -> None:
    """Signal, who, and what they do: one agreement; "back" and retyping updates it."""
    who = person_label(data_text(turn, "plan_who"))
    action = no_contact_details(data_text(turn, "plan_how"))
    text = quoted(turn, PLAN, signal=data_text(turn, "signal"), who=who, action=action)
    await keep_agreement(turn, phase=4, kind="problem_plan", text=text, who=who, slot="plan_slot")


@registry.action("record_expectation")
async def record_expectation(turn: Turn) -> None:
    text = data_text(turn, "expectation")
    await keep_agreement(turn, phase=4, kind="expectation", text=text)


@registry.action("record_check_in")
async def record_check_in(turn: Turn) -> None:
    text = data_text(turn, "check_in")
    await keep_agreement(turn, phase=4, kind="check_in", text=text, who=PRACTITIONER)


async def _by_kind(turn: Turn) -> dict[str, list[str]]:
    case = await conversation_case(turn)
    found: dict[str, list[str]] = {kind: [] for kind, _ in SECTIONS}
    if case is not None:
        for agreement in await turn.repo.agreements(case, 4):
            found.setdefault(agreement.kind, []).append(agreement.text)
    return found


@registry.view("phase4_lists")
async def phase4_lists(turn: Turn) -> dict[str, str]:
    """What is noted so far, under the step that adds more of it."""
    found = await _by_kind(turn)
    return {
        "plans": bullets(found["problem_plan"]),
        "expectations": bullets(found["expectation"]),
        "check_ins": bullets(found["check_in"]),
    }
