"""The shared plan as an A4 PDF (fpdf2): headings, tables that break across pages with
their header repeated, the network picture, and a footer on every page.

fpdf2's own table and multi-cell code measures text character by character and lays out
every table twice; for a plan of a hundred agreements that alone takes over a second. So
lines are wrapped here, with the font's width table, and each line is written as one cell.
Two costly features are used only where a line needs them: HarfBuzz text shaping (with
the bidi algorithm) for right-to-left and joined scripts, and the CJK font, which is
embedded only when the plan contains Chinese, Japanese or Korean text.

What a family reads on paper sets three rules here: a word is never cut in two (a column
is made at least as wide as its longest word, taken from the others' share); the network
picture shrinks to the room left on a page rather than leaving most of it empty; and a
section's heading never stands alone at the foot of a page.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.render import fonts
from bot.render.model import PlanDocument, Section, Table

if TYPE_CHECKING:
    from fpdf import FPDF

MAIN, CJK = "dejavu", "cjk"
MARGIN = 15.0
"""Page margins in millimetres."""
BODY = 9.0
LINE = 4.2
"""Line height of body text in millimetres."""
CELL_PAD = 1.4
INK = (31, 41, 51)
MUTED = (96, 108, 120)
RULE = (190, 198, 206)
HEAD_FILL = (238, 242, 246)
PICTURE_WIDTH = 130.0
PICTURE_MIN = 95.0
"""The least height (mm) the picture shrinks to, to stay on the page it starts on."""
HEADING = 16.0
"""Room a section's heading takes, with the space above it (mm)."""
BULLET = 4.0
"""Indent of a bulleted line's text (mm)."""


