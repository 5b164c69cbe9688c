"""/netwerk, /netwerkkaart and /plan through the engine, on SQLite and PostgreSQL: what the
practitioner sees in the chat, the files that come with it, and what is recorded."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from bot.actions import network, plan
from bot.engine.events import Identity
from bot.engine.render import escape
from bot.store.models import Agreement, AuditEntry, Person
from bot.turns import Turns
from tests.support.chat import Chat
from tests.support.network import (
    APPROACHED_NL,
    NOTED_NL,
    NewAgreement,
    NewPerson,
    many_people,
    pdf_text,
    seed_network,
)
from tests.support.onboarding import onboard
from tests.test_loader import errors, write


async def audit(engine: Turns) -> list[AuditEntry]:
    async with engine.sessions() as session:
        return list((await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())


FAMILY = [
    NewPerson("Oma", "household", "close", "yes", "Haalt de kinderen op woensdag", True),
    NewPerson("Buurman Piet", "community", "middle", "no"),
    NewPerson("Juf A.", "professional", "far", "open", "Kent de kinderen goed"),
]
PLAN = [
    NewAgreement(3, "Oma haalt de kinderen op woensdag", "approach", "Oma", "eind maart"),
    NewAgreement(3, "Vraagt Oma eerst", "responsibility", "parent", done=True),
    NewAgreement(4, "Als moeder ziek is: Oma belt de school", "problem_plan", "Oma"),
    NewAgreement(4, "Oma blijft op woensdag komen", "expectation"),
    NewAgreement(4, "Over twee weken: bellen met moeder", "check_in", "practitioner"),
]


async def test_netwerk_lists_people_per_group_with_decision_and_meaning(
    chat: Chat, database_url: str
) -> None:
    await onboard(chat, "Gezin K.")
    await seed_network(database_url, chat.who.key, FAMILY)

    await chat.send("/netwerk")
    text = chat.last.text
    household = text.index(chat.t("Household / family"))
    community = text.index(chat.t("Neighbourhood, school, work, club"))
    professional = text.index(chat.t("Professionals"))
    assert household < text.index("<b>Oma</b>") < community < text.index("<b>Buurman Piet</b>")
    assert professional < text.index("<b>Juf A.</b>")
    assert chat.t("Friends, acquaintances") not in text  # an empty group is left out
    assert "Haalt de kinderen op woensdag" in text and "Kent de kinderen goed" in text
    assert "✅ <b>Oma</b>" in text and "🚫 <b>Buurman Piet</b>" in text
    assert "❔ <b>Juf A.</b>" in text
    assert chat.t("approached") in text
    assert {"✅ Oma", "🚫 Buurman Piet", "❔ Juf A."} <= set(chat.labels)


async def test_netwerk_changes_a_decision_dated_in_the_audit_trail_and_removes(
    chat: Chat, database_url: str
) -> None:
    await onboard(chat, "Gezin K.")
    await seed_network(database_url, chat.who.key, FAMILY)
    await chat.send("/netwerk")
    await chat.press("❔ Juf A.")
    card = chat.engine.flows["netwerk"].step("person").say or ""
    so_far = chat.t(card).splitlines()[-2]  # "<i>Decisions so far:</i>", translated
    assert so_far in chat.last.text
    assert chat.t("no change recorded").lower() in chat.last.text.lower()

    await chat.press("Contact decision")
    await chat.press("Yes, you may")
    assert (await chat.where()).step == "person"
    entries = [e for e in await audit(chat.engine) if e.event == "person.decision"]
    assert [e.value for e in entries] == ["yes"]
    assert entries[0].at is not None  # every change carries its moment
    async with chat.engine.sessions() as session:
        people = (await session.execute(select(Person))).scalars()
        [juf] = [p for p in people if p.name == "Juf A."]  # names are sealed: no SQL on them
        decision = (
            await session.execute(select(Agreement).where(Agreement.person_id == juf.id))
        ).scalar_one()
    assert juf.decision == "yes" and decision.kind == "decision"
    assert "Juf A." in chat.last.text and chat.t("may be contacted") in chat.last.text

    await chat.press("Contact decision")
    await chat.press("No")
    values = [e.value for e in await audit(chat.engine) if e.event == "person.decision"]
    assert values == ["yes", "no"]
    history = chat.last.text.split(so_far)[1].strip().splitlines()
    assert len(history) == 2  # one dated line per change, oldest first
    assert chat.t("may be contacted") in history[0]
    assert chat.t("not to be contacted (the parent's choice)") in history[1]

    await chat.press("Remove…")
    await chat.press("Yes, remove")
    assert (await chat.where()).step == "list"
    assert "<b>Juf A.</b>" not in chat.last.text
    assert not [label for label in chat.labels if "Juf A." in label]
    assert "person.removed" in [e.event for e in await audit(chat.engine)]


async def test_netwerkkaart_sends_a_photo_and_returns_to_the_menu(
    chat: Chat, database_url: str
) -> None:
    await onboard(chat, "Gezin K.")
    await seed_network(database_url, chat.who.key, FAMILY)
    outcome = await chat.send("/netwerkkaart")

    [photo] = outcome.attachments
    assert (photo.kind, photo.filename) == ("photo", network.MAP_FILES["nl"])
    with Image.open(io.BytesIO(photo.content)) as image:
        assert image.format == "PNG" and image.width == 1080
        described = image.text["Description"]  # type: ignore[attr-defined]
    assert "Oma" in described and "Buurman Piet" in described and "Juf A." in described
    assert chat.t("The parent's decision on contact") in described
    assert "Gezin K." in photo.caption
    assert (await chat.where()).flow == "menu"
    assert "network.map" in [e.event for e in await audit(chat.engine)]


async def test_picture_button_in_netwerk_sends_the_photo_and_stays(
    chat: Chat, database_url: str
) -> None:
    await onboard(chat, "Gezin K.")
    await seed_network(database_url, chat.who.key, FAMILY[:1])
    await chat.send("/netwerk")
    outcome = await chat.press("Network map (picture)")
    assert [a.kind for a in outcome.attachments] == ["photo"]
    assert not outcome.edit  # the list comes again below the photo, as a new message
    assert (await chat.where()).step == "list"


async def test_plan_sends_a_pdf_with_everything_and_a_summary(
    chat: Chat, database_url: str
) -> None:
    await onboard(chat, "Gezin K.")
    await seed_network(database_url, chat.who.key, FAMILY, PLAN)
    await chat.send("/plan")
    outcome = await chat.press("Working notes")

    [document] = outcome.attachments
    assert (document.kind, document.filename) == ("document", plan.PLAN_FILES["nl"])
    assert document.content.startswith(b"%PDF")
    text = pdf_text(document.content)
    for expected in ("Gezin K.", "Oma", "Buurman Piet", "Juf A.", NOTED_NL, APPROACHED_NL):
        assert expected in text, expected
    for agreement in PLAN:
        assert agreement.text in text, agreement.text
    for heading in (plan.PEOPLE, plan.MAP, "When a problem comes up", "Expectations"):
        assert chat.t(heading) in text, heading
    assert chat.t("the practitioner") in text  # the plan is for the parents too

    summary = chat.last.text
    assert chat.t(plan.SUMMARY, case="Gezin K.") in summary
    counts = {"count": "3", "yes": "1", "no": "1", "open": "1", "approached": "1"}
    assert chat.t(plan.SUMMARY_PEOPLE, **counts) in summary
    assert chat.t(plan.SUMMARY_TASKS, open="3", done="1") in summary
    assert "Oma haalt de kinderen op woensdag" in summary  # still open
    assert "Vraagt Oma eerst" not in summary  # done
    assert (await chat.where()).flow == "menu"


async def test_plan_and_picture_of_an_empty_network(chat: Chat) -> None:
    await onboard(chat, "Gezin Leeg")
    picture = await chat.send("/netwerkkaart")
    with Image.open(io.BytesIO(picture.attachments[0].content)) as image:
        described = image.text["Description"]  # type: ignore[attr-defined]
    assert chat.t("No one on the map yet.") in described

    await chat.send("/plan")
    document = (await chat.press("Working notes")).attachments[0]
    text = pdf_text(document.content)
    assert "Gezin Leeg" in text
    assert chat.t("No one on the map yet.") in text
    assert chat.t("Nothing agreed in this phase yet.") in text


async def test_english_practitioner_gets_english_picture_and_plan(
    engine: Turns, database_url: str
) -> None:
    chat = Chat(engine, Identity("test:bob", "en"))
    await onboard(chat, "Family B.")
    await seed_network(database_url, chat.who.key, FAMILY, PLAN)

    picture = (await chat.send("/netwerkkaart")).attachments[0]
    with Image.open(io.BytesIO(picture.content)) as image:
        described = image.text["Description"]  # type: ignore[attr-defined]
    for english in ("Network map · Family B.", "The parent's decision on contact", "Close by"):
        assert english in described
    assert "Netwerkkaart" not in described and "Dichtbij" not in described

    await chat.send("/plan")
    text = pdf_text((await chat.press("Working notes")).attachments[0].content)
    for english in (
        "Network plan · Family B.",
        "The people and the parent's decisions",
        "Working notes of",  # the working notes' footer: not "made together with"
        "14 September 2026",
    ):
        assert english in text, english
    assert "Netwerkplan" not in text and "14 september 2026" not in text


async def test_commands_need_an_open_family(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")
    await chat.press("Later")  # before that, /plan would finish the introduction first (#16)
    outcome = await chat.send("/plan")  # no family yet: asked to add one, no file
    assert outcome.attachments == ()
    assert chat.t("This works per family. First choose or add a family.") in chat.last.text


def test_only_end_steps_may_run_actions_and_only_known_ones(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": """
                flow: main
                title: Main
                start: first
                steps:
                  first:
                    say: Hello
                    run: note
                    buttons:
                      - id: go
                        label: Go
                        to: last
                  last:
                    run: [note, nope]
                    end: main
            """
        },
    )
    path = tmp_path / "a.yaml"
    assert errors(tmp_path) == [
        f"{path}:5: 'run' on a step is for end steps; put it on a button or input",
        f"{path}:12: unknown action 'nope'",
    ]


async def test_netwerk_list_of_forty_fits_one_telegram_message(
    chat: Chat, database_url: str
) -> None:
    await onboard(chat, "Gezin K.")
    long_meaning = "Haalt de kinderen op en helpt met het huishouden. " * 6  # 300 characters
    people = [replace(p, meaning=long_meaning[:300]) for p in many_people(40)]
    await seed_network(database_url, chat.who.key, people)
    await chat.send("/netwerk")
    assert len(chat.last.text) <= 4096  # Telegram's limit for one message
    for person in people:
        assert f"<b>{escape(person.name)}</b>" in chat.last.text
    assert len(chat.labels) == 40 + 4  # a button per person, then the step's own
