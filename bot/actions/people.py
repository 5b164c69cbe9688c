"""Fase 2: the family's network map, one person at a time, with the parent's decision.

The parent decides who is on the map and whom the practitioner may contact (`yes`, `no`,
or `open`: not discussed yet). People the parent does not want stay on the map, marked,
so nobody adds them again by mistake; fase 3 never offers them. Each decision is an
agreement in the shared plan and a line in the audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.actions.agreements import add_agreement
from bot.actions.common import active_open_case, fill, forget, open_case
from bot.actions.labels import (
    MAX_LABEL,
    NAME_WARNINGS,
    check_label,
    check_note,
    warn_if_full_name,
)
from bot.actions.person_line import read_person_line
from bot.engine.errors import Reject
from bot.engine.options import Option
from bot.engine.registry import registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.store.models import Agreement, Case, Person

GROUPS = {
    "household": N_("household / family"),
    "friends": N_("friends and acquaintances"),
    "community": N_("neighbourhood, school, work, club"),
    "professional": N_("professionals"),
}
CLOSENESS = {"close": N_("close"), "middle": N_("in between"), "far": N_("further away")}
DECISIONS = {
    "yes": N_("may be contacted"),
    "no": N_("not to be contacted (the parent's choice)"),
    "open": N_("not discussed yet"),
}
MARKS = {"yes": "✅", "no": "🚫", "open": "❔"}
DECISION_TEXT = {
    "yes": N_("{name} may be contacted; the parent agrees."),
    "no": N_("{name} is not to be contacted; the parent's choice."),
    "open": N_("Contact with {name} is not discussed with the parent yet."),
}
"""The decision as an agreement, listed after its kind ("Contact: …"): a sentence about
the person, not a second "name:" label after the kind's colon."""

EMPTY_MAP = N_("No one on the map yet.")
PERSON_LINE = N_("{name} · {group} · {closeness}")
FULL_NAME = NAME_WARNINGS["person"]
DUPLICATE = N_(
    "“{name}” is already on the map. Add something to tell them apart, for example "
    "“oma (mother's side)”."
)
NAME_TOO_LONG = N_(
    "Keep the name short: at most {limit} characters before the first comma, for example "
    "“grandma Els, family, close”."
)
INCOMPLETE = N_("Something is missing for this person. Please start again with “Add a person”.")
GONE = N_("That person is no longer on the map. Nothing was changed.")
ADDED = N_("{name} is on the map: {decision}.")
NOT_OFFERED = N_("{name} stays on the map, but cannot be chosen in phase 3.")
DECISION_RECORDED = N_("{name}: {decision}. Recorded in your agreements (/afspraken).")
GROUP_CHANGED = N_("{name} now belongs to: {group}.")
CLOSENESS_CHANGED = N_("{name} is now: {closeness}.")
MEANING_CHANGED = N_("Noted what {name} could mean.")
REMOVED = N_("{name} is no longer on the map.")
NO_NETWORK_TEXT = N_("The parent names no one to involve, for now.")
NO_NETWORK_WORDS = N_("The parent names no one to involve, for now. In their words: “{words}”")
NO_NETWORK_SAVED = N_("Recorded, without judgement. You can add people whenever the parent wants.")

DRAFT = ("name", "group", "closeness", "meaning", "decision")
"""What the conversation holds while one person is being added."""
CHOSEN = "person_id"
"""The person being edited (an option key, re-checked on every use)."""


# --- helpers --------------------------------------------------------------------------------


def decision_label(turn: Turn, decision: str) -> str:
    return f"{MARKS.get(decision, '')} {turn.t(DECISIONS.get(decision, decision))}".strip()


async def case_people(turn: Turn) -> Sequence[Person]:
    """The people of the active case; nothing when there is no open active case."""
    case = await active_open_case(turn)
    if case is None:
        return []
    return await turn.repo.people(case)


async def person_by_key(turn: Turn, key: object) -> Person:
    """A person of the active case by the key of a button, or a refusal."""
    case = await open_case(turn)
    raw = str(key or "")
    person = await turn.repo.person(turn.practitioner, int(raw) if raw.isdigit() else None)
    if person is None or person.case_id != case.id:
        raise Reject(GONE)
    return person


