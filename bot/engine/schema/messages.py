"""Turn pydantic's findings about a flow file into `line: message` for a content author.

pydantic says where (a path of keys and list positions) and what kind of problem; the path
leads through the YAML (to a line, `yamlsource.py` kept them) and through the models of
`shapes.py` (to the key's `Says`, or the mapping's `where` and `not_a_mapping`).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from bot.engine.schema.kinds import RULE, Place, Says, Shape
from bot.engine.yamlsource import LineDict, LineList

NOT_A_MAPPING = {"model_type", "model_attributes_type"}


def shape_problems(
    error: ValidationError, raw: Any, root: type[Shape]
) -> Iterator[tuple[int, str]]:
    """Every problem pydantic found, as (line, message), in the order it found them."""
    for detail in error.errors():
        yield line_of(raw, detail["loc"]), _message(detail, root)


def line_of(raw: Any, place: Place) -> int:
    """The line of the last key or list item on `place` that the file has (a key that is
    missing: the line of the mapping that should hold it)."""
    line = raw.line if isinstance(raw, LineDict | LineList) else 1
    node = raw
    for part in place:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line, node = node.key_lines[part], node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and part < len(node):
            line, node = node.item_lines[part], node[part]
        else:
            break
    return line


def _message(detail: ErrorDetails, root: type[Shape]) -> str:
    kind, place = detail["type"], detail["loc"]
    if kind == RULE:
        return detail["msg"]
    if kind == "extra_forbidden":
        shape, name, _ = _walk(root, place[:-1])
        where = shape.where.format(name=name)
        return f"unknown key {place[-1]!r} in {where} (known: {', '.join(shape.keys())})"
    shape, name, field = _walk(root, place)
    if field is None:  # the mapping itself
        return shape.not_a_mapping.format(name=name)
    key, info = field
    says = _says(info)
    if kind == "missing":
        return says.missing.format(key=key) if says and says.missing else f"missing {key!r}"
    if says is not None:
        return says.wrong.format(key=key)
    return f"{key!r}: {detail['msg']}"


def _walk(
    root: type[Shape], place: Place
) -> tuple[type[Shape], str | int | None, tuple[str, FieldInfo] | None]:
    """Follow `place` through the models: the deepest mapping it reaches, the name it has
    there (a step's name), and the key below it, if `place` goes on to one."""
    shape, name = root, None
    parts = iter(place)
    for part in parts:
        found = next(
            (
                (key, info)
                for key, info in ((i.alias or n, i) for n, i in shape.model_fields.items())
                if key == part
            ),
            None,
        )
        if found is None:
            break
        inner, containers = _model_in(found[1].annotation)
        if inner is None:
            return shape, name, found
        for _ in range(containers):
            name = next(parts, None)
            if name is None:
                return shape, name, found
        shape = inner
    return shape, name, None


def _model_in(annotation: Any) -> tuple[type[Shape] | None, int]:
    """The model a key holds (through `| None`, lists and mappings), and how many list or
    mapping levels lie between."""
    containers = 0
    while True:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin in (list, tuple, dict):
            containers += 1
            annotation = args[-1]
        elif args and type(None) in args:
            annotation = next(arg for arg in args if arg is not type(None))
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return (annotation, containers) if issubclass(annotation, Shape) else (None, 0)
        else:
            return None, 0


def _says(info: FieldInfo) -> Says | None:
    """The key's own `Says`, else the one of its kind of value (`Text | None`)."""
    own = [m for m in info.metadata if isinstance(m, Says)]
    if own:
        return own[-1]
    for arg in typing.get_args(info.annotation):
        if typing.get_origin(arg) is typing.Annotated:
            kind = [m for m in typing.get_args(arg)[1:] if isinstance(m, Says)]
            if kind:
                return kind[-1]
    return None
