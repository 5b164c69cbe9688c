"""Babel extractor for `flows/*.yaml`, registered in `babel.cfg` as `netwerkcoach_flows`.

It walks the same list of texts the flow loader checks for translations, so extraction and
validation can never disagree about what is translatable.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any


def extract_flows(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, str, list[str]]]:
    from bot.engine.loader import parse_flow
    from bot.engine.spec import flow_msgids

    flow, _errors = parse_flow(Path(fileobj.name))
    if flow is None:
        return
    for _path, line, msgid in flow_msgids(flow):
        yield line, "_", msgid, [f"flow {flow.id}"]
