"""YAML that remembers where each value came from, so errors can say file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.errors import NetwerkcoachError


class LineDict(dict[str, Any]):
    """A mapping with its own line and the line of each key (1-based)."""

    line: int
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A sequence with its own line and the line of each item (1-based)."""

    line: int
    item_lines: list[int]


# libyaml's parser where PyYAML was built with it (its wheels are): the flows parse in half
# the time, which every start of the bot and every `flows check` pays for. Its nodes carry
# the same line marks. Without libyaml both loaders are the pure-Python one.
try:
    from yaml import CSafeLoader as _FastSafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _FastSafeLoader  # type: ignore[assignment]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that builds `LineDict` / `LineList` instead of plain containers."""


class _FastLineLoader(_FastSafeLoader):
    """The same on libyaml's parser."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlSyntaxError(NetwerkcoachError):
    """The file is not valid YAML; `line` is where the parser gave up."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


def load_yaml(path: Path) -> Any:
    """Parse one file; syntax errors come back as `YamlSyntaxError` with a line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise YamlSyntaxError(line, "not UTF-8 text") from err
    try:
        return yaml.load(text, Loader=_FastLineLoader)
    except yaml.MarkedYAMLError:
        pass
    # A broken file is read again by the pure-Python parser, whose messages are the ones
    # content authors know ("mapping values are not allowed here").
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(line, f"{err.problem or err}") from err
