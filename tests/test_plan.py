"""/plan through the engine: the family's copy and the working notes, read back from the
PDFs as text (pypdf): what is in them and in which order, what is left out, no word cut
in two, at most two pages for the family, a first page that is not mostly empty, and the
check-ins fase 4 keeps as reminders in both."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import import_module

import pytest
from sqlalchemy import func, select, update

from bot.actions import plan, plan_family
from bot.actions.plan_parts import CHECKIN_PLANNED, NOTED_ALL
from bot.engine.events import Identity
from bot.i18n.fmt import date_long
from bot.render import plan as pdf
from bot.render.model import Column, MapPerson, PlanDocument, Section, Table
from bot.store.models import Agreement, Reminder
from bot.turns import Turns
from tests.support.chat import Chat
from tests.support.network import NOTED_NL, NewAgreement, pages, pdf_text, seed_network
from tests.support.onboarding import onboard
from tests.support.plan import (
    AGREEMENTS,
    CHECKINS,
    CHECKINS_EN,
    CHECKINS_NL,
    EXPECTATIONS,
    OWN_NOTES,
    PEOPLE,
    REFUSED,
    TASKS,
    TYPED_CHECKIN,
    first_page_filled,
    words,
)
from tests.test_phase1_4 import SKIP_LABEL, open_phase


async def family_plan(chat: Chat, *, show: bool = False) -> bytes:
    """/plan → "For the family" (or, to show the people the parent refused, "For the
    family, with everyone"): the PDF."""
    await chat.send("/plan")
    outcome = await chat.press("For the family, with everyone" if show else "For the family")
    [document] = outcome.attachments
    assert document.kind == "document" and document.content.startswith(b"%PDF")
    assert (await chat.where()).flow == "menu"
    return document.content


async def working_notes(chat: Chat) -> bytes:
    await chat.send("/plan")
    [document] = (await chat.press("Working notes")).attachments
    assert document.filename == plan.PLAN_FILES[chat.language]
    return document.content


async def reference(
    chat: Chat,
    database_url: str,
    label: str = "Gezin R.",
    agreements: list[NewAgreement] = AGREEMENTS,
) -> None:
    await onboard(chat, label)
    await seed_network(database_url, chat.who.key, PEOPLE, agreements, CHECKINS)


def in_order(text: str, *parts: str) -> bool:
    """Each of `parts` is found after the one before it."""
    at = 0
    for part in parts:
        at = text.find(part, at)
        if at == -1:
            return False
        at += len(part)
    return True


def assert_no_word_cut(text: str, *written: str) -> None:
    """Every word written is found whole in the PDF's text: a word cut over two lines
    comes out as two ("zomervakan tie")."""
    found = set(text.split())
    cut = sorted(word for word in words(*written) if word not in found)
    assert not cut, cut


# --- the check-ins fase 4 keeps --------------------------------------------------------------


async def close_with_check_ins(chat: Chat) -> None:
    """Walk fase 4 the shortest way (skip, next, finish; a line typed where nothing can be
    skipped) to its offer of check-ins, and accept it."""
    await open_phase(chat, "fase4")
    for _ in range(40):
        where = await chat.where()
        if where.flow != "fase4" or where.step == "remind":
            break
        ways = [way for way in ("Start ›", "Finish ✓", "Next ›", SKIP_LABEL) if chat_has(chat, way)]
        if ways:
            await chat.press(ways[0])
        else:
            await chat.text("Het gaat beter.")
    assert (await chat.where()).step == "remind"
    await chat.press("Yes, remind me")


def chat_has(chat: Chat, label: str) -> bool:
    return bool({label, chat.t(label)} & set(chat.labels))


async def test_check_ins_planned_in_fase4_are_in_both_documents(chat: Chat) -> None:
    """Fase 4's "Yes, remind me" keeps the check-ins after 2, 6 and 12 weeks as reminders,
    not as agreements; the plan read only the agreements and said "nothing noted"."""
    await onboard(chat)
    await close_with_check_ins(chat)
    async with chat.engine.sessions() as session:
        found = await session.execute(select(Reminder).order_by(Reminder.due_at))
        reminders = [r for r in found.scalars() if r.kind == "checkin"]
    assert len(reminders) == 3
    zone = chat.engine.settings.timezone
    days = [date_long(r.due_at, chat.language, zone) for r in reminders]
    dates = [chat.t(CHECKIN_PLANNED).replace("{date}", day) for day in days]

    for content in (await family_plan(chat), await working_notes(chat)):
        text = pdf_text(content)
        for line in dates:
            assert line in text, line
        assert chat.t("No check-ins planned yet.") not in text
        assert chat.t("Nothing noted yet.") not in text.split(chat.t("Check-ins"))[-1]


# --- for the family ------------------------------------------------------------------------


async def test_family_plan_puts_what_goes_wrong_first_and_fits_two_pages(
    chat: Chat, database_url: str
) -> None:
    await reference(chat, database_url)
    await chat.send("/plan")
    names = "<b>Opa Henk</b>, <b>Buurman Piet</b>"
    assert chat.has(plan_family.REFUSED_NOTE, names=names)  # the default said first
    content = await family_plan(chat)
    text = pdf_text(content)

    headings = [plan_family.WRONG, plan_family.TASKS, plan_family.EXPECT]
    headings += [plan_family.CHECKINS, plan_family.MAP]
    title = chat.t(plan_family.TITLE, case="Gezin R.")
    assert in_order(text, title, *(chat.t(h) for h in headings))
    assert text.index(chat.t(plan_family.WRONG)) < text.index("Moeder slaapt slecht")
    # Signal → who → what and how: the stored sentence in its three columns.
    assert in_order(text, "Moeder slaapt slecht en is erg moe", "Oma Els", "neemt de kinderen")
    assert "Signaal: Moeder" not in text
    for task in TASKS:
        assert task.text in text, task.text
        if task.due:
            assert task.due in text
    assert chat.t("the practitioner") in text and chat.t("the parent") in text
    for expected in EXPECTATIONS:
        assert expected.text in text
    assert TYPED_CHECKIN.text in text
    for day in CHECKINS_NL:
        assert chat.t(CHECKIN_PLANNED).replace("{date}", day) in text

    # Nothing the practitioner noted for themselves, no one the parent refused.
    for note in OWN_NOTES:
        assert note.text not in text, note.text
    for marker in ("Openingszin", "vertrouwen", "twijfelt", chat.t(plan.NOTED)):
        assert marker not in text, marker
    for name in REFUSED:
        assert name not in text, name
    assert chat.t(plan.WORKING_NOTES) not in text
    assert "Moeder neemt de telefoon niet op" not in text  # the plan naming Buurman Piet
    assert chat.t(plan_family.LEFT_OUT, names="Opa Henk, Buurman Piet") in chat.last.text

    assert len(pages(content)) <= 2
    assert first_page_filled(content) >= 0.6
    assert_no_word_cut(text, *(a.text for a in TASKS + EXPECTATIONS), *(a.due or "" for a in TASKS))


async def test_the_parent_may_choose_to_show_the_people_they_refused(
    chat: Chat, database_url: str
) -> None:
    await reference(chat, database_url)
    text = pdf_text(await family_plan(chat, show=True))
    assert "Moeder neemt de telefoon niet op" in text and "Buurman Piet" in text
    assert chat.t(plan_family.LEFT_OUT, names="Opa Henk, Buurman Piet") not in chat.last.text


async def test_without_refused_people_the_family_plan_comes_at_once(
    chat: Chat, database_url: str
) -> None:
    await onboard(chat, "Gezin K.")
    await seed_network(database_url, chat.who.key, PEOPLE[:1], TASKS[:1])
    await chat.send("/plan")
    assert not chat_has(chat, "For the family, with everyone")  # no one to show or hide
    assert chat.t(plan_family.REFUSED_NOTE).split(":")[0] not in chat.last.text
    outcome = await chat.press("For the family")
    [document] = outcome.attachments
    assert document.filename == plan_family.FAMILY_FILES["nl"] == "netwerkplan.pdf"
    text = pdf_text(document.content)
    assert chat.t(plan_family.NO_PLAN) in text and chat.t(plan_family.NO_CHECKINS) in text
    assert len(pages(document.content)) == 1


async def test_english_family_plan_is_english_throughout(engine: Turns, database_url: str) -> None:
    chat = Chat(engine, Identity("test:bob", "en"))
    wrong = NewAgreement(
        4,
        "Signal: No food at home. Then Gran: cooks along; mother texts her",
        "problem_plan",
        "Gran",
        detail={"signal": "No food at home", "action": "cooks along; mother texts her"},
    )
    await reference(
        chat,
        database_url,
        "Family R.",
        [*(a for a in AGREEMENTS if a.kind != "problem_plan"), wrong],
    )
    await chat.send("/plan")
    [document] = (await chat.press("For the family")).attachments
    assert document.filename == "network-plan.pdf"
    text = pdf_text(document.content)
    for english in (
        "Our network plan · Family R.",
        "When things go wrong",
        "Signal",
        "What they do, and how to reach them",
        "No food at home",
        "cooks along; mother texts her",
        "Who does what",
        "Until when",
        "the practitioner",
        "Check-ins",
        f"{CHECKINS_EN[0]}: the practitioner checks in on how it is going",
        "Our network",
        "Made together with the parents on",
        "Page 1 of 2",
    ):
        assert english in text, english
    for dutch in ("Ons netwerkplan", "Als het misgaat", "Signaal", "de hulpverlener", "Pagina"):
        assert dutch not in text, dutch

    notes = await working_notes(chat)
    assert plan.PLAN_FILES["en"] == "network-plan-working-notes.pdf"
    assert "Network plan · Family R." in pdf_text(notes)


# --- the working notes ---------------------------------------------------------------------


async def test_working_notes_hold_everything_and_say_a_shared_date_once(
    chat: Chat, database_url: str
) -> None:
    await reference(chat, database_url)
    content = await working_notes(chat)
    text = pdf_text(content)
    assert chat.t(plan.WORKING_NOTES) in text
    for agreement in AGREEMENTS:
        # A plan for when things go wrong is shown in its parts, as in the family's copy.
        for part in agreement.detail.values() if agreement.detail else [agreement.text]:
            assert part in text, part
    assert "Signaal: Moeder" not in text
    for person in PEOPLE:
        assert person.name in text
    for day in CHECKINS_NL:
        assert day in text
    # Everything was noted on one day: said once in the document, not under every heading
    # (asked in session 4: it repeated under each), nor on every row.
    assert chat.t(plan.NOTED) not in text
    assert text.count(chat.t(NOTED_ALL, date=NOTED_NL)) == 1
    assert text.count(NOTED_NL) == 1
    # The practitioner's own notes were not made together with the family: only the
    # family's document says so in its footer.
    assert chat.t(plan.MADE).split("{date}")[0].strip() not in text
    assert chat.t(plan.NOTES_FOOTER).split("{date}")[0].strip() in text
    # Phase 4 has no agreement of its own kind, but plans under their own headings: no
    # "nothing agreed in this phase" above them.
    assert chat.t(plan.NO_AGREEMENTS) not in text
    assert first_page_filled(content) >= 0.6
    parts = (part for a in AGREEMENTS for part in (a.detail or {"text": a.text}).values())
    assert_no_word_cut(text, *parts, *(a.due or "" for a in AGREEMENTS))
    assert chat.t(plan.SUMMARY_AFTER, problem_plan="3", expectation="3", check_in="4") in (
        chat.last.text
    )


async def test_working_notes_keep_the_noted_on_column_when_dates_differ(
    chat: Chat, database_url: str
) -> None:
    await onboard(chat, "Gezin K.")
    await seed_network(database_url, chat.who.key, [], TASKS[:2])
    async with chat.engine.sessions() as session, session.begin():
        first = (await session.execute(select(func.min(Agreement.id)))).scalar_one()
        await session.execute(
            update(Agreement).where(Agreement.id == first).values(created_at=NOTED_SECOND)
        )
    text = pdf_text(await working_notes(chat))
    assert chat.t(plan.NOTED) in text and NOTED_NL in text and "15 september 2026" in text


NOTED_SECOND = datetime(2026, 9, 15, 10, 0, tzinfo=UTC)


async def test_an_empty_phase_still_says_so(chat: Chat, database_url: str) -> None:
    await onboard(chat, "Gezin K.")
    await seed_network(database_url, chat.who.key, [], [NewAgreement(3, "Oma belt", "approach")])
    text = pdf_text(await working_notes(chat))
    assert text.count(chat.t(plan.NO_AGREEMENTS)) == 3  # phases 1, 2 and 4


# --- pieces ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "who", "expected"),
    [
        (
            "Signaal: Moeder slaapt slecht. Dan oma: neemt de kinderen; moeder belt haar",
            "oma",
            ("Moeder slaapt slecht", "neemt de kinderen; moeder belt haar"),
        ),
        (
            "Signal: No food at home. Then Gran: cooks along; mother texts her",
            "Gran",
            ("No food at home", "cooks along; mother texts her"),
        ),
        (
            "Signaal: Moeder zegt: het gaat niet. Dan ik (de hulpverlener): bel moeder",
            "ik (de hulpverlener)",
            ("Moeder zegt: het gaat niet", "bel moeder"),
        ),
        ("Signaal: Moeder is ziek, dus oma: komt", "oma", None),
        ("Oma komt als het misgaat", "oma", None),
    ],
)
def test_a_plan_kept_as_one_sentence_is_split_once_by_the_migration(
    text: str, who: str, expected: tuple[str, str] | None
) -> None:
    """Migration 0012 reads the parts of plans noted before they were kept as parts (in
    either language), as `split_problem_plan` read them for every plan before; the plan
    documents no longer read sentences."""
    migration = import_module("bot.store.migrations.versions.0012_agreement_detail")
    found = migration.split_plan(text, who)
    assert (found["signal"], found["action"]) == expected if found else expected is None


