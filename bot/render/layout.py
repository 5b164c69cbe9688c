"""Where markers and names go on the network circle: plain geometry, no drawing.

Coordinates are pixels with y pointing down, as on the finished picture. Markers are set
on arcs inside their cell (a relation group's sector within a closeness ring). Labels are
then placed one by one, innermost person first, at the first free spot of a fixed list of
candidates: beside the marker, then further out along a leader line. "Free" means the
label's box touches no other label, marker, leader line or fixed text. A label that finds
no free spot is not drawn at all: the marker gets a number and the name goes into a key
under the picture. So names can never overlap, however many people there are, and the
same network always comes out the same.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot.render.model import CLOSENESS_ORDER, GROUP_ORDER

GAP = 6.0
"""Pixels between a marker and its label."""
PAD = 3.0
"""Extra room kept around every placed box, so neighbours never touch."""
LEADER_STEPS = (26.0, 52.0, 84.0, 120.0, 165.0, 220.0)
LEADER_TURNS = (0.0, 0.22, -0.22, 0.45, -0.45, 0.75, -0.75)
_CELL = 48.0


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle: x0 left, y0 top, x1 right, y1 bottom."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def grow(self, pad: float) -> Box:
        return Box(self.x0 - pad, self.y0 - pad, self.x1 + pad, self.y1 + pad)

    def overlaps(self, other: Box) -> bool:
        """True when the two share more than an edge."""
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def within(self, outer: Box) -> bool:
        return (
            self.x0 >= outer.x0
            and self.y0 >= outer.y0
            and self.x1 <= outer.x1
            and self.y1 <= outer.y1
        )

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1


@dataclass(frozen=True)
class Spot:
    """A marker: its centre and radius."""

    x: float
    y: float
    r: float

    def box(self, pad: float = 0.0) -> Box:
        return Box(self.x - self.r, self.y - self.r, self.x + self.r, self.y + self.r).grow(pad)


@dataclass(frozen=True)
class Placement:
    """Where a label goes; `leader` is a line (x0, y0, x1, y1) from the marker to it."""

    box: Box
    leader: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class Circle:
    """The network circle: centre, the family disc and the outer edge of each ring."""

    cx: float
    cy: float
    family: float
    rings: tuple[float, float, float]

    def band(self, closeness: str) -> tuple[float, float]:
        index = CLOSENESS_ORDER.index(closeness)
        inner = self.family if index == 0 else self.rings[index - 1]
        return inner, self.rings[index]


def sector(group: str) -> tuple[float, float]:
    """The angles (radians, y down, clockwise from the right) of a group's quarter:
    household top left, friends top right, community bottom right, professionals
    bottom left."""
    start = -math.pi + GROUP_ORDER.index(group) * math.pi / 2
    return start, start + math.pi / 2


class BoxIndex:
    """Boxes in a uniform grid, so "does this touch anything?" looks at a few cells only."""

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list[Box]] = defaultdict(list)

    @staticmethod
    def _keys(box: Box) -> Iterator[tuple[int, int]]:
        for i in range(math.floor(box.x0 / _CELL), math.floor(box.x1 / _CELL) + 1):
            for j in range(math.floor(box.y0 / _CELL), math.floor(box.y1 / _CELL) + 1):
                yield i, j

    def add(self, box: Box) -> None:
        for key in self._keys(box):
            self._cells[key].append(box)

    def hits(self, box: Box) -> bool:
        return any(
            other.overlaps(box) for key in self._keys(box) for other in self._cells.get(key, ())
        )

    def hits_point(self, x: float, y: float) -> bool:
        key = (math.floor(x / _CELL), math.floor(y / _CELL))
        return any(other.contains(x, y) for other in self._cells.get(key, ()))


# --- markers ---------------------------------------------------------------------------------


def _arc_angles(count: int, radius: float, start: float, end: float, inset: float) -> list[float]:
    """`count` angles spread evenly over the arc, keeping `inset` pixels from its ends."""
    margin = min(inset / radius, (end - start) / 2)
    first, last = start + margin, end - margin
    if count == 1:
        return [(first + last) / 2]
    step = (last - first) / count
    return [first + step * (i + 0.5) for i in range(count)]


def _cell_spots(count: int, circle: Circle, group: str, closeness: str, r: float) -> list[Spot]:
    """Markers for one cell: on as few arcs as keep them comfortably apart."""
    if count == 0:
        return []
    inner, outer = circle.band(closeness)
    low, high = inner + r + 8, outer - r - 8
    start, end = sector(group)
    inset = r + 14
    for spacing in (66.0, 50.0, 2 * r + 8, 2 * r + 2, 2 * r - 4):
        most = max(1, int((high - low) // spacing) + 1)
        for arcs in range(1, most + 1):
            radii = [(low + high) / 2] if arcs == 1 else _spread(low, high, arcs)
            spans = [max(rho * (end - start) - 2 * inset, 0.0) for rho in radii]
            room = [int(span // spacing) + 1 for span in spans]
            if sum(room) >= count:
                return _fill(count, radii, room, circle, start, end, inset, r)
    radii = _spread(low, high, max(1, int((high - low) // (2 * r + 2)) + 1))
    spans = [rho * (end - start) for rho in radii]
    share = [max(1, round(count * span / sum(spans))) for span in spans]
    return _fill(count, radii, share, circle, start, end, inset, r)


def _spread(low: float, high: float, arcs: int) -> list[float]:
    if arcs == 1:
        return [(low + high) / 2]
    return [low + (high - low) * i / (arcs - 1) for i in range(arcs)]


def _fill(
    count: int,
    radii: list[float],
    room: list[int],
    circle: Circle,
    start: float,
    end: float,
    inset: float,
    r: float,
) -> list[Spot]:
    """Share `count` over the arcs in proportion to their room, outer arcs first."""
    total = sum(room)
    share = [min(n, math.ceil(count * n / total)) for n in room]
    while sum(share) > count:
        widest = max(range(len(share)), key=lambda i: (share[i], -i))
        share[widest] -= 1
    while sum(share) < count:  # only when every arc is full: squeeze onto the outermost
        share[-1] += 1
    spots: list[Spot] = []
    for rho, n in zip(radii, share, strict=True):
        for angle in _arc_angles(n, rho, start, end, inset) if n else []:
            spots.append(
                Spot(circle.cx + rho * math.cos(angle), circle.cy + rho * math.sin(angle), r)
            )
    return spots


def place_markers(cells: Sequence[tuple[str, str]], circle: Circle, r: float) -> list[Spot]:
    """One marker per person, given each person's (group, closeness), in the same order."""
    members: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, cell in enumerate(cells):
        members[cell].append(index)
    spots: list[Spot | None] = [None] * len(cells)
    for (group, closeness), indexes in members.items():
        for index, spot in zip(
            indexes, _cell_spots(len(indexes), circle, group, closeness, r), strict=True
        ):
            spots[index] = spot
    return [spot for spot in spots if spot is not None]


