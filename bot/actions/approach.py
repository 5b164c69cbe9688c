"""Fase 3: approaching someone from the network, only with the parent's consent and a goal.

Parents named two things they never want: their network contacted behind their back, and
their network involved without a clear goal. So the consent is checked when a person is
chosen and again when the approach is recorded, and nothing is stored until the goal and
who-does-what are recorded together, in one turn: a practitioner who stops halfway leaves
nothing behind.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.actions.agreements import add_agreement, bot_label
from bot.actions.common import fill, forget, open_case
from bot.actions.labels import check_note
from bot.actions.people import GONE, MARKS, case_people, person_by_key, person_named, same_name
from bot.actions.reminders.moment import chosen_moment, remember, words, zone
from bot.engine.errors import Reject
from bot.engine.options import Option
from bot.engine.registry import registry
from bot.engine.render import escape, shorten
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.reminders.when import WhenError, parse_when
from bot.store.models import Agreement, Person, utcnow
from bot.store.status import ReminderKind

PERSON_ID, PERSON = "person_id", "person"
GOAL, UNTIL = "goal", "until"
TASKS = (("resp_parent", "parent"), ("resp_person", None), ("resp_self", "practitioner"))
FOLLOW_UP, FOLLOW_CODE = "follow_up", "follow_code"
"""Keys of the check-in moment in earlier versions of this flow: dropped with the draft."""
RECORDED_IDS = "approach_ids"
"""The agreements "Record together" made, by key (goal and tasks): going back from the
check-in and recording again updates them instead of adding a second set."""
DRAFT = (GOAL, UNTIL, *(key for key, _ in TASKS), FOLLOW_UP, FOLLOW_CODE, RECORDED_IDS)
SUGGESTION = "meaning"
"""The key of the one option on the goal step: what phase 2 noted the person could mean."""

CONSENT_YES = N_("the parent said yes")
CONSENT_OPEN = N_("not discussed yet")
APPROACHED = N_("approached")
NOT_OFFERED = N_("Not to be contacted (the parent's choice): {names}.")
NOT_ASKED = N_(
    "{name}: the parent has not said yet whether you may make contact. Nothing was recorded."
)
NOT_WANTED = N_("{name}: the parent does not want contact. Nothing was recorded.")
NO_CONSENT = N_(
    "{name}: the parent does not (or no longer) agree to contact. Nothing was recorded. Ask "
    "the parent first, and record the answer in phase 2."
)
NO_GOAL = N_("There is no goal yet. Please note what {name} will do, and why.")
NO_PERSON = N_("Please choose whom to approach first.")
RECORDED = N_("Recorded together in your agreements (/afspraken): the goal and who does what.")
RECORDED_GOAL = N_("The goal is in your agreements (/afspraken). Who does what is not noted yet.")
"""When all three "who does what" steps were skipped: only the goal was recorded."""
MEANING_HINT = N_("In phase 2 you noted: “{meaning}”")
USE_MEANING = N_("Use this: {meaning}")
SUGGESTION_LABEL = 32
FOLLOW_TEXT = N_("Check in with the parent and {name} about how it goes: {when}.")
FOLLOWUP_TIP = "f3.dont.leave_alone"
"""Shown with the follow-up reminder: the reason for it."""


# --- choosing whom to approach ---------------------------------------------------------------


def _label(turn: Turn, person: Person) -> str:
    consent = turn.t(CONSENT_YES if person.decision == "yes" else CONSENT_OPEN)
    label = f"{MARKS.get(person.decision, '')} {person.name} · {consent}"
    if person.approached_at is not None:
        label += f" · {turn.t(APPROACHED)}"
    return label


@registry.provider("approach_people")
async def approach_people(turn: Turn) -> list[Option]:
    """People who may be chosen: consent given, or not discussed yet (choosing them gives
    the warning). People the parent does not want are never offered."""
    return [
        Option(str(p.id), _label(turn, p)) for p in await case_people(turn) if p.decision != "no"
    ]


@registry.view("approach_info")
async def approach_info(turn: Turn) -> dict[str, str]:
    refused = [escape(p.name) for p in await case_people(turn) if p.decision == "no"]
    if not refused:
        return {"not_offered": ""}
    return {"not_offered": fill(turn, NOT_OFFERED, names=", ".join(refused))}


async def _picked(turn: Turn) -> Person:
    """Whom the practitioner chose: by a person's button, or by typing their name. Typed
    names reach everyone on the map, also the people the parent refused (they have no
    button), so typing a name meets the same consent check as pressing it."""
    if turn.option is not None or turn.value is None:
        return await person_by_key(turn, turn.value)
    person = await person_named(turn, turn.value)
    if person is None:
        raise Reject(GONE)
    return person


@registry.guard("has_consent")
async def has_consent(turn: Turn) -> bool:
    """The chosen person has the parent's yes, read from the database at this moment."""
    try:
        person = await _picked(turn)
    except Reject:
        return False
    return person.decision == "yes"


