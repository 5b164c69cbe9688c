"""The network map as a PNG: a netwerkcirkel (after Lensink) or ecogram, for a phone.

The family sits in the centre; three rings say how close someone is (close, in between,
further away) and four quarters say how they are related (household and family, friends,
neighbourhood / school / work / club, professionals). Each person is a marker whose
colour and shape give the parent's decision on contact, with a ring around it once they
have been approached (phase 3), and their name beside it (see `layout`).

The picture is 1080 pixels wide, the width Telegram shows a photo at full sharpness.
matplotlib draws it with the Agg backend, imported only when the first picture is made;
its text engine (libraqm, built in) shapes Arabic and orders right-to-left names, and
falls back to the CJK font for Chinese, Japanese and Korean. The CJK font is registered
once, and font properties and matplotlib's font objects are cached for the life of the
process, so a picture costs no font scans after the first.
"""

from __future__ import annotations

import io
import logging
import math
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.render import fonts
from bot.render.layout import Box, Circle, Placement, Spot, place_labels, place_markers, sector
from bot.render.model import CLOSENESS_ORDER, DECISION_ORDER, GROUP_ORDER, MapPerson, MapTexts

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

WIDTH = 1080
DPI = 100
MARGIN = 40
HEADER = 132
SQUARE = 1080
CIRCLE = Circle(cx=WIDTH / 2, cy=HEADER + SQUARE / 2, family=100, rings=(235.0, 370.0, 505.0))

INK = "#1F2933"
MUTED = "#52606D"
LINE = "#9AA5B1"
COLOURS = {"yes": "#009E73", "no": "#D55E00", "open": "#FFFFFF"}
"""Okabe–Ito colours, told apart with colour blindness too; shapes differ as well."""
OPEN_EDGE = "#616E7C"
APPROACHED = "#0072B2"
TINTS = {
    "household": ("#FFF3DC", "#8A5A00"),
    "friends": ("#E6F2FA", "#0B5A8A"),
    "community": ("#E8F5E9", "#2E6B34"),
    "professional": ("#F1EDF8", "#5B3F8C"),
}
"""Per relation group: the sector's fill and its title's colour."""


@dataclass(frozen=True)
class MapPicture:
    """The PNG with what tests need to check its layout (boxes in pixels, y down)."""

    png: bytes
    width: int
    height: int
    labels: tuple[Box, ...]
    """Every name: beside its marker, or in the key under the picture."""
    texts: tuple[Box, ...]
    """Every other text: title, date, group and ring names, legend."""
    numbered: int
    """How many names went into the key because there was no room beside the marker."""
    words: tuple[str, ...]
    """Every text drawn, in order; also in the PNG as its description (iTXt), so a file
    saved from the chat says what it shows to a screen reader or a search."""


# --- text -------------------------------------------------------------------------------------


def _pt(px: float) -> float:
    return px * 72 / DPI


@cache
def _families() -> tuple[str, ...]:
    """The font families to ask for, main first; registers the CJK font once."""
    from matplotlib import font_manager

    # The CJK font has no bold face; matplotlib says so once per size at WARNING and then
    # uses the regular face, which is what we want.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    files = fonts.font_files()
    if files.cjk is None:
        return (fonts.MAIN_FAMILY,)
    font_manager.fontManager.addfont(str(files.cjk))
    return (fonts.MAIN_FAMILY, fonts.CJK_FAMILY)


@cache
def _font(px: float, bold: bool = False, italic: bool = False) -> FontProperties:
    from matplotlib.font_manager import FontProperties

    return FontProperties(
        family=list(_families()),
        size=_pt(px),
        weight="bold" if bold else "normal",
        style="italic" if italic else "normal",
    )


def _wrap(text: str, width: int, lines: int) -> str:
    """Wrap at spaces only: "Gerrit-Jan" stays one word."""
    wrapped = textwrap.wrap(
        text, width=width, max_lines=lines, placeholder="…", break_on_hyphens=False
    )
    return "\n".join(wrapped or [text])


def _marked(name: str) -> str:
    """The name with a check mark drawn to its right, whatever the script: a right-to-left
    name gets the mark first in logical order, which the bidi algorithm draws rightmost."""
    first = next((unicodedata.bidirectional(c) for c in name if c.isalpha()), "L")
    return f"✓ {name}" if first in ("R", "AL") else f"{name} ✓"


