"""Fase 3: an end date typed in the goal ("… tot de zomervakantie") is not asked again.

The goal's end date fills "Until when?" ahead: the step shows it ("Now: …") with
"Keep ›", and it is recorded as the goal's until-when. Typing another still changes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.actions import approach as ap
from bot.engine.render import KEEP_LABEL, KEPT_NOW, SKIP_LABEL
from bot.store.models import Agreement
from tests.support.chat import Chat
from tests.test_phase2_3 import NOT_NOW, YES, map_with, press_starting, step

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def approached_with(chat: Chat, goal: str) -> None:
    from tests.support.flows import enter

    await map_with(chat, ("Oma", YES))
    await enter(chat, "fase3")
    await press_starting(chat, "✅ Oma")
    await chat.text(goal)
    assert await step(chat) == ("fase3", "until")


async def goal_due(chat: Chat) -> str | None:
    async with chat.engine.sessions() as session:
        query = select(Agreement).where(Agreement.kind == "approach")
        return (await session.execute(query)).scalar_one().due


async def test_an_end_date_in_the_goal_fills_until_when(chat: Chat) -> None:
    await approached_with(chat, "Haalt de kinderen op woensdag tot de zomervakantie")
    assert chat.has(ap.UNTIL_FROM_GOAL, until="de zomervakantie")
    assert chat.has(KEPT_NOW, value="de zomervakantie")
    assert chat.t(SKIP_LABEL) not in chat.labels
    await chat.press(KEEP_LABEL)
    assert await step(chat) == ("fase3", "tasks")
    await chat.press(NOT_NOW)
    assert await goal_due(chat) == "de zomervakantie"


async def test_until_when_can_still_be_changed(chat: Chat) -> None:
    await approached_with(chat, "Kookt op maandag, tot 1 maart")
    assert chat.has(KEPT_NOW, value="1 maart")
    await chat.text("1 april")
    await chat.press(NOT_NOW)
    assert await goal_due(chat) == "1 april"


async def test_a_goal_without_an_end_date_asks_as_before(chat: Chat) -> None:
    await approached_with(chat, "Haalt de kinderen op van 3 tot 5 uur")
    assert not chat.has(ap.UNTIL_FROM_GOAL, until="5 uur")
    assert chat.t(SKIP_LABEL) in chat.labels


@pytest.mark.parametrize(
    ("goal", "until"),
    [
        ("Haalt de kinderen op woensdag tot de zomervakantie", "de zomervakantie"),
        ("Kookt op maandag tot 1 maart.", "1 maart"),
        ("Belt elke week, tot eind maart", "eind maart"),
        ("Brengt ze naar school tot 15-3", "15-3"),
        ("Helps on Wednesdays until the summer holidays", "the summer holidays"),
        ("Haalt op van 3 tot 5 uur", None),
        ("Past op tot ik terug ben", None),
        ("Komt tot rust", None),
        ("Haalt de kinderen op woensdag", None),
    ],
)
def test_the_end_date_is_read_from_the_end_of_the_goal(goal: str, until: str | None) -> None:
    assert ap.until_in_goal(goal, now=NOW, language="nl", zone="Europe/Amsterdam") == until
