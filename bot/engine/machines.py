"""One `transitions` machine per flow, built once; a model per event, reused afterwards.

The machine holds the flow's structure (states, triggers, guarded transitions). For each
event the engine takes a `StepModel` that no other event is using, puts it at the
conversation's stored step, fires one trigger and gives it back. Attaching a model binds a
method per trigger and per step, which cost more than the transition itself, so models are
kept attached and reused: a machine holds as many as events ran on it at once, never more,
and nothing grows with the number of practitioners. Because an event has a model to
itself, `AsyncMachine`'s habit of cancelling a running transition when a second event
reaches the same model can never cancel another event's step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from transitions.extensions.asyncio import AsyncMachine

from bot.engine.registry import Registry
from bot.engine.spec import Branch, Flow
from bot.engine.turn import Turn

INPUT = "input"
OPTION = "option"


def button_trigger(button_id: str) -> str:
    return f"press_{button_id}"


class StepModel:
    """What the machine moves: the current step, the turn, and which branch was taken."""

    state: str

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self.branch: Branch | None = None


_IDLE = "netwerkcoach_idle_models"
"""Attribute of a machine: its attached models that no event is using."""


def _guard(registry: Registry, name: str) -> Callable[[Any], Coroutine[Any, Any, bool]]:
    guard = registry.guards[name]

    async def condition(event: Any) -> bool:
        return await guard(event.model.turn)

    condition.__name__ = f"guard_{name}"
    return condition


def _take(registry: Registry, branch: Branch) -> Callable[[Any], Coroutine[Any, Any, None]]:
    """Runs before the step changes: record the branch, its fixed values, then its actions.
    An action that raises `Reject` stops the transition; `bot.turns` then rolls back."""
    actions = [registry.actions[name] for name in branch.run]

    async def before(event: Any) -> None:
        model: StepModel = event.model
        model.branch = branch
        for key, value in branch.set:
            model.turn.data[key] = value
        for action in actions:
            await action(model.turn)

    return before


def build_machine(flow: Flow, registry: Registry) -> AsyncMachine:
    machine = AsyncMachine(
        model=None,
        states=list(flow.steps),
        initial=flow.start,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
        name=f"{flow.id}: ",
    )

    def add(trigger: str, source: str, branches: tuple[Branch, ...]) -> None:
        for branch in branches:
            machine.add_transition(
                trigger,
                source,
                branch.to,  # None: an internal transition, the step stays
                conditions=[_guard(registry, g) for g in branch.when],
                unless=[_guard(registry, g) for g in branch.unless],
                before=[_take(registry, branch)],
            )

    for step in flow.steps.values():
        for button in step.buttons:
            add(button_trigger(button.id), step.name, button.branches)
        if step.input:
            add(INPUT, step.name, step.input.branches)
        if step.options:
            add(OPTION, step.name, step.options.branches)
    return machine


async def fire(machine: AsyncMachine, turn: Turn, step: str, trigger: str) -> StepModel:
    """Put an idle model (or a newly attached one) at `step`, fire `trigger`, and give the
    model back. Returns the outcome as a model of its own: its `state` is the new step and
    its `branch` the branch taken (None if no guard let anything pass)."""
    idle: list[StepModel] = machine.__dict__.setdefault(_IDLE, [])
    if idle:
        model = idle.pop()
        model.turn, model.branch = turn, None
        machine.set_state(step, model=model)
    else:
        model = StepModel(turn)
        machine.add_model(model, initial=step)
    try:
        await model.trigger(trigger)  # type: ignore[attr-defined]
    finally:
        result = StepModel(turn)
        result.state, result.branch = model.state, model.branch
        del model.turn  # an idle model keeps no turn (nor its session) alive
        model.branch = None
        idle.append(model)
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        # AsyncMachine swallows a CancelledError raised in a guard or an action and reports
        # "no transition"; the engine would then commit half a turn. Cancel the turn instead.
        raise asyncio.CancelledError
    return result
