"""Load `flows/*.yaml` into `Flow` objects and refuse anything a running bot would trip on.

Every problem is reported as `file:line: message`, all at once, so a content author can
change a phase without reading Python. The same checks run at start-up, in the tests and in
`python -m bot flows check`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.engine.errors import FlowError, FlowErrors
from bot.engine.registry import Registry
from bot.engine.spec import (
    Branch,
    Button,
    Flow,
    FlowSet,
    Input,
    Options,
    Step,
    Tip,
    flow_msgids,
)
from bot.engine.yamlsource import LineDict, LineList, YamlSyntaxError, load_yaml

NAME = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
TIP_ID = re.compile(r"^[a-z0-9]+(\.[a-z0-9_]+)+$")
COMMAND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

FLOW_KEYS = {
    "flow",
    "title",
    "command",
    "description",
    "scope",
    "phase",
    "progress",
    "start",
    "tips",
    "steps",
    "rank",
    "resume",
}
STEP_KEYS = {
    "say",
    "buttons",
    "input",
    "options",
    "views",
    "card",
    "do",
    "dont",
    "back",
    "skip",
    "end",
    "counted",
    "run",
}
BRANCH_KEYS = {"when", "unless", "to", "flow", "run", "set", "say", "warn"}
BUTTON_BRANCH_KEYS = BRANCH_KEYS - {"when", "unless"}
"""On a button, `when` is the button's own guard (shown, and working, only then); guarded
branches of a button go in its `next`, and so does `unless`, which would read as the
opposite of `when` here."""
BUTTON_KEYS = {"id", "label", "next", "when"} | BUTTON_BRANCH_KEYS
INPUT_KEYS = {
    "save",
    "required",
    "min_length",
    "max_length",
    "pattern",
    "invalid",
    "next",
} | BRANCH_KEYS
OPTIONS_KEYS = {"from", "save", "empty", "next"} | BRANCH_KEYS
TIP_KEYS = {"id", "kind", "text", "phase"}
RESERVED_BUTTONS = {"back", "skip"}


class _Collector:
    """Gathers errors for one file instead of stopping at the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[FlowError] = []

    def add(self, line: int, message: str) -> None:
        self.errors.append(FlowError(self.path, line, message))


def _line(node: Any, key: str | None = None, default: int = 1) -> int:
    if isinstance(node, LineDict):
        if key is not None and key in node.key_lines:
            return node.key_lines[key]
        return node.line
    if isinstance(node, LineList):
        return node.line
    return default


