"""Load `flows/*.yaml` into `Flow` objects and refuse anything a running bot would trip on.

Every problem is reported as `file:line: message`, all at once, so a content author can
change a phase without reading Python. The same checks run at start-up, in the tests and in
`python -m bot flows check`. The shape of each file is declared in `schema/`; what only
all flows together can tell (does this step, flow, guard, action or tip exist? can every
step be reached?) is checked here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.engine.errors import FlowError, FlowErrors
from bot.engine.registry import Registry
from bot.engine.schema.messages import shape_problems
from bot.engine.schema.shapes import FlowShape
from bot.engine.spec import ENGINE_COMMANDS, Flow, FlowSet, Tip, flow_msgids
from bot.engine.yamlsource import YamlSyntaxError, load_yaml


def parse_flow(path: Path) -> tuple[Flow | None, list[FlowError]]:
    """Read one file into a `Flow`; references to other flows are checked in `load_flows`.

    A file whose shape is wrong gives no `Flow`, only its problems (all of them).
    """
    flow, _flow_id, problems = _read(path)
    return flow, problems


def _read(path: Path) -> tuple[Flow | None, str | None, list[FlowError]]:
    """The flow, its id (readable even when the rest is wrong), and the problems."""
    try:
        raw = load_yaml(path)
    except YamlSyntaxError as exc:
        return None, None, [FlowError(path, exc.line, f"not valid YAML: {exc}")]
    flow_id = raw.get("flow") if isinstance(raw, dict) else None
    try:
        shape = FlowShape.model_validate(raw)
    except ValidationError as exc:
        problems = [FlowError(path, line, msg) for line, msg in shape_problems(exc, raw, FlowShape)]
        return None, flow_id if isinstance(flow_id, str) else None, problems
    return shape.flow_spec(path), shape.flow, []


def _check_flow(
    flow: Flow, flow_ids: Collection[str], registry: Registry, tips: dict[str, Tip]
) -> Iterator[tuple[int, str]]:
    """What the shape cannot tell: whether every name the flow uses exists, and whether
    every step can be reached and left. Yields (line, message)."""
    steps = flow.steps
    if flow.start not in steps:
        yield flow.line, f"'start' names unknown step {flow.start!r}"

    def known(
        names: Iterable[str], table: dict[str, Any], what: str, line: int
    ) -> Iterator[tuple[int, str]]:
        for name in names:
            if name not in table:
                yield line, f"unknown {what} {name!r}"

    for step in steps.values():
        yield from known(step.views, registry.views, "view", step.line)
        for button in step.buttons:
            yield from known(button.when, registry.guards, "guard", button.line)
        for kind, ids in (("do", step.do), ("dont", step.dont)):
            for tid in ids:
                tip = tips.get(tid)
                if tip is None:
                    yield step.line, f"unknown tip {tid!r}"
                elif tip.kind != kind:
                    yield step.line, f"tip {tid!r} is a {tip.kind!r}, listed under {kind!r}"
        if step.options:
            yield from known(
                [step.options.provider], registry.providers, "options provider", step.line
            )
        if step.input:
            yield from known([step.input.holds], registry.texts, "text check", step.input.line)
        for branch in step.branches():
            yield from known(branch.when + branch.unless, registry.guards, "guard", branch.line)
            yield from known(branch.run, registry.actions, "action", branch.line)
            if branch.to is not None and branch.to not in steps:
                yield branch.line, f"unknown step {branch.to!r}"
            if branch.flow is not None and branch.flow not in flow_ids:
                yield branch.line, f"unknown flow {branch.flow!r}"
            if branch.warn is not None:
                tip = tips.get(branch.warn)
                if tip is None or tip.kind != "dont":
                    yield branch.line, f"'warn' must name a dont tip, not {branch.warn!r}"
        if step.skip is not None and step.skip not in steps:
            yield step.line, f"'skip' names unknown step {step.skip!r}"
        if step.end is not None and step.end not in flow_ids:
            yield step.line, f"'end' names unknown flow {step.end!r}"
        yield from known(step.run, registry.actions, "action", step.line)
        if step.run and step.end is None:
            yield step.line, "'run' on a step is for end steps; put it on a button or input"
        has_exit = step.buttons or step.input or step.options or step.end
        if not has_exit:
            yield step.line, f"dead end: step {step.name!r} has no buttons, input or 'end'"
        if step.end and (step.buttons or step.input or step.options):
            yield step.line, f"end step {step.name!r} cannot also wait for buttons or input"
        if step.card is not None and not any(t.phase == step.card for t in tips.values()):
            yield step.line, f"no tips for phase {step.card}"

    reached: set[str] = set()
    todo = [flow.start] if flow.start in steps else []
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        step = steps[name]
        nexts = [b.to for b in step.branches() if b.to] + ([step.skip] if step.skip else [])
        todo.extend(n for n in nexts if n in steps)
    for name, step in steps.items():
        if name not in reached:
            yield step.line, f"unreachable step {name!r}: no way leads here from 'start'"


def load_flows(
    directory: Path, registry: Registry, translated: Callable[[str], bool] | None = None
) -> FlowSet:
    """Load and validate every `*.yaml` in `directory`; raise `FlowErrors` listing all problems.

    `translated(msgid)` says whether the Dutch catalog has a finished translation; when
    given, every text of every flow must pass it.
    """
    errors: list[FlowError] = []
    flows: dict[str, Flow] = {}
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise FlowErrors([FlowError(directory, 0, "no flow files (*.yaml) here")])
    unread: set[str] = set()
    """Ids of flows whose shape is wrong: other flows may still lead there."""
    for path in paths:
        flow, flow_id, problems = _read(path)
        errors.extend(problems)
        if flow is None:
            unread |= {flow_id} if flow_id else set()
            continue
        if flow.id in flows:
            other = flows[flow.id]
            errors.append(FlowError(path, flow.line, f"flow id {flow.id!r} also in {other.path}"))
            continue
        flows[flow.id] = flow

    tips: dict[str, Tip] = {}
    commands: dict[str, Flow] = {}
    for flow in flows.values():
        for tip in flow.tips:
            if tip.id in tips:
                errors.append(FlowError(flow.path, tip.line, f"duplicate tip id {tip.id!r}"))
            tips[tip.id] = tip
        for name in set(flow.command_names()):
            if name in ENGINE_COMMANDS:
                msg = f"command /{name} is the engine's own"
                errors.append(FlowError(flow.path, flow.line, msg))
            elif name in commands:
                msg = f"command /{name} also used by flow {commands[name].id!r}"
                errors.append(FlowError(flow.path, flow.line, msg))
            commands[name] = flow
    for flow in flows.values():
        for line, message in _check_flow(flow, flows.keys() | unread, registry, tips):
            errors.append(FlowError(flow.path, line, message))
        if translated is not None:
            for path, line, msgid in flow_msgids(flow):
                if not translated(msgid):
                    errors.append(FlowError(path, line, f"no Dutch translation for {msgid!r}"))
    if errors:
        errors.sort(key=lambda e: (str(e.path), e.line))
        raise FlowErrors(errors)
    return FlowSet(flows)
