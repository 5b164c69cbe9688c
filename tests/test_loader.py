"""The flow loader and validator: every mistake an author can make is reported as
`file:line: message`, all of them at once; the real flows load."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bot.actions  # noqa: F401 - fills the application registry
from bot.config import PROJECT_ROOT
from bot.engine.errors import FlowErrors
from bot.engine.loader import load_flows
from bot.engine.registry import Registry, registry
from bot.engine.schema.shapes import STEP_KEYS, FlowShape
from bot.engine.spec import FlowSet


def fresh_registry() -> Registry:
    """One guard, action, provider, view and text check, each doing nothing."""
    reg = Registry()

    async def ready(turn: Any) -> bool:
        return True

    async def note(turn: Any) -> None:
        return None

    async def things(turn: Any) -> list[Any]:
        return []

    async def info(turn: Any) -> dict[str, str]:
        return {}

    reg.guard("ready")(ready)
    reg.action("note")(note)
    reg.provider("things")(things)
    reg.view("info")(info)
    reg.text("note")(lambda text: None)
    return reg


def write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def load(directory: Path, translated: Callable[[str], bool] | None = None) -> FlowSet:
    return load_flows(directory, fresh_registry(), translated)


def errors(directory: Path, translated: Callable[[str], bool] | None = None) -> list[str]:
    with pytest.raises(FlowErrors) as info:
        load(directory, translated)
    return [str(error) for error in info.value.errors]


VALID = """
    flow: main
    title: Main
    start: first
    steps:
      first:
        say: Hello
        buttons:
          - id: go
            label: Go
            run: note
            to: last
      last:
        say: Bye
        end: main
"""

TIP = """
    tips:
      - id: f1.do.listen
        kind: do
        phase: 1
        text: Listen first.
        short: Listen.
