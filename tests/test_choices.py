"""Numbered choices (console and Matrix) and how Matrix messages become engine events."""

from __future__ import annotations

import pytest

from bot.channels.choices import numbered_lines, pick, words_of
from bot.channels.matrix.events import EVENT_NUMBER_BASE, event_number, text_event, unreadable
from bot.channels.matrix.render import command_form, keycap_number, message_content
from bot.engine.events import Command, Press, ReplyButton, Text, Unsupported

CHOICES = [
    ReplyButton("Verder ›", "next"),
    ReplyButton("⏸ Pauze", "pause"),
    ReplyButton("Ja, mag benaderd worden", "yes"),
    ReplyButton("Nee", "no"),
    ReplyButton("Nog niet, of twijfel", "open"),
]
COMMANDS = frozenset({"start", "menu", "hulp", "tips", "annuleer", "netwerkkaart"})


def test_choices_are_numbered_one_per_line() -> None:
    assert numbered_lines(CHOICES[:2]) == ["1. Verder ›", "2. ⏸ Pauze"]


@pytest.mark.parametrize(
    ("typed", "data"),
    [
        ("1", "next"),
        (" 2. ", "pause"),
        ("5)", "open"),
        ("verder", "next"),
        ("Verd", "next"),
        ("pauze", "pause"),
        ("ja", "yes"),
        ("nee", "no"),  # a whole label, though "Nee" also starts no other
        ("nog niet", "open"),
    ],
)
def test_a_number_or_the_start_of_a_label_presses_it(typed: str, data: str) -> None:
    chosen = pick(typed, CHOICES)
    assert chosen is not None and chosen.data == data


@pytest.mark.parametrize("typed", ["6", "0", "n", "oma Els", "mag ik", "12"])
def test_anything_else_is_text(typed: str) -> None:
    assert pick(typed, CHOICES) is None


def test_a_start_shared_by_two_labels_presses_neither() -> None:
    assert pick("no", [ReplyButton("Nooit", "a"), ReplyButton("Nog niet", "b")]) is None


def test_labels_are_read_without_arrows_and_emoji() -> None:
    assert words_of("⏸ Pauze ›") == "pauze"


@pytest.mark.parametrize(
    ("body", "event"),
    [
        ("!start", Command("start")),
        ("!start AbC-123", Command("start", "AbC-123")),
        ("/menu", Command("menu")),
        ("!Netwerkkaart", Command("netwerkkaart")),
        ("hulp", Command("hulp")),
        ("Tips", Command("tips")),
        ("2", Press("pause")),
        ("verder", Press("next")),
        ("tips voor oma", Text("tips voor oma")),
        ("!", Text("!")),
        ("!?", Text("!?")),
    ],
)
def test_matrix_text_reads_as_command_choice_or_text(body: str, event: object) -> None:
    assert text_event(body, CHOICES, COMMANDS) == event


def test_the_quote_of_a_reply_is_left_out() -> None:
    reply = "> <@netwerkcoach:gemeente.nl> Hoe noem je dit gezin?\n> 1. Pauze\n\nGezin A"
    assert text_event(reply, CHOICES, COMMANDS) == Text("Gezin A")
    assert text_event("> geen citaat maar tekst", CHOICES, COMMANDS) == Text(
        "> geen citaat maar tekst"
    )


def test_files_and_the_like_are_unsupported() -> None:
    assert unreadable("m.image") == Unsupported("photo")
    assert unreadable("m.something") == Unsupported("other")


def test_help_texts_name_the_commands_as_matrix_takes_them() -> None:
    text = "/menu – Hoofdmenu\nZie /tips, of <b>/hulp</b>. Niet: https://x.nl/menu, 1/2, /onbekend"
    assert command_form(text, COMMANDS) == (
        "!menu – Hoofdmenu\nZie !tips, of <b>!hulp</b>. Niet: https://x.nl/menu, 1/2, /onbekend"
    )


def test_a_message_carries_html_and_plain_text_with_its_choices() -> None:
    content = message_content("Kies <b>&lt;iets&gt;</b> of /menu", CHOICES[:2], COMMANDS)
    assert content["body"] == "Kies <iets> of !menu\n\n1. Verder ›\n2. ⏸ Pauze"
    assert content["formatted_body"] == (
        "Kies <b>&lt;iets&gt;</b> of !menu<br><br>1. Verder ›<br>2. ⏸ Pauze"
    )
    assert content["format"] == "org.matrix.custom.html"


def test_a_label_with_markup_is_escaped_in_the_html() -> None:
    content = message_content("Wie?", [ReplyButton("<b>Oma</b>", "x")], COMMANDS)
    assert "1. &lt;b&gt;Oma&lt;/b&gt;" in content["formatted_body"]
    assert "1. <b>Oma</b>" in content["body"]


def test_keycaps_with_and_without_the_variation_selector() -> None:
    assert keycap_number("1️⃣") == 1
    assert keycap_number("5\u20e3") == 5
    assert keycap_number("👍") is None


def test_matrix_event_ids_never_meet_telegram_update_ids() -> None:
    numbers = {event_number(f"$event{i}") for i in range(1000)}
    assert len(numbers) == 1000
    assert all(EVENT_NUMBER_BASE <= n < 2**63 for n in numbers)
    assert event_number("$a") == event_number("$a")


def test_matrix_says_choices_where_the_engine_says_buttons() -> None:
    from bot.channels.wording import Wording
    from bot.engine.messages import USE_BUTTONS
    from bot.i18n import Catalogs
    from tests.conftest import make_settings

    catalogs = Catalogs(make_settings("sqlite://").locales_dir)
    wording = Wording(catalogs)
    for language in ("nl", "en"):
        t = catalogs.get(language).gettext
        told = wording(f"<b>{t(USE_BUTTONS)}</b>\nStap 2")
        assert t(USE_BUTTONS) not in told
        assert told.startswith("<b>") and told.endswith("</b>\nStap 2")
    assert "knop" not in wording(catalogs.get("nl").gettext(USE_BUTTONS))
    assert wording("Gewone tekst") == "Gewone tekst"
