"""The diagrams committed in docs/flows/ show the flows as they are: a flow that changed
without its diagram fails here, with the command that draws them again."""

from __future__ import annotations

import pytest

import bot.actions  # noqa: F401 - fills the application registry
from bot.config import PROJECT_ROOT
from bot.diagram import mermaid
from bot.engine.loader import load_flows
from bot.engine.registry import registry
from bot.engine.spec import FlowSet
from bot.i18n import Catalogs

DIAGRAMS = PROJECT_ROOT / "docs" / "flows"
REDRAW = "run `make diagram` and commit docs/flows/"


@pytest.fixture(scope="module")
def flows() -> FlowSet:
    return load_flows(PROJECT_ROOT / "flows", registry)


def drawn(flows: FlowSet) -> dict[str, str]:
    """Every diagram as `make diagram` draws it now (labels in English, as there)."""
    english = Catalogs(PROJECT_ROOT / "locales").get("en").gettext
    return {f"{flow.id}.mmd": mermaid(flow, english) for flow in flows}


def test_every_flow_has_its_committed_diagram_and_no_other(flows: FlowSet) -> None:
    committed = sorted(path.name for path in DIAGRAMS.glob("*.mmd"))

    assert committed == sorted(drawn(flows)), f"diagrams and flows differ: {REDRAW}"


def test_committed_diagrams_match_the_flows(flows: FlowSet) -> None:
    stale = [
        name
        for name, text in drawn(flows).items()
        # a missing diagram is reported by the test above
        if (DIAGRAMS / name).exists() and (DIAGRAMS / name).read_text(encoding="utf-8") != text
    ]

    assert not stale, f"flows changed, their diagrams did not ({', '.join(stale)}): {REDRAW}"