class _Canvas:
    """A figure in pixel coordinates with y pointing down, like the layout.

    It is made tall enough for the longest possible key, drawn once, and cropped to what
    was used: so texts are measured with the renderer that draws them (matplotlib's
    metrics cache then serves the draw), and nothing is laid out twice.
    """

    def __init__(self, height: int) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.transforms import Affine2D

        self.height = height
        self.figure = Figure(figsize=(WIDTH / DPI, height / DPI), dpi=DPI, facecolor="white")
        self.agg = FigureCanvasAgg(self.figure)
        self.renderer = self.agg.get_renderer()  # type: ignore[no-untyped-call]
        self.flip = Affine2D().scale(1, -1).translate(0, height)
        self.words: list[str] = []

    def add(self, artist: Any) -> None:
        artist.set_transform(self.flip)
        self.figure.add_artist(artist)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        prop: FontProperties,
        *,
        colour: str = INK,
        ha: str = "left",
        va: str = "top",
        backdrop: bool = False,
    ) -> Text:
        from matplotlib.text import Text

        artist = Text(x, y, text, fontproperties=prop, color=colour, ha=ha, va=va, linespacing=1.15)
        if backdrop:
            artist.set_bbox(
                {"boxstyle": "square,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.9}
            )
        self.add(artist)
        self.words.append(text)
        return artist

    def size(self, text: str, prop: FontProperties) -> tuple[float, float]:
        """Width and height of `text` as `text()` would draw it (not drawn)."""
        from matplotlib.text import Text

        artist = Text(0, 0, text, fontproperties=prop, linespacing=1.15)
        artist.set_transform(self.flip)
        artist.set_figure(self.figure)
        extent = artist.get_window_extent(self.renderer)
        return float(extent.width), float(extent.height)

    def box(self, artist: Text) -> Box:
        """In plain floats: matplotlib's are numpy's, and a `MapPicture` holding them would
        make the bot process import numpy (20 MB) to read what the render worker sent."""
        extent = artist.get_window_extent(self.renderer)
        x0, y0, x1, y1 = (float(v) for v in (extent.x0, extent.y0, extent.x1, extent.y1))
        return Box(x0, self.height - y1, x1, self.height - y0)

    def fit(self, text: str, prop: FontProperties, max_width: float, lines: int = 2) -> str:
        """`text` wrapped onto at most `lines` lines no wider than `max_width`."""
        for width in (40, 32, 26, 22, 18, 15, 12, 10, 8):
            wrapped = _wrap(text, width, lines)
            if self.size(wrapped, prop)[0] <= max_width:
                return wrapped
        return _wrap(text, 6, lines)

    def png(self, height: int, title: str) -> bytes:
        """The top `height` pixels as a PNG with a 256-colour palette: a third of the size
        of full colour, encoded in a fraction of the time, and alike to the eye."""
        from PIL import Image
        from PIL.PngImagePlugin import PngInfo

        self.agg.draw()  # type: ignore[no-untyped-call]
        rgba = self.agg.buffer_rgba()  # type: ignore[no-untyped-call]
        image = Image.frombuffer("RGBA", (WIDTH, self.height), rgba, "raw", "RGBA", 0, 1)
        image = image.crop((0, 0, WIDTH, height)).convert("RGB")
        palette = image.quantize(256, method=Image.Quantize.FASTOCTREE)
        info = PngInfo()
        info.add_itxt("Title", title)
        info.add_itxt("Description", "\n".join(self.words))
        out = io.BytesIO()
        palette.save(out, format="PNG", compress_level=3, pnginfo=info)
        return out.getvalue()


def _marker(canvas: _Canvas, x: float, y: float, r: float, decision: str) -> None:
    from matplotlib.patches import Circle as Disc
    from matplotlib.patches import Rectangle

    if decision == "no":
        side = r * 1.7
        canvas.add(
            Rectangle(
                (x - side / 2, y - side / 2), side, side, fc=COLOURS["no"], ec="white", lw=1.5
            )
        )
    elif decision == "yes":
        canvas.add(Disc((x, y), r, fc=COLOURS["yes"], ec="white", lw=1.5))
    else:
        canvas.add(Disc((x, y), r * 0.92, fc=COLOURS["open"], ec=OPEN_EDGE, lw=3))


def _approached_ring(canvas: _Canvas, x: float, y: float, r: float) -> None:
    from matplotlib.patches import Circle as Disc

    canvas.add(Disc((x, y), r + 5, fill=False, ec=APPROACHED, lw=3))


def _circle(canvas: _Canvas, texts: MapTexts) -> list[Text]:
    """Sectors, rings, dividers and the family in the centre; returns the texts drawn."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle as Disc
    from matplotlib.patches import Wedge

    c = CIRCLE
    outer = c.rings[-1]
    for group in GROUP_ORDER:
        start, end = sector(group)
        wedge = Wedge(
            (c.cx, c.cy), outer, math.degrees(start), math.degrees(end), fc=TINTS[group][0]
        )
        wedge.set_edgecolor("none")
        canvas.add(wedge)
    for radius in c.rings:
        canvas.add(Disc((c.cx, c.cy), radius, fill=False, ec=LINE, lw=1.6))
    for angle in (0.0, math.pi / 2, math.pi, -math.pi / 2):
        dx, dy = math.cos(angle), math.sin(angle)
        xs = [c.cx + c.family * dx, c.cx + outer * dx]
        ys = [c.cy + c.family * dy, c.cy + outer * dy]
        canvas.add(Line2D(xs, ys, color=LINE, lw=1.6))
    canvas.add(Disc((c.cx, c.cy), c.family, fc="#FBE9D0", ec="#8A5A00", lw=2.5))
    bold = _font(24, bold=True)
    family = canvas.fit(fonts.printable(texts.family), bold, 2 * c.family - 30)
    drawn = [canvas.text(c.cx, c.cy, family, bold, ha="center", va="center")]
    for closeness, radius in zip(CLOSENESS_ORDER, c.rings, strict=True):
        label = fonts.printable(texts.rings[closeness])
        drawn.append(
            canvas.text(
                c.cx,
                c.cy - radius + 7,
                label,
                _font(18, italic=True),
                colour=MUTED,
                ha="center",
                backdrop=True,
            )
        )
    corners = {
        "household": (MARGIN - 10, HEADER + 6, "left", "top"),
        "friends": (WIDTH - MARGIN + 10, HEADER + 6, "right", "top"),
        "community": (WIDTH - MARGIN + 10, HEADER + SQUARE - 6, "right", "bottom"),
        "professional": (MARGIN - 10, HEADER + SQUARE - 6, "left", "bottom"),
    }
    for group, (x, y, ha, va) in corners.items():
        title = canvas.fit(fonts.printable(texts.groups[group]), bold, 300)
        drawn.append(canvas.text(x, y, title, bold, colour=TINTS[group][1], ha=ha, va=va))
    return drawn


def _sizes(count: int, crowd: int) -> tuple[float, float]:
    """Label size and marker radius: smaller as the map fills up, never below readable."""
    label = 24.0 if count <= 12 else 21.0 if count <= 24 else 19.0
    radius = 13.0 if crowd <= 8 else 10.0 if crowd <= 16 else 7.0
    return label, radius


def _legend(canvas: _Canvas, texts: MapTexts, top: float) -> tuple[list[Text], float]:
    """The legend from `top`, in two columns when the entries fit; returns its texts and
    its height. A decision without a text is left out (the family's copy, without the
    people the parent refused, has no "not to be contacted")."""
    entries = [(texts.decisions[d], d) for d in DECISION_ORDER if d in texts.decisions]
    entries.append((texts.approached, "approached"))
    prop = _font(21)
    labels = [fonts.printable(label) for label, _ in entries]
    half = (WIDTH - 2 * MARGIN) / 2
    columns = 2 if max(canvas.size(label, prop)[0] for label in labels) + 64 <= half else 1
    drawn = [canvas.text(MARGIN, top, fonts.printable(texts.legend_title), _font(22, bold=True))]
    row_height = 42
    for n, (label, (_, kind)) in enumerate(zip(labels, entries, strict=True)):
        col, row = (n % 2, n // 2) if columns == 2 else (0, n)
        x, y = MARGIN + col * half, top + 46 + row * row_height
        _marker(canvas, x + 14, y + 14, 11, "open" if kind == "approached" else kind)
        if kind == "approached":
            _approached_ring(canvas, x + 14, y + 14, 11)
        drawn.append(canvas.text(x + 44, y + 2, label, prop))
    rows = math.ceil(len(entries) / columns)
    return drawn, 46 + rows * row_height


KEY_ROW = 32


def _key(
    canvas: _Canvas, texts: MapTexts, names: list[tuple[int, str]], top: float
) -> tuple[list[Text], float]:
    """Names that found no room beside their marker, by the number in the marker: in two
    columns when every name fits in one, else one per line. Returns texts and height."""
    canvas.text(MARGIN, top, fonts.printable(texts.key_title), _font(22, bold=True))
    prop, number_prop = _font(20), _font(20, bold=True)
    half = (WIDTH - 2 * MARGIN) / 2
    columns = 2 if all(canvas.size(name, prop)[0] <= half - 64 for _, name in names) else 1
    width = (WIDTH - 2 * MARGIN) / columns
    drawn = []
    for n, (number, name) in enumerate(names):
        x = MARGIN + (n % columns) * width
        y = top + 40 + (n // columns) * KEY_ROW
        # Number and name apart, so a right-to-left name cannot move the number.
        canvas.text(x + 30, y, str(number), number_prop, ha="right")
        drawn.append(canvas.text(x + 40, y, canvas.fit(name, prop, width - 64, 1), prop))
    return drawn, 56 + math.ceil(len(names) / columns) * KEY_ROW


def draw(people: Sequence[MapPerson], texts: MapTexts) -> MapPicture:
    """The whole picture; people are drawn in the order given (the caller sorts).

    Glyphs are not hinted: at this size that looks the same and is faster, and texts are
    measured, drawn and measured again under the one setting, so the boxes the layout
    keeps apart are the boxes that are drawn.
    """
    import matplotlib

    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        return _draw(people, texts)


def _draw(people: Sequence[MapPerson], texts: MapTexts) -> MapPicture:
    legend_top = HEADER + SQUARE + 24
    longest = legend_top + 46 + 4 * 42 + 20 + 56 + len(people) * KEY_ROW + 24
    canvas = _Canvas(int(longest))
    title = canvas.fit(fonts.printable(texts.title), _font(36, bold=True), WIDTH - 2 * MARGIN, 1)
    fixed = [
        canvas.text(MARGIN, 30, title, _font(36, bold=True)),
        canvas.text(MARGIN, 84, fonts.printable(texts.date), _font(22), colour=MUTED),
    ]
    fixed += _circle(canvas, texts)
    if not people:
        fixed += _empty(canvas, texts)

    cells = [(p.group, p.closeness) for p in people]
    label_px, r = _sizes(len(people), max(Counter(cells).values(), default=0))
    spots = place_markers(cells, CIRCLE, r + 5)  # room for the "approached" ring
    names = [
        _wrap(_marked(fonts.printable(p.name)) if p.approached else fonts.printable(p.name), 22, 3)
        for p in people
    ]
    prop = _font(label_px)
    sizes = [canvas.size(name, prop) for name in names]
    c = CIRCLE
    obstacles = [canvas.box(t) for t in fixed]
    obstacles.append(Box(c.cx - c.family, c.cy - c.family, c.cx + c.family, c.cy + c.family))
    bounds = Box(8, HEADER, WIDTH - 8, HEADER + SQUARE)
    placements = place_labels(spots, sizes, obstacles, bounds, (c.cx, c.cy))
    keyed = [i for i, at in enumerate(placements) if at is None]
    numbers = {i: n for n, i in enumerate(keyed, start=1)}

    labels = _people(canvas, people, spots, names, placements, numbers, prop)
    legend, legend_height = _legend(canvas, texts, legend_top)
    fixed += legend
    height = legend_top + legend_height + 24
    if keyed:
        key_top = legend_top + legend_height + 20
        entries = [(numbers[i], fonts.printable(people[i].name)) for i in keyed]
        key, key_height = _key(canvas, texts, entries, key_top)
        labels += key
        height = key_top + key_height + 24
    png = canvas.png(int(height), fonts.printable(texts.title))
    return MapPicture(
        png=png,
        width=WIDTH,
        height=int(height),
        labels=tuple(canvas.box(t) for t in labels),
        texts=tuple(canvas.box(t) for t in fixed),
        numbered=len(keyed),
        words=tuple(canvas.words),
    )


def _empty(canvas: _Canvas, texts: MapTexts) -> list[Text]:
    """Nothing is missing: the circle is there, ready, and says plainly that it is empty."""
    c = CIRCLE
    hint_prop = _font(21)
    hint = canvas.fit(fonts.printable(texts.empty_hint), hint_prop, 2 * c.rings[0] + 40, 3)
    return [
        canvas.text(
            c.cx,
            c.cy + c.family + 30,
            fonts.printable(texts.empty),
            _font(26, bold=True),
            ha="center",
            backdrop=True,
        ),
        canvas.text(
            c.cx, c.cy + c.family + 76, hint, hint_prop, colour=MUTED, ha="center", backdrop=True
        ),
    ]


def _people(
    canvas: _Canvas,
    people: Sequence[MapPerson],
    spots: Sequence[Spot],
    names: Sequence[str],
    placements: Sequence[Placement | None],
    numbers: dict[int, int],
    prop: FontProperties,
) -> list[Text]:
    """Markers, leader lines and labels; a person without room gets their number."""
    from matplotlib.lines import Line2D

    labels: list[Text] = []
    number_prop = _font(13, bold=True)
    for i, (person, spot, name, at) in enumerate(
        zip(people, spots, names, placements, strict=True)
    ):
        r = spot.r - 5
        if at is not None and at.leader is not None:
            x0, y0, x1, y1 = at.leader
            canvas.add(Line2D([x0, x1], [y0, y1], color=MUTED, lw=1.2))
        _marker(canvas, spot.x, spot.y, r, person.decision)
        if person.approached:
            _approached_ring(canvas, spot.x, spot.y, r)
        if at is None:
            colour = INK if person.decision == "open" else "white"
            canvas.text(
                spot.x,
                spot.y,
                str(numbers[i]),
                number_prop,
                colour=colour,
                ha="center",
                va="center",
            )
            continue
        labels.append(canvas.text(at.box.x0, at.box.y0, name, prop, backdrop=True))
    return labels
