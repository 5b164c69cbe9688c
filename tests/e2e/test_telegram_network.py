"""The network picture and the shared plan through the real Telegram stack: the bot uploads
a photo (sendPhoto) and a document (sendDocument) to the stub Bot API, and the tests open
the bytes the way a phone would: the PNG with Pillow, the PDF with a PDF parser.

Families are filled through the repository (fast); one test walks fase 2 through the bot
first, so the picture is also checked against data made the way practitioners make it.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from bot.actions import network, plan
from bot.actions.people import EMPTY_MAP
from bot.config import Settings
from bot.engine.render import fill
from bot.i18n.fmt import date_long
from bot.render import fonts
from tests.support.network import (
    APPROACHED_NL,
    NOTED_EN,
    NOTED_NL,
    NewAgreement,
    NewPerson,
    many_agreements,
    many_people,
    pdf_text,
    seed_network,
)
from tests.support.onboarding import onboard_user
from tests.support.stub_bot_api import BotOutput, SimUser, StubBotAPI
from tests.support.telegram import Texts

pytestmark = pytest.mark.e2e

FILE_WAIT = 60.0
"""Seconds to wait for a file: the first picture of a process also imports matplotlib."""

FAMILY = [
    NewPerson("Oma", "household", "close", "yes", "Haalt de kinderen op woensdag", True),
    NewPerson("Buurman Piet", "community", "middle", "no"),
    NewPerson("Juf A.", "professional", "far", "open", "Kent de kinderen goed"),
    NewPerson("Zoë", "friends", "close", "yes"),
]
PLAN = [
    NewAgreement(1, "De ouder wil dat Oma meedenkt", "wish", "parent"),
    NewAgreement(3, "Oma haalt de kinderen op woensdag", "approach", "Oma", "eind maart"),
    NewAgreement(3, "Vraagt Oma eerst of ze wil", "responsibility", "parent", done=True),
    NewAgreement(4, "Als moeder ziek is: Oma belt de school", "problem_plan", "Oma"),
    NewAgreement(4, "Oma blijft op woensdag komen", "expectation"),
    NewAgreement(4, "Over twee weken: bellen met moeder", "check_in", "practitioner"),
]


def key(user: SimUser) -> str:
    return f"telegram:{user.user_id}"


async def photo(user: SimUser, command: str = "/netwerkkaart") -> BotOutput:
    await user.send(command)
    out = await user.reply(timeout=FILE_WAIT)
    assert out.method == "sendPhoto", out.describe()
    assert out.file is not None and out.file.content
    return out


async def document(user: SimUser, txt: Texts, language: str = "nl") -> tuple[BotOutput, BotOutput]:
    """/plan → "Working notes": the PDF (named in the practitioner's language), then the
    summary."""
    await user.send("/plan")
    await user.reply()  # the choice: for the family, or the working notes
    await user.press(txt.button("plan", "choose", "notes", language))
    out = await user.wait_until(lambda o: o.method == "sendDocument", timeout=FILE_WAIT)
    assert out.file is not None and out.file.filename == plan.PLAN_FILES[language]
    summary = await user.reply()
    assert summary.method == "sendMessage"
    return out, summary


def png(out: BotOutput) -> tuple[int, str]:
    """Width of the picture and the texts it says it shows (its PNG description), with
    the lines of wrapped texts joined again."""
    assert out.file is not None
    with Image.open(io.BytesIO(out.file.content)) as image:
        assert image.format == "PNG"
        described = image.text["Description"]  # type: ignore[attr-defined]
        return image.width, " ".join(described.split())


def pdf(out: BotOutput) -> str:
    assert out.file is not None and out.file.content.startswith(b"%PDF")
    return pdf_text(out.file.content)


def contains(text: str, written: str) -> bool:
    """`written` is in the PDF text; a right-to-left name comes out in visual order, so
    then each of its words must be there."""
    if fonts.needs_shaping(written):
        return all(word in text for word in written.split())
    return written in text


async def test_picture_and_plan_of_a_family_in_dutch(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(5001)
    await onboard_user(user, txt, "Gezin B.")
    await seed_network(settings.database_url, key(user), FAMILY, PLAN)

    sent = await photo(user)
    width, described = png(sent)
    assert width == 1080
    for person in FAMILY:
        assert person.name in described
    title = fill(txt.t(network.MAP_TITLE), {"case": "Gezin B."})
    assert title in described and txt.t(network.LEGEND_TITLE) in described
    assert title in (sent.plain_text or "")  # the caption
    menu = await user.reply()
    assert txt.first_line("menu", "main") in (menu.text or "")

    out, summary = await document(user, txt)
    text = pdf(out)
    today = date_long(datetime.now(UTC), "nl", settings.timezone)
    plan_title = fill(txt.t(plan.TITLE), {"case": "Gezin B."})
    for expected in (plan_title, NOTED_NL, APPROACHED_NL, today):
        assert expected in text, expected
    for person in FAMILY:
        assert person.name in text, person.name
    for agreement in PLAN:
        assert agreement.text in text, agreement.text
    for heading in (plan.PEOPLE, plan.MAP, "Expectations", "Check-ins"):
        assert txt.t(heading) in text, heading
    assert fill(txt.t(plan.NOTES_FOOTER), {"date": today}) in text  # the working notes
    assert plan_title in (summary.plain_text or "")
    people = {"count": "4", "yes": "2", "no": "1", "open": "1", "approached": "1"}
    assert fill(txt.t(plan.SUMMARY_PEOPLE), people) in (summary.plain_text or "")


async def test_an_empty_network_still_gives_a_picture_and_a_plan(
    running: StubBotAPI, txt: Texts
) -> None:
    user = running.user(5002)
    await onboard_user(user, txt, "Gezin Leeg")

    width, described = png(await photo(user))
    assert width == 1080
    assert txt.t(EMPTY_MAP) in described and txt.t(network.EMPTY_HINT) in described
    await user.reply()

    out, _summary = await document(user, txt)
    text = pdf(out)
    assert "Gezin Leeg" in text and txt.t(EMPTY_MAP) in text
    assert txt.t(plan.NO_AGREEMENTS) in text


async def test_forty_people_with_long_names_in_many_scripts_and_100_agreements(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(5003)
    await onboard_user(user, txt, "Gezin Veel")
    people, agreements = many_people(40), many_agreements(100)
    await seed_network(settings.database_url, key(user), people, agreements)

    width, described = png(await photo(user))
    assert width == 1080
    for person in people:
        assert person.name in described
    await user.reply()

    out, _summary = await document(user, txt)
    text = pdf(out)
    for person in people:
        assert contains(text, person.name), person.name
    for agreement in agreements:
        assert contains(text, agreement.text), agreement.text


async def test_an_english_practitioner_gets_everything_in_english(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(5004, language_code="en")
    await onboard_user(user, txt, "Family B.", "en")
    await seed_network(settings.database_url, key(user), FAMILY, PLAN)

    _width, described = png(await photo(user))
    for english in (
        "Network map · Family B.",
        "The parent's decision on contact",
        "may be contacted",
        "not to be contacted (the parent's choice)",
        "not discussed yet",
        "approached (phase 3)",
        "Household / family",
        "Close by",
    ):
        assert english in described, english
    assert "Netwerkkaart" not in described and "Dichtbij" not in described
    await user.reply()

    out, summary = await document(user, txt, "en")
    text = pdf(out)
    for english in (
        "Network plan · Family B.",
        "The people and the parent's decisions",
        "The network map",
        "When a problem comes up",
        "Expectations",
        "Check-ins",
        "Working notes of",
        "Page 1 of",
        NOTED_EN,
    ):
        assert english in text, english
    for dutch in ("Netwerkplan", "De mensen", "Verwachtingen", "Pagina", NOTED_NL):
        assert dutch not in text, dutch
    assert "People on the map: 4." in (summary.plain_text or "")


async def test_fase2_walked_through_the_bot_shows_in_the_picture(
    running: StubBotAPI, txt: Texts
) -> None:
    user = running.user(5005)
    await onboard_user(user, txt, "Gezin W.")
    await user.send("/fase")
    choose = await user.reply()
    title = txt.t(txt.flows["fase2"].title)
    [label] = [b for b in choose.flat_buttons if title in b]
    await user.press(label)
    await user.reply()
    await user.send("Tante Ans, vrienden, ertussenin, Komt op zaterdag langs")
    await user.reply()
    await user.press(txt.button("fase2", "decision", "refuse"))
    await user.reply()

    await user.send("/netwerk")
    listing = await user.reply()
    assert "Tante Ans" in (listing.plain_text or "")
    assert txt.t(network.GROUP_TITLES["friends"]) in (listing.plain_text or "")
    assert "Komt op zaterdag langs" in (listing.plain_text or "")

    await user.press(txt.button("netwerk", "list", "picture"))
    sent = await user.wait_until(lambda o: o.method == "sendPhoto", timeout=FILE_WAIT)
    width, described = png(sent)
    assert width == 1080 and "Tante Ans" in described
