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
from bot.actions.people import named
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
from bot.actions.reminders.moment import zone
from bot.engine.errors import Reject
from bot.engine.registry import registry
from bot.engine.render import escape, fill
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.reminders.when import WhenError, read_when
from bot.store.models import Agreement, Person

CLOSING = {
    "where_now": ("now", bot_label(N_("Where we are now: {answer}"))),
    "own_place": ("place", bot_label(N_("Their place in the network: {answer}"))),
    "network_meaning": ("meaning", bot_label(N_("What the network will mean: {answer}"))),
}
PLAN = bot_label(N_("Signal: {signal}. Then {who}: {action}"))
NOTHING = N_("Nothing noted yet.")
WHO_FIRST = N_(
    "Start with who steps in, then a colon and what they do, for example “grandma: mother "
    "calls her that evening”."
)
NOT_WANTED = N_(
    "⚠️ On the map, {name} is marked: not to be contacted (the parent's choice). Only note "
    "{name} here if the parent wants that."
)


def _closing(question: str, key: str, msgid: str) -> Callable[[Turn], Awaitable[None]]:
    async def record(turn: Turn) -> None:
        answer = data_text(turn, key)
        text = quoted(turn, msgid, answer=answer)
        detail = {"question": question, "answer": answer}
        await keep_agreement(
            turn, phase=4, kind="closing", text=text, who=PARENT, detail=detail, slot=f"ag_{key}"
        )

    record.__doc__ = f"Keep the family's answer to the closing question {question!r}."
    return record


for _name, (_key, _msgid) in CLOSING.items():
    registry.action(f"record_{_name}")(_closing(_name, _key, _msgid))


async def _on_map(turn: Turn, who: str) -> Person | None:
    """The person on this family's map whose name is `who` (case and spacing aside)."""
    case = await conversation_case(turn)
    if case is None or not who:
        return None
    return named(await turn.repo.people(case), who)


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


def _typed_who(text: str) -> str:
    """Who, from "oma: …" or from "oma" alone."""
    found = _who_and_how(text)
    return found[0] if found is not None else text.strip()


@registry.guard("names_refused")
async def names_refused(turn: Turn) -> bool:
    """Who steps in (typed, with or without what they do) is someone the parent does not
    want contacted: the practitioner is asked to name someone else or keep them."""
    person = await _on_map(turn, _typed_who(str(turn.value or "")))
    return person is not None and person.decision == "no"


@registry.guard("has_plan_how")
async def has_plan_how(turn: Turn) -> bool:
    """What they do was typed already (with who, in one line)."""
    return bool(data_text(turn, "plan_how"))


@registry.action("check_who")
async def check_who(turn: Turn) -> None:
    """Who steps in: a role or first name, never a phone number or address. Someone the
    parent said no to on the map gets a warning, not a refusal: it is the family's plan,
    and the parent may see it differently now."""
    who = person_label(data_text(turn, "plan_who"))
    if len(who) > MAX_LABEL:
        raise Reject(WHO_FIRST)
    warn_if_full_name(turn, who, "person")
    person = await _on_map(turn, who)
    if person is not None and person.decision == "no":
        turn.flash.append(fill(turn.t(NOT_WANTED), {"name": escape(person.name)}))


@registry.action("record_problem_plan")
async def record_problem_plan(turn: Turn) -> None:
    """Signal, who, and what they do: one agreement; "back" and retyping updates it."""
    who = person_label(data_text(turn, "plan_who"))
    action = no_contact_details(data_text(turn, "plan_how"))
    signal = data_text(turn, "signal")
    text = quoted(turn, PLAN, signal=signal, who=who, action=action)
    await keep_agreement(
        turn,
        phase=4,
        kind="problem_plan",
        text=text,
        who=who,
        person=await _on_map(turn, who),
        detail={"signal": signal, "action": action},
        slot="plan_slot",
    )


@registry.action("record_expectation")
async def record_expectation(turn: Turn) -> None:
    """ "oma: komt op woensdag" is kept as who (`oma`, linked to Oma on the map) and what;
    a line without a short "who:" stays whole, without who."""
    typed = data_text(turn, "expectation")
    found = _who_and_how(typed)
    who, text = found if found is not None else (None, typed)
    person = await _on_map(turn, who) if who else None
    await keep_agreement(
        turn, phase=4, kind="expectation", text=text, who=who or None, person=person
    )


def _when_and_what(turn: Turn, typed: str) -> dict[str, str] | None:
    """ "over 2 weken: moeder bellen" as the moment it means now (ISO, UTC) and what;
    None when the part before the colon is not a moment in the coming year."""
    when, colon, what = typed.partition(":")
    if not colon or not when.strip() or not what.strip():
        return None
    try:
        moment = read_when(when, now=turn.now(), language=turn.language, zone=zone(turn))
    except WhenError:
        return None
    return {"at": moment.moment.isoformat(), "what": what.strip()}


@registry.action("record_check_in")
async def record_check_in(turn: Turn) -> None:
    """A check-in as typed; one that starts with a moment ("over 2 weken: …") also keeps
    the date it means today, so the plan does not say "in 2 weeks" weeks later."""
    text = data_text(turn, "check_in")
    detail = _when_and_what(turn, text)
    await keep_agreement(turn, phase=4, kind="check_in", text=text, who=PRACTITIONER, detail=detail)


def expectation_line(agreement: Agreement) -> str:
    """An expectation as the family said it: "oma: komt op woensdag"."""
    return f"{agreement.who}: {agreement.text}" if agreement.who else agreement.text


async def _by_kind(turn: Turn) -> dict[str, list[str]]:
    case = await conversation_case(turn)
    found: dict[str, list[str]] = {"expectation": [], "check_in": []}
    if case is not None:
        for agreement in await turn.repo.agreements(case, 4):
            if agreement.kind == "expectation":
                found["expectation"].append(expectation_line(agreement))
            elif agreement.kind == "check_in":
                found["check_in"].append(agreement.text)
    return found


@registry.view("phase4_lists")
async def phase4_lists(turn: Turn) -> dict[str, str]:
    """What is noted so far, under the step that adds more of it."""
    found = await _by_kind(turn)
    return {
        "expectations": bullets(found["expectation"]),
        "check_ins": bullets(found["check_in"]),
    }
