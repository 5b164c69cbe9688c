"""One typed line read into its parts (#16): a person on the map, who does what in an
approach. Each saves the taps a practitioner used to spend on steps that only asked for
one part; what a line does not say is asked afterwards, never guessed wrong."""

from __future__ import annotations

import pytest

from bot.actions.approach import read_tasks
from bot.actions.labels import REFUSALS
from bot.actions.person_line import PersonLine, read_person_line, typed_person_line
from bot.engine.errors import Reject


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        (
            "oma Els, familie, dichtbij, haalt de kinderen op",
            PersonLine("oma Els", "household", "close", "haalt de kinderen op"),
        ),
        ("buurvrouw Ans, ertussenin", PersonLine("buurvrouw Ans", "community", "middle")),
        ("Sanne", PersonLine("Sanne")),  # a first name says no group: it is asked
        ("Sanne; vrienden; verder weg", PersonLine("Sanne", "friends", "far")),
        ("juf A., dichtbij", PersonLine("juf A.", "community", "close")),
        ("Mo, een beetje, school", PersonLine("Mo", "community", "middle")),
        (
            "grandma Els, family, close, picks up the children, on Wednesdays",
            PersonLine("grandma Els", "household", "close", "picks up the children, on Wednesdays"),
        ),
        ("opa, vrienden", PersonLine("opa", "friends")),  # what is typed beats the role
    ],
)
def test_a_person_typed_as_one_line_is_read_into_its_parts(typed: str, read: PersonLine) -> None:
    assert read_person_line(typed) == read


def test_contact_details_in_a_person_line_are_refused_wherever_they_are() -> None:
    with pytest.raises(Reject) as refused:
        typed_person_line("oma, 06 12345678")
    assert refused.value.msgid == REFUSALS["person"]["phone"]
    with pytest.raises(Reject) as refused:
        typed_person_line("oma, Kerkweg 3a")
    assert refused.value.msgid == REFUSALS["person"]["address"]
    with pytest.raises(Reject) as refused:
        typed_person_line("Dorpsstraat 12, dichtbij")
    assert refused.value.msgid == REFUSALS["person"]["address"]
    typed_person_line("buurman Jan, kookt tot 15-03-2027 op maandag")  # a date passes


@pytest.mark.parametrize(
    ("typed", "tasks"),
    [
        (
            "ouder: vraagt oma eerst oma: laat het weten ik: bel haar",
            {
                "resp_parent": "vraagt oma eerst",
                "resp_person": "laat het weten",
                "resp_self": "bel haar",
            },
        ),
        (
            "De ouder: vraagt het om 10:00 aan Ans; Ans: belt terug",
            {"resp_parent": "vraagt het om 10:00 aan Ans", "resp_person": "belt terug"},
        ),
        ("Oma Els: past op", {"resp_person": "past op"}),
        ("jij: belt elke week", {"resp_self": "belt elke week"}),
        (
            "vraagt oma eerst; laat het weten",  # without "who:" in the order asked for
            {"resp_parent": "vraagt oma eerst", "resp_person": "laat het weten"},
        ),
    ],
)
def test_who_does_what_typed_in_one_message_is_read_by_who(
    typed: str, tasks: dict[str, str]
) -> None:
    person = "Ans" if "Ans" in typed else "Oma Els"
    assert read_tasks(typed, person) == tasks


def test_the_middle_ring_is_shown_in_the_words_a_practitioner_types() -> None:
    """ "middel" typed in a person line is the middle ring; the bot used to show that ring
    as "een beetje" (a little), which reads as less close than what was typed. Its Dutch
    name is "tussenin" now, on the buttons, in the line read back and on the map."""
    from pathlib import Path

    from bot.actions.network import RING_TITLES
    from bot.actions.people import CLOSENESS
    from bot.i18n import Catalogs

    nl = Catalogs(Path(__file__).parent.parent / "locales").get("nl")
    assert read_person_line("oma Els, familie, middel, haalt op").closeness == "middle"
    assert nl.gettext(CLOSENESS["middle"]) == "tussenin"
    assert nl.gettext(RING_TITLES["middle"]) == "Tussenin"
    for word in ("tussenin", "midden", "middel"):
        assert read_person_line(f"oma Els, {word}").closeness == "middle", word
