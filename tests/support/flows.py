"""Open a phase the way a practitioner does: /fase, then the phase's button.

The buttons of /fase are labelled with the phase's title and progress ("step 2/6"), which
change as a test goes on; the button is therefore found by what it carries (the flow id,
inside the signed callback data), not by its label.
"""

from __future__ import annotations

from bot.engine.events import Outcome
from bot.engine.render import SKIP_LABEL
from tests.support.chat import Chat

PHASE_MENU = "fase"


async def enter(chat: Chat, flow_id: str) -> Outcome:
    """Open `flow_id` for the active case through /fase; a paused phase resumes."""
    await chat.command(PHASE_MENU)
    signer = chat.engine.renderer.signer
    for button in chat.buttons:
        payload = signer.verify(chat.who.key, button.data) or ""
        if payload.endswith(f":o:{flow_id}"):
            return await chat.press_data(button.data)
    raise LookupError(f"/{PHASE_MENU} offers no button for {flow_id!r}: {chat.labels}")


async def prepare_with_example(chat: Chat) -> None:
    """/voorbereiden the short way: the first point done, the example sentence, the rest
    skipped, saved; the practitioner ends at the offer of a reminder."""
    await chat.send("/voorbereiden")
    await chat.press("Done ✓")
    await chat.press("Use the example")
    for _ in range(4):
        await chat.press(SKIP_LABEL)
    await chat.press("Save ✓")
