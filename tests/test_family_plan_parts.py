"""What fase 3 and 4 keep, as the family's plan and the working notes show it: a plan for
when things go wrong in its parts (signal, who, what), whatever language it was noted in;
agreements linked to the person they are about, so someone the parent refused stays out
of the family's copy; and the try-out's findings: the warning about a refused person as a
choice, the practitioner's own tasks apart, check-ins as dates and in their own section,
the family's wish for their network, and who in the expectations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.actions import phase4 as p4
from bot.actions import plan_family
from bot.engine.render import SKIP_LABEL
from bot.i18n.fmt import date_long
from bot.reminders.when import read_when
from bot.render.model import MapTexts
from bot.store.models import Agreement, Person
from tests.support.chat import Chat
from tests.support.network import NOTED, NewAgreement, pdf_text, seed_network
from tests.support.onboarding import onboard
from tests.support.plan import AGREEMENTS, PEOPLE, TASKS
from tests.test_phase2_3 import NO, YES, enter, map_with, step
from tests.test_plan import family_plan, in_order, working_notes

KEEP, OTHER = "Keep, the parent wants this", "Name someone else"


async def to_signal(chat: Chat, meaning: str | None = None) -> None:
    """Fase 4, past the three closing questions (the third answered with `meaning`)."""
    await enter(chat, "fase4")
    await chat.press(SKIP_LABEL)
    await chat.press(SKIP_LABEL)
    if meaning is None:
        await chat.press(SKIP_LABEL)
    else:
        await chat.text(meaning)
    assert await step(chat) == ("fase4", "signal")


async def phase4_agreements(chat: Chat, kind: str) -> list[Agreement]:
    async with chat.engine.sessions() as session:
        query = select(Agreement).where(Agreement.kind == kind).order_by(Agreement.id)
        return list((await session.execute(query)).scalars())


async def people(chat: Chat) -> dict[str, Person]:
    async with chat.engine.sessions() as session:
        return {p.name: p for p in (await session.execute(select(Person))).scalars()}


# --- 1. a plan for when things go wrong, in its parts -------------------------------------


async def test_a_plan_noted_in_dutch_shows_in_its_parts_in_english(chat: Chat) -> None:
    """The family's table read the parts back from the sentence with the template of the
    practitioner's language of today: a plan noted in Dutch showed whole in the first
    column of the English plan."""
    await map_with(chat, ("Oma", YES))
    await to_signal(chat)
    await chat.text("Moeder neemt de telefoon niet op")
    await chat.text("oma: gaat even langs; moeder appt haar")
    [kept] = await phase4_agreements(chat, "problem_plan")
    assert kept.detail == {
        "signal": "Moeder neemt de telefoon niet op",
        "action": "gaat even langs; moeder appt haar",
    }
    await chat.press("Pause")
    await chat.send("/taal")
    await chat.press("English")
    assert chat.language == "en"

    for text in (pdf_text(await family_plan(chat)), pdf_text(await working_notes(chat))):
        assert in_order(
            text,
            "Signal",
            "Who",
            "What they do, and how to reach them",
            "Moeder neemt de telefoon niet op",
            "oma",
            "gaat even langs; moeder appt haar",
        )
        assert "Signaal" not in text and "Dan oma" not in text


async def test_a_plan_changed_by_hand_shows_its_new_text(chat: Chat, database_url: str) -> None:
    """Its parts were the old text's: after an edit in /afspraken the new text counts."""
    await onboard(chat, "Gezin K.")
    plan_ = NewAgreement(
        4, "Signaal: x. Dan oma: y", "problem_plan", "oma", detail={"signal": "x", "action": "y"}
    )
    await seed_network(database_url, chat.who.key, [], [plan_])
    await chat.send("/afspraken")
    await chat.press("1")
    await chat.press("Change text")
    await chat.text("Als moeder niet opneemt, gaat oma langs")
    [kept] = await phase4_agreements(chat, "problem_plan")
    assert kept.detail is None
    assert "Als moeder niet opneemt, gaat oma langs" in pdf_text(await family_plan(chat))


