"""Check-ins after closing: fase 4 proposes them, the practitioner changes or skips them.

Parents asked that practitioners keep a finger on the pulse after the help ends. At
closing, fase 4 proposes check-ins after 2, 6 and 12 weeks; each can be moved a week,
set to a typed moment or skipped, and the ones left become reminders that open phase 4's
summary of what was agreed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.actions.common import fill, forget, open_case
from bot.actions.reminders.moment import DUE, NO_MOMENT, chosen_moment, short_when, words, zone
from bot.engine.errors import Reject
from bot.engine.options import Option
from bot.engine.registry import registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.reminders.when import at_local, in_reach, weeks_later
from bot.store.status import ReminderKind

CHECKINS, SLOT = "checkins", "checkin_slot"
CHECKIN_WEEKS = (2, 6, 12)
CHECKIN_TIP = "f4.do.keep_in_touch"

CHECKIN_LINE = N_("{number}. {when}")
CHECKIN_SKIPPED = N_("{number}. skipped")
CHECKIN_PROPOSED = N_("After 2, 6 and 12 weeks:")
CHECKIN_CHOSEN = N_("On these moments:")
"""Above the check-ins: the proposal as it was made, or (after a change) only the moments."""
SLOT_PLANNED = N_("now {when}")
SLOT_SKIPPED = N_("skipped")
EARLIER = N_("A week earlier · {when}")
LATER = N_("A week later · {when}")
PROPOSAL = N_("After {weeks} weeks · {when}")
CHECKIN_LABEL = N_("Change {number}: {when}")
CHECKIN_LABEL_SKIPPED = N_("Add {number} again")
CHECKINS_SET = N_("I'll remind you on: {when}.")
CHECKINS_NONE = N_("No check-ins planned; that is fine too.")


def _default_checkins(turn: Turn) -> list[str | None]:
    """After 2, 6 and 12 weeks, at 9:00 local time (the same wall-clock time on both sides
    of a change to or from summer time)."""
    return [weeks_later(turn.now(), zone(turn), weeks).isoformat() for weeks in CHECKIN_WEEKS]


def _checkins(turn: Turn) -> list[str | None]:
    raw = turn.data.get(CHECKINS)
    if isinstance(raw, list) and len(raw) == len(CHECKIN_WEEKS):
        return [v if isinstance(v, str) else None for v in raw]
    return _default_checkins(turn)


@registry.action("plan_checkins")
async def plan_checkins(turn: Turn) -> None:
    """Fase 4, at closing: propose check-ins after 2, 6 and 12 weeks."""
    turn.data[CHECKINS] = _default_checkins(turn)


@registry.view("checkin_plan")
async def checkin_plan(turn: Turn) -> dict[str, str]:
    """`{checkin_plan}`, one line per check-in, and `{checkin_intro}`: "after 2, 6 and 12
    weeks" only while that is what the lines say."""
    plan = _checkins(turn)
    intro = CHECKIN_PROPOSED if plan == _default_checkins(turn) else CHECKIN_CHOSEN
    lines = []
    for number, at in enumerate(plan, 1):
        if at is None:
            lines.append(fill(turn, CHECKIN_SKIPPED, number=str(number)))
        else:
            when = escape(words(turn, datetime.fromisoformat(at)))
            lines.append(fill(turn, CHECKIN_LINE, number=str(number), when=when))
    return {"checkin_plan": "\n".join(lines), "checkin_intro": turn.t(intro)}


@registry.provider("checkin_slots")
async def checkin_slots(turn: Turn) -> list[Option]:
    """One button per check-in: change (or skip) it, or add a skipped one again."""
    options = []
    for number, at in enumerate(_checkins(turn), 1):
        if at is None:
            label = fill(turn, CHECKIN_LABEL_SKIPPED, number=str(number))
        else:
            short = short_when(turn, datetime.fromisoformat(at))
            label = fill(turn, CHECKIN_LABEL, number=str(number), when=short)
        options.append(Option(str(number), label))
    return options


