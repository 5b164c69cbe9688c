"""The renderers on their own, without a database: the network picture's layout (no two
texts overlap, however many people), fonts for every script, and the PDF's content."""

from __future__ import annotations

import io
import itertools
import logging
import pickle

import pytest
from PIL import Image

from bot.render import fonts, netmap
from bot.render import plan as pdf
from bot.render.layout import Box, Circle, place_labels, place_markers
from bot.render.model import (
    CLOSENESS_ORDER,
    GROUP_ORDER,
    Column,
    MapPerson,
    PlanDocument,
    Section,
    Table,
)
from tests.support.network import MAP_TEXTS as TEXTS
from tests.support.network import SCRIPTS, many_agreements, many_people, pdf_text


def overlapping(boxes: list[Box]) -> list[tuple[Box, Box]]:
    return [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]


def as_map(people: list) -> list[MapPerson]:  # type: ignore[type-arg]
    return [MapPerson(p.name, p.group, p.closeness, p.decision, p.approached) for p in people]


def check_layout(picture: netmap.MapPicture, count: int) -> None:
    """Every name is drawn once (beside its marker or in the key), inside the picture,
    and no text touches another."""
    assert len(picture.labels) == count
    everything = list(picture.labels) + list(picture.texts)
    assert overlapping(everything) == []
    frame = Box(0, 0, picture.width, picture.height)
    assert all(box.within(frame) for box in everything)
    with Image.open(io.BytesIO(picture.png)) as image:
        assert image.size == (picture.width, picture.height)


def test_forty_long_names_in_many_scripts_never_overlap() -> None:
    people = as_map(many_people(40))
    picture = netmap.draw(people, TEXTS)

    assert picture.width == 1080
    check_layout(picture, 40)
    assert picture.numbered < 40  # most names stand beside their marker
    drawn = "\n".join(picture.words)
    for person in people:
        assert person.name in drawn.replace("\n", " ") or person.name in drawn


def test_a_picture_crosses_to_the_bot_process_without_numpy() -> None:
    """The render worker pickles its result back; numpy values in it would make the bot
    process import numpy (about 20 MB) just to read the boxes."""
    picture = netmap.draw(as_map(many_people(5)), TEXTS)
    assert b"numpy" not in pickle.dumps(picture)
    assert b"numpy" not in pickle.dumps(pdf.render(plan_document(3, 3)))


def test_forty_people_in_one_cell_still_never_overlap() -> None:
    people = [
        MapPerson(f"Buurvrouw Annemarie van de overkant {i}", "household", "close", "yes")
        for i in range(40)
    ]
    picture = netmap.draw(people, TEXTS)
    check_layout(picture, 40)
    assert picture.numbered > 0  # no room for all of them: the key takes the rest
    assert TEXTS.key_title in picture.words


def test_an_empty_network_is_drawn_with_its_circle_and_says_so() -> None:
    picture = netmap.draw([], TEXTS)
    check_layout(picture, 0)
    drawn = {" ".join(words.split()) for words in picture.words}  # lines joined again
    assert TEXTS.empty in drawn and TEXTS.empty_hint in drawn
    assert set(TEXTS.groups.values()) | set(TEXTS.rings.values()) <= drawn
    assert TEXTS.legend_title in drawn and TEXTS.key_title not in drawn


def test_the_same_network_gives_the_same_picture() -> None:
    people = as_map(many_people(12))
    assert netmap.draw(people, TEXTS).png == netmap.draw(people, TEXTS).png


def test_labels_avoid_markers_obstacles_and_each_other() -> None:
    circle = Circle(cx=500, cy=500, family=80, rings=(200.0, 320.0, 440.0))
    cells = [(GROUP_ORDER[i % 4], CLOSENESS_ORDER[i % 3]) for i in range(24)]
    spots = place_markers(cells, circle, 14)
    obstacle = Box(480, 0, 520, 1000)  # a wall through the middle
    placed = place_labels(
        spots, [(170.0, 40.0)] * 24, [obstacle], Box(0, 0, 1000, 1000), (500, 500)
    )

    boxes = [p.box for p in placed if p is not None]
    assert len(boxes) >= 12
    assert overlapping(boxes) == []
    assert not any(box.overlaps(obstacle) for box in boxes)
    assert not any(box.overlaps(spot.box()) for box in boxes for spot in spots)
    assert overlapping([spot.box() for spot in spots]) == []  # markers apart too


