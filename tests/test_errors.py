"""One root error: what bot/ raises on purpose derives from `NetwerkcoachError`.

Read from the source (no imports), so the check covers modules that need Telegram or
matplotlib as well, and names the file and line of what breaks the rule.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from bot.errors import ArgumentError, NetwerkcoachError, SettingError, StartupError

BOT = Path(__file__).resolve().parent.parent / "bot"
BUILTIN_ERRORS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)
STILL_ALLOWED = frozenset({"SystemExit", "AssertionError", "NotImplementedError"})
"""Raised as Python means them: leaving the program, code that cannot be reached, an
abstract method."""


def modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(BOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(BOT.rglob("*.py"))
    ]


def base_names(node: ast.ClassDef) -> list[str]:
    return [b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases]


def project_errors(trees: list[tuple[str, ast.Module]]) -> set[str]:
    """Names of the classes that derive from the root, directly or through another."""
    found = {"NetwerkcoachError"}
    classes = [n for _, tree in trees for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    while True:
        more = {c.name for c in classes if found & set(base_names(c))} - found
        if not more:
            return found
        found |= more


def test_every_public_exception_class_derives_from_the_root() -> None:
    trees = modules()
    ours = project_errors(trees)
    stray = [
        f"bot/{path}:{node.lineno}: {node.name}({', '.join(base_names(node))})"
        for path, tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and node.name != "NetwerkcoachError"  # the root itself
        and not node.name.startswith("_")  # private: never leaves its module
        and BUILTIN_ERRORS & set(base_names(node))
        and not ours & set(base_names(node))
    ]
    assert stray == []


def test_nothing_raises_a_bare_builtin_error() -> None:
    bare = []
    for path, tree in modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(raised, ast.Name) and raised.id in BUILTIN_ERRORS - STILL_ALLOWED:
                bare.append(f"bot/{path}:{node.lineno}: raise {raised.id}")
    assert bare == []


@pytest.mark.parametrize(
    ("error", "builtin"),
    [(SettingError, ValueError), (ArgumentError, ValueError), (StartupError, RuntimeError)],
)
def test_shared_errors_are_caught_as_the_root_and_as_before(
    error: type[NetwerkcoachError], builtin: type[Exception]
) -> None:
    """`except ValueError` (pydantic, the command line) still answers what it did."""
    assert issubclass(error, NetwerkcoachError)
    assert issubclass(error, builtin)