def same_name(a: str, b: str) -> bool:
    """Whether two ways of writing a name mean the same person on the map: case and
    spacing do not count ("buurman  kees" is "Buurman Kees")."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def named(people: Sequence[Person], name: str) -> Person | None:
    """The one of `people` whose name is `name` (case and spacing aside), if any."""
    return next((p for p in people if same_name(p.name, name)), None)


async def person_named(turn: Turn, name: str) -> Person | None:
    """The person of the active case whose name is typed here, if there is one."""
    return named(await case_people(turn), name)


def person_line(turn: Turn, person: Person) -> str:
    line = fill(
        turn,
        PERSON_LINE,
        name=f"<b>{escape(person.name)}</b>",
        group=turn.t(GROUPS.get(person.group, person.group)),
        closeness=turn.t(CLOSENESS.get(person.closeness, person.closeness)),
    )
    return f"• {line} · {decision_label(turn, person.decision)}"


async def record_decision(turn: Turn, case: Case, person: Person) -> Agreement:
    """The parent's decision about one person as an agreement (phase 2, `decision`).

    One current agreement per person: a changed decision rewrites it, and the audit
    trail keeps every version."""
    text = fill(turn, DECISION_TEXT[person.decision], name=person.name)
    turn.record("person.decision", f"person:{person.id}", person.decision, case_id=case.id)
    for agreement in await turn.repo.agreements(case, phase=2):
        if agreement.kind == "decision" and agreement.person_id == person.id:
            agreement.text = text
            turn.record("agreement.edited", f"agreement:{agreement.id}", text, case_id=case.id)
            return agreement
    return await add_agreement(turn, case, 2, "decision", text, who="parent", person=person)


async def _unique(turn: Turn, name: str, *, except_id: int | None = None) -> None:
    for person in await case_people(turn):
        if person.id != except_id and person.name.casefold() == name.casefold():
            raise Reject(DUPLICATE, name=escape(name))


# --- guards ---------------------------------------------------------------------------------


@registry.guard("has_people")
async def has_people(turn: Turn) -> bool:
    return bool(await case_people(turn))


@registry.guard("map_is_empty")
async def map_is_empty(turn: Turn) -> bool:
    """No one on the map yet: only then is "the parent names no one" a choice to offer
    (a button takes only `when:`, so the opposite of `has_people` is a guard of its own)."""
    return not await case_people(turn)


# --- adding a person ------------------------------------------------------------------------


@registry.action("take_line")
async def take_line(turn: Turn) -> None:
    """One typed line for a new person (`bot.actions.person_line`): what it says goes into
    the draft, and the steps after it ask only what it left out."""
    line = read_person_line(str(turn.value or ""))
    name = check_label(line.name, "person")
    if len(name) > MAX_LABEL:
        raise Reject(NAME_TOO_LONG, limit=str(MAX_LABEL))
    await _unique(turn, name)
    forget(turn, *DRAFT)
    draft = {"name": name, "group": line.group, "closeness": line.closeness}
    draft["meaning"] = line.meaning
    turn.conversation.data = {**turn.data, **{k: v for k, v in draft.items() if v}}
    warn_if_full_name(turn, name, "person")


@registry.guard("line_has_group")
async def line_has_group(turn: Turn) -> bool:
    """The typed line names a group, or a role that tells it ("oma": family)."""
    return read_person_line(str(turn.value or "")).group is not None


@registry.guard("line_has_closeness")
async def line_has_closeness(turn: Turn) -> bool:
    return read_person_line(str(turn.value or "")).closeness is not None


@registry.guard("draft_has_closeness")
async def draft_has_closeness(turn: Turn) -> bool:
    return turn.data.get("closeness") in CLOSENESS


@registry.view("draft_person")
async def draft_person(turn: Turn) -> dict[str, str]:
    """`{draft}`: the person being added as one line, "Oma Els · household · close"."""
    data = turn.data
    parts = [f"<b>{escape(str(data.get('name') or ''))}</b>"]
    if data.get("group") in GROUPS:
        parts.append(turn.t(GROUPS[data["group"]]))
    if data.get("closeness") in CLOSENESS:
        parts.append(turn.t(CLOSENESS[data["closeness"]]))
    meaning = data.get("meaning")
    if isinstance(meaning, str) and meaning:
        parts.append(f"“{escape(meaning)}”")
    return {"draft": " · ".join(parts)}


@registry.action("take_note")
async def take_note(turn: Turn) -> None:
    """Any free text about the family: no phone numbers or e-mail addresses."""
    check_note(str(turn.value or ""))


@registry.action("add_person")
async def add_person(turn: Turn) -> None:
    case = await open_case(turn)
    data = turn.data
    name, group = data.get("name"), data.get("group")
    closeness, decision = data.get("closeness"), data.get("decision")
    if (
        not isinstance(name, str)
        or group not in GROUPS
        or closeness not in CLOSENESS
        or decision not in DECISIONS
    ):
        raise Reject(INCOMPLETE)
    await _unique(turn, name)
    meaning = data.get("meaning")
    person = await turn.repo.add_person(
        case, name, group, closeness, meaning if isinstance(meaning, str) else None, decision
    )
    turn.record("person.added", f"person:{person.id}", group, case_id=case.id)
    await record_decision(turn, case, person)
    label = escape(name)
    turn.flash.append(fill(turn, ADDED, name=label, decision=decision_label(turn, decision)))
    if decision == "no":
        turn.flash.append(fill(turn, NOT_OFFERED, name=label))
    forget(turn, *DRAFT)


@registry.action("record_none_named")
async def record_none_named(turn: Turn) -> None:
    """ "There is no network" is a valid outcome: record it as the parent's decision."""
    case = await open_case(turn)
    words = check_note(str(turn.value or "").strip())
    text = fill(turn, NO_NETWORK_WORDS, words=words) if words else turn.t(NO_NETWORK_TEXT)
    await add_agreement(turn, case, 2, "decision", text, who="parent")
    turn.record("network.none", "decision", "none", case_id=case.id)
    turn.flash.append(turn.t(NO_NETWORK_SAVED))


