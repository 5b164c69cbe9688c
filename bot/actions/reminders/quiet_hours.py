"""Quiet hours: the part of the day when reminders wait (21:00-08:00 unless changed).

Delivery holds a reminder that falls in them until they end; the conversation sets them,
and says so whenever a chosen moment falls in them.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.actions.common import fill
from bot.engine.errors import Reject
from bot.engine.registry import registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.reminders.delivery import in_quiet_hours as quiet_at
from bot.reminders.when import clock_text

QUIET_OFF = N_("none")
QUIET_SET = N_("Quiet hours: {hours}.")
QUIET_BAD = N_("Please type two times, like “21:00-08:00” or “22-7”.")
RANGE = "{start}–{end}"


def in_quiet_hours(turn: Turn, moment: datetime) -> bool:
    """Whether `moment` falls in the practitioner's quiet hours (as delivery sees it)."""
    p = turn.practitioner
    return quiet_at(moment, p.timezone, p.quiet_start, p.quiet_end)


_TIME = r"(\d{1,2})(?:[:.](\d{2}))?(?:\s*u(?:ur)?)?"
_RANGE = re.compile(rf"^\s*{_TIME}\s*(?:-|–|—|tot|to|till|until)\s*{_TIME}\s*$", re.IGNORECASE)


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """ "21:00-08:00", "22-7", "21.30 tot 7.30" as minutes after midnight; None otherwise."""
    match = _RANGE.match(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    return h1 * 60 + m1, h2 * 60 + m2


def quiet_text(turn: Turn) -> str:
    start, end = turn.practitioner.quiet_start, turn.practitioner.quiet_end
    if start == end:
        return turn.t(QUIET_OFF)
    return RANGE.format(start=clock_text(start), end=clock_text(end))


@registry.view("quiet_hours")
async def quiet_hours(turn: Turn) -> dict[str, str]:
    return {"quiet_hours": escape(quiet_text(turn))}


def _set_quiet(turn: Turn, start: int, end: int) -> None:
    turn.practitioner.quiet_start, turn.practitioner.quiet_end = start, end
    turn.record("practitioner.quiet_hours", "quiet_hours", quiet_text(turn))
    turn.flash.append(fill(turn, QUIET_SET, hours=escape(quiet_text(turn))))


@registry.action("set_quiet_hours")
async def set_quiet_hours(turn: Turn) -> None:
    found = parse_quiet_hours(turn.value or "")
    if found is None:
        raise Reject(QUIET_BAD)
    _set_quiet(turn, *found)


@registry.action("default_quiet_hours")
async def default_quiet_hours(turn: Turn) -> None:
    _set_quiet(turn, 21 * 60, 8 * 60)


@registry.action("no_quiet_hours")
async def no_quiet_hours(turn: Turn) -> None:
    _set_quiet(turn, 0, 0)