def test_a_narrow_column_is_widened_so_no_word_is_cut() -> None:
    columns = (Column("Wat", 70), Column("Wie", 20), Column("Tot", 10))
    rows = (("Oma haalt de kinderen op", "Oma", "na de zomervakantie"),)
    document = PlanDocument(
        title="Plan",
        subtitle="",
        sections=(Section("Taken", Table(columns, rows)),),
        footer="",
        page="{page}/{pages}",
    )
    text = pdf_text(pdf.render(document))
    assert "zomervakantie" in text.split()


def test_a_refused_name_is_found_as_a_whole_name_not_inside_a_shown_one() -> None:
    from bot.actions.plan_parts import Refused
    from bot.store.models import Person

    people = [
        Person(id=1, name="Oma", decision="no"),
        Person(id=2, name="Oma Els", decision="yes"),
        Person(id=3, name="Piet", decision="no"),
    ]
    refused = Refused.of(people)

    def about(text: str, who: str | None = None, person: int | None = None) -> bool:
        return refused.agreement(Agreement(text=text, who=who, person_id=person))

    assert about("Oma haalt de kinderen op")
    assert about("De kinderen gaan naar  oma")
    assert not about("Oma Els haalt de kinderen op")
    assert about("Oma Els en oma koken samen")
    assert not about("Pieter komt langs") and not about("Moeder belt de school")
    assert about("Komt langs", who="piet") and about("Komt langs", person=3)
    assert not Refused.of(people[1:2]).agreement(Agreement(text="Oma komt"))