def _strings(value: Any, err: _Collector, line: int, what: str) -> tuple[str, ...]:
    """A name or a list of names, as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    err.add(line, f"{what} must be a name or a list of names")
    return ()


def _unknown_keys(node: LineDict, allowed: set[str], err: _Collector, where: str) -> None:
    for key in node:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            err.add(node.key_lines[key], f"unknown key {key!r} in {where} (known: {known})")


def _text(node: LineDict, key: str, err: _Collector, *, required: bool = False) -> str | None:
    value = node.get(key)
    if value is None:
        if required:
            err.add(node.line, f"missing {key!r}")
        return None
    if not isinstance(value, str) or not value.strip():
        err.add(_line(node, key), f"{key!r} must be non-empty text")
        return None
    return value.strip()


def _branch(node: LineDict, err: _Collector, line: int, keys: set[str] = BRANCH_KEYS) -> Branch:
    setting = node.get("set") or {}
    pairs: list[tuple[str, str | int | bool | None]] = []
    if not isinstance(setting, dict):
        err.add(_line(node, "set"), "'set' must map names to values")
    else:
        for key, value in setting.items():
            if not isinstance(value, str | int | bool) and value is not None:
                err.add(_line(node, "set"), f"'set.{key}' must be a plain value")
            else:
                pairs.append((key, value))
    if node.get("to") is not None and node.get("flow") is not None:
        err.add(line, "a branch goes either 'to' a step or to another 'flow', not both")
    when = node.get("when") if "when" in keys else None
    return Branch(
        when=_strings(when, err, _line(node, "when"), "'when'"),
        unless=_strings(node.get("unless"), err, _line(node, "unless"), "'unless'"),
        to=node.get("to"),
        flow=node.get("flow"),
        run=_strings(node.get("run"), err, _line(node, "run"), "'run'"),
        set=tuple(pairs),
        say=_text(node, "say", err),
        warn=node.get("warn"),
        line=line,
    )


def _branches(
    node: LineDict, err: _Collector, where: str, keys: set[str] = BRANCH_KEYS
) -> tuple[Branch, ...]:
    """Either a `next:` list of branches or the branch keys inline, never both."""
    inline = {k for k in keys if k in node}
    nxt = node.get("next")
    if nxt is None:
        return (_branch(node, err, node.line, keys),)
    if inline - {"say"} and isinstance(nxt, list):
        found = ", ".join(sorted(inline))
        err.add(_line(node, "next"), f"{where} has both 'next' and {found}: put them in 'next'")
    if not isinstance(nxt, LineList) or not nxt:
        err.add(_line(node, "next"), "'next' must be a non-empty list of branches")
        return ()
    result: list[Branch] = []
    for item, item_line in zip(nxt, nxt.item_lines, strict=True):
        if not isinstance(item, LineDict):
            err.add(item_line, "a branch must be a mapping (when / to / run ...)")
            continue
        _unknown_keys(item, BRANCH_KEYS, err, "a branch")
        result.append(_branch(item, err, item_line))
    for branch in result[:-1]:
        if not branch.when and not branch.unless:
            err.add(branch.line, "only the last branch may be without 'when'/'unless'")
    if result and (result[-1].when or result[-1].unless):
        err.add(result[-1].line, "the last branch needs no 'when'/'unless': it is the fallback")
    return tuple(result)


def _int(node: LineDict, key: str, default: int, err: _Collector) -> int:
    value = node.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        err.add(_line(node, key), f"{key!r} must be a whole number >= 0")
        return default
    return value


def _step(name: str, node: Any, line: int, err: _Collector) -> Step | None:
    if not isinstance(node, LineDict):
        err.add(line, f"step {name!r} must be a mapping")
        return None
    _unknown_keys(node, STEP_KEYS, err, f"step {name!r}")
    buttons: list[Button] = []
    raw_buttons = node.get("buttons") or LineList()
    if not isinstance(raw_buttons, LineList):
        err.add(_line(node, "buttons"), "'buttons' must be a list")
        raw_buttons = LineList()
    seen: set[str] = set()
    for item, item_line in zip(raw_buttons, getattr(raw_buttons, "item_lines", []), strict=False):
        if not isinstance(item, LineDict):
            err.add(item_line, "a button must be a mapping with id and label")
            continue
        _unknown_keys(item, BUTTON_KEYS, err, "a button")
        bid = item.get("id")
        if not isinstance(bid, str) or not NAME.match(bid):
            err.add(item_line, "button 'id' must match [a-z][a-z0-9_]{0,19}")
            continue
        if bid in seen or bid in RESERVED_BUTTONS:
            err.add(item_line, f"duplicate or reserved button id {bid!r}")
        seen.add(bid)
        label = _text(item, "label", err, required=True) or bid
        branches = _branches(item, err, f"button {bid!r}", BUTTON_BRANCH_KEYS)
        when = _strings(item.get("when"), err, _line(item, "when"), "'when'")
        buttons.append(Button(bid, label, branches, item_line, when))

    inp: Input | None = None
    raw_input = node.get("input")
    if raw_input is not None:
        if not isinstance(raw_input, LineDict):
            err.add(_line(node, "input"), "'input' must be a mapping")
        else:
            _unknown_keys(raw_input, INPUT_KEYS, err, "'input'")
            pattern = raw_input.get("pattern")
            if pattern is not None:
                try:
                    re.compile(pattern)
                except (re.error, TypeError) as exc:
                    err.add(_line(raw_input, "pattern"), f"'pattern' is not a valid regex: {exc}")
                    pattern = None
            min_length = _int(raw_input, "min_length", 1, err)
            max_length = _int(raw_input, "max_length", 200, err)
            if max_length < min_length or max_length > 4000:
                err.add(_line(raw_input, "max_length"), "'max_length' must be within min..4000")
            inp = Input(
                save=raw_input.get("save"),
                branches=_branches(raw_input, err, "'input'"),
                required=bool(raw_input.get("required", True)),
                min_length=min_length,
                max_length=max_length,
                pattern=pattern,
                invalid=_text(raw_input, "invalid", err),
                line=raw_input.line,
            )

    opts: Options | None = None
    raw_opts = node.get("options")
    if raw_opts is not None:
        if not isinstance(raw_opts, LineDict) or not isinstance(raw_opts.get("from"), str):
            err.add(_line(node, "options"), "'options' needs 'from: <provider>'")
        else:
            _unknown_keys(raw_opts, OPTIONS_KEYS, err, "'options'")
            opts = Options(
                provider=raw_opts["from"],
                save=raw_opts.get("save"),
                branches=_branches(raw_opts, err, "'options'"),
                empty=_text(raw_opts, "empty", err),
                line=raw_opts.line,
            )

    card = node.get("card")
    if card is not None and (not isinstance(card, int) or not 1 <= card <= 4):
        err.add(_line(node, "card"), "'card' must be a phase number 1..4")
        card = None
    return Step(
        name=name,
        say=_text(node, "say", err),
        line=line,
        buttons=tuple(buttons),
        input=inp,
        options=opts,
        views=_strings(node.get("views"), err, _line(node, "views"), "'views'"),
        card=card,
        do=_strings(node.get("do"), err, _line(node, "do"), "'do'"),
        dont=_strings(node.get("dont"), err, _line(node, "dont"), "'dont'"),
        back=bool(node.get("back", False)),
        skip=node.get("skip"),
        end=node.get("end"),
        counted=bool(node.get("counted", True)),
        run=_strings(node.get("run"), err, _line(node, "run"), "'run'"),
    )


def _tips(raw: Any, err: _Collector) -> list[Tip]:
    if raw is None:
        return []
    if not isinstance(raw, LineList):
        err.add(_line(raw), "'tips' must be a list")
        return []
    tips: list[Tip] = []
    for item, line in zip(raw, raw.item_lines, strict=True):
        if not isinstance(item, LineDict):
            err.add(line, "a tip must be a mapping with id, kind and text")
            continue
        _unknown_keys(item, TIP_KEYS, err, "a tip")
        tid, kind, phase = item.get("id"), item.get("kind"), item.get("phase")
        if not isinstance(tid, str) or not TIP_ID.match(tid):
            err.add(line, "tip 'id' must look like f1.do.explain_why")
            continue
        if kind not in ("do", "dont"):
            err.add(_line(item, "kind"), "tip 'kind' must be do or dont")
            continue
        if phase is not None and (not isinstance(phase, int) or not 1 <= phase <= 4):
            err.add(_line(item, "phase"), "tip 'phase' must be 1..4")
            phase = None
        text = _text(item, "text", err, required=True) or tid
        tips.append(Tip(tid, kind, text, phase, line))
    return tips


def parse_flow(path: Path) -> tuple[Flow | None, list[FlowError]]:
    """Read one file into a `Flow`; references to other flows are checked in `validate`."""
    err = _Collector(path)
    try:
        raw = load_yaml(path)
    except YamlSyntaxError as exc:
        err.add(exc.line, f"not valid YAML: {exc}")
        return None, err.errors
    if not isinstance(raw, LineDict):
        err.add(1, "a flow file must be a mapping with 'flow', 'title', 'start' and 'steps'")
        return None, err.errors
    _unknown_keys(raw, FLOW_KEYS, err, "the flow")
    fid = raw.get("flow")
    if not isinstance(fid, str) or not NAME.match(fid):
        err.add(_line(raw, "flow"), "'flow' must be an id like fase1")
        return None, err.errors
    title = _text(raw, "title", err, required=True) or fid
    command = raw.get("command")
    if command is not None and (not isinstance(command, str) or not COMMAND.match(command)):
        err.add(_line(raw, "command"), "'command' must be lower case letters, digits or _")
        command = None
    description = _text(raw, "description", err, required=command is not None)
    scope = raw.get("scope", "practitioner")
    if scope not in ("practitioner", "case"):
        err.add(_line(raw, "scope"), "'scope' must be practitioner or case")
        scope = "practitioner"
    phase = raw.get("phase")
    if phase is not None and (not isinstance(phase, int) or not 1 <= phase <= 4):
        err.add(_line(raw, "phase"), "'phase' must be 1..4")
        phase = None
    resume = raw.get("resume", True)
    if not isinstance(resume, bool):
        err.add(_line(raw, "resume"), "'resume' must be true or false")
        resume = True
    steps: dict[str, Step] = {}
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, LineDict) or not raw_steps:
        err.add(_line(raw, "steps"), "'steps' must map step names to steps")
        raw_steps = LineDict()
        raw_steps.line, raw_steps.key_lines = 1, {}
    for name, node in raw_steps.items():
        line = raw_steps.key_lines[name]
        if not NAME.match(name):
            err.add(line, f"step name {name!r} must match [a-z][a-z0-9_]{{0,19}}")
            continue
        step = _step(name, node, line, err)
        if step is not None:
            steps[name] = step
    start = raw.get("start")
    if not isinstance(start, str):
        err.add(_line(raw, "start"), "missing 'start' (the first step)")
        start = next(iter(steps), "")
    flow = Flow(
        id=fid,
        path=path,
        line=raw.line,
        title=title,
        start=start,
        steps=steps,
        command=command,
        description=description,
        scope=scope,
        phase=phase,
        progress=bool(raw.get("progress", phase is not None)),
        rank=raw.get("rank", 100) if isinstance(raw.get("rank", 100), int) else 100,
        resume=resume,
        tips=tuple(_tips(raw.get("tips"), err)),
        order=tuple(steps),
    )
    return flow, err.errors


def _step_branches(step: Step) -> Iterator[Branch]:
    for button in step.buttons:
        yield from button.branches
    if step.input:
        yield from step.input.branches
    if step.options:
        yield from step.options.branches


def _check_flow(
    flow: Flow, flows: dict[str, Flow], registry: Registry, tips: dict[str, Tip], err: _Collector
) -> None:
    steps = flow.steps
    if flow.start not in steps:
        err.add(flow.line, f"'start' names unknown step {flow.start!r}")

    def known(names: Iterable[str], table: dict[str, Any], what: str, line: int) -> None:
        for name in names:
            if name not in table:
                err.add(line, f"unknown {what} {name!r}")

    for step in steps.values():
        known(step.views, registry.views, "view", step.line)
        for button in step.buttons:
            known(button.when, registry.guards, "guard", button.line)
        for kind, ids in (("do", step.do), ("dont", step.dont)):
            for tid in ids:
                tip = tips.get(tid)
                if tip is None:
                    err.add(step.line, f"unknown tip {tid!r}")
                elif tip.kind != kind:
                    err.add(step.line, f"tip {tid!r} is a {tip.kind!r}, listed under {kind!r}")
        if step.options:
            known([step.options.provider], registry.providers, "options provider", step.line)
        for branch in _step_branches(step):
            known(branch.when + branch.unless, registry.guards, "guard", branch.line)
            known(branch.run, registry.actions, "action", branch.line)
            if branch.to is not None and branch.to not in steps:
                err.add(branch.line, f"unknown step {branch.to!r}")
            if branch.flow is not None and branch.flow not in flows:
                err.add(branch.line, f"unknown flow {branch.flow!r}")
            if branch.warn is not None:
                tip = tips.get(branch.warn)
                if tip is None or tip.kind != "dont":
                    err.add(branch.line, f"'warn' must name a dont tip, not {branch.warn!r}")
        if step.skip is not None and step.skip not in steps:
            err.add(step.line, f"'skip' names unknown step {step.skip!r}")
        if step.end is not None and step.end not in flows:
            err.add(step.line, f"'end' names unknown flow {step.end!r}")
        known(step.run, registry.actions, "action", step.line)
        if step.run and step.end is None:
            err.add(step.line, "'run' on a step is for end steps; put it on a button or input")
        has_exit = step.buttons or step.input or step.options or step.end
        if not has_exit:
            err.add(step.line, f"dead end: step {step.name!r} has no buttons, input or 'end'")
        if step.end and (step.buttons or step.input or step.options):
            err.add(step.line, f"end step {step.name!r} cannot also wait for buttons or input")
        if step.card is not None and not any(t.phase == step.card for t in tips.values()):
            err.add(step.line, f"no tips for phase {step.card}")

    reached: set[str] = set()
    todo = [flow.start] if flow.start in steps else []
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        step = steps[name]
        nexts = [b.to for b in _step_branches(step) if b.to] + ([step.skip] if step.skip else [])
        todo.extend(n for n in nexts if n in steps)
    for name, step in steps.items():
        if name not in reached:
            err.add(step.line, f"unreachable step {name!r}: no way leads here from 'start'")


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
    for path in paths:
        flow, problems = parse_flow(path)
        errors.extend(problems)
        if flow is None:
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
        if flow.command:
            if flow.command in commands:
                msg = f"command /{flow.command} also used by flow {commands[flow.command].id!r}"
                errors.append(FlowError(flow.path, flow.line, msg))
            commands[flow.command] = flow
    for flow in flows.values():
        err = _Collector(flow.path)
        _check_flow(flow, flows, registry, tips, err)
        errors.extend(err.errors)
        if translated is not None:
            for path, line, msgid in flow_msgids(flow):
                if not translated(msgid):
                    errors.append(FlowError(path, line, f"no Dutch translation for {msgid!r}"))
    if errors:
        errors.sort(key=lambda e: (str(e.path), e.line))
        raise FlowErrors(errors)
    return FlowSet(flows)