# --- 2. linked to the person it is about ----------------------------------------------------


async def test_fase4_links_plans_and_expectations_to_the_person_on_the_map(chat: Chat) -> None:
    await map_with(chat, ("Oma", YES))
    await to_signal(chat)
    await chat.text("Moeder neemt niet op")
    await chat.text("oma: gaat langs")
    await chat.text("Oma: komt op woensdag")
    await chat.text("buurvrouw: kookt soms")  # not on the map: who, but no link
    oma = (await people(chat))["Oma"]
    [kept] = await phase4_agreements(chat, "problem_plan")
    assert (kept.who, kept.person_id) == ("oma", oma.id)
    expected = await phase4_agreements(chat, "expectation")
    assert [(a.who, a.text, a.person_id) for a in expected] == [
        ("Oma", "komt op woensdag", oma.id),
        ("buurvrouw", "kookt soms", None),
    ]


async def test_a_refused_person_stays_out_by_the_link_even_when_renamed(chat: Chat) -> None:
    """By name only, a plan with "buurman" was shown once the parent's refused
    "Buurman" was renamed "Buurman Kees" on the map."""
    await map_with(chat, ("Oma", YES), ("Buurman", NO))
    await to_signal(chat)
    await chat.text("Moeder neemt niet op")
    await chat.text("buurman: kijkt langs bij haar")
    await chat.press(KEEP)
    buurman = (await people(chat))["Buurman"]
    async with chat.engine.sessions() as session, session.begin():
        renamed = await session.get(Person, buurman.id)
        assert renamed is not None
        renamed.name = "Buurman Kees"
    assert "kijkt langs bij haar" not in pdf_text(await family_plan(chat))
    assert "kijkt langs bij haar" in pdf_text(await family_plan(chat, show=True))


# --- 3. the try-out ---------------------------------------------------------------------


async def test_naming_a_refused_person_asks_to_keep_them_or_name_someone_else(
    chat: Chat,
) -> None:
    await map_with(chat, ("Oma", YES), ("Buurman Piet", NO))
    await to_signal(chat)
    await chat.text("Moeder neemt niet op")
    await chat.text("buurman piet: kijkt langs")
    assert chat.has(p4.NOT_WANTED, name="Buurman Piet")
    assert await step(chat) == ("fase4", "refused_who")  # nothing saved yet
    assert await phase4_agreements(chat, "problem_plan") == []
    await chat.press(OTHER)
    assert await step(chat) == ("fase4", "who")
    await chat.text("oma: gaat langs")
    assert await step(chat) == ("fase4", "expect")
    [kept] = await phase4_agreements(chat, "problem_plan")
    assert kept.who == "oma"

    await chat.press("Another plan for a problem")
    await chat.text("Er is geen eten")
    await chat.text("Buurman Piet")  # who alone: kept, then what they do is asked
    assert await step(chat) == ("fase4", "refused_who")
    await chat.press(KEEP)
    assert await step(chat) == ("fase4", "how")
    await chat.text("kookt mee")
    assert await step(chat) == ("fase4", "expect")
    piet = (await people(chat))["Buurman Piet"]
    assert [a.person_id for a in await phase4_agreements(chat, "problem_plan")][1] == piet.id
    await chat.press("Pause")

    family = pdf_text(await family_plan(chat))
    assert "gaat langs" in family and "kookt mee" not in family and "Buurman Piet" not in family
    assert "kookt mee" in pdf_text(await family_plan(chat, show=True))