@registry.guard("refused_by_parent")
async def refused_by_parent(turn: Turn) -> bool:
    """The chosen (or typed) person is someone the parent does not want contacted: the
    bot then respects that, and only says where a decision the parent changed themselves
    is recorded; it does not suggest asking again."""
    try:
        person = await _picked(turn)
    except Reject:
        return False
    return person.decision == "no"


@registry.guard("names_a_person")
async def names_a_person(turn: Turn) -> bool:
    """The typed text is the name of someone on this family's map."""
    return turn.value is not None and await person_named(turn, turn.value) is not None


@registry.action("explain_no_consent")
async def explain_no_consent(turn: Turn) -> None:
    """Say whom the refusal is about; stores nothing."""
    person = await _picked(turn)
    msgid = NOT_WANTED if person.decision == "no" else NOT_ASKED
    turn.flash.append(fill(turn, msgid, name=escape(person.name)))


@registry.action("choose_person")
async def choose_person(turn: Turn) -> None:
    person = await _picked(turn)
    forget(turn, *DRAFT)
    turn.data[PERSON_ID] = str(person.id)
    turn.data[PERSON] = person.name


# --- the goal: phase 2's note as a suggestion ------------------------------------------------


async def _meaning(turn: Turn) -> str | None:
    """What phase 2 noted the chosen person could mean for the family, if anything."""
    try:
        person = await person_by_key(turn, turn.data.get(PERSON_ID))
    except Reject:
        return None
    meaning = (person.meaning or "").strip()
    return meaning or None


@registry.view("goal_hint")
async def goal_hint(turn: Turn) -> dict[str, str]:
    """`{meaning_hint}`: "In phase 2 you noted: …", or nothing."""
    meaning = await _meaning(turn)
    if meaning is None:
        return {"meaning_hint": ""}
    return {"meaning_hint": fill(turn, MEANING_HINT, meaning=escape(meaning))}


@registry.provider("goal_suggestion")
async def goal_suggestion(turn: Turn) -> list[Option]:
    """One button to take phase 2's note as the start of the goal (none without a note)."""
    meaning = await _meaning(turn)
    if meaning is None:
        return []
    label = fill(turn, USE_MEANING, meaning=shorten(meaning, SUGGESTION_LABEL))
    return [Option(SUGGESTION, label)]


@registry.action("use_suggested_goal")
async def use_suggested_goal(turn: Turn) -> None:
    """The goal is phase 2's note, as the parent said it; "‹ Back" and typing changes it."""
    meaning = await _meaning(turn)
    if meaning is None:
        raise Reject(NO_GOAL, name=escape(str(turn.data.get(PERSON) or "")))
    turn.data[GOAL] = check_note(meaning)


# --- until when: read from the goal when it says so ----------------------------------------

UNTIL_FROM_GOAL = N_("Until when: “{until}”, as the goal says.")
_UNTIL_IN_GOAL = re.compile(
    r"(?:^|[\s,;(])(?:tot(?:\s+en\s+met)?|until|till)\s+([^,;()]{2,60}?)[\s.!)]*$",
    re.IGNORECASE,
)
"""An end date at the end of a goal: "… tot de zomervakantie", "… tot 1 maart"."""
_FROM_TO = re.compile(r"\b(?:van|vanaf|from)\s+\S+(?:\s+\S+)?\s+$", re.IGNORECASE)
"""Before "tot": a span ("van 3 tot 5 uur") is a time of day, not an end date."""
_PERIOD = re.compile(
    r"vakantie|zomer|kerst|pasen|schooljaar|herfst|voorjaar|winter|"
    r"holiday|summer|christmas|easter|school year|\b(?:eind|einde|end)\b",
    re.IGNORECASE,
)
"""Words that name a period rather than a day ("de zomervakantie", "het eind van het
schooljaar"): an end date the reminders' date reading does not know, kept as said."""
_CLOCK_ONLY = re.compile(r"\d{1,2}(?:[:.]\d{2})?\s*(?:uur|u|h)?", re.IGNORECASE)


