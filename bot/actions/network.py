"""/netwerk and /netwerkkaart: the family's network as a list per relation group, and as
a picture to look at together.

Editing reuses fase 2's actions (`set_decision`, `set_group`, `remove_person`, ...), so a
change made here is recorded exactly as in the phase: a decision becomes an agreement and
a dated line in the audit trail. The picture is drawn by `bot.render.netmap` from a plain
snapshot, on the render thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.actions.approach import APPROACHED
from bot.actions.common import open_case
from bot.actions.people import (
    CHOSEN,
    CLOSENESS,
    DECISIONS,
    EMPTY_MAP,
    MARKS,
    case_people,
    decision_label,
    person_by_key,
)
from bot.engine.errors import Reject
from bot.engine.events import Attachment
from bot.engine.options import Option
from bot.engine.registry import registry
from bot.engine.render import escape, fill, shorten
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.i18n.fmt import date_long
from bot.render import netmap
from bot.render.model import CLOSENESS_ORDER, GROUP_ORDER, MapPerson, MapTexts
from bot.render.worker import off_loop
from bot.store.models import Case, Person, utcnow

GROUP_TITLES = {
    "household": N_("Household / family"),
    "friends": N_("Friends, acquaintances"),
    "community": N_("Neighbourhood, school, work, club"),
    "professional": N_("Professionals"),
}
RING_TITLES = {"close": N_("Close by"), "middle": N_("In between"), "far": N_("Further away")}
MAP_TITLE = N_("Network map · {case}")
LEGEND_TITLE = N_("The parent's decision on contact")
APPROACHED_LEGEND = N_("approached (phase 3)")
EMPTY_HINT = N_("Fill it in together with the parent, whenever they are ready.")
KEY_TITLE = N_("Names by number")
MAP_FILES = {"nl": "netwerkkaart.png", "en": "network-map.png"}
"""The picture's name in the practitioner's language."""
HISTORY_LINE = N_("{date}: {decision}")
NO_HISTORY = N_("no change recorded")

LIST_BUDGET = 3300
"""Characters the /netwerk list may use: Telegram takes 4096 per message, and the step's
own text and the legend come on top. Over budget, meanings are cut shorter, then left out
(each person's card shows all of it)."""
MEANING_SHOWN = (60, 28, 0)


def sorted_people(people: Sequence[Person]) -> list[Person]:
    """In the order of the circle: by group, then closeness, then as they were added."""

    def place(person: Person) -> tuple[int, int, int]:
        group = GROUP_ORDER.index(person.group) if person.group in GROUP_ORDER else 1
        ring = CLOSENESS_ORDER.index(person.closeness) if person.closeness in CLOSENESS_ORDER else 2
        return group, ring, person.id

    return sorted(people, key=place)


# --- /netwerk ---------------------------------------------------------------------------------


def _line(turn: Turn, person: Person, *, meaning: int) -> str:
    """One person: decision mark, name, how close, approached; the meaning cut to
    `meaning` characters (0: left out)."""
    closeness = turn.t(CLOSENESS.get(person.closeness, person.closeness))
    line = f"{MARKS.get(person.decision, '')} <b>{escape(person.name)}</b> · {closeness}"
    if person.approached_at is not None:
        line += f" · {turn.t(APPROACHED)}"
    if meaning and person.meaning:
        line += f"\n      <i>{escape(shorten(person.meaning, meaning))}</i>"
    return line


def _legend(turn: Turn) -> str:
    return " · ".join(f"{MARKS[d]} {turn.t(DECISIONS[d])}" for d in ("yes", "no", "open"))


@registry.view("network_list")
async def network_list(turn: Turn) -> dict[str, str]:
    """`{network}`: everyone per relation group with the parent's decision and, when the
    message has room, what they could mean."""
    people = sorted_people(await case_people(turn))
    if not people:
        return {"network": turn.t(EMPTY_MAP)}
    for meaning in MEANING_SHOWN:
        blocks: list[str] = []
        for group in GROUP_ORDER:
            members = [p for p in people if p.group == group]
            if members:
                lines = "\n".join(_line(turn, p, meaning=meaning) for p in members)
                blocks.append(f"<b>{escape(turn.t(GROUP_TITLES[group]))}</b>\n{lines}")
        others = [p for p in people if p.group not in GROUP_ORDER]
        blocks += [_line(turn, p, meaning=meaning) for p in others]
        text = "\n\n".join(blocks)
        if len(text) <= LIST_BUDGET:
            break
    return {"network": f"{text}\n\n<i>{_legend(turn)}</i>"}


@registry.provider("network_people")
async def network_people(turn: Turn) -> list[Option]:
    """One button per person, in the order of the list above them (fase 2's `people_all`
    lists them in the order they were added)."""
    return [
        Option(str(p.id), f"{MARKS.get(p.decision, '')} {p.name}")
        for p in sorted_people(await case_people(turn))
    ]


@registry.view("decision_history")
async def decision_history(turn: Turn) -> dict[str, str]:
    """`{history}`: every decision about the chosen person, dated, from the audit trail."""
    try:
        person = await person_by_key(turn, turn.data.get(CHOSEN))
    except Reject:
        return {"history": "—"}
    entries = await turn.repo.audit_entries(turn.practitioner, person.case_id)
    lines = [
        fill(
            turn.t(HISTORY_LINE),
            {
                "date": date_long(entry.at, turn.language, turn.practitioner.timezone),
                "decision": decision_label(turn, entry.value or ""),
            },
        )
        for entry in entries
        if entry.event == "person.decision" and entry.field == f"person:{person.id}"
    ]
    return {"history": "\n".join(lines) if lines else turn.t(NO_HISTORY)}


# --- the picture ------------------------------------------------------------------------------


def map_texts(turn: Turn, case: Case, now: datetime) -> MapTexts:
    """Every word of the picture in the practitioner's language."""
    return MapTexts(
        title=turn.t(MAP_TITLE).replace("{case}", case.label),
        date=date_long(now, turn.language, turn.practitioner.timezone),
        family=case.label,
        groups={group: turn.t(title) for group, title in GROUP_TITLES.items()},
        rings={ring: turn.t(title) for ring, title in RING_TITLES.items()},
        decisions={decision: turn.t(text) for decision, text in DECISIONS.items()},
        legend_title=turn.t(LEGEND_TITLE),
        approached=turn.t(APPROACHED_LEGEND),
        empty=turn.t(EMPTY_MAP),
        empty_hint=turn.t(EMPTY_HINT),
        key_title=turn.t(KEY_TITLE),
    )


def map_people(people: Sequence[Person]) -> list[MapPerson]:
    return [
        MapPerson(
            name=person.name,
            group=person.group if person.group in GROUP_ORDER else "friends",
            closeness=person.closeness if person.closeness in CLOSENESS_ORDER else "far",
            decision=person.decision if person.decision in DECISIONS else "open",
            approached=person.approached_at is not None,
        )
        for person in sorted_people(people)
    ]


async def network_picture(turn: Turn, case: Case, now: datetime) -> netmap.MapPicture:
    """The picture of `case` as it is in the database now, drawn off the event loop."""
    people = map_people(await turn.repo.people(case))
    return await off_loop(netmap.draw, people, map_texts(turn, case, now))


@registry.action("send_network_map")
async def send_network_map(turn: Turn) -> None:
    """Attach the network map of the active family as a photo."""
    case = await open_case(turn)
    now = utcnow()
    picture = await network_picture(turn, case, now)
    title = escape(turn.t(MAP_TITLE).replace("{case}", case.label))
    caption = f"<b>{title}</b>\n{date_long(now, turn.language, turn.practitioner.timezone)}"
    name = MAP_FILES.get(turn.practitioner.language, MAP_FILES["nl"])
    turn.attachments.append(Attachment("photo", name, picture.png, caption))
    turn.record("network.map", "picture", None, case_id=case.id)