# --- the map: edit and remove ---------------------------------------------------------------


@registry.view("people_map")
async def people_map(turn: Turn) -> dict[str, str]:
    people = await case_people(turn)
    if not people:
        return {"people": turn.t(EMPTY_MAP)}
    return {"people": "\n".join(person_line(turn, p) for p in people)}


@registry.provider("people_all")
async def people_all(turn: Turn) -> list[Option]:
    """Everyone on the map, marked with the parent's decision (for editing only)."""
    return [
        Option(str(p.id), f"{MARKS.get(p.decision, '')} {p.name}") for p in await case_people(turn)
    ]


@registry.view("chosen_person")
async def chosen_person(turn: Turn) -> dict[str, str]:
    """The person being edited, for `{name}`, `{group}`, `{closeness}`, `{meaning}` and
    `{decision}` (these override the draft's raw values of the same names)."""
    try:
        person = await person_by_key(turn, turn.data.get(CHOSEN))
    except Reject:
        return {key: "—" for key in DRAFT}
    return {
        "name": escape(person.name),
        "group": turn.t(GROUPS.get(person.group, person.group)),
        "closeness": turn.t(CLOSENESS.get(person.closeness, person.closeness)),
        "meaning": escape(person.meaning) if person.meaning else "—",
        "decision": decision_label(turn, person.decision),
    }


@registry.action("set_decision")
async def set_decision(turn: Turn) -> None:
    case = await open_case(turn)
    person = await person_by_key(turn, turn.data.get(CHOSEN))
    decision = turn.data.get("decision")
    if decision not in DECISIONS:
        raise Reject(INCOMPLETE)
    person.decision = decision
    await record_decision(turn, case, person)
    label = escape(person.name)
    turn.flash.append(
        fill(turn, DECISION_RECORDED, name=label, decision=decision_label(turn, decision))
    )
    if decision == "no":
        turn.flash.append(fill(turn, NOT_OFFERED, name=label))
    forget(turn, "decision")


@registry.action("set_group")
async def set_group(turn: Turn) -> None:
    person = await person_by_key(turn, turn.data.get(CHOSEN))
    group = turn.data.get("group")
    if group not in GROUPS:
        raise Reject(INCOMPLETE)
    person.group = group
    turn.record("person.group", f"person:{person.id}", group)
    turn.flash.append(
        fill(turn, GROUP_CHANGED, name=escape(person.name), group=turn.t(GROUPS[group]))
    )
    forget(turn, "group")


@registry.action("set_closeness")
async def set_closeness(turn: Turn) -> None:
    person = await person_by_key(turn, turn.data.get(CHOSEN))
    closeness = turn.data.get("closeness")
    if closeness not in CLOSENESS:
        raise Reject(INCOMPLETE)
    person.closeness = closeness
    turn.record("person.closeness", f"person:{person.id}", closeness)
    turn.flash.append(
        fill(
            turn,
            CLOSENESS_CHANGED,
            name=escape(person.name),
            closeness=turn.t(CLOSENESS[closeness]),
        )
    )
    forget(turn, "closeness")


@registry.action("set_meaning")
async def set_meaning(turn: Turn) -> None:
    person = await person_by_key(turn, turn.data.get(CHOSEN))
    meaning = check_note(str(turn.value or "").strip())
    person.meaning = meaning
    turn.record("person.meaning", f"person:{person.id}", meaning)
    turn.flash.append(fill(turn, MEANING_CHANGED, name=escape(person.name)))
    forget(turn, "meaning")


@registry.action("remove_person")
async def remove_person(turn: Turn) -> None:
    """Remove a person with the agreements about them: when the parent takes someone off
    the map, nothing noted about that person should stay behind in the plan."""
    case = await open_case(turn)
    person = await person_by_key(turn, turn.data.get(CHOSEN))
    for agreement in await turn.repo.agreements(case):
        if agreement.person_id == person.id:
            turn.record("agreement.deleted", f"agreement:{agreement.id}", case_id=case.id)
            await turn.repo.delete_agreement(agreement)
    name = person.name
    turn.record("person.removed", f"person:{person.id}", case_id=case.id)
    await turn.repo.delete_person(person)
    turn.flash.append(fill(turn, REMOVED, name=escape(name)))
    forget(turn, CHOSEN)
