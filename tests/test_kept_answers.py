"""A typed step that already keeps an answer says so, in every flow (`bot.engine`).

"‹ Back" to a typed step shows what was typed there ("Now: …"), with "Keep ›" to go on
with it unchanged; a step that can be skipped shows its kept answer too, and skipping it
says plainly that the earlier answer stays. A step asked afresh (a second family's label)
says nothing of what it kept last time.
"""

from __future__ import annotations

from bot.engine.messages import KEPT
from bot.engine.render import BACK_LABEL, KEEP_LABEL, KEPT_NOW, KEPT_SHOWN, SKIP_LABEL, shorten
from tests.support.chat import Chat
from tests.support.flows import enter
from tests.support.onboarding import onboard
from tests.test_phase2_3 import YES, map_with, press_starting, step

OPENING = "Ik help jullie een tijdje, en wie blijft er daarna?"
GOAL = "Haalt de kinderen op woensdag, zodat moeder kan werken"


async def test_back_to_a_typed_step_shows_its_answer_and_skip_says_it_stays(chat: Chat) -> None:
    await onboard(chat)
    await chat.send("/voorbereiden")
    assert not chat.has(KEPT_NOW, value=OPENING)
    await chat.text(OPENING)
    assert await step(chat) == ("voorbereiden", "join")

    await chat.press(BACK_LABEL)
    assert await step(chat) == ("voorbereiden", "why")
    assert chat.has(KEPT_NOW, value=OPENING)

    assert chat.t(KEEP_LABEL) not in chat.labels  # skipping goes elsewhere than typing
    await chat.press(SKIP_LABEL)  # on to "In your own words", which keeps the same answer
    assert chat.has(KEPT, value=OPENING)
    assert await step(chat) == ("voorbereiden", "sentence")
    assert chat.has(KEPT_NOW, value=OPENING)
    # Skipping goes where typing goes: the button says what it does, "Keep ›".
    assert chat.t(SKIP_LABEL) not in chat.labels
    await chat.press(KEEP_LABEL)
    assert chat.has(KEPT, value=OPENING)
    assert await step(chat) == ("voorbereiden", "join")


async def test_keep_goes_on_with_the_kept_answer_where_there_is_no_skip(chat: Chat) -> None:
    await map_with(chat, ("Oma", YES))
    await enter(chat, "fase3")
    await press_starting(chat, "✅ Oma")
    assert chat.t(KEEP_LABEL) not in chat.labels  # nothing typed yet
    await chat.text(GOAL)
    assert await step(chat) == ("fase3", "until")

    await chat.press(BACK_LABEL)
    assert await step(chat) == ("fase3", "goal")
    assert chat.has(KEPT_NOW, value=GOAL)
    await chat.press(KEEP_LABEL)
    assert await step(chat) == ("fase3", "until")
    assert chat.has(KEPT, value=GOAL)
    assert not chat.has(KEPT_NOW, value=GOAL)  # reached going forward: not a "Now:"


async def test_a_step_asked_afresh_says_nothing_of_its_last_answer(chat: Chat) -> None:
    await onboard(chat, "Gezin A.")
    await chat.send("/gezin")
    await chat.press("New family")
    await chat.text("Gezin B.")
    await chat.send("/gezin")
    await chat.press("New family")
    assert not chat.has(KEPT_NOW, value="Gezin B.")
    assert chat.t(KEEP_LABEL) not in chat.labels


async def test_a_long_kept_answer_is_shown_on_one_short_line(chat: Chat) -> None:
    """A goal may be a long note: what "‹ Back" shows of it, and the line that says it
    stays, are one line of `KEPT_SHOWN` characters, so the question stays on the screen."""
    long_goal = " ".join([GOAL] * 4)
    shown = shorten(long_goal, KEPT_SHOWN)
    assert shown.endswith("…") and len(shown) == KEPT_SHOWN
    await map_with(chat, ("Oma", YES))
    await enter(chat, "fase3")
    await press_starting(chat, "✅ Oma")
    await chat.text(long_goal)
    await chat.press(BACK_LABEL)
    assert chat.has(KEPT_NOW, value=shown)
    await chat.press(KEEP_LABEL)
    assert chat.has(KEPT, value=shown)
