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
    ],
)
def test_layers_import_only_downwards(package: str, forbidden: tuple[str, ...]) -> None:
    assert offenders(package, forbidden) == []


def test_the_layer_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The check itself: a module that imports a forbidden one is reported."""
    sample = tmp_path / "sample.py"
    sample.write_text("if True:\n    from bot.access import Access\n", encoding="utf-8")
    assert "bot.access.Access" in imports_of(sample)