# --- labels ----------------------------------------------------------------------------------


def _beside(spot: Spot, w: float, h: float, outward: float) -> list[Box]:
    """The eight places right next to a marker, the most outward-facing first."""
    x, y, r = spot.x, spot.y, spot.r
    d = r * 0.72 + GAP
    boxes = [
        Box(x + r + GAP, y - h / 2, x + r + GAP + w, y + h / 2),
        Box(x - r - GAP - w, y - h / 2, x - r - GAP, y + h / 2),
        Box(x - w / 2, y - r - GAP - h, x + w / 2, y - r - GAP),
        Box(x - w / 2, y + r + GAP, x + w / 2, y + r + GAP + h),
        Box(x + d, y - d - h, x + d + w, y - d),
        Box(x - d - w, y - d - h, x - d, y - d),
        Box(x + d, y + d, x + d + w, y + d + h),
        Box(x - d - w, y + d, x - d, y + d + h),
    ]
    ux, uy = math.cos(outward), math.sin(outward)

    def facing(box: Box) -> float:
        cx, cy = (box.x0 + box.x1) / 2 - x, (box.y0 + box.y1) / 2 - y
        return -(cx * ux + cy * uy) / (math.hypot(cx, cy) or 1.0)

    return sorted(boxes, key=facing)


def _along(
    spot: Spot, w: float, h: float, angle: float, distance: float
) -> tuple[Box, float, float]:
    """A label at the end of a leader line: its near side faces the marker."""
    px = spot.x + (spot.r + distance) * math.cos(angle)
    py = spot.y + (spot.r + distance) * math.sin(angle)
    c, s = math.cos(angle), math.sin(angle)
    if c >= 0.38:
        box = Box(px, py - h / 2, px + w, py + h / 2)
    elif c <= -0.38:
        box = Box(px - w, py - h / 2, px, py + h / 2)
    elif s > 0:
        box = Box(px - w / 2, py, px + w / 2, py + h)
    else:
        box = Box(px - w / 2, py - h, px + w / 2, py)
    return box, px, py


def _segment_points(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    steps = max(1, int(math.hypot(x1 - x0, y1 - y0) // 4))
    return [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(steps + 1)]


def place_labels(
    spots: Sequence[Spot],
    sizes: Sequence[tuple[float, float]],
    obstacles: Sequence[Box],
    bounds: Box,
    centre: tuple[float, float],
) -> list[Placement | None]:
    """A place for each label (None: no room, use the key), in the order of `spots`."""
    index = BoxIndex()
    for box in obstacles:
        index.add(box.grow(PAD))
    for spot in spots:
        index.add(spot.box(PAD))
    order = sorted(
        range(len(spots)),
        key=lambda i: (math.hypot(spots[i].x - centre[0], spots[i].y - centre[1]), i),
    )
    found: list[Placement | None] = [None] * len(spots)
    for i in order:
        spot, (w, h) = spots[i], sizes[i]
        outward = math.atan2(spot.y - centre[1], spot.x - centre[0])
        placement = _first_free(spot, w, h, outward, index, bounds)
        if placement is None:
            continue
        found[i] = placement
        index.add(placement.box.grow(PAD))
        if placement.leader is not None:
            for px, py in _segment_points(*placement.leader):
                index.add(Box(px - 1.5, py - 1.5, px + 1.5, py + 1.5))
    return found


def _first_free(
    spot: Spot, w: float, h: float, outward: float, index: BoxIndex, bounds: Box
) -> Placement | None:
    for box in _beside(spot, w, h, outward):
        if box.within(bounds) and not index.hits(box.grow(PAD)):
            return Placement(box)
    for distance in LEADER_STEPS:
        for turn in LEADER_TURNS:
            angle = outward + turn
            box, px, py = _along(spot, w, h, angle, distance)
            if not box.within(bounds) or index.hits(box.grow(PAD)):
                continue
            sx = spot.x + (spot.r + 1) * math.cos(angle)
            sy = spot.y + (spot.r + 1) * math.sin(angle)
            clear = spot.r + PAD + 6
            path = [
                (qx, qy)
                for qx, qy in _segment_points(sx, sy, px, py)
                if math.hypot(qx - spot.x, qy - spot.y) > clear
            ]
            if not any(index.hits_point(qx, qy) for qx, qy in path):
                return Placement(box, (sx, sy, px, py))
    return None
