"""One family through /voorbereiden and the four phases, through the real Telegram stack.

The parents' tips have stable ids, but the practitioner only ever sees their Dutch text.
So each id is mapped to its translation, and a tip counts as shown only when that text
appeared in a bot message (sent or edited) while the practitioner was in the tip's phase.
The /tips cards are never opened here: only what the phase flows themselves say counts.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.engine.messages import EMPTY
from bot.store.db import make_engine, make_sessionmaker
from bot.store.models import Agreement, Person
from tests.support.onboarding import onboard_user
from tests.support.stub_bot_api import BotOutput, SimUser, StubBotAPI
from tests.support.telegram import Texts
from tests.support.walk import owned_cases

pytestmark = pytest.mark.e2e

SHOWN_BY = ("sendMessage", "editMessageText")
WISH = "Oma en de buurvrouw mogen meedenken"
GOAL = "Haalt de kinderen op woensdag, zodat moeder kan werken"


class Walk:
    """One practitioner's chat, with every step checked and every output kept per phase."""

    def __init__(self, user: SimUser, txt: Texts) -> None:
        self.user = user
        self.txt = txt
        self.phase: int | None = None
        self.start = 0
        self.seen: dict[int, list[BotOutput]] = {1: [], 2: [], 3: [], 4: []}

    def enter(self, phase: int) -> None:
        """From here on, what the bot shows belongs to `phase`."""
        self.leave()
        self.phase, self.start = phase, len(self.user.outputs)

    def leave(self) -> None:
        if self.phase is not None:
            self.seen[self.phase].extend(self.user.outputs[self.start :])
        self.phase = None

    async def step(self, action: Awaitable[object], flow: str, step: str) -> BotOutput:
        """Do `action` and expect the one reply showing `step` of `flow`."""
        await action
        out = await self.user.reply()
        expected = self.txt.first_line(flow, step)
        assert expected in (out.text or ""), f"expected {flow}.{step}: {out.describe()}"
        return out

    async def press(self, flow: str, step: str, button: str, to: tuple[str, str]) -> BotOutput:
        return await self.step(self.user.press(self.txt.button(flow, step, button)), *to)

    async def open_phase(self, flow: str, phase: int) -> BotOutput:
        """/fase, then the button of `flow` (its label carries the title and progress)."""
        choose = await self.step(self.user.send("/fase"), "fase", "choose")
        title = self.txt.t(self.txt.flows[flow].title)
        [label] = [b for b in choose.flat_buttons if title in b]
        self.enter(phase)
        first = self.txt.flows[flow].start
        return await self.step(self.user.press(label), flow, first)


def shown_tips(txt: Texts, phase: int, outputs: list[BotOutput]) -> set[str]:
    """Ids of the tips of `phase` whose Dutch text is in one of `outputs`."""
    texts = [(o.plain_text or "", o.text or "") for o in outputs if o.method in SHOWN_BY]
    found: set[str] = set()
    for tip_id, (_flow, tip) in txt.flows.tips().items():
        dutch = txt.t(tip.text)
        if tip.phase == phase and any(
            dutch in plain or html.escape(dutch, quote=False) in raw for plain, raw in texts
        ):
            found.add(tip_id)
    return found


