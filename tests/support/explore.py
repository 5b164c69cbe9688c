"""Walk every flow to every step a practitioner can stop at, guided by the flow files.

Hand-written walkthroughs cover the paths someone thought of; this covers the steps the
flows declare. For each flow the explorer plans, on the flow's own graph (buttons, typed
input, choices and skips, each branch's `to`), the shortest way from where the
practitioner is to a step not reached yet, takes the first move and reads back where it
landed. Guards decide at run time, so a move that did not land where it was planned to is
not planned again from that step. When nothing new can be reached, the flow is started
again, and once more with a new family, because some steps need one without history ("the
parent names no one" needs an empty network map) or a second one (switching families).
Afterwards the first family is made active again: later phases build on its history.

`on_step(chat, flow, step)` runs the first time each step is reached, with the
practitioner resting there (the turn committed). End steps are not resting places: they
say their line and hand over to the next flow in the same turn.

    explorer = Explorer(flows, lambda: engine, on_step)
    await explorer.run()
    assert explorer.missing() == {}
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select

from bot.engine.events import Identity
from bot.engine.spec import Flow, FlowSet
from bot.store.models import Case, Person
from bot.turns import Turns
from tests.support.chat import Chat, Where
from tests.support.flows import enter

ONBOARDING, CASES, NEW_CASE, SWITCH = "onboarding", "cases", "new", "switch"
ANSWERS = ("oma", "opa", "buurvrouw", "juf", "tante", "oom", "neef", "buurman", "trainer", "Sanne")
"""Typed answers: roles, as the bot asks, and one first name; they pass as labels, names
and notes alike. A role on the network map tells its group, a first name does not, so
the step that asks for the group is reached by the name."""

REFUSED_FOR = frozenset({"fase4"})
"""Flows with a step only someone the parent refused leads to (fase 4's "keep them, or
name someone else?")."""

OnStep = Callable[[Chat, str, str], Awaitable[None]]


@dataclass(frozen=True)
class Edge:
    """A move (`b:<id>`, `o:` for the first choice, `skip`, or `text`) and where the flow
    file says it may lead."""

    move: str
    target: str


def edges(flow: Flow, name: str) -> list[Edge]:
    step = flow.step(name)
    found = [
        Edge(f"b:{button.id}", branch.to)
        for button in step.buttons
        for branch in button.branches
        if branch.to
    ]
    if step.input is not None:
        found += [Edge("text", b.to) for b in step.input.branches if b.to]
    if step.options is not None:
        found += [Edge("o:", b.to) for b in step.options.branches if b.to]
    if step.skip:
        found.append(Edge("skip", step.skip))
    return [e for e in found if e.target != name and not flow.step(e.target).is_end]


def plan(flow: Flow, start: str, wanted: set[str], failed: set[tuple[str, Edge]]) -> Edge | None:
    """The first move of a shortest path from `start` to any step in `wanted`."""
    first: dict[str, Edge | None] = {start: None}
    queue = deque([start])
    while queue:
        name = queue.popleft()
        if name in wanted and name != start:
            return first[name]
        for edge in edges(flow, name):
            if (name, edge) in failed or edge.target in first:
                continue
            first[edge.target] = first[name] or edge
            queue.append(edge.target)
    return None


class Explorer:
    def __init__(
        self,
        flows: FlowSet,
        engine: Callable[[], Turns],
        on_step: OnStep,
        language: str = "nl",
    ) -> None:
        self.flows = flows
        self.language = language
        """The language the explorer's practitioners' apps report (so: speak)."""
        self.engine = engine
        """The current engine: `on_step` may replace it (a restart) between two moves."""
        self.on_step = on_step
        self.seen: dict[str, set[str]] = {flow.id: set() for flow in flows}
        self.failed: dict[str, set[tuple[str, Edge]]] = {flow.id: set() for flow in flows}
        self.moves = 0
        self.tries: Counter[tuple[str, str, Edge]] = Counter()
        self._numbers = itertools.count(1)
        self._answers = itertools.count()
        self.chat = self._new_chat()

    def missing(self) -> dict[str, list[str]]:
        """Steps never reached, per flow (end steps excepted)."""
        return {flow.id: sorted(self._wanted(flow)) for flow in self.flows if self._wanted(flow)}

    def order(self) -> list[Flow]:
        """Onboarding, then the practitioner's flows, then the case flows phase by phase
        (fase 3 approaches the people fase 2 put on the map)."""
        return sorted(
            self.flows,
            key=lambda f: (f.id != ONBOARDING, f.scope == "case", f.phase or 99, f.rank, f.id),
        )

    async def run(self) -> None:
        for flow in self.order():
            await self.explore(flow)

    # --- one flow ------------------------------------------------------------------------

    async def explore(self, flow: Flow) -> None:
        retried = flow.id == ONBOARDING  # a new practitioner each time already
        home = await self._family()
        if flow.id in REFUSED_FOR:
            await self._refuse_one()
        while self._wanted(flow):
            if await self._open(flow) and await self._walk(flow):
                # What failed before may work now (a person approached makes "how is it
                # going?" possible); each such round reached a new step, so this ends.
                self.failed[flow.id].clear()
                continue
            if retried:
                break
            retried = True
            await self._new_case()
            self.failed[flow.id].clear()
        if home is not None and await self._family() != home:
            await self._switch_to(home)  # later phases build on this family's history

    def _wanted(self, flow: Flow) -> set[str]:
        return {n for n, s in flow.steps.items() if not s.is_end} - self.seen[flow.id]

    async def _walk(self, flow: Flow) -> bool:
        """From the flow's start towards steps not reached yet; whether any was reached."""
        at = await self._where()
        if at is None or at.flow != flow.id or at.step is None:
            return False
        gained = await self._visit(flow, at.step)
        while wanted := self._wanted(flow):
            edge = plan(flow, at.step, wanted, self.failed[flow.id])
            if edge is None:
                break
            if not await self._take(edge.move):
                self.failed[flow.id].add((at.step, edge))
                continue
            now = await self._where()
            if now is None or now.flow != flow.id or now.step is None:
                self.failed[flow.id].add((at.step, edge))
                break
            if now.step != edge.target and self._given_up(flow, at.step, edge):
                self.failed[flow.id].add((at.step, edge))
            at = now
            gained = await self._visit(flow, now.step) or gained
        return gained

    def _given_up(self, flow: Flow, step: str, edge: Edge) -> bool:
        """Whether a move that landed elsewhere is not worth planning again: a button
        lands where it lands, but what typing leads to depends on the answer, so a typed
        move is tried with every answer first."""
        self.tries[(flow.id, step, edge)] += 1
        return edge.move != "text" or self.tries[(flow.id, step, edge)] >= len(ANSWERS)

    async def _visit(self, flow: Flow, step: str) -> bool:
        if step in self.seen[flow.id]:
            return False
        self.seen[flow.id].add(step)
        await self.on_step(self.chat, flow.id, step)
        return True

    async def _take(self, move: str) -> bool:
        """Make the move with the last reply's buttons; False if it is not offered."""
        self.moves += 1
        if move == "text":
            await self.chat.text(ANSWERS[next(self._answers) % len(ANSWERS)])
            return True
        signer = self.chat.engine.renderer.signer
        for button in self.chat.buttons:
            code = (signer.verify(self.chat.who.key, button.data) or "").partition(":")[2]
            if code == move or (move == "o:" and code.startswith("o:")):
                await self.chat.press_data(button.data)
                return True
        return False

    async def _where(self) -> Where | None:
        try:
            return await self.chat.where()
        except AssertionError:  # the practitioner deleted all their data (/vergeet)
            return None

    # --- getting into a flow -------------------------------------------------------------

    async def _open(self, flow: Flow) -> bool:
        """Put the practitioner at the start of `flow`; False if that cannot be done."""
        if flow.id == ONBOARDING:
            self.chat = self._new_chat()
            await self.chat.command("start")
            at = await self._where()
            return at is not None and at.flow == ONBOARDING
        await self._ready()
        for _ in range(3):
            await self._enter(flow)
            at = await self._where()
            if at is None:
                return False
            if at.flow == flow.id and at.step == flow.start:
                return True
            if at.flow == flow.id:  # resumed half-way: stop that, then start afresh
                await self.chat.command("annuleer")
            elif flow.scope == "case":  # no open family any more
                await self._new_case()
            else:
                return False
        return False

    async def _enter(self, flow: Flow) -> None:
        if flow.command:
            await self.chat.command(flow.command)
        elif flow.phase is not None:
            await enter(self.chat, flow.id)
        else:
            raise LookupError(f"no way into flow {flow.id!r}: no command and no phase")

    async def _ready(self) -> None:
        """An onboarded practitioner with an open active family (a walk may have deleted
        the family, or all of the practitioner's data)."""
        p = await self.chat.practitioner()
        if p is None or not p.onboarded:
            self.chat = self._new_chat()
            await self._onboard()
        p = await self.chat.practitioner()
        if p is None or p.active_case_id is None:
            await self._new_case()

    async def _onboard(self) -> None:
        await self.chat.command("start")
        onboarding = self.flows[ONBOARDING]
        for _ in range(len(onboarding.steps)):
            at = await self._where()
            if at is None or at.flow != ONBOARDING or at.step is None:
                return
            step = onboarding.step(at.step)
            move = "text" if step.input is not None else f"b:{step.buttons[0].id}"
            await self._take(move)

    async def _refuse_one(self) -> None:
        """The parent says no to someone on the active family's map (whose name is one of
        ANSWERS, so typing reaches them): a step of REFUSED_FOR needs such a person, and
        no walk of fase 2 presses "No" (every decision leads to the same step)."""
        p = await self.chat.practitioner()
        if p is None or p.active_case_id is None:
            return
        async with self.chat.engine.sessions() as session, session.begin():
            found = await session.execute(select(Person).where(Person.case_id == p.active_case_id))
            answers = {answer.casefold() for answer in ANSWERS}
            named = [person for person in found.scalars() if person.name.casefold() in answers]
            if named and not any(person.decision == "no" for person in named):
                named[-1].decision = "no"

    async def _new_case(self) -> None:
        await self.chat.command(self.flows[CASES].command or CASES)
        await self._take(f"b:{NEW_CASE}")
        await self.chat.text(f"Gezin {next(self._numbers)}")

    async def _switch_to(self, label: str) -> None:
        """Make the family labelled `label` the active one again, if it still exists."""
        await self.chat.command(self.flows[CASES].command or CASES)
        if await self._take(f"b:{SWITCH}"):
            found = [b for b in self.chat.buttons if b.label == label]
            if found:
                await self.chat.press_data(found[0].data)

    async def _family(self) -> str | None:
        """The label of the practitioner's active family, if any."""
        p = await self.chat.practitioner()
        if p is None or p.active_case_id is None:
            return None
        async with self.chat.engine.sessions() as session:
            case = await session.get(Case, p.active_case_id)
            return case.label if case is not None and case.status == "open" else None

    def _new_chat(self) -> Chat:
        return Chat(self.engine(), Identity(f"explore:{next(self._numbers)}", self.language))