@pytest.mark.parametrize("rows", [8, 12, 16, 20])
def test_the_first_page_is_filled_whether_or_not_the_picture_fits_on_it(rows: int) -> None:
    """A picture that does not fit below the people shrinks to the room left, or, when
    that room is too small, comes at the top of the next page while the agreements after
    it fill this one: the lower half of the first page is never left empty."""
    from bot.render import netmap
    from tests.support.network import MAP_TEXTS, many_people

    people = [MapPerson(p.name, p.group, p.closeness, p.decision) for p in many_people(rows)]
    picture = netmap.draw(people, MAP_TEXTS).png
    columns = (Column("Naam", 30), Column("Groep", 30), Column("Contact", 40))
    cells = tuple((p.name, "Huishouden / familie", "mag benaderd worden") for p in people)
    tasks = tuple((f"Afspraak {i}: oma haalt de kinderen op", "Oma") for i in range(30))
    document = PlanDocument(
        title="Netwerkplan · Gezin B.",
        subtitle="14 september 2026",
        sections=(
            Section("De mensen", Table(columns, cells)),
            Section("De netwerkkaart", picture=picture),
            Section("Afspraken", Table((Column("Wat", 70), Column("Wie", 30)), tasks)),
        ),
        footer="Samen gemaakt",
        page="Pagina {page} van {pages}",
    )
    content = pdf.render(document)
    assert first_page_filled(content) >= 0.8
    text = pdf_text(content)
    assert all(f"Afspraak {i}:" in text for i in range(30))
    assert text.count("De netwerkkaart") == 1
