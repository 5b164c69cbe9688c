"""The Matrix channel's rows (`bot.store.matrix`): the sync position and the questions stored
with it only by the process that still holds the sync lease."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.channels.matrix.sync import LEASE
from bot.store import leases
from bot.store import matrix as stored
from bot.turns import Turns


async def test_a_process_that_lost_the_lease_stores_neither_position_nor_questions(
    engine: Turns,
) -> None:
    """A process that stalled past its lease and was taken over must not write the sync
    position or its rooms' questions over the new holder's: it learns it lost the lease,
    and nothing of its transaction is written."""
    sessions = engine.sessions
    room = await stored.seen(sessions, "!room:example.org", "matrix:@els:example.org")
    asked = stored.asked(room, stored.Question("$q1", (("Verder", "next"),)))
    period = timedelta(seconds=30)
    assert await leases.take(sessions, LEASE, "old", period)
    await stored.keep_position(sessions, "since", "P1", [asked], (LEASE, "old"))
    assert await stored.value(sessions, "since") == "P1"

    later = stored.asked(asked, stored.Question("$q2", (("Stop", "stop"),)))
    await leases.release(sessions, LEASE, "old")
    assert await leases.take(sessions, LEASE, "new", period)
    with pytest.raises(leases.LeaseLost):
        await stored.keep_position(sessions, "since", "P2", [later], (LEASE, "old"))

    assert await stored.value(sessions, "since") == "P1"
    now = await stored.room(sessions, room.room_id)
    assert now is not None and now.question is not None
    assert now.question.event_id == "$q1"
    await stored.keep_position(sessions, "since", "P2", [later], (LEASE, "new"))
    now = await stored.room(sessions, room.room_id)
    assert now is not None and now.question is not None and now.question.event_id == "$q2"
    assert [q.event_id for q in now.questions] == ["$q2", "$q1"]