def test_printable_keeps_every_script_and_never_leaves_a_box() -> None:
    for name in SCRIPTS:
        assert fonts.printable(name) == name
    assert fonts.printable("Oma 🙂 ก") == "Oma ? ?"  # no font has these: "?", never a box
    assert fonts.printable("Opa\U000e0041") == "Opa"  # invisible marks no font has go
    assert fonts.printable("Zoe\u0308") == "Zoë"  # composed to one character
    assert fonts.has_cjk("李雷") and not fonts.has_cjk("Анна")
    assert fonts.needs_shaping("محمد") and fonts.needs_shaping("דוד")
    assert not fonts.needs_shaping("Zoë Ελένη Анна")


def plan_document(people: int, agreements: int) -> PlanDocument:
    columns = (Column("Naam", 1), Column("Contact", 1))
    rows = tuple((p.name, p.decision) for p in many_people(people))
    items = many_agreements(agreements)
    agreement_rows = tuple(
        (a.text, a.who or "—", a.due or "—", "open", "14 september 2026") for a in items
    )
    agreement_columns = tuple(
        Column(title, width)
        for title, width in (("Wat", 40), ("Wie", 16), ("Tot", 13), ("Status", 10), ("Op", 21))
    )
    return PlanDocument(
        title="Netwerkplan · Gezin B.",
        subtitle="14 september 2026",
        sections=(
            Section("De mensen", Table(columns, rows), empty="Nog niemand op de kaart."),
            Section("De netwerkkaart", picture=netmap.draw([], TEXTS).png),
            Section("Afspraken", Table(agreement_columns, agreement_rows)),
            Section("Verwachtingen", Table(agreement_columns, ()), empty="Nog niets genoteerd."),
        ),
        footer="Samen met de ouders gemaakt op 14 september 2026",
        page="Pagina {page} van {pages}",
    )


def test_plan_pdf_holds_every_name_and_agreement_in_every_script(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    content = pdf.render(plan_document(40, 100))
    text = pdf_text(content)

    for written in [p.name for p in many_people(40)] + [a.text for a in many_agreements(100)]:
        if fonts.needs_shaping(written):  # extracted in visual (right-to-left) order
            assert all(word in text for word in written.split()), written
        else:
            assert written in text, written
    assert "Nog niets genoteerd." in text
    assert "Pagina 1 van" in text and "Samen met de ouders gemaakt op 14 september 2026" in text
    assert not [r for r in caplog.records if "missing" in r.getMessage()]  # no glyph lacks


def embedded(content: bytes) -> set[str]:
    """The names of the fonts a PDF embeds."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


def test_plan_embeds_the_cjk_font_only_when_needed() -> None:

    latin = pdf.render(plan_document(3, 3))  # Zoë, Łukasz, Ελένη: no CJK
    mixed = pdf.render(plan_document(10, 3))  # 李雷 among them
    assert not any("CJK" in name for name in embedded(latin))
    assert any("CJK" in name for name in embedded(mixed))
    assert len(mixed) < len(latin) + 60_000  # a subset of the font, not its 16 MB


def test_a_cjk_name_only_in_a_sections_lines_gets_its_font() -> None:
    """The family's plan lists expectations, its wish and check-ins as lines: a name there
    in Chinese characters needs the CJK font as much as one in a table."""
    lines = Section("Wat we van elkaar verwachten", lines=("李雷 komt woensdag",))
    document = PlanDocument("Ons netwerkplan", "", (lines,), footer="", page="Pagina {page}")
    content = pdf.render(document)
    assert any("CJK" in name for name in embedded(content))
    assert "李雷" in pdf_text(content)
