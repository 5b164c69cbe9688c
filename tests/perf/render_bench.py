"""How long the network picture and the plan PDF take: `python -m tests.perf.render_bench`.

A family of 40 people and 100 agreements, drawn and written the way /netwerkkaart and
/plan do it, several times over. Printed per renderer: the first call in a fresh process
(imports, font files, matplotlib's font list), then the median and the slowest of the
runs after it, as wall-clock time and as CPU time of the rendering thread. On a busy
machine the wall-clock time includes waiting for a core; the CPU time does not.

Two families are measured: Dutch names with accents ("latin"), and names in Latin, Greek,
Cyrillic, Arabic, Hebrew and Chinese ("mixed": shaping, right-to-left text and the CJK
font). The target is under half a second each on a 2-core machine; this prints the
figures and leaves the judging to the reader (it is not a test).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.render.model import (
    CLOSENESS_ORDER,
    GROUP_ORDER,
    Column,
    MapPerson,
    MapTexts,
    PlanDocument,
    Section,
    Table,
)
from tests.support.network import MAP_TEXTS

TARGET = 0.5
LATIN = (
    "Buurvrouw Annemarie",
    "Opa Hendrik",
    "Tante Ans",
    "Zoë",
    "Meester Gerrit-Jan",
    "Mevrouw Şahin",
    "Oom Jeroen",
    "Juf Inge",
)
MIXED = ("Zoë", "Łukasz", "Ελένη", "Анна", "محمد", "דוד", "李雷", "Şükrü", "Nguyễn", "Ørjan")


@dataclass(frozen=True)
class Timing:
    first_wall: float
    first_cpu: float
    walls: list[float]
    cpus: list[float]


def _texts() -> MapTexts:
    return MAP_TEXTS


def family(names: tuple[str, ...], people: int = 40) -> list[MapPerson]:
    """`people` people with long names, spread over every group and ring, as a real
    network of that size would be."""
    return [
        MapPerson(
            name=f"{names[i % len(names)]} van de overkant {i + 1}"[:40],
            group=GROUP_ORDER[i % 4],
            closeness=CLOSENESS_ORDER[(i // 4) % 3],
            decision=("yes", "no", "open")[i % 3],
            approached=i % 6 == 0,
        )
        for i in range(people)
    ]


def plan(people: list[MapPerson], picture: bytes, agreements: int = 100) -> PlanDocument:
    """The plan's sections with the volume of text /plan writes for such a family."""
    person_columns = tuple(
        Column(title, width)
        for title, width in (
            ("Naam", 20),
            ("Groep", 17),
            ("Hoe dichtbij", 12),
            ("Wat die kan betekenen", 27),
            ("Contact", 24),
        )
    )
    person_rows = tuple(
        (
            p.name,
            "Vrienden en kennissen",
            "ertussenin",
            "Kan helpen met boodschappen en op woensdag met oppassen",
            "mag benaderd worden; benaderd op 3 oktober 2026",
        )
        for p in people
    )
    columns = tuple(
        Column(title, width)
        for title, width in (
            ("Wat", 40),
            ("Wie", 16),
            ("Tot wanneer", 13),
            ("Status", 10),
            ("Genoteerd op", 21),
        )
    )
    sections = [
        Section("De mensen en wat de ouder besliste", Table(person_columns, person_rows)),
        Section("De netwerkkaart", picture=picture),
    ]
    per_section = agreements // 7 + 1
    for number, title in enumerate(
        (
            "Fase 1 · Bespreken",
            "Fase 2 · In kaart brengen",
            "Fase 3 · Benaderen",
            "Fase 4 · Afsluiten",
            "Als er een probleem is",
            "Verwachtingen",
            "Contactmomenten",
        )
    ):
        first = number * per_section
        rows = tuple(
            (
                f"Doel: {people[i % len(people)].name} haalt de kinderen op woensdag op, "
                f"zodat moeder kan werken ({i + 1})",
                people[i % len(people)].name,
                "eind maart",
                "open",
                "14 september 2026",
            )
            for i in range(first, min(first + per_section, agreements))
        )
        sections.append(Section(title, Table(columns, rows), empty="Nog niets genoteerd."))
    return PlanDocument(
        title="Netwerkplan · Gezin B.",
        subtitle="14 september 2026",
        sections=tuple(sections),
        footer="Samen met de ouders gemaakt op 14 september 2026",
        page="Pagina {page} van {pages}",
    )


def measure(work: Callable[[], object], runs: int) -> Timing:
    """The first call, then `runs` more."""
    wall, cpu = time.perf_counter(), time.thread_time()
    work()
    first_wall, first_cpu = time.perf_counter() - wall, time.thread_time() - cpu
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.thread_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.thread_time() - cpu)
    return Timing(first_wall, first_cpu, walls, cpus)


def _row(label: str, timing: Timing) -> str:
    median_wall, median_cpu = statistics.median(timing.walls), statistics.median(timing.cpus)
    verdict = "under" if median_cpu < TARGET and median_wall < TARGET else "OVER"
    return (
        f"{label:<28} {timing.first_wall:>7.3f} {timing.first_cpu:>7.3f}   "
        f"{median_wall:>7.3f} {max(timing.walls):>7.3f}   "
        f"{median_cpu:>7.3f} {max(timing.cpus):>7.3f}   {verdict} {TARGET:g} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.render_bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="runs after the first (10)")
    args = parser.parse_args(argv)

    from bot.render import netmap
    from bot.render import plan as pdf

    print("40 people, 100 agreements; seconds")
    print(f"{'':<28} {'first':>7} {'':>7}   {'median':>7} {'max':>7}   {'median':>7} {'max':>7}")
    print(f"{'':<28} {'wall':>7} {'cpu':>7}   {'wall':>7} {'wall':>7}   {'cpu':>7} {'cpu':>7}")
    for label, names in (("latin", LATIN), ("mixed", MIXED)):
        people, texts = family(names), _texts()
        drawing = measure(lambda: netmap.draw(people, texts), args.runs)  # noqa: B023
        print(_row(f"picture (PNG), {label}", drawing))
        document = plan(people, netmap.draw(people, texts).png)
        print(_row(f"plan (PDF), {label}", measure(lambda: pdf.render(document), args.runs)))  # noqa: B023
    return 0


if __name__ == "__main__":
    sys.exit(main())
