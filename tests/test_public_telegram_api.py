"""The bot uses python-telegram-bot through its public API only, so that a new release
cannot break it unannounced and the version pin can stay wide (pyproject.toml).

Two rules, checked on the source of `bot/`: no module imports from `telegram._*` (PTB's
private modules), and a module that uses `telegram` reads no `_`-prefixed attribute other
than ones the bot itself defines (`self._session`, `Turns._apply`, ...), so neither
`bot._post` nor a private attribute inherited from a PTB class can come back.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from bot.config import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(BOT.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def imported_modules(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def uses_telegram(tree: ast.Module) -> bool:
    return any(name.split(".")[0] == "telegram" for _, name in imported_modules(tree))


def defined_by_the_bot() -> set[str]:
    """Every `_name` the bot's own code defines: functions, classes, module names and the
    attributes it assigns (`self._x = ...`), anywhere in `bot/`."""
    names: set[str] = set()
    for _path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
    return {name for name in names if private(name)}


def private_imports(tree: ast.Module) -> list[str]:
    """`telegram._utils.types` and the like: PTB's private modules."""
    return [
        f"{line}: {name}"
        for line, name in imported_modules(tree)
        if name.split(".")[0] == "telegram" and any(private(part) for part in name.split("."))
    ]


def foreign_private_attributes(tree: ast.Module, ours: set[str]) -> list[str]:
    """`x._name` read in a module that uses `telegram`, where the bot defines no `_name`."""
    if not uses_telegram(tree):
        return []
    return [
        f"{node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and private(node.attr) and node.attr not in ours
    ]


def test_no_module_imports_a_private_telegram_module() -> None:
    found = {path.name: private_imports(tree) for path, tree in modules()}
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_no_private_attribute_of_python_telegram_bot_is_used() -> None:
    ours = defined_by_the_bot()
    found = {path.name: foreign_private_attributes(tree, ours) for path, tree in modules()}
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_the_checks_catch_what_was_there_before() -> None:
    """`bot._post` and `telegram._utils.types`, as in `send.py` and `transport.py` once."""
    tree = ast.parse(
        "from telegram._utils.types import ODVInput\n"
        "async def send(bot):\n"
        "    await bot._post('sendMessage', {})\n"
    )
    assert private_imports(tree) == [
        "1: telegram._utils.types",
        "1: telegram._utils.types.ODVInput",
    ]
    assert foreign_private_attributes(tree, defined_by_the_bot()) == ["3: ._post"]
