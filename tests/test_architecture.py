"""The layering the code promises, checked on its imports (including `TYPE_CHECKING` ones).

The interpreter (`bot.engine`) knows no messenger, database session or access rule;
`bot.turns` applies each event as one unit of work above it; channels call only that.
A test and not a convention, because one convenient import is how such layers erode.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, absolute names, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(path): path for path in sorted(BOT.rglob("*.py"))}


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{name} imports {imported}"
        for name, path in MODULES.items()
        if name == package or name.startswith(f"{package}.")
        for imported in sorted(imports_of(path))
        if any(imported == bad or imported.startswith(f"{bad}.") for bad in forbidden)
    ]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        pytest.param(
            "bot.engine",
            (
                "bot.access",
                "bot.reminders",
                "bot.channels",
                "bot.turns",
                "bot.runtime",
                "bot.store.db",
                "bot.store.dedup",
                "bot.store.turns",
                "sqlalchemy.ext.asyncio",
                "telegram",
                "nio",
            ),
            id="the interpreter knows no session, access, reminders or messenger",
        ),
        pytest.param(
            "bot.channels",
            (
                "bot.engine.interpreter",
                "bot.store.dedup.claim",
                "bot.store.repo",
                "bot.store.turns",
            ),
            id="channels go through bot.turns",
        ),
        pytest.param(
            "bot.store",
            ("bot.channels", "bot.turns", "bot.reminders", "bot.access", "telegram", "nio"),
            id="the store knows no upper layer and no messenger",
        ),
        pytest.param(
            "bot.channels.matrix",
            ("telegram", "bot.channels.telegram"),
            id="Matrix knows nothing of Telegram",
        ),
        pytest.param(
            "bot.channels.telegram",
            ("nio", "bot.channels.matrix"),
            id="Telegram knows nothing of Matrix",
        ),
    ],
)
def test_layers_import_only_downwards(package: str, forbidden: tuple[str, ...]) -> None:
    assert offenders(package, forbidden) == []


def test_the_layer_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The check itself: a module that imports a forbidden one is reported."""
    sample = tmp_path / "sample.py"
    sample.write_text("if True:\n    from bot.access import Access\n", encoding="utf-8")
    assert "bot.access.Access" in imports_of(sample)


def bot_imports(name: str) -> set[str]:
    """The modules of `bot` that module `name` imports (`from a import b` counts as `a.b`
    when that is a module, else as `a`)."""
    found = set()
    for imported in imports_of(MODULES[name]):
        module = imported
        while module and module not in MODULES:
            module = module.rpartition(".")[0]
        if module and module != name:
            found.add(module)
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle() -> None:
    """A package's `__init__` importing its own modules is not a circle; any other group of
    modules that import each other, even only for type checking, is."""
    graph = {
        name: {
            other
            for other in bot_imports(name)
            if not (MODULES[other].name == "__init__.py" and name.startswith(f"{other}."))
        }
        for name in MODULES
    }
    assert circles(graph) == []


def test_the_circle_check_sees_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
