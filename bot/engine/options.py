"""A button made at run time from a flow's `options: from:` provider."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Option:
    """A button made at run time. `key` travels in callback data; never a bare database id
    that would mean something to another practitioner: the engine signs it and looks it up
    again in this practitioner's own options before acting on it."""

    key: str
    label: str
    attrs: dict[str, str] = field(default_factory=dict)