def until_in_goal(goal: str, *, now: datetime, language: str, zone: str) -> str | None:
    """The end date a goal states at its end, as typed ("de zomervakantie", "1 maart"),
    or None. A day is read as the reminders read typed days (`parse_when`); a holiday or
    the end of the school year is taken as said; a time of day is no end date."""
    match = _UNTIL_IN_GOAL.search(goal)
    if match is None or _FROM_TO.search(goal[: match.start()] + " "):
        return None
    said = match.group(1).strip()
    if _CLOCK_ONLY.fullmatch(said):
        return None
    if _PERIOD.search(said):
        return said
    try:
        parse_when(said, now=now, language=language, zone=zone)
    except WhenError as problem:
        if problem.reason != "too_far":  # further than a reminder can go is still a date
            return None
    return said


@registry.action("until_from_goal")
async def until_from_goal(turn: Turn) -> None:
    """An end date in the goal fills "Until when?" ahead: that step then shows it, to
    keep with one press or to change."""
    goal = _text(turn, GOAL)
    found = (
        None
        if goal is None
        else until_in_goal(goal, now=turn.now(), language=turn.language, zone=zone(turn))
    )
    if found is not None:
        turn.data[UNTIL] = found
        turn.flash.append(fill(turn, UNTIL_FROM_GOAL, until=escape(found)))


# --- who does what, typed in one message ----------------------------------------------------

_PARENT_WORDS = frozenset(
    ("ouder", "ouders", "moeder", "vader", "mama", "papa", "parent", "parents")
) | frozenset(("mother", "father", "mum", "mom", "dad"))
_SELF_WORDS = frozenset(("ik", "mij", "jij", "jou", "hulpverlener", "me", "you", "i"))


def _task_key(who: str, person: str) -> str:
    """Which of the three a "who:" names: the parent, you, or else the person."""
    words = set(who.casefold().split())
    if words & _PARENT_WORDS and not same_name(who, person):
        return "resp_parent"
    if words & _SELF_WORDS:
        return "resp_self"
    return "resp_person"


def _markers(person: str) -> re.Pattern[str]:
    """Where a "who:" starts, also in the middle of one line: typed text reaches the
    engine with its line breaks made spaces, so "ouder: … oma: … ik: …" is one line."""
    names = {*_PARENT_WORDS, *_SELF_WORDS, person.casefold(), *person.casefold().split()}
    names.discard("")
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?:^|(?<=[\s;,.]))(?:de\s+)?({alternatives})\s*:", re.IGNORECASE)


def read_tasks(text: str, person: str) -> dict[str, str]:
    """The three tasks from one message such as "ouder: vraagt oma eerst  oma: zegt het
    als het niet lukt  ik: bel oma", by the "who:" each part starts with. Parts without
    one (separated by ";") take the first of the parent, the person and you that has
    none yet."""
    found: dict[str, list[str]] = {key: [] for key, _ in TASKS}
    loose: list[str] = []
    marks = list(_markers(person).finditer(text))
    loose.extend(p.strip() for p in text[: marks[0].start() if marks else len(text)].split(";"))
    for mark, after in zip(marks, [*marks[1:], None], strict=False):
        said = text[mark.end() : after.start() if after else len(text)].strip(" ;,")
        if said:
            found[_task_key(mark.group(1), person)].append(said)
    for line in (line for line in loose if line):
        key = next((k for k, _ in TASKS if not found[k]), TASKS[-1][0])
        found[key].append(line)
    return {key: "; ".join(lines) for key, lines in found.items() if lines}


@registry.action("take_tasks")
async def take_tasks(turn: Turn) -> None:
    """Who does what, from one typed message, into the three tasks `record_approach`
    records (a task not named this time is dropped from the draft)."""
    tasks = read_tasks(str(turn.value or ""), str(turn.data.get(PERSON) or ""))
    forget(turn, *(key for key, _ in TASKS))
    turn.conversation.data = {**turn.data, **tasks}


# --- recording -------------------------------------------------------------------------------


async def _consented(turn: Turn) -> Person:
    """The chosen person, only if the parent says yes now (the map may have changed)."""
    person = await person_by_key(turn, turn.data.get(PERSON_ID))
    if person.decision != "yes":
        raise Reject(NO_CONSENT, name=escape(person.name))
    return person


def _text(turn: Turn, key: str) -> str | None:
    value = turn.data.get(key)
    return value.strip() or None if isinstance(value, str) else None


async def _earlier(turn: Turn, case_id: int, key: str) -> Agreement | None:
    """The agreement an earlier "Record together" of this approach made for `key`."""
    recorded = turn.data.get(RECORDED_IDS)
    found = recorded.get(key) if isinstance(recorded, dict) else None
    if not isinstance(found, int):
        return None
    agreement = await turn.repo.agreement(turn.practitioner, found)
    return agreement if agreement is not None and agreement.case_id == case_id else None


