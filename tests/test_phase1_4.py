"""/voorbereiden, fase 1, fase 4 and /fase through the engine, on SQLite and PostgreSQL.

What is checked is what a practitioner relies on: every answer lands in the family's
agreements and the audit trail, a flow without trust does not push on, "no network" is
kept as an answer, and a phase left half-way (pause, /annuleer-free, or a restart) is
found again at the same step, with the menu and /fase saying where.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.actions import phase1, phase4, phases, preparation
from bot.actions.phase_records import NO_CONTACT
from bot.config import Settings
from bot.engine.events import Identity
from bot.engine.messages import NEEDS_CASE
from bot.engine.render import BACK_LABEL, SKIP_LABEL, escape
from bot.engine.spec import FlowSet
from bot.reminders import message
from bot.runtime import load_content, open_runtime
from bot.store.models import Agreement, AuditEntry, Case, Conversation, Practitioner, Reminder
from tests.conftest import make_settings
from tests.support.chat import Chat
from tests.support.flows import prepare_with_example
from tests.support.onboarding import onboard

PHASE1_TIPS = {
    "f1.do.explain_why",
    "f1.do.from_day_one",
    "f1.do.offer_join",
    "f1.do.listen",
    "f1.do.vulnerability",
    "f1.do.trust_first",
    "f1.dont.assume_network",
    "f1.dont.fill_in",
}
PHASE4_TIPS = {"f4.do.open_talk", "f4.do.keep_in_touch", "f4.do.problem_plan", "f4.do.expectations"}
PAUSE = "Pause"
PAUSED = "Paused. Continue any time via /fase, right where you left off."
OUR_FLOWS = ("voorbereiden", "fase1", "fase4")


# --- helpers -------------------------------------------------------------------------------


def tips_since(chat: Chat, start: int) -> set[str]:
    """The tip ids shown in every reply after the first `start` outcomes."""
    return {tip for o in chat.outcomes[start:] for r in o.replies for tip in r.tips}


def says(chat: Chat, flow: str, step: str, **values: str) -> bool:
    """Whether the last reply shows what `step` of `flow` says, translated and filled."""
    text = chat.engine.flows[flow].step(step).say
    assert text is not None
    return chat.has(text, **values)


def title(chat: Chat, flow: str) -> str:
    return chat.t(chat.engine.flows[flow].title)


def at_step(chat: Chat, flow: str, number: int, total: int) -> str:
    """The /fase button of a paused phase, as shown."""
    return chat.t(phases.AT_STEP, name=title(chat, flow), number=str(number), total=str(total))


async def agreements(chat: Chat, phase: int | None = None) -> list[Agreement]:
    async with chat.engine.sessions() as session:
        query = (
            select(Agreement)
            .join(Case, Case.id == Agreement.case_id)
            .join(Practitioner, Practitioner.id == Case.owner_id)
            .where(Practitioner.external_key == chat.who.key)
            .order_by(Agreement.id)
        )
        if phase is not None:
            query = query.where(Agreement.phase == phase)
        return list((await session.execute(query)).scalars())


async def audit(chat: Chat, event: str) -> list[AuditEntry]:
    async with chat.engine.sessions() as session:
        query = (
            select(AuditEntry)
            .join(Practitioner, Practitioner.id == AuditEntry.practitioner_id)
            .where(Practitioner.external_key == chat.who.key, AuditEntry.event == event)
            .order_by(AuditEntry.id)
        )
        return list((await session.execute(query)).scalars())


async def conversation(chat: Chat, flow: str) -> Conversation | None:
    async with chat.engine.sessions() as session:
        query = (
            select(Conversation)
            .join(Practitioner, Practitioner.id == Conversation.practitioner_id)
            .where(Practitioner.external_key == chat.who.key, Conversation.flow == flow)
        )
        return (await session.execute(query)).scalar_one_or_none()


async def open_phase(chat: Chat, flow: str, label: str | None = None) -> None:
    """Through /fase, as a practitioner would."""
    await chat.send("/fase")
    await chat.press(label or title(chat, flow))
    assert (await chat.where()).flow == flow


def kinds(found: list[Agreement]) -> list[str]:
    return [a.kind for a in found]


# --- /voorbereiden -------------------------------------------------------------------------


async def test_voorbereiden_end_to_end_saves_the_summary(chat: Chat) -> None:
    await onboard(chat)
    start = len(chat.outcomes)
    await chat.send("/voorbereiden")
    assert chat.has(preparation.EXAMPLE)
    assert chat.t("Step {number} of {total}", number="1", total="7") in chat.last.text
    assert BACK_LABEL not in chat.labels and chat.t(BACK_LABEL) not in chat.labels

    await chat.press("Done ✓")  # why the network matters
    await chat.text("Ik ben hier maar even; jullie mensen blijven.")  # own opening sentence
    await chat.press("Done ✓")  # someone may join
    await chat.press(SKIP_LABEL)  # listen first: left open
    await chat.press("Done ✓")  # vulnerability
    await chat.press("Done ✓")  # trust first
    assert (await chat.where()).step == "summary"
    summary = chat.last.text
    for _, point in preparation.POINTS:
        assert escape(chat.t(point)) in summary
    assert summary.index(chat.t(preparation.NOT_YET)) < summary.index(
        escape(chat.t("Listen first to what the parents want"))
    )
    assert "Ik ben hier maar even; jullie mensen blijven." in summary

    await chat.press("Save ✓")
    assert (await chat.where()).step == "remind"  # saved; then the offer of a reminder
    assert says(chat, "voorbereiden", "remind", case="Fam. K")
    assert await agreements(chat)
    await chat.press("No, thank you")  # the offer never blocks: no reminder, on to the menu
    assert (await chat.where()).flow == "menu"
    assert chat.has("Good luck with the first meeting!")
    assert tips_since(chat, start) == PHASE1_TIPS

    [saved] = await agreements(chat)
    assert (saved.phase, saved.kind, saved.who) == (1, "preparation", "practitioner")
    assert chat.t("Trust first, the network later") in saved.text
    assert chat.t("Listen first to what the parents want") not in saved.text
    assert "Ik ben hier maar even; jullie mensen blijven." in saved.text
    [added] = await audit(chat, "agreement.added")
    assert (added.case_id, added.field, added.value) == (
        saved.case_id,
        f"agreement:{saved.id}",
        saved.text,
    )
    conv = await conversation(chat, "voorbereiden")
    assert conv is not None and conv.status == "done"
    assert f"{chat.t('Prepare')} ✓" in chat.last.text


async def test_voorbereiden_needs_something_to_save_and_can_use_the_example(chat: Chat) -> None:
    await onboard(chat)
    await chat.send("/voorbereiden")
    for _ in range(6):
        await chat.press(SKIP_LABEL)
    assert (await chat.where()).step == "summary"
    assert chat.has(preparation.NOTHING)

    await chat.press("Save ✓")  # nothing prepared: refused, nothing kept
    assert chat.has(preparation.NOTHING)
    assert (await chat.where()).step == "summary"
    assert await agreements(chat) == []

    for _ in range(5):
        await chat.press(BACK_LABEL)
    assert (await chat.where()).step == "sentence"
    await chat.press("Use the example")
    for _ in range(4):
        await chat.press(SKIP_LABEL)
    await chat.press("Save ✓")
    await chat.press("No, thank you")
    [saved] = await agreements(chat)
    assert chat.t(preparation.EXAMPLE) in saved.text

    # Preparing again replaces the preparation; the audit trail keeps both versions.
    await chat.send("/voorbereiden")
    assert (await chat.where()).step == "why"
    await chat.press("Done ✓")
    for _ in range(5):
        await chat.press(SKIP_LABEL)
    await chat.press("Save ✓")
    [again] = await agreements(chat)
    assert again.id == saved.id
    assert chat.t("Why the network matters, and how to say it") in again.text
    assert chat.t(preparation.EXAMPLE) not in again.text
    assert len(await audit(chat, "agreement.edited")) == 1


# --- fase 1 ------------------------------------------------------------------------------


async def walk_fase1(chat: Chat, join: str, trust: str) -> int:
    """Wish, join, trust; returns where the outcomes of fase 1 start."""
    await onboard(chat)
    start = len(chat.outcomes)
    await open_phase(chat, "fase1")
    await chat.text("Oma mag helpen met de kinderen, verder liever niemand.")
    await chat.press(join)
    await chat.press(trust)
    return start


async def test_fase1_with_trust_records_everything_and_offers_fase2(chat: Chat) -> None:
    start = await walk_fase1(chat, "Yes", "Yes, on to phase 2 ›")  # one tap: trust, and on
    assert (await chat.where()).flow == "fase2"
    assert chat.has("Phase 1 is saved for {case}.", case="Fam. K")
    conv = await conversation(chat, "fase1")
    assert conv is not None and conv.status == "done"

    found = await agreements(chat, 1)
    assert kinds(found) == ["wish", "join_offer", "trust"]
    assert [a.who for a in found] == ["parent", "parent", "practitioner"]
    assert "Oma mag helpen met de kinderen" in found[0].text
    assert len(await audit(chat, "agreement.added")) == 3
    assert {"f1.do.listen", "f1.dont.fill_in", "f1.do.offer_join", "f1.do.trust_first"} <= (
        tips_since(chat, start)
    )


async def test_fase1_without_trust_advises_to_wait_and_does_not_map(chat: Chat) -> None:
    start = await walk_fase1(chat, "Not offered yet", "Not yet, or not sure")
    assert (await chat.where()).step == "wait"
    assert says(chat, "fase1", "wait")  # wait with the network; phase 2 can wait
    assert "f1.do.trust_first" in chat.last.tips
    assert not any(b.label == chat.t("On to phase 2 ›") for b in chat.buttons)

    await chat.press("Close phase 1")
    assert (await chat.where()).flow == "menu"
    assert await conversation(chat, "fase2") is None
    found = await agreements(chat, 1)
    assert kinds(found) == ["wish", "join_offer", "trust"]
    assert found[1].text == chat.t(phase1.JOIN["not_offered"])
    assert found[2].text == chat.t(phase1.TRUST["not_yet"])
    assert {"f1.do.vulnerability", "f1.do.trust_first"} <= tips_since(chat, start)

    # Later there is trust: answering again replaces the answer, it does not add one.
    await open_phase(chat, "fase1", f"{title(chat, 'fase1')} ✓")
    await chat.text("Oma en de buurvrouw.")
    await chat.press("Yes")
    await chat.press("Yes, map later")
    assert (await chat.where()).flow == "menu"
    assert "Oma en de buurvrouw." in chat.last.text  # what phase 1 noted, said once more
    assert chat.has(phase1.JOIN["accepted"])
    assert chat.has(phase1.TRUST["enough"])
    again = await agreements(chat, 1)
    assert kinds(again) == ["wish", "join_offer", "trust"]
    assert again[2].text == chat.t(phase1.TRUST["enough"])
    assert len(await audit(chat, "agreement.edited")) == 3


@pytest.mark.parametrize(
    ("button", "outcome", "words"),
    [
        ("Parents name no one (now)", "none", "Er is niemand, zegt moeder."),
        ("They don't want it now", "not_now", None),
    ],
)
async def test_fase1_no_network_is_a_valid_outcome(
    chat: Chat, button: str, outcome: str, words: str | None
) -> None:
    await onboard(chat)
    start = len(chat.outcomes)
    await open_phase(chat, "fase1")
    await chat.press(button)
    assert (await chat.where()).step == "no_network"
    assert says(chat, "fase1", "no_network")  # a valid answer, parents know best
    assert chat.last.tips == ("f1.dont.assume_network",)

    if words is None:
        await chat.press("Save ✓")
    else:
        await chat.text(words)
    assert (await chat.where()).flow == "menu"
    assert says(chat, "fase1", "no_network_end", case="Fam. K")  # phase 2 can wait
    [kept] = await agreements(chat)
    assert (kept.phase, kept.kind, kept.who) == (1, "wish", "parent")
    assert chat.t(phase1.NO_NETWORK[outcome]) in kept.text
    assert (words or "") in kept.text
    assert "f1.dont.assume_network" in tips_since(chat, start)
    assert await conversation(chat, "fase2") is None


# --- fase 4 ------------------------------------------------------------------------------


async def test_fase4_records_all_agreements(chat: Chat) -> None:
    await onboard(chat)
    start = len(chat.outcomes)
    await open_phase(chat, "fase4")
    assert chat.has("Parents named no don'ts for this phase.")
    await chat.text("Het gaat beter, zegt moeder.")
    await chat.text("Ze vraagt makkelijker om hulp.")
    await chat.text("Een vangnet als het even niet gaat.")
    await chat.text("Moeder slaapt slecht")
    await chat.text("oma: neemt de kinderen een nacht; moeder belt haar")  # who: what, at once
    assert (await chat.where()).step == "expect"
    await chat.press("Another plan for a problem")
    await chat.text("Geen eten in huis")
    await chat.text("buurvrouw")  # who alone: what they do is asked next
    assert (await chat.where()).step == "how"
    await chat.text("kookt mee; moeder appt haar")
    assert (await chat.where()).step == "expect"
    await chat.text("oma: komt op woensdag")
    await chat.text("moeder: belt zelf als het misgaat")
    assert "moeder: belt zelf als het misgaat" in chat.last.text  # listed on the step
    await chat.press("Next ›")
    await chat.text("over 2 weken bellen")
    assert "over 2 weken bellen" in chat.last.text  # listed on the step
    await chat.press("Finish ✓")
    assert (await chat.where()).step == "remind"  # the offer of check-in reminders
    await chat.press("No, thank you")
    assert (await chat.where()).flow == "menu"

    found = await agreements(chat, 4)
    assert kinds(found) == [
        "closing",
        "closing",
        "closing",
        "problem_plan",
        "problem_plan",
        "expectation",
        "expectation",
        "check_in",
    ]
    assert found[0].text == chat.t(phase4.CLOSING["where_now"][1]).replace(
        "{answer}", "Het gaat beter, zegt moeder."
    )
    assert [a.who for a in found[3:5]] == ["oma", "buurvrouw"]
    assert "Moeder slaapt slecht" in found[3].text and "moeder belt haar" in found[3].text
    assert found[7].text == "over 2 weken bellen" and found[7].who == "practitioner"
    assert len(await audit(chat, "agreement.added")) == 8
    assert tips_since(chat, start) == PHASE4_TIPS
    conv = await conversation(chat, "fase4")
    assert conv is not None and conv.status == "done"


async def test_fase4_keeps_contact_details_out(chat: Chat) -> None:
    await onboard(chat)
    await open_phase(chat, "fase4")
    for _ in range(3):
        await chat.press(SKIP_LABEL)
    await chat.text("Moeder belt niet terug")
    await chat.text("06 12345678")
    assert chat.has(NO_CONTACT)
    assert (await chat.where()).step == "who"
    await chat.text("oma: gaat langs, mail naar oma@example.org")
    assert chat.has(NO_CONTACT)
    assert (await chat.where()).step == "who"
    await chat.text("Dorpsstraat 12: gaat langs")  # who is a label: no address either
    assert chat.has(NO_CONTACT)
    await chat.text("oma")
    await chat.text("gaat langs, mail naar oma@example.org")
    assert chat.has(NO_CONTACT)
    assert (await chat.where()).step == "how"
    await chat.text("gaat langs op 15-03-2026")  # a date is not a phone number
    assert (await chat.where()).step == "expect"
    [plan] = await agreements(chat)
    assert "@" not in plan.text and "15-03-2026" in plan.text


async def test_a_label_or_answer_ending_in_a_full_stop_gets_no_second_one(chat: Chat) -> None:
    await onboard(chat, "Gezin B.")
    assert ".." not in chat.last.text
    await prepare_with_example(chat)
    assert chat.has("Saved with {case}.", case="Gezin B.")
    assert says(chat, "voorbereiden", "remind")
    assert "Gezin B.." not in chat.last.text and "Gezin B.\n" in chat.last.text
    await chat.text("blabla")  # not a moment: asked again, without "saved" once more
    assert says(chat, "voorbereiden", "remind")
    assert not chat.has("Saved with {case}.", case="Gezin B.")

    await open_phase(chat, "fase4")
    for _ in range(3):
        await chat.press(SKIP_LABEL)
    await chat.text("Moeder neemt niet op.")
    await chat.text("oma: Gaat langs.")
    assert (await chat.where()).step == "expect"
    assert ".." not in chat.last.text
    [prep] = await agreements(chat, 1)
    [plan] = await agreements(chat, 4)
    assert ".." not in prep.text
    assert "Moeder neemt niet op. " in plan.text and ".." not in plan.text


# --- /fase, the menu, pause, back, restart -------------------------------------------------


async def test_menu_and_fase_show_progress_and_resume_a_paused_phase(chat: Chat) -> None:
    await onboard(chat)
    assert f"{chat.t('Phase 1')} –" in chat.last.text

    await prepare_with_example(chat)
    await open_phase(chat, "fase1")
    await chat.text("Alleen oma.")
    assert chat.t("Step {number} of {total}", number="2", total="3") in chat.last.text
    await chat.press(PAUSE)

    assert (await chat.where()).flow == "menu"
    assert chat.has(PAUSED)
    progress = chat.last.text
    assert f"{chat.t('Prepare')} ✓" in progress
    assert chat.t(phases.AT_STEP, name=chat.t("Phase 1"), number="2", total="3") in progress
    assert f"{chat.t('Phase 4')} –" in progress

    await chat.send("/fase")
    assert f"{title(chat, 'voorbereiden')} ✓" in chat.labels
    assert title(chat, "fase4") in chat.labels
    await chat.press(at_step(chat, "fase1", 2, 3))
    where = await chat.where()
    assert (where.flow, where.step) == ("fase1", "join")
    await chat.press(BACK_LABEL)
    assert (await chat.where()).step == "wish"


async def test_phases_need_an_active_family(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")
    await chat.press("Later")
    assert (await chat.where()).flow == "menu"
    assert chat.last.text.endswith("</b>")  # no progress line without a family
    await chat.press("Phases")
    assert chat.has(NEEDS_CASE)
    assert (await chat.where()).flow == "cases"


async def test_pause_back_restart_and_resume(settings: Settings) -> None:
    who = Identity("test:restart")
    async with open_runtime(settings, check_translations=False) as first:
        chat = Chat(first.turns, who)
        await onboard(chat)
        await open_phase(chat, "fase4")
        await chat.text("We staan er beter voor.")
        await chat.text("Ze hoort er weer bij.")
        await chat.press(BACK_LABEL)
        assert (await chat.where()).step == "place"
        await chat.text("Ze hoort er weer bij, zegt ze.")  # answered again: replaced
        await chat.press(PAUSE)
        assert (await chat.where()).flow == "menu"

    async with open_runtime(settings, check_translations=False) as second:
        chat = Chat(second.turns, who)
        await chat.send("/fase")
        await chat.press(at_step(chat, "fase4", 3, 8))
        where = await chat.where()
        assert (where.flow, where.step) == ("fase4", "meaning")
        await chat.press(BACK_LABEL)
        assert (await chat.where()).step == "place"
        found = await agreements(chat, 4)
        assert [a.text for a in found] == [
            chat.t(phase4.CLOSING["where_now"][1]).replace("{answer}", "We staan er beter voor."),
            chat.t(phase4.CLOSING["own_place"][1]).replace(
                "{answer}", "Ze hoort er weer bij, zegt ze."
            ),
        ]
        assert len(await audit(chat, "agreement.edited")) == 1


@pytest.fixture(scope="module")
def flows() -> FlowSet:
    """The flows as the bot loads them, without a database."""
    loaded, _ = load_content(make_settings("sqlite://"), check_translations=False)
    return loaded


NO_PAUSE = {
    ("fase1", "trust"),
    ("voorbereiden", "remind"),
    ("fase4", "remind"),
    ("fase4", "checkin_when"),
    ("voorbereiden", "kept"),
}
"""Steps where everything is recorded and the phase can simply close ("Yes, map later",
or "No, thank you" to a reminder offered after the phase is done, or "Menu" after a look
at the kept preparation): a pause button there would look like the same choice."""


@pytest.mark.parametrize("flow_id", OUR_FLOWS)
def test_every_step_has_back_and_pause(flows: FlowSet, flow_id: str) -> None:
    """Navigation is part of the content: back after the first step, pause everywhere."""
    flow = flows[flow_id]
    for name, step in flow.steps.items():
        if step.is_end:
            continue
        if (flow_id, name) in NO_PAUSE:
            assert step.back and not any(b.id == "pause" for b in step.buttons)
            continue
        assert step.back == (name != flow.start), f"{flow_id}.{name}: back"
        pause = [b for b in step.buttons if b.id == "pause"]
        assert pause, f"{flow_id}.{name}: no pause button"
        assert pause[0].branches[0].flow == "menu" and pause[0].branches[0].say == PAUSED


def test_phase_tips_are_placed_in_their_flows(flows: FlowSet) -> None:
    """The tips each flow shows, read from the flow data (the walks above see them shown)."""

    def shown(flow_id: str) -> set[str]:
        ids: set[str] = set()
        for step in flows[flow_id].steps.values():
            ids |= set(step.do) | set(step.dont)
            if step.card is not None:
                ids |= {t.id for _, t in flows.tips().values() if t.phase == step.card}
        return ids

    assert shown("voorbereiden") == PHASE1_TIPS
    assert shown("fase1") == PHASE1_TIPS - {"f1.do.explain_why", "f1.do.from_day_one"}
    assert shown("fase4") == PHASE4_TIPS


# --- a finished phase stays finished --------------------------------------------------------


async def press_open_on_reminder(chat: Chat) -> None:
    """ "Open ›" on the practitioner's newest reminder, as its message carries it."""
    async with chat.engine.sessions() as session:
        query = (
            select(Reminder.id)
            .join(Practitioner, Practitioner.id == Reminder.owner_id)
            .where(Practitioner.external_key == chat.who.key)
            .order_by(Reminder.id.desc())
        )
        reminder_id = (await session.execute(query)).scalars().first()
    assert reminder_id is not None
    signer = chat.engine.renderer.signer
    await chat.press_data(message.reminder_data(signer, chat.who.key, message.OPEN, reminder_id))