async def test_one_case_through_all_phases_shows_every_tip_in_its_phase(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(2001)
    await onboard_user(user, txt, "Gezin P.")
    walk = Walk(user, txt)

    # --- /voorbereiden (phase 1) ---------------------------------------------------------
    walk.enter(1)
    why = await walk.step(user.send("/voorbereiden"), "voorbereiden", "why")
    assert why.method == "sendMessage"
    sentence = await walk.press("voorbereiden", "why", "done", ("voorbereiden", "sentence"))
    assert sentence.method == "editMessageText"  # a button press edits the message in place
    assert sentence.message_id == why.message_id
    await walk.step(
        user.send("Ik ben hier maar even; jullie mensen blijven."), "voorbereiden", "join"
    )
    await walk.press("voorbereiden", "join", "done", ("voorbereiden", "listen"))
    await walk.press("voorbereiden", "listen", "done", ("voorbereiden", "vulnerable"))
    await walk.press("voorbereiden", "vulnerable", "done", ("voorbereiden", "trust"))
    await walk.press("voorbereiden", "trust", "done", ("voorbereiden", "summary"))
    await walk.press("voorbereiden", "summary", "save", ("voorbereiden", "remind"))
    await walk.press("voorbereiden", "remind", "decline", ("voorbereiden", "saved"))

    # --- fase 1 ----------------------------------------------------------------------------
    await walk.open_phase("fase1", 1)
    await walk.step(user.send(WISH), "fase1", "join")
    await walk.press("fase1", "join", "accepted", ("fase1", "trust"))
    await walk.press("fase1", "trust", "later", ("fase1", "later"))
    walk.leave()

    # --- fase 2: the parent first names no one, then Oma (yes) and Juf (not discussed) ----
    await walk.open_phase("fase2", 2)
    await walk.press("fase2", "start", "nobody", ("fase2", "no_network"))
    await walk.press("fase2", "no_network", "add", ("fase2", "name"))
    await walk.step(user.send("Oma, haalt de kinderen op"), "fase2", "closeness")
    await walk.press("fase2", "closeness", "close", ("fase2", "decision"))
    await walk.press("fase2", "decision", "consent", ("fase2", "hub"))
    await walk.step(user.send("Juf, vrienden, ertussenin"), "fase2", "decision")
    await walk.press("fase2", "decision", "undecided", ("fase2", "hub"))
    await walk.press("fase2", "hub", "done", ("fase2", "done"))
    walk.leave()

    # --- fase 3: Juf is refused with the don't-warning; Oma is approached ----------------
    choose = await walk.open_phase("fase3", 3)
    [juf] = [b for b in choose.flat_buttons if "Juf" in b]
    [oma] = [b for b in choose.flat_buttons if "Oma" in b]
    refused = await walk.step(user.press(juf), "fase3", "choose")
    behind_back = txt.t(txt.flows.tips()["f3.dont.behind_back"][1].text)
    assert behind_back in (refused.plain_text or ""), refused.describe()
    await walk.step(user.press(oma), "fase3", "goal")
    empty = await walk.step(user.send("   "), "fase3", "goal")  # the goal is required
    assert txt.t(EMPTY) in (empty.text or ""), empty.describe()
    await walk.step(user.send(GOAL), "fase3", "until")
    await walk.step(user.send("tot de zomervakantie"), "fase3", "tasks")
    follow_up = await walk.step(user.send("ouder: vraagt oma eerst"), "fase3", "follow_up")
    [week] = [b for b in follow_up.flat_buttons if b.startswith(txt.t("In a week"))]
    await walk.step(user.press(week), "fase3", "choose")
    await walk.press("fase3", "choose", "done", ("menu", "main"))
    walk.leave()

    # --- fase 4 ----------------------------------------------------------------------------
    await walk.open_phase("fase4", 4)
    await walk.step(user.send("Het gaat beter, oma helpt mee"), "fase4", "place")
    await walk.step(user.send("We staan er niet meer alleen voor"), "fase4", "meaning")
    await walk.step(user.send("Dat oma blijft helpen op woensdag"), "fase4", "signal")
    await walk.step(user.send("De kinderen komen te laat op school"), "fase4", "who")
    await walk.step(user.send("oma"), "fase4", "how")
    await walk.step(user.send("Moeder belt oma die avond"), "fase4", "expect")
    await walk.step(user.send("oma: komt op woensdag"), "fase4", "expect")
    await walk.press("fase4", "expect", "next", ("fase4", "check_in"))
    await walk.step(user.send("over 2 weken: moeder bellen"), "fase4", "check_in")
    await walk.press("fase4", "check_in", "finish", ("fase4", "remind"))
    await walk.press("fase4", "remind", "accept", ("fase4", "done"))
    walk.leave()

    # --- every tip, by id, in its own phase --------------------------------------------------
    shown = {phase: shown_tips(txt, phase, outputs) for phase, outputs in walk.seen.items()}
    everything = set(txt.flows.tips())
    assert len(everything) == 22
    missing = everything - set().union(*shown.values())
    assert not missing, f"tips never shown in their phase: {sorted(missing)}"

    # --- nothing about Juf was recorded in phase 3 ----------------------------------------
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            case_ids = owned_cases(user.user_id)
            found = await session.execute(select(Person).where(Person.case_id.in_(case_ids)))
            people = {p.name: p for p in found.scalars()}
            agreed = await session.execute(
                select(Agreement).where(Agreement.case_id.in_(case_ids), Agreement.phase == 3)
            )
            phase3 = list(agreed.scalars())
    finally:
        await engine.dispose()
    assert phase3, "the approach of Oma should be recorded"
    assert {a.person_id for a in phase3} == {people["Oma"].id}
    assert not [a for a in phase3 if a.person_id == people["Juf"].id]
    assert people["Juf"].approached_at is None
