"""The reminder before a family's first meeting, offered at the end of /voorbereiden.

It comes in the last minutes before the meeting, so it carries no tip about what to prepare
(too late by then) but the preparation itself (`bot.reminders.message`), and its
"Open ›" shows that preparation (`kept`), not step 1 of the checklist.
"""

from __future__ import annotations

from bot.actions.common import open_case
from bot.actions.reminders.moment import remember
from bot.engine.registry import registry
from bot.engine.turn import Turn
from bot.store.status import ReminderKind

OPENS = ("voorbereiden", "kept")
"""The flow and step its "Open ›" goes to."""


@registry.action("remind_meeting")
async def remind_meeting(turn: Turn) -> None:
    """/voorbereiden: a reminder before the first meeting."""
    case = await open_case(turn)
    flow, step = OPENS
    await remember(turn, case=case, kind=ReminderKind.MEETING, open_flow=flow, open_step=step)