@registry.action("record_approach")
async def record_approach(turn: Turn) -> None:
    """Goal and who-does-what in one go, then the person counts as approached. Recording
    again (after "‹ Back" from the check-in) updates what was recorded: one set per
    approach, and the audit trail keeps every version."""
    case = await open_case(turn)
    if not turn.data.get(PERSON_ID):
        raise Reject(NO_PERSON)
    person = await _consented(turn)
    goal = _text(turn, GOAL)
    if goal is None:
        raise Reject(NO_GOAL, name=escape(person.name))
    # (data key, kind, text, who, until when); a task left empty this time is removed
    wanted: list[tuple[str, str, str | None, str, str | None]] = [
        (GOAL, "approach", goal, person.name, _text(turn, UNTIL))
    ]
    wanted += [
        (key, "responsibility", _text(turn, key), who or person.name, None) for key, who in TASKS
    ]
    recorded: dict[str, int] = {}
    for key, kind, text, who, due in wanted:
        earlier = await _earlier(turn, case.id, key)
        if text is None:
            if earlier is not None:
                turn.record("agreement.deleted", f"agreement:{earlier.id}", case_id=case.id)
                await turn.repo.delete_agreement(earlier)
            continue
        if earlier is not None:
            earlier.text, earlier.who, earlier.due = text, who, due
            turn.record("agreement.edited", f"agreement:{earlier.id}", text, case_id=case.id)
            recorded[key] = earlier.id
        else:
            added = await add_agreement(turn, case, 3, kind, text, who=who, person=person, due=due)
            recorded[key] = added.id
    turn.data[RECORDED_IDS] = recorded
    person.approached_at = utcnow()
    turn.record("person.approached", f"person:{person.id}", goal, case_id=case.id)
    tasks = any(key in recorded for key, _ in TASKS)
    turn.flash.append(turn.t(RECORDED if tasks else RECORDED_GOAL))


@registry.action("record_follow_up")
async def record_follow_up(turn: Turn) -> None:
    """The moment to check in, chosen with the time picker: kept as an agreement of the
    practitioner (for /afspraken and the plan) and set as a reminder about this person,
    which opens fase 3 again."""
    case = await open_case(turn)
    person = await person_by_key(turn, turn.data.get(PERSON_ID))
    moment = chosen_moment(turn)
    text = fill(turn, FOLLOW_TEXT, name=person.name, when=words(turn, moment))
    await add_agreement(
        turn,
        case,
        3,
        "follow_up",
        text,
        who="practitioner",
        person=person,
        detail={"at": moment.isoformat()},  # the family's plan lists its check-ins by date
    )
    await remember(
        turn,
        case=case,
        kind=ReminderKind.FOLLOWUP,
        about=person.name,
        tip=FOLLOWUP_TIP,
        open_flow="fase3",
        open_step="check_who",
    )


# --- how is it going: the outcome of a check-in ----------------------------------------------

OUTCOME = bot_label(N_("How it is going with {name}: {note}"))
OUTCOME_SAVED = N_("Noted in your agreements (/afspraken).")
CHECK_NOTE = "check_note"


@registry.provider("approached_people")
async def approached_people(turn: Turn) -> list[Option]:
    """People approached in this phase before: the ones to hear back from."""
    return [
        Option(str(p.id), f"{MARKS.get(p.decision, '')} {p.name}")
        for p in await case_people(turn)
        if p.approached_at is not None
    ]


@registry.guard("has_approached")
async def has_approached(turn: Turn) -> bool:
    """Someone of this family was approached: there is a check-in to note."""
    return any(p.approached_at is not None for p in await case_people(turn))


@registry.action("choose_checked")
async def choose_checked(turn: Turn) -> None:
    person = await person_by_key(turn, turn.value)
    forget(turn, *DRAFT, CHECK_NOTE)
    turn.data[PERSON_ID] = str(person.id)
    turn.data[PERSON] = person.name


@registry.action("record_outcome")
async def record_outcome(turn: Turn) -> None:
    """How it goes, in the words of the parent and the person: a note of phase 3, so the
    family's history says the follow-up happened and what came of it."""
    case = await open_case(turn)
    person = await person_by_key(turn, turn.data.get(PERSON_ID))
    note = check_note(str(turn.data.get(CHECK_NOTE) or "").strip())
    text = fill(turn, OUTCOME, name=person.name, note=note)
    await add_agreement(turn, case, 3, "outcome", text, who=person.name, person=person)
    forget(turn, CHECK_NOTE, PERSON_ID, PERSON)
    turn.flash.append(turn.t(OUTCOME_SAVED))