"""

# (files, expected errors as (file, line, message))
CASES: dict[str, tuple[dict[str, str], list[tuple[str, int, str]]]] = {
    "unknown step in to": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        to: nowhere
                      - id: other
                        label: Other
                        to: last
                  last:
                    end: main
            """
        },
        [("a.yaml", 7, "unknown step 'nowhere'")],
    ),
    "unknown guard": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        next:
                          - when: nope
                            to: last
                          - say: Not yet.
                  last:
                    end: main
            """
        },
        [("a.yaml", 10, "unknown guard 'nope'")],
    ),
    "unless directly on a button": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        unless: ready
                        to: last
                  last:
                    end: main
            """
        },
        [
            (
                "a.yaml",
                9,
                "unknown key 'unless' in a button "
                "(known: flow, id, label, next, run, say, set, to, warn, when)",
            )
        ],
    ),
    "unknown guard on a button": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        when: [ready, nope]
                        to: last
                  last:
                    end: main
            """
        },
        [("a.yaml", 7, "unknown guard 'nope'")],
    ),
    "unknown action": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        run: [note, nope]
                        to: last
                  last:
                    end: main
            """
        },
        [("a.yaml", 7, "unknown action 'nope'")],
    ),
    "unknown options provider": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    options:
                      from: nope
                      to: last
                  last:
                    end: main
            """
        },
        [("a.yaml", 5, "unknown options provider 'nope'")],
    ),
    "unknown view": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    say: "{x}"
                    views: [info, nope]
                    buttons:
                      - id: go
                        label: Go
                        to: last
                  last:
                    end: main
            """
        },
        [("a.yaml", 5, "unknown view 'nope'")],
    ),
    "unreachable step": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        to: last
                  last:
                    end: main
                  orphan:
                    end: main
            """
        },
        [("a.yaml", 12, "unreachable step 'orphan': no way leads here from 'start'")],
    ),
    "dead end": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        to: stuck
                  stuck:
                    say: Nothing to do here.
            """
        },
        [("a.yaml", 10, "dead end: step 'stuck' has no buttons, input or 'end'")],
    ),
    "duplicate tip id across two files": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: last
                tips:
                  - id: f1.do.listen
                    kind: do
                    phase: 1
                    text: Listen first.
                    short: Listen.
                steps:
                  last:
                    end: main
            """,
            "b.yaml": """
                flow: other
                title: Other
                start: last
                tips:
                  - id: f1.do.listen
                    kind: do
                    text: Listen again.
                    short: Listen.
                steps:
                  last:
                    end: main
            """,
        },
        [("b.yaml", 5, "duplicate tip id 'f1.do.listen'")],
    ),
    "duplicate flow id": (
        {"a.yaml": VALID, "b.yaml": VALID},
        [("b.yaml", 1, "flow id 'main' also in {a}")],
    ),
    "duplicate button id": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        to: last
                      - id: go
                        label: Go again
                        to: last
                  last:
                    end: main
            """
        },
        [("a.yaml", 10, "duplicate or reserved button id 'go'")],
    ),
    "reserved button id": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: back
                        label: Back
                        to: last
                  last:
                    end: main
            """
        },
        [("a.yaml", 7, "duplicate or reserved button id 'back'")],
    ),
    "unknown key in a step": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    sya: Hello
                    buttons:
                      - id: go
                        label: Go
                        to: last
                  last:
                    end: main
            """
        },
        [
            (
                "a.yaml",
                6,
                f"unknown key 'sya' in step 'first' (known: {', '.join(sorted(STEP_KEYS))})",
            )
        ],
    ),
    "invalid yaml": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    say: Hello: world
                    end: main
            """
        },
        [("a.yaml", 6, "not valid YAML: mapping values are not allowed here")],
    ),
    "non-final branch without when": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        next:
                          - to: last
                          - say: Never reached.
                  last:
                    end: main
            """
        },
        [("a.yaml", 10, "only the last branch may be without 'when'/'unless'")],
    ),
    "warn names a do tip": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                tips:
                  - id: f1.do.listen
                    kind: do
                    phase: 1
                    text: Listen first.
                    short: Listen.
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        to: last
                        warn: f1.do.listen
                  last:
                    end: main
            """
        },
        [("a.yaml", 13, "'warn' must name a dont tip, not 'f1.do.listen'")],
    ),
    "tip without its short form": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: last
                tips: [{id: f1.do.listen, kind: do, phase: 1, text: Listen first.}]
                steps: {last: {end: main}}
            """
        },
        [("a.yaml", 4, "missing 'short'")],
    ),
    "command used by two flows": (
        {
            "a.yaml": """
                flow: main
                title: Main
                command: hallo
                description: Say hello
                start: last
                steps:
                  last:
                    end: main
            """,
            "b.yaml": """
                flow: other
                title: Other
                command: hallo
                description: Say hello too
                start: last
                steps:
                  last:
                    end: main
            """,
        },
        [("b.yaml", 1, "command /hallo also used by flow 'main'")],
    ),
    "English command taken by another flow": (
        {
            "a.yaml": """
                flow: main
                title: Main
                command: hallo
                description: Say hello
                start: last
                steps:
                  last:
                    end: main
            """,
            "b.yaml": """
                flow: other
                title: Other
                command: groet
                command_en: hallo
                description: Say hello too
                start: last
                steps:
                  last:
                    end: main
            """,
        },
        [("b.yaml", 1, "command /hallo also used by flow 'main'")],
    ),
    "command named like the engine's own": (
        {
            "a.yaml": """
                flow: main
                title: Main
                command: stop
                command_en: cancel
                description: Stop
                start: last
                steps:
                  last:
                    end: main
            """,
        },
        [("a.yaml", 1, "command /cancel is the engine's own")],
    ),
    "end names an unknown flow": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    buttons:
                      - id: go
                        label: Go
                        to: last
                  last:
                    end: nowhere
            """
        },
        [("a.yaml", 10, "'end' names unknown flow 'nowhere'")],
    ),
    "options without a provider": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    options:
                      save: thing
                      to: last
                  last:
                    end: main
            """
        },
        [("a.yaml", 6, "'options' needs 'from: <provider>'")],
    ),
    "card is not a phase": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    card: 5
                    buttons:
                      - id: go
                        label: Go
                        to: last
                  last:
                    end: main
            """
        },
        [("a.yaml", 6, "'card' must be a phase number 1..4")],
    ),
    "several shape problems in one file, each on its line": (
        {
            "a.yaml": """
                flow: main
                title: 3
                phase: 9
                start: first
                steps:
                  first:
                    buttons:
                      - id: Go
                        label: Go
                        to: last
                  last:
                    end: main
            """
        },
        [
            ("a.yaml", 2, "'title' must be non-empty text"),
            ("a.yaml", 3, "'phase' must be 1..4"),
            ("a.yaml", 8, "button 'id' must match [a-z][a-z0-9_]{{0,19}}"),
        ],
    ),
    "a step's own pause button beside the flow's": (
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                pause:
                  label: Pause
                  flow: main
                steps:
                  first:
                    buttons:
                      - id: pause
                        label: Wait
                        to: last
                  last:
                    end: main
            """
        },
        [("a.yaml", 10, "duplicate or reserved button id 'pause'")],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_invalid_flow_is_reported_with_file_and_line(tmp_path: Path, case: str) -> None:
    files, expected = CASES[case]
    write(tmp_path, files)
    paths = {name: str(tmp_path / name) for name in files}

    assert errors(tmp_path) == [
        f"{paths[name]}:{line}: {message.format(a=paths['a.yaml'])}"
        for name, line, message in expected
    ]


def test_valid_flow_loads(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": VALID + TIP})

    flows = load(tmp_path, translated=lambda msgid: True)

    main = flows["main"]
    assert main.order == ("first", "last")
    assert main.steps["first"].buttons[0].branches[0].run == ("note",)
    assert main.steps["last"].end == "main"
    assert list(flows.tips()) == ["f1.do.listen"]


def test_when_on_a_button_guards_the_button_not_its_branch(tmp_path: Path) -> None:
    indent = " " * 12
    guarded = VALID.replace(f"{indent}run: note", f"{indent}when: ready\n{indent}run: note")
    write(tmp_path, {"a.yaml": guarded})

    [go] = load(tmp_path)["main"].steps["first"].buttons

    assert go.when == ("ready",)
    assert [(b.when, b.to) for b in go.branches] == [((), "last")]


def test_missing_dutch_translation_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": VALID})

    found = errors(tmp_path, translated=lambda msgid: msgid != "Go")

    assert found == [f"{tmp_path / 'a.yaml'}:8: no Dutch translation for 'Go'"]


def test_all_problems_are_reported_at_once_in_file_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": CASES["unknown guard"][0]["a.yaml"],
            "b.yaml": CASES["dead end"][0]["a.yaml"].replace("flow: main", "flow: other"),
        },
    )

    assert errors(tmp_path) == [
        f"{tmp_path / 'a.yaml'}:10: unknown guard 'nope'",
        f"{tmp_path / 'b.yaml'}:10: dead end: step 'stuck' has no buttons, input or 'end'",
    ]