async def test_the_practitioners_own_tasks_are_not_listed_as_the_familys(
    chat: Chat, database_url: str
) -> None:
    """ "ik: bel oma" stood under "who does what" as an order; now under its own heading,
    which says whose tasks they are."""
    await onboard(chat, "Gezin R.")
    await seed_network(database_url, chat.who.key, PEOPLE, TASKS)
    text = pdf_text(await family_plan(chat))
    own = chat.t("What the practitioner does")
    assert in_order(text, chat.t(plan_family.TASKS), own, "Belt de school over het ophalen")
    assert "1 april" in text.split(own)[1]
    assert "Vraagt Oma Els of woensdag blijft lukken" in text.split(own)[0]


async def test_check_ins_are_dates_and_fase3_follow_ups_are_among_them(
    chat: Chat, database_url: str
) -> None:
    await map_with(chat, ("Oma", YES))
    await to_signal(chat)
    await chat.press(SKIP_LABEL)
    await chat.press("Next ›")
    await chat.text("over 2 weken: moeder bellen")
    await chat.text("na de zomer even langs")  # no moment: kept as typed
    [dated, loose] = await phase4_agreements(chat, "check_in")
    assert loose.detail is None and dated.detail is not None
    await chat.press("Finish ✓")
    await chat.press("No, thank you")
    follow_up = NOTED + timedelta(days=400)  # seeded: noted as fase 3 keeps it
    await seed_network(
        database_url,
        chat.who.key,
        [],
        [
            NewAgreement(
                3,
                "Bij de ouder en Oma navragen hoe het gaat.",
                "follow_up",
                "practitioner",
                detail={"at": follow_up.isoformat()},
            )
        ],
    )

    zone = chat.engine.settings.timezone
    moment = read_when("over 2 weken", now=dated.created_at, language="nl", zone=zone).moment
    day = date_long(moment, "nl", zone)
    text = pdf_text(await family_plan(chat))
    checkins = text.split(chat.t(plan_family.CHECKINS))[1]
    assert f"{day}: moeder bellen" in checkins and "over 2 weken" not in text
    assert in_order(checkins, day, "Bij de ouder en Oma navragen", "na de zomer even langs")
    assert "navragen" not in text.split(chat.t(plan_family.CHECKINS))[0]  # not a task
    assert f"{day}: moeder bellen" in pdf_text(await working_notes(chat))


async def test_the_familys_wish_for_their_network_is_in_their_plan(chat: Chat) -> None:
    await map_with(chat, ("Oma", YES))
    await to_signal(chat, meaning="Dat ze blijven langskomen, ook zonder hulp")
    text = pdf_text(await family_plan(chat))
    assert in_order(
        text,
        chat.t("What we want our network to mean"),
        "Dat ze blijven langskomen, ook zonder hulp",
    )
    assert "Wat het netwerk gaat betekenen:" not in text  # the answer, without the label


async def test_the_working_notes_say_who_expects_what(chat: Chat) -> None:
    await map_with(chat, ("Oma", YES))
    await to_signal(chat)
    await chat.press(SKIP_LABEL)
    await chat.text("oma: komt op woensdag")
    assert "oma: komt op woensdag" in chat.last.text  # listed on the step as typed
    text = pdf_text(await working_notes(chat))
    expectations = text.split(chat.t("Expectations"))[1]
    assert in_order(expectations, "komt op woensdag", "oma")
    family = pdf_text(await family_plan(chat))
    assert "oma: komt op woensdag" in family


async def test_the_family_plans_legend_has_no_phase_numbers(
    chat: Chat, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The picture's legend said "benaderd (fase 3)": parents don't know phase numbers."""
    drawn: list[object] = []
    original = plan_family.off_loop

    async def spy(func: Any, *args: Any, **kwargs: Any) -> Any:
        drawn.extend(args)
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(plan_family, "off_loop", spy)
    await onboard(chat, "Gezin R.")
    await seed_network(database_url, chat.who.key, PEOPLE, AGREEMENTS)
    await family_plan(chat)
    [texts] = [arg for arg in drawn if isinstance(arg, MapTexts)]
    assert texts.approached == chat.t("asked to help")
    assert "fase" not in texts.approached.lower()
