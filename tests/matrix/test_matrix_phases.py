"""Fase 2 and 3 on Matrix, by number, by the start of a label and by a tap on a keycap:
people mapped with the parent's decision, and an approach without consent refused with
the parents' don't-tip, as on Telegram."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from bot.access import matrix_key
from bot.channels.plain import plain
from bot.config import Settings
from bot.store.models import Agreement, Case, Person, Practitioner
from tests.matrix.conftest import MatrixBot, in_chat
from tests.support.element import ElementUser, Seen
from tests.support.telegram import Texts, texts

Bot = Callable[..., Awaitable[MatrixBot]]
User = Callable[..., Awaitable[ElementUser]]
KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣")
GOAL = "Haalt de kinderen op woensdag, zodat moeder kan werken"


def number_of(message: Seen, label_part: str) -> int:
    """The number of the choice whose label holds `label_part`, from the numbered lines."""
    found = [
        int(number)
        for number, label in re.findall(r"^(\d+)\. (.+)$", message.body, flags=re.M)
        if label_part in label
    ]
    assert len(found) == 1, f"{label_part!r} in {message.body!r}"
    return found[0]


class Walk:
    def __init__(self, els: ElementUser, txt: Texts) -> None:
        self.els = els
        self.txt = txt
        self.last: Seen | None = None

    def expect(self, message: Seen, flow: str, step: str) -> Seen:
        assert plain(self.txt.first_line(flow, step)) in message.body, (flow, step, message.body)
        self.last = message
        return message

    async def say(self, text: str, flow: str, step: str) -> Seen:
        return self.expect(await self.els.answer(text), flow, step)

    async def number(self, label: str, flow: str, step: str) -> Seen:
        assert self.last is not None
        return await self.say(str(number_of(self.last, label)), flow, step)

    async def tap(self, label: str, flow: str, step: str) -> Seen:
        """One tap on the keycap under the current question."""
        assert self.last is not None
        keycap = KEYCAPS[number_of(self.last, label) - 1]
        question = self.last
        await self.els._until(
            lambda: (question.event_id, keycap) in self.els.reactions, "the keycap"
        )
        start = len(self.els.seen)
        await self.els.react(question.event_id, keycap)
        return self.expect(await self.els.next_message(start), flow, step)


async def test_fase_2_and_3_by_numbers_labels_and_taps_with_the_consent_refusal(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    txt = texts(settings)
    bot, els = await in_chat(matrix_bot, element)
    walk = Walk(els, txt)
    button = txt.button
    walk.expect(await els.answer("!start"), "onboarding", "welcome")
    await walk.tap(button("onboarding", "welcome", "next"), "onboarding", "privacy")
    await walk.say("1", "onboarding", "first_case")
    await walk.say("Gezin P.", "menu", "main")

    choose = await walk.say("!fase", "fase", "choose")
    await walk.number(txt.t(txt.flows["fase2"].title), "fase2", "start")
    assert choose.body
    await walk.say("Oma, haalt de kinderen op", "fase2", "closeness")
    await walk.tap(button("fase2", "closeness", "close"), "fase2", "decision")
    await walk.number(button("fase2", "decision", "consent"), "fase2", "hub")
    await walk.say("Sanne", "fase2", "group")
    await walk.number(button("fase2", "group", "friends"), "fase2", "closeness")
    await walk.tap(button("fase2", "closeness", "middle"), "fase2", "decision")
    await walk.number(button("fase2", "decision", "undecided"), "fase2", "hub")
    await walk.number(button("fase2", "hub", "done"), "fase2", "done")

    await walk.say("!fase", "fase", "choose")
    await walk.number(txt.t(txt.flows["fase3"].title), "fase3", "choose")
    # Sanne was not discussed with the parent: the parents' don't-tip, and no approach.
    refused = await walk.number("Sanne", "fase3", "choose")
    behind_back = txt.t(txt.flows.tips()["f3.dont.behind_back"][1].text)
    assert plain(behind_back) in refused.body
    await walk.number("Oma", "fase3", "goal")
    await walk.say(GOAL, "fase3", "until")

    async with bot.runtime.turns.sessions() as session:  # type: ignore[union-attr]
        owned = (
            select(Case.id)
            .join(Practitioner, Practitioner.id == Case.owner_id)
            .where(Practitioner.external_key == matrix_key(els.user_id))
        )
        people = {
            p.name: p.decision
            for p in (
                await session.execute(select(Person).where(Person.case_id.in_(owned)))
            ).scalars()
        }
        approaches = (
            (
                await session.execute(
                    select(Agreement).where(Agreement.case_id.in_(owned), Agreement.phase == 3)
                )
            )
            .scalars()
            .all()
        )
    assert people == {"Oma": "yes", "Sanne": "open"}
    assert approaches == []  # nothing recorded before the approach is confirmed