async def open_from_reminder_and_cancel(chat: Chat, flow: str, short: str) -> None:
    """ "Open ›" on the newest reminder, then /annuleer: the phase is still done."""
    await press_open_on_reminder(chat)
    assert (await chat.where()).flow == flow
    await chat.send("/annuleer")
    assert f"{chat.t(short)} ✓" in chat.last.text
    conv = await conversation(chat, flow)
    assert conv is not None and conv.status == "done"


async def test_opening_a_saved_preparation_and_cancelling_keeps_it_done(chat: Chat) -> None:
    await onboard(chat)
    await prepare_with_example(chat)
    await chat.send("/annuleer")  # at the offer of a reminder: the preparation is saved
    assert f"{chat.t('Prepare')} ✓" in chat.last.text

    await prepare_with_example(chat)
    await chat.text("morgen 9:00")  # a reminder before the meeting
    assert (await chat.where()).flow == "menu"
    await open_from_reminder_and_cancel(chat, "voorbereiden", "Prepare")

    await open_phase(chat, "voorbereiden", f"{title(chat, 'voorbereiden')} ✓")
    await chat.press(PAUSE)  # reopened to look, then paused: still done
    assert f"{chat.t('Prepare')} ✓" in chat.last.text
    await chat.send("/fase")
    assert f"{title(chat, 'voorbereiden')} ✓" in chat.labels