def _document(doc: PlanDocument) -> FPDF:
    from fpdf import FPDF

    files = fonts.font_files()

    class _Plan(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(MAIN, "", 7.5)
            self.set_text_color(*MUTED)
            page = doc.page.replace("{page}", str(self.page_no())).replace("{pages}", "{nb}")
            line = fonts.printable(f"{doc.footer}  ·  {page}")
            self.set_text_shaping(fonts.needs_shaping(line))
            self.cell(0, 4, line, align="C")

    pdf = _Plan(format="A4", unit="mm")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.c_margin = 0  # cells are placed exactly; the tables keep their own padding
    pdf.set_auto_page_break(auto=False)
    pdf.add_font(MAIN, "", str(files.regular))
    pdf.add_font(MAIN, "B", str(files.bold))
    cjk = fonts.cjk_subset(_cjk_chars(doc))
    if cjk is not None:
        pdf.add_font(CJK, "", str(cjk))
        pdf.set_fallback_fonts([CJK], exact_match=False)
    pdf.set_title(doc.title)
    pdf.set_creator("Netwerkcoach")
    return pdf


def _texts(doc: PlanDocument) -> list[str]:
    found = [doc.title, doc.subtitle, doc.footer, doc.note]
    for section in doc.sections:
        found += [section.title, section.empty, *section.lines]
        if section.table is not None:
            found += [column.title for column in section.table.columns]
            found += [cell for row in section.table.rows for cell in row]
    return found


def _cjk_chars(doc: PlanDocument) -> frozenset[str]:
    """The Chinese, Japanese and Korean characters in the plan (usually none)."""
    cjk = fonts.cjk_coverage()
    return frozenset(
        char for text in _texts(doc) for char in fonts.printable(text) if ord(char) in cjk
    )


class _Writer:
    """Writes lines, wrapped, with a page break before anything that does not fit."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.bottom = pdf.h - MARGIN - 8
        self.bold = False
        self.pending: Callable[[], None] | None = None
        """A picture that did not fit where it came: drawn at the top of the next page,
        while the sections after it fill this one."""

    def font(self, size: float, bold: bool = False, colour: tuple[int, int, int] = INK) -> None:
        self.bold = bold
        self.pdf.set_font(MAIN, "B" if bold else "", size)
        self.pdf.set_text_color(*colour)

    def width(self, text: str) -> float:
        """Width in mm from the font's advance widths (CJK characters, drawn from the
        fallback font, are 1 em wide)."""
        advances = fonts.advances(self.bold)
        return sum(advances.get(ord(char), 1.0) for char in text) * self.pdf.font_size

    def wrap(self, text: str, width: float) -> list[str]:
        """Greedy word wrap to `width` mm; a word wider than a line is cut. Characters no
        font has become "?" first (`fonts.printable`)."""
        lines: list[str] = []
        for paragraph in fonts.printable(text).split("\n"):
            line = ""
            for word in paragraph.split(" "):
                candidate = f"{line} {word}" if line else word
                if self.width(candidate) <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                rest = word
                while self.width(rest) > width and len(rest) > 1:
                    cut = len(rest) - 1
                    while cut > 1 and self.width(rest[:cut]) > width:
                        cut -= 1
                    lines.append(rest[:cut])
                    rest = rest[cut:]
                line = rest
            lines.append(line)
        return lines

    def line(self, x: float, y: float, width: float, text: str, height: float = LINE) -> None:
        """One line, vertically centred in `height` like a cell. Plain text goes straight
        to the page; only a line that needs shaping or the CJK font goes through fpdf2's
        cell, which costs thirty times as much."""
        pdf = self.pdf
        shaped = fonts.needs_shaping(text)
        if shaped or fonts.has_cjk(text):
            pdf.set_text_shaping(shaped)
            pdf.set_xy(x, y)
            pdf.cell(width, height, text)
        else:
            pdf.text(x, y + height / 2 + 0.3 * pdf.font_size, text)

    def room(self, height: float) -> None:
        """Start a new page unless `height` mm still fit on this one; a picture waiting
        for a page (`pending`) comes first on it."""
        if self.pdf.get_y() + height > self.bottom:
            self.pdf.add_page()
            pending, self.pending = self.pending, None
            if pending is not None:
                pending()
                if self.pdf.get_y() + height > self.bottom:
                    self.pdf.add_page()

    def paragraph(
        self, text: str, size: float, *, bold: bool = False, colour: tuple[int, int, int] = INK
    ) -> None:
        self.font(size, bold, colour)
        height = size * 0.48
        width = self.pdf.w - 2 * MARGIN
        for line in self.wrap(text, width):
            self.room(height)
            y = self.pdf.get_y()
            self.line(MARGIN, y, width, line, height)
            self.pdf.set_y(y + height)


def _heading(writer: _Writer, title: str, keep: float) -> None:
    """A section title; it moves to the next page with the first `keep` mm of what
    follows, so a title never stands alone at the bottom of a page."""
    pdf = writer.pdf
    writer.room(16 + keep)
    pdf.set_y(pdf.get_y() + 5)
    writer.paragraph(title, 13, bold=True)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    y = pdf.get_y() + 0.8
    pdf.line(MARGIN, y, pdf.w - MARGIN, y)
    pdf.set_y(y + 2)


def _longest_word(writer: _Writer, texts: Sequence[str], bold: bool) -> float:
    writer.font(BODY, bold)
    words = (word for text in texts for word in fonts.printable(text).split())
    return max((writer.width(word) for word in words), default=0.0)


def column_widths(writer: _Writer, table: Table, full: float) -> list[float]:
    """Each column's width in mm: its share of `full`, but never narrower than its
    longest word (header included), so no word is cut in two ("zomervakan-tie"). What a
    column needs beyond its share is taken from the columns with room to spare, in
    proportion to that room. Only when the longest words together are wider than the
    page do the shares stand (and a word wider than its column is cut)."""
    total = sum(column.width for column in table.columns)
    shares = [full * column.width / total for column in table.columns]
    needs = []
    for index, column in enumerate(table.columns):
        cells = [row[index] for row in table.rows]
        word = max(
            _longest_word(writer, [column.title], bold=True),
            _longest_word(writer, cells, bold=False),
        )
        needs.append(word + 2 * CELL_PAD + 0.2)
    if sum(needs) > full:
        return shares
    result = list(shares)
    while True:
        short = [i for i, width in enumerate(result) if width < needs[i] - 1e-6]
        if not short:
            return result
        wanted = sum(needs[i] - result[i] for i in short)
        for i in short:
            result[i] = needs[i]
        spare = {i: result[i] - needs[i] for i in range(len(result)) if i not in short}
        room = sum(value for value in spare.values() if value > 0)
        for i, value in spare.items():
            if value > 0:
                result[i] -= wanted * value / room


def _table(writer: _Writer, table: Table) -> None:
    pdf = writer.pdf
    full = pdf.w - 2 * MARGIN
    widths_ = column_widths(writer, table, full)

    def row_lines(cells: Sequence[str], bold: bool) -> list[list[str]]:
        writer.font(BODY, bold)
        return [
            writer.wrap(cell, width - 2 * CELL_PAD)
            for cell, width in zip(cells, widths_, strict=True)
        ]

    header = row_lines([column.title for column in table.columns], bold=True)

    def draw(
        cells: list[list[str]], *, bold: bool, colour: tuple[int, int, int], fill: bool
    ) -> None:
        height = max(len(lines) for lines in cells) * LINE + 2 * CELL_PAD
        y = pdf.get_y()
        if fill:
            pdf.set_fill_color(*HEAD_FILL)
            pdf.rect(MARGIN, y, full, height, style="F")
        writer.font(BODY, bold, colour)
        x = MARGIN
        for lines, width in zip(cells, widths_, strict=True):
            for n, text in enumerate(lines):
                writer.line(x + CELL_PAD, y + CELL_PAD + n * LINE, width - 2 * CELL_PAD, text)
            x += width
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, y + height, MARGIN + full, y + height)
        pdf.set_y(y + height)

    header_height = max(len(lines) for lines in header) * LINE + 2 * CELL_PAD
    first = True
    for number, row in enumerate(table.rows):
        muted = number in table.muted
        cells = row_lines(row, bold=False)
        height = max(len(lines) for lines in cells) * LINE + 2 * CELL_PAD
        if first or pdf.get_y() + height > writer.bottom:
            writer.room(header_height + height)
            draw(header, bold=True, colour=INK, fill=True)
            first = False
        draw(cells, bold=False, colour=MUTED if muted else INK, fill=False)


def _picture_ratio(png: bytes) -> float:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return image.height / image.width


def _picture_fit(writer: _Writer, png: bytes) -> tuple[float, bool]:
    """The picture's height in mm, and whether it stays on this page: PICTURE_WIDTH wide
    (or less if a page is not that tall); smaller, down to PICTURE_MIN, when that keeps
    it on the page it starts on (with its heading)."""
    full = min(PICTURE_WIDTH * _picture_ratio(png), writer.bottom - MARGIN - 24)
    left = writer.bottom - writer.pdf.get_y() - HEADING - 3  # the heading asks 2 more
    if left >= full:
        return full, True
    return (left, True) if left >= PICTURE_MIN else (full, False)


def _picture_height(writer: _Writer, png: bytes) -> float:
    return _picture_fit(writer, png)[0]


def _picture(writer: _Writer, png: bytes, height: float) -> None:
    pdf = writer.pdf
    width = height / _picture_ratio(png)
    writer.room(height + 2)
    y = pdf.get_y() + 1
    pdf.image(io.BytesIO(png), x=(pdf.w - width) / 2, y=y, w=width, h=height)
    pdf.set_y(y + height + 1)


def _bullets(writer: _Writer, lines: Sequence[str]) -> None:
    """Each line with a bullet and a hanging indent."""
    pdf = writer.pdf
    writer.font(BODY)
    width = pdf.w - 2 * MARGIN - BULLET
    for item in lines:
        for n, text in enumerate(writer.wrap(item, width)):
            writer.room(LINE)
            y = pdf.get_y()
            if n == 0:
                writer.line(MARGIN, y, BULLET, "•")
            writer.line(MARGIN + BULLET, y, width, text)
            pdf.set_y(y + LINE)
    pdf.set_y(pdf.get_y() + 1)


def _section(writer: _Writer, section: Section) -> None:
    height = 0.0
    keep = 8.0
    if section.lines:
        keep += 2 * LINE
    elif section.table is not None and section.table.rows:
        keep += 3 * LINE + 4 * CELL_PAD
    elif section.picture is not None:
        height = _picture_height(writer, section.picture)
        keep = height + 2
    _heading(writer, section.title, keep)
    if not section.has_content:
        if section.empty:
            writer.paragraph(section.empty, BODY, colour=MUTED)
        return
    if section.lines:
        _bullets(writer, section.lines)
    if section.table is not None and section.table.rows:
        _table(writer, section.table)
    if section.picture is not None:
        _picture(writer, section.picture, height or _picture_height(writer, section.picture))


def render(doc: PlanDocument) -> bytes:
    """The plan as PDF bytes."""
    pdf = _document(doc)
    pdf.add_page()
    writer = _Writer(pdf)
    writer.paragraph(doc.title, 18, bold=True)
    pdf.set_y(pdf.get_y() + 1)
    writer.paragraph(doc.subtitle, 10.5, colour=MUTED)
    if doc.note:
        writer.paragraph(doc.note, BODY, colour=MUTED)
    for number, section in enumerate(doc.sections):
        last = number == len(doc.sections) - 1
        if _floats(writer, section) and not last and writer.pending is None:
            writer.pending = functools.partial(_section, writer, section)
            continue
        _section(writer, section)
    if writer.pending is not None:
        writer.pending()
    return bytes(pdf.output())


def _floats(writer: _Writer, section: Section) -> bool:
    """A section that is only a picture, which does not fit on this page even smaller:
    it waits for the next page, so what follows it fills this one."""
    if section.picture is None or section.lines or (section.table and section.table.rows):
        return False
    return not _picture_fit(writer, section.picture)[1]