def test_no_flow_files_is_an_error(tmp_path: Path) -> None:
    assert errors(tmp_path) == [f"{tmp_path}:0: no flow files (*.yaml) here"]


def test_progress_is_a_flow_key(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": "progress: true\n" + textwrap.dedent(VALID).lstrip("\n")})

    assert load(tmp_path)["main"].progress is True


def test_resume_is_a_flow_key(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": "resume: false\n" + textwrap.dedent(VALID).lstrip("\n")})
    assert load(tmp_path)["main"].resume is False

    write(tmp_path, {"a.yaml": "resume: later\n" + textwrap.dedent(VALID).lstrip("\n")})
    assert errors(tmp_path) == [f"{tmp_path / 'a.yaml'}:1: 'resume' must be true or false"]


def test_a_flow_with_wrong_shape_is_still_known_to_the_others(tmp_path: Path) -> None:
    """Only the broken file is reported: flows that lead there are not wrong too."""
    write(
        tmp_path,
        {
            "a.yaml": VALID.replace("title: Main", "title: Main\n    colour: red"),
            "b.yaml": VALID.replace("flow: main", "flow: other"),
        },
    )

    assert [error.split(": ", 1)[1] for error in errors(tmp_path)] == [
        f"unknown key 'colour' in the flow (known: {', '.join(FlowShape.keys())})"
    ]


PAUSED = """
    flow: main
    title: Main
    start: first
    pause:
      label: Pause
      say: Paused.
      flow: main
    steps:
      first:
        say: Hello
        buttons:
          - id: go
            label: Go
            to: second
      second:
        say: Your name?
        input:
          to: third
      third:
        say: Sure?
        pause: false
        buttons:
          - id: sure
            label: Sure
            to: last
      last:
        say: Bye
        end: main
"""


def test_pause_gives_every_waiting_step_its_pause_button_last(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": PAUSED})

    steps = load(tmp_path)["main"].steps

    assert [b.id for b in steps["first"].buttons] == ["go", "pause"]
    assert [b.id for b in steps["second"].buttons] == ["pause"]
    assert [b.id for b in steps["third"].buttons] == ["sure"]  # pause: false
    assert steps["last"].buttons == ()  # an end step waits for nothing
    pause = steps["first"].buttons[-1]
    assert (pause.label, pause.line) == ("Pause", 5)
    assert [(b.flow, b.say) for b in pause.branches] == [("main", "Paused.")]


def test_pause_texts_are_translatable_once_per_flow(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": PAUSED})

    found = errors(tmp_path, translated=lambda msgid: msgid != "Paused.")

    assert set(found) == {f"{tmp_path / 'a.yaml'}:5: no Dutch translation for 'Paused.'"}


# --- the real flows ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_flows() -> FlowSet:
    return load_flows(PROJECT_ROOT / "flows", registry, None)


def test_real_flows_load(real_flows: FlowSet) -> None:
    assert {"menu", "onboarding", "cases", "tips", "taal", "privacy", "hulp"} <= set(
        real_flows.flows
    )


def test_real_flows_hold_the_22_parents_tips(real_flows: FlowSet) -> None:
    tips = [tip for _flow, tip in real_flows.tips().values()]
    assert len(tips) == 22
    assert Counter(tip.kind for tip in tips) == {"do": 16, "dont": 6}
    per_phase = Counter((tip.phase, tip.kind) for tip in tips)
    assert per_phase == {
        (1, "do"): 6,
        (1, "dont"): 2,
        (2, "do"): 3,
        (2, "dont"): 1,
        (3, "do"): 3,
        (3, "dont"): 3,
        (4, "do"): 4,
    }
    for tip in tips:  # ids say their phase and kind: f3.dont.leave_alone
        assert tip.id.split(".")[:2] == [f"f{tip.phase}", tip.kind]


def test_an_input_must_name_a_known_text_check(tmp_path: Path) -> None:
    """Every typed answer goes through a check (contact details stay out); an input can
    choose which one with `holds:`, but not one that does not exist."""
    flow = VALID.replace(
        """        buttons:
          - id: go
            label: Go
            run: note
            to: last
""",
        """        input:
          holds: anything
          to: last
""",
    )
    write(tmp_path, {"a.yaml": flow})

    assert errors(tmp_path) == [f"{tmp_path / 'a.yaml'}:8: unknown text check 'anything'"]