async def test_opening_a_finished_fase4_from_a_check_in_and_cancelling_keeps_it_done(
    chat: Chat,
) -> None:
    await onboard(chat)
    await open_phase(chat, "fase4")
    await chat.text("Het gaat beter.")
    for _ in range(3):
        await chat.press(SKIP_LABEL)
    await chat.press("Next ›")
    await chat.press("Finish ✓")
    await chat.press("Yes, remind me")
    assert (await chat.where()).flow == "menu"
    assert f"{chat.t('Phase 4')} ✓" in chat.last.text

    await open_from_reminder_and_cancel(chat, "fase4", "Phase 4")


async def test_fase4_does_not_paste_the_typed_who_into_the_next_question(chat: Chat) -> None:
    """Whatever is typed as "who" ("tante Mira haalt de kinderen op") is shown as what it
    is, never made part of the next question's sentence ("Wat doet tante Mira haalt …")."""
    who = "tante Mira haalt de kinderen op"
    await onboard(chat)
    await open_phase(chat, "fase4")
    for _ in range(3):
        await chat.press(SKIP_LABEL)
    await chat.text("Moeder neemt niet op")
    await chat.text(who)
    assert (await chat.where()).step == "how"
    [line] = [line for line in chat.last.text.splitlines() if escape(who) in line]
    assert line.removesuffix("</b>").endswith(escape(who)), line
    assert not any(f"{chat.t(word)} {who}" in chat.last.text for word in ("Wat doet", "What does"))