def _chosen_slot(turn: Turn) -> int | None:
    """The index of the check-in being changed, or None when none was chosen."""
    raw = str(turn.data.get(SLOT) or "")
    return int(raw) - 1 if raw.isdigit() and 1 <= int(raw) <= len(CHECKIN_WEEKS) else None


def _slot(turn: Turn) -> int:
    """The check-in to change; without one, nothing is changed."""
    index = _chosen_slot(turn)
    if index is None:
        raise Reject(NO_MOMENT)
    return index


def _slot_index(turn: Turn) -> int:
    """The check-in being changed, for showing it (the first one if unclear)."""
    index = _chosen_slot(turn)
    return 0 if index is None else index


def _slot_moment(turn: Turn) -> datetime | None:
    at = _checkins(turn)[_slot_index(turn)]
    return datetime.fromisoformat(at) if at else None


@registry.view("checkin_slot")
async def checkin_slot(turn: Turn) -> dict[str, str]:
    """`{slot_number}` and `{slot_state}`: "now <moment>", or "skipped"."""
    moment = _slot_moment(turn)
    if moment is None:
        state = turn.t(SLOT_SKIPPED)
    else:
        state = fill(turn, SLOT_PLANNED, when=escape(words(turn, moment)))
    return {"slot_number": str(_slot_index(turn) + 1), "slot_state": state}


@registry.guard("checkin_planned")
async def checkin_planned(turn: Turn) -> bool:
    """The check-in being changed is planned (not skipped): it can be skipped."""
    return _slot_moment(turn) is not None


@registry.provider("checkin_moves")
async def checkin_moves(turn: Turn) -> list[Option]:
    """Quick choices that fit a moment weeks away: a week earlier (while that is still
    ahead) or later (while that is at most a year ahead), at the same time; for a skipped
    one, the moment first proposed."""
    moment = _slot_moment(turn)
    choices: list[tuple[str, str, datetime]] = []
    if moment is None:
        weeks = CHECKIN_WEEKS[_slot_index(turn)]
        at = weeks_later(turn.now(), zone(turn), weeks)
        label = fill(turn, PROPOSAL, weeks=str(weeks), when=short_when(turn, at))
        choices.append(("proposal", label, at))
    else:
        local = moment.astimezone(ZoneInfo(zone(turn)))
        for key, msgid, days in (("earlier", EARLIER, -7), ("later", LATER, 7)):
            at = at_local(local.date() + timedelta(days=days), local.time(), zone(turn))
            choices.append((key, fill(turn, msgid, when=short_when(turn, at)), at))
    now, where = turn.now(), zone(turn)
    return [
        Option(key, label, {"at": at.isoformat()})
        for key, label, at in choices
        if in_reach(at, now=now, zone=where)
    ]


def _set_slot(turn: Turn, value: str | None) -> None:
    plan = _checkins(turn)
    plan[_slot(turn)] = value
    turn.data[CHECKINS] = plan


@registry.action("set_checkin")
async def set_checkin(turn: Turn) -> None:
    moment = chosen_moment(turn)
    _set_slot(turn, moment.isoformat())
    forget(turn, DUE)


@registry.action("drop_checkin")
async def drop_checkin(turn: Turn) -> None:
    _set_slot(turn, None)


@registry.action("add_checkins")
async def add_checkins(turn: Turn) -> None:
    """The planned check-ins as reminders, with the tip "keep a finger on the pulse"; they
    open phase 4's summary of what was agreed."""
    case = await open_case(turn)
    moments = sorted(datetime.fromisoformat(at) for at in _checkins(turn) if at)
    for moment in moments:
        await turn.repo.add_reminder(
            turn.practitioner,
            case=case,
            kind=ReminderKind.CHECKIN,
            due_at=moment,
            tip_id=CHECKIN_TIP,
            open_flow="fase4",
            open_step="summary",
        )
    forget(turn, CHECKINS, SLOT)
    if not moments:
        turn.flash.append(turn.t(CHECKINS_NONE))
        return
    listed = ", ".join(escape(words(turn, m)) for m in moments)
    turn.flash.append(fill(turn, CHECKINS_SET, when=listed))
