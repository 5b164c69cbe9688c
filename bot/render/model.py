"""Plain, already translated snapshots of what a renderer draws.

The actions read the database and translate; the renderers only draw. That keeps the
renderers free of ORM objects (they run on another thread, where a lazy load would fail)
and lets tests and the benchmark build input without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

GROUP_ORDER = ("household", "friends", "community", "professional")
"""The relation groups: the sectors of the network circle, clockwise from top left."""
CLOSENESS_ORDER = ("close", "middle", "far")
"""The rings, from the family outwards."""
DECISION_ORDER = ("yes", "no", "open")


@dataclass(frozen=True)
class MapPerson:
    """One person as the picture shows them."""

    name: str
    group: str
    closeness: str
    decision: str
    approached: bool = False


@dataclass(frozen=True)
class MapTexts:
    """Every word the picture shows, in the practitioner's language."""

    title: str
    date: str
    family: str
    groups: Mapping[str, str]
    rings: Mapping[str, str]
    decisions: Mapping[str, str]
    legend_title: str
    approached: str
    empty: str
    empty_hint: str
    key_title: str


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    """A share of the table's width; the shares of a table need not add up to 1."""


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    muted: frozenset[int] = field(default_factory=frozenset)
    """Row numbers shown in grey (agreements that are done)."""


@dataclass(frozen=True)
class Section:
    """A heading with, in this order, a list of lines, a table and a picture; or, when it
    has none of them, a short line saying nothing is noted."""

    title: str
    table: Table | None = None
    picture: bytes | None = None
    empty: str = ""
    lines: tuple[str, ...] = ()
    """Short items shown as a bulleted list (the check-in dates)."""

    @property
    def has_content(self) -> bool:
        return bool(self.lines or (self.table is not None and self.table.rows) or self.picture)


@dataclass(frozen=True)
class PlanDocument:
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    footer: str
    page: str
    """"Page {page} of {pages}", translated, with both placeholders."""
    note: str = ""
    """Said once, under the subtitle: the day everything in the document was noted on
    (instead of under every heading)."""
