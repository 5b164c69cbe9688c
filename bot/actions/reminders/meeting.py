"""The reminder before a family's first meeting, offered at the end of /voorbereiden."""

from __future__ import annotations

from bot.actions.common import open_case
from bot.actions.reminders.moment import remember
from bot.engine.registry import registry
from bot.engine.turn import Turn
from bot.store.status import ReminderKind

MEETING_TIP = "f1.do.offer_join"


@registry.action("remind_meeting")
async def remind_meeting(turn: Turn) -> None:
    """/voorbereiden: a reminder before the first meeting, with the tip to offer
    that someone may join; it opens the preparation again."""
    case = await open_case(turn)
    await remember(
        turn,
        case=case,
        kind=ReminderKind.MEETING,
        tip=MEETING_TIP,
        open_flow="voorbereiden",
        open_step="why",
    )
