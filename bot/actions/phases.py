"""Where a family is in the phases: the menu's progress line and the /fase choices.

Progress is not stored twice: every case flow already keeps its conversation per family
(`scope = case:<id>`), `active` at the step where it was left or `done`. Reading that table
means the line in the menu can never disagree with where /fase resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.actions.common import active_open_case
from bot.engine.options import Option
from bot.engine.registry import Guard, registry
from bot.engine.render import escape, fill
from bot.engine.spec import Flow
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.store.repo import case_scope
from bot.store.status import ConversationStatus, counts_as_done

PHASES = (
    ("voorbereiden", N_("Prepare")),
    ("fase1", N_("Phase 1")),
    ("fase2", N_("Phase 2")),
    ("fase3", N_("Phase 3")),
    ("fase4", N_("Phase 4")),
)
"""The phase flows in order, with the short name the menu line uses."""
AT_STEP = N_("{name} (step {number}/{total})")

Status = Literal["done", "paused", "new"]


@dataclass(frozen=True)
class Progress:
    flow: Flow
    short: str
    status: Status
    number: int = 0
    total: int = 0

    def label(self, turn: Turn, name: str) -> str:
        """`name ✓` when done, `name (step 3/7)` when paused, plain `name` when not started."""
        if self.status == "done":
            return f"{name} ✓"
        if self.status == "paused":
            values = {"name": name, "number": str(self.number), "total": str(self.total)}
            return fill(turn.t(AT_STEP), values)
        return name


def _position(flow: Flow, step: str, trail: dict[str, Any]) -> tuple[int, int]:
    """The step number the flow itself shows; on a side step that is not counted (such as
    "wait with the network"), the last counted step behind it."""
    numbered = flow.numbered_steps()
    if step in numbered:
        number = numbered.index(step) + 1
    else:
        number = max(1, len({s for s in trail.get("steps", []) if s in numbered}))
    return min(number, len(numbered)), len(numbered)


async def case_progress(turn: Turn) -> list[Progress]:
    """Progress of each phase flow that exists, for the active case ([] without one)."""
    case = await active_open_case(turn)
    if case is None:
        return []
    convs = {
        row.flow: row
        for row in await turn.repo.flow_positions(turn.practitioner, case_scope(case.id))
    }
    found: list[Progress] = []
    for flow_id, short in PHASES:
        flow = turn.flows.flows.get(flow_id)
        if flow is None:
            continue
        conv = convs.get(flow_id)
        if conv is not None and counts_as_done(conv.status, conv.trail):
            found.append(Progress(flow, short, "done"))
        elif (
            conv is not None
            and conv.status == ConversationStatus.ACTIVE
            and conv.step in flow.steps
        ):
            number, total = _position(flow, conv.step, conv.trail)
            found.append(Progress(flow, short, "paused", number, total))
        else:
            found.append(Progress(flow, short, "new"))
    return found


@registry.view("phase_progress")
async def phase_progress(turn: Turn) -> dict[str, str]:
    """One short line for the menu: `Prepare ✓ · Phase 1 ✓ · Phase 2 (step 3/7) · Phase 3 –`."""
    parts = []
    for progress in await case_progress(turn):
        label = progress.label(turn, turn.t(progress.short))
        parts.append(label if progress.status != "new" else f"{label} –")
    return {"phase_progress": escape(" · ".join(parts))}


@registry.provider("phase_choices")
async def phase_choices(turn: Turn) -> list[Option]:
    """One button per phase, labelled with the flow's title and its progress; the key is
    the flow id, which the `chosen_<flow>` guards compare."""
    return [
        Option(p.flow.id, p.label(turn, turn.t(p.flow.title))) for p in await case_progress(turn)
    ]


def _chosen(flow_id: str) -> Guard:
    async def chosen(turn: Turn) -> bool:
        return turn.value == flow_id

    chosen.__doc__ = f"The practitioner picked {flow_id!r} in /fase."
    return chosen


for _flow_id, _ in PHASES:
    registry.guard(f"chosen_{_flow_id}")(_chosen(_flow_id))


@registry.action("phase_done")
async def phase_done(turn: Turn) -> None:
    """Everything of the phase is recorded: it counts as done from here (the menu shows ✓,
    and entering it again starts afresh), so a reminder offered after it is only an offer.
    A practitioner who leaves it unanswered has finished the phase all the same."""
    turn.conversation.status = ConversationStatus.DONE
