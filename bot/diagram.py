"""Mermaid state diagrams of the flows, so content authors and reviewers can see a flow's
shape without reading its YAML (GitHub and most Markdown viewers render `.mmd` blocks).

Mermaid's state-diagram grammar is strict about a few things, which shape the code below:
a transition label ends at `:`, `;` or a newline; some words (`default`, `state`, `note`,
`class`, ...) cannot start a state id; and every `-->` with `[*]` on the right goes to the
same end node.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.engine.render import SKIP_LABEL
from bot.engine.spec import Branch, Flow, Step

Translate = Callable[[str], str]

_KEYWORD = re.compile(r"(?i)^(default|state|note|class|scale|hide|direction|end)")
FLOW_CLASS = "flow"


def mermaid(flow: Flow, translate: Translate) -> str:
    """The whole diagram of one flow: steps as states, one edge per branch."""
    lines = ["stateDiagram-v2", f"    %% {flow.path.name}, drawn by: python -m bot flows diagram"]
    lines += [f"    {line}" for line in _declarations(flow)]
    lines.append(f"    [*] --> {_state(flow.start)}")
    for step in (flow.steps[name] for name in flow.order):
        for source, target, label in _edges(step, translate):
            lines.append(f"    {source} --> {target}" + (f" : {label}" if label else ""))
    others = sorted({b.flow for step in flow.steps.values() for b in step.branches() if b.flow})
    for other in others:
        lines.append(f'    state "→ {other}" as {_flow_state(other)}')
    if others:
        lines.append(f"    classDef {FLOW_CLASS} font-style:italic,stroke-dasharray:4 4")
        lines.append(f"    class {','.join(map(_flow_state, others))} {FLOW_CLASS}")
    return "\n".join(lines) + "\n"


def _declarations(flow: Flow) -> Iterator[str]:
    """Name the states whose ids had to be changed, so the picture still shows the step."""
    for name in flow.order:
        if _state(name) != name:
            yield f'state "{name}" as {_state(name)}'


def _edges(step: Step, translate: Translate) -> Iterator[tuple[str, str, str]]:
    """(source, target, label) for every way out of `step`."""
    source = _state(step.name)
    if step.end is not None:
        yield source, "[*]", _text(f"→ {step.end}")
        return
    for button in step.buttons:
        shown = f" (if {' and '.join(button.when)})" if button.when else ""
        yield from _branch_edges(source, translate(button.label) + shown, button.branches)
    if step.input is not None:
        what = f"text → {step.input.save}" if step.input.save else "text"
        yield from _branch_edges(source, f"({what})", step.input.branches)
    if step.options is not None:
        yield from _branch_edges(
            source, f"(choice from {step.options.provider})", step.options.branches
        )
    if step.skip is not None:
        yield source, _state(step.skip), _text(translate(SKIP_LABEL))


def _branch_edges(
    source: str, trigger: str, branches: tuple[Branch, ...]
) -> Iterator[tuple[str, str, str]]:
    guarded = False
    for branch in branches:
        conditions = [*branch.when, *(f"not {name}" for name in branch.unless)]
        if not conditions and guarded:
            conditions = ["else"]
        guarded = guarded or bool(branch.when or branch.unless)
        label = trigger
        if conditions:
            label += f" [{' and '.join(conditions)}]"
        if branch.run:
            label += f" / {', '.join(branch.run)}"
        if branch.flow is not None:
            target = _flow_state(branch.flow)
        else:
            target = _state(branch.to) if branch.to is not None else source
        yield source, target, _text(label)


def _state(name: str) -> str:
    return f"{name}_" if _KEYWORD.match(name) else name


def _flow_state(flow_id: str) -> str:
    """Upper case: step names are lower case, so this can never collide with a step."""
    return f"Flow_{flow_id}"


def _text(text: str) -> str:
    """One line without the characters that end a Mermaid label early."""
    text = " ".join(text.split())
    return text.replace(":", "∶").replace(";", ",").replace('"', "'")
