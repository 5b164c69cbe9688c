"""The fonts every picture and document uses, found inside installed Python packages.

DejaVu Sans ships with matplotlib and covers Latin (with every accent), Greek, Cyrillic,
Arabic, Hebrew, Armenian and Georgian; Noto Sans CJK (the `noto-cjk-sans-jp-regular`
package) adds Chinese, Japanese and Korean. A character that none of them has would show
as an empty box; `printable` turns it into "?" instead, so a name is never drawn as boxes
and a renderer never fails on one. Everything is looked up once per process.
"""

from __future__ import annotations

import importlib.util
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from bot.errors import StartupError

CJK_PACKAGE = "noto_cjk_sans_jp_regular"
CJK_FILE = "NotoSansCJKjp-Regular.otf"
CJK_FAMILY = "Noto Sans CJK JP"
MAIN_FAMILY = "DejaVu Sans"
UNKNOWN = "?"

_RTL = ("R", "AL", "AN")
_SHAPED_SCRIPTS = ("ARABIC", "HEBREW", "SYRIAC", "THAANA", "NKO")


@dataclass(frozen=True)
class FontFiles:
    """Paths of the font files; `cjk` is None when the CJK package is not installed."""

    regular: Path
    bold: Path
    cjk: Path | None


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def font_files() -> FontFiles:
    """Where the fonts are; matplotlib is a dependency, the CJK package may be left out."""
    mpl = _package_dir("matplotlib")
    if mpl is None:  # pragma: no cover - matplotlib is a required dependency
        raise StartupError("matplotlib is not installed")
    ttf = mpl / "mpl-data" / "fonts" / "ttf"
    cjk_dir = _package_dir(CJK_PACKAGE)
    cjk = cjk_dir / CJK_FILE if cjk_dir is not None else None
    return FontFiles(
        regular=ttf / "DejaVuSans.ttf",
        bold=ttf / "DejaVuSans-Bold.ttf",
        cjk=cjk if cjk is not None and cjk.exists() else None,
    )


def _charmap(path: Path) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font  # FreeType reads only the cmap: fast, even for CJK

    return frozenset(FT2Font(str(path)).get_charmap())


@cache
def main_coverage() -> frozenset[int]:
    """Code points that both DejaVu Sans faces (regular and bold) can draw."""
    files = font_files()
    return _charmap(files.regular) & _charmap(files.bold)


@cache
def cjk_coverage() -> frozenset[int]:
    files = font_files()
    return _charmap(files.cjk) - main_coverage() if files.cjk is not None else frozenset()


def _ignorable(char: str) -> bool:
    """Marks that may be dropped without changing what a reader sees: format characters
    (zero-width joiners, direction marks) and variation selectors (emoji presentation)."""
    code = ord(char)
    return (
        unicodedata.category(char) == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
    )


def printable(text: str) -> str:
    """`text` with only characters our fonts can draw: composed (NFC), invisible marks the
    fonts lack dropped, anything else they lack shown as "?"."""
    main, cjk = main_coverage(), cjk_coverage()
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        code = ord(char)
        if code in main or code in cjk or char in "\n\t ":
            out.append(char)
        elif not _ignorable(char):
            out.append(UNKNOWN)
    return "".join(out)


def has_cjk(text: str) -> bool:
    """Whether `text` needs the CJK font (after `printable`)."""
    cjk = cjk_coverage()
    return any(ord(char) in cjk for char in text)


def needs_shaping(text: str) -> bool:
    """Right-to-left or joined scripts (Arabic, Hebrew, ...) and combining marks: these
    must go through HarfBuzz and the bidi algorithm to read correctly."""
    for char in text:
        if ord(char) < 0x0300:
            continue
        if unicodedata.bidirectional(char) in _RTL or unicodedata.combining(char):
            return True
        if unicodedata.name(char, "").startswith(_SHAPED_SCRIPTS):
            return True
    return False


@cache
def advances(bold: bool = False) -> dict[int, float]:
    """Advance width of each character of DejaVu Sans, in em: measuring a line is then a
    sum, with no font engine involved (fpdf2's own measuring is much slower)."""
    from fontTools.ttLib import TTFont

    files = font_files()
    with TTFont(str(files.bold if bold else files.regular), lazy=True) as font:
        per_em = float(font["head"].unitsPerEm)
        metrics = font["hmtx"].metrics
        return {code: metrics[glyph][0] / per_em for code, glyph in font.getBestCmap().items()}


@cache
def _subset_dir() -> tempfile.TemporaryDirectory[str]:
    """Where subset fonts are written; removed when the process ends."""
    return tempfile.TemporaryDirectory(prefix="netwerkcoach-fonts-")


@lru_cache(maxsize=32)
def cjk_subset(chars: frozenset[str]) -> Path | None:
    """A small CJK font file with only `chars`, for embedding in a PDF.

    The full font has 65,000 glyphs; reading it for every document costs half a second.
    Cutting out the few characters a plan uses costs half that, once per set of
    characters (a family's plan asked for again costs nothing). No shaping tables are
    kept: CJK names need none.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    files = font_files()
    if files.cjk is None or not chars:
        return None
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "VORG", "vhea", "vmtx"]
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(char) for char in chars))
    folder = Path(_subset_dir().name)
    path = folder / f"cjk-{len(list(folder.iterdir()))}.otf"
    with TTFont(str(files.cjk), lazy=True) as font:
        subsetter.subset(font)
        font.save(str(path))
    return path
