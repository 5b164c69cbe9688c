"""An update is applied once, however often it is delivered (bot/store/dedup.py).

Telegram redelivers an update it got no 2xx answer for, possibly to another replica. The
engine claims the update's id in the turn's own transaction: a second delivery, later or
at the same moment in another process, changes nothing and shows the current step.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.engine.events import Command, Identity, Press, Text
from bot.runtime import open_runtime
from bot.store.dedup import KEEP, prune
from bot.store.models import ProcessedUpdate, utcnow
from bot.turns import Turns
from tests.support.chat import Chat
from tests.support.onboarding import onboard
from tests.support.snapshot import differences, snapshot


async def _processed(engine: Turns) -> list[int]:
    async with engine.sessions() as session:
        query = select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id)
        return list((await session.execute(query)).scalars())


async def test_a_redelivered_update_changes_nothing_and_shows_the_current_step(
    engine: Turns, settings: Settings
) -> None:
    chat = Chat(engine, Identity("test:redelivered"))
    await onboard(chat)
    first = await engine.handle(chat.who, Command("fase"), event_id=41)
    before = await snapshot(settings.database_url)

    again = await engine.handle(chat.who, Command("fase"), event_id=41)

    assert not first.duplicate and again.duplicate
    assert differences(before, await snapshot(settings.database_url)) == {}
    assert [r.text for r in again.replies] == [r.text for r in first.replies]
    assert await _processed(engine) == [41]
    # Without an id (the console) nothing is claimed, and a repeat is a new event.
    plain = await engine.handle(chat.who, Command("fase"))
    assert not plain.duplicate
    assert differences(before, await snapshot(settings.database_url)) != {}


async def test_a_rejected_update_is_claimed_with_its_explanation(
    engine: Turns,
) -> None:
    """A Reject rolls the turn back but still answers: its id is claimed in the answer's
    own transaction, so a redelivery does not explain twice in two different states."""
    chat = Chat(engine, Identity("test:rejected"))
    await onboard(chat)
    await chat.send("/gezin")
    await chat.press("New family")
    phone = "0612345678"  # a label with contact details is refused (a Reject)
    first = await engine.handle(chat.who, Text(phone), event_id=77)
    again = await engine.handle(chat.who, Text(phone), event_id=77)
    assert not first.duplicate and again.duplicate
    assert 77 in await _processed(engine)


async def test_one_update_delivered_to_two_replicas_at_once_is_applied_once(
    settings: Settings,
) -> None:
    """Two engines with their own connection pools: two replicas in one process. On
    PostgreSQL the second claim waits on the first transaction's primary key."""
    async with (
        open_runtime(settings, migrate=False) as one,
        open_runtime(settings, migrate=False) as two,
    ):
        who = Identity("test:twice")
        await onboard(Chat(one.turns, who), "Fam. A")
        before = await Chat(one.turns, who).where()
        outcomes = await asyncio.gather(
            *(
                engine.handle(who, Command("fase"), event_id=event_id)
                for event_id in (900, 900, 901, 901)
                for engine in (one.turns, two.turns)
            )
        )
        assert sum(not o.duplicate for o in outcomes) == 2  # 900 once, 901 once
        after = await Chat(two.turns, who).where()
        # 900 entered the phase overview (the practitioner's counter), 901 entered it again
        # (the conversation's): each once.
        practitioner_seq = int(before.seq.split(".")[0])
        assert after.seq == f"{practitioner_seq + 1}.1"
        assert await _processed(one.turns) == [900, 901]


async def test_prune_forgets_only_ids_older_than_a_day(engine: Turns) -> None:
    now = utcnow()
    async with engine.sessions() as session, session.begin():
        session.add_all(
            [
                ProcessedUpdate(update_id=1, processed_at=now - KEEP - timedelta(minutes=1)),
                ProcessedUpdate(update_id=2, processed_at=now - KEEP + timedelta(minutes=1)),
                ProcessedUpdate(update_id=3, processed_at=now),
            ]
        )
    assert await prune(engine.sessions, now=now) == 1
    assert await _processed(engine) == [2, 3]
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_turn_waiting_for_another_replicas_turn_sees_what_that_one_committed(
    settings: Settings,
) -> None:
    """Replica A applies update 600 (a button that moves onboarding to the label step) and
    holds its transaction open; replica B gets 601 (the label) meanwhile. B must wait, then
    start from the state 600 left. A turn that read the conversation as it was before the
    wait would still be at the button step and refuse the label."""
    async with (
        open_runtime(settings, migrate=False) as one,
        open_runtime(settings, migrate=False) as two,
    ):
        who = Identity("test:waits")
        chat = Chat(one.turns, who)
        await chat.send("/start")
        await chat.press("Continue")
        understood = chat.button("Understood").data
        applied, release = asyncio.Event(), asyncio.Event()
        apply = two.turns._apply

        async def held(*args: Any) -> Any:
            outcome = await apply(*args)
            applied.set()
            await release.wait()  # committed only after this
            return outcome

        two.turns._apply = held  # type: ignore[method-assign]
        first = asyncio.create_task(two.turns.handle(who, Press(understood), event_id=600))
        async with asyncio.timeout(30):
            await asyncio.wait(
                [first, asyncio.create_task(applied.wait())], return_when="FIRST_COMPLETED"
            )
        assert applied.is_set(), first
        second = asyncio.create_task(one.turns.handle(who, Text("Gezin W"), event_id=601))
        await asyncio.sleep(0.3)
        assert not second.done()  # waits for 600's transaction
        release.set()
        await first
        labelled = await second
        assert "Gezin W" in labelled.replies[0].text
        assert (await chat.where()).flow == "menu"
