"""The engine through `Chat`, on SQLite and PostgreSQL: every state change is checked in a
new database session after `handle` returned, so it was committed before the answer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.actions.cases import (
    CLOSED,
    CREATED,
    DELETED,
    DUPLICATE,
    RENAMED,
    SWITCHED,
)
from bot.actions.labels import REFUSALS
from bot.actions.language import CHANGED
from bot.config import Settings
from bot.engine.events import Identity
from bot.engine.messages import (
    CANCELLED,
    EMPTY,
    NOTHING_TO_CANCEL,
    STALE,
    STALE_NOTICE,
    TOO_LONG,
    UNKNOWN_BUTTON,
    UNKNOWN_COMMAND,
    UNSUPPORTED,
    USE_BUTTONS,
)
from bot.engine.render import BACK_LABEL, escape, fill
from bot.runtime import open_runtime
from bot.store.models import AuditEntry, Case, Conversation, Practitioner
from bot.store.repo import Repo
from bot.turns import Turns
from tests.support.chat import Chat
from tests.support.onboarding import onboard

# The parents' factsheet: 16 do's and 6 don'ts in four phases (6+2, 3+1, 3+3, 4+0).
TIPS_BY_PHASE = {
    1: {
        "f1.do.explain_why",
        "f1.do.from_day_one",
        "f1.do.offer_join",
        "f1.do.listen",
        "f1.do.vulnerability",
        "f1.do.trust_first",
        "f1.dont.assume_network",
        "f1.dont.fill_in",
    },
    2: {
        "f2.do.family_in_charge",
        "f2.do.record_in_plan",
        "f2.do.respect_choice",
        "f2.dont.assume_help",
    },
    3: {
        "f3.do.clear_goal",
        "f3.do.respect_choice",
        "f3.do.responsibilities",
        "f3.dont.no_goal_or_consent",
        "f3.dont.leave_alone",
        "f3.dont.behind_back",
    },
    4: {
        "f4.do.open_talk",
        "f4.do.keep_in_touch",
        "f4.do.problem_plan",
        "f4.do.expectations",
    },
}


# --- helpers -------------------------------------------------------------------------------


def say(engine: Turns, flow: str, step: str) -> str:
    """The msgid a step says."""
    text = engine.flows[flow].step(step).say
    assert text is not None
    return text


def menu_line(engine: Turns, language: str, case: str) -> str:
    """The menu's line naming the active family, as it must be shown (the rest of the menu
    shows other flows' progress)."""
    text = engine.catalogs.get(language).gettext(say(engine, "menu", "main"))
    line = next(line for line in text.splitlines() if "{case}" in line)
    return line.replace("{case}", case)


async def count(engine: Turns, model: Any, *where: Any) -> int:
    async with engine.sessions() as session:
        query = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(query)).scalar_one())


async def cases_of(chat: Chat) -> list[Case]:
    async with chat.engine.sessions() as session:
        query = (
            select(Case)
            .join(Practitioner, Practitioner.id == Case.owner_id)
            .where(Practitioner.external_key == chat.who.key)
            .order_by(Case.id)
        )
        return list((await session.execute(query)).scalars())


async def audit_of(chat: Chat, event: str) -> list[AuditEntry]:
    async with chat.engine.sessions() as session:
        query = (
            select(AuditEntry)
            .join(Practitioner, Practitioner.id == AuditEntry.practitioner_id)
            .where(Practitioner.external_key == chat.who.key, AuditEntry.event == event)
        )
        return list((await session.execute(query)).scalars())


async def at_new_family(chat: Chat) -> None:
    """Onboarded, in /gezin at the question for a new family's label."""
    await onboard(chat, "Fam. A")
    await chat.send("/gezin")
    await chat.press("New family")
    assert (await chat.where()).step == "ask_label"


# --- onboarding ----------------------------------------------------------------------------


async def test_start_shows_onboarding(chat: Chat) -> None:
    await chat.send("/start")

    assert chat.has(say(chat.engine, "onboarding", "welcome"))
    assert chat.labels == [chat.t("Continue")]
    where = await chat.where()
    assert (where.flow, where.step, where.language) == ("onboarding", "welcome", "nl")


async def test_onboarding_creates_a_case_and_shows_the_menu_escaped(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("Continue")
    assert (await chat.where()).step == "privacy"
    await chat.press("Understood")
    assert (await chat.where()).step == "first_case"
    assert chat.has(say(chat.engine, "onboarding", "first_case"))

    await chat.text("<b>x</b>")

    shown = "&lt;b&gt;x&lt;/b&gt;"
    assert "<b>x</b>" not in chat.last.text
    assert chat.has(CREATED, label=shown)
    assert menu_line(chat.engine, chat.language, shown) in chat.last.text
    [case] = await cases_of(chat)
    assert (case.label, case.status) == ("<b>x</b>", "open")
    where = await chat.where()
    assert (where.flow, where.step, where.active_case_id) == ("menu", "main", case.id)
    practitioner = await chat.practitioner()
    assert practitioner is not None and practitioner.onboarded
    assert [a.case_id for a in await audit_of(chat, "case.created")] == [case.id]


async def test_later_finishes_onboarding_without_a_case(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")
    await chat.press("Later")

    assert (await chat.where()).flow == "menu"
    assert await cases_of(chat) == []
    await chat.send("/start")  # onboarded: /start now opens the menu
    assert (await chat.where()).flow == "menu"


async def test_restart_mid_onboarding_resumes_at_the_same_step(settings: Settings) -> None:
    who = Identity("test:restart")
    async with open_runtime(settings, check_translations=False) as first:
        chat = Chat(first.turns, who)
        await chat.send("/start")
        await chat.press("Continue")
        await chat.press("Understood")
        assert (await chat.where()).step == "first_case"

    async with open_runtime(settings, check_translations=False) as second:
        chat = Chat(second.turns, who)
        await chat.text("Fam. R")

        assert chat.has(CREATED, label="Fam. R")
        assert [c.label for c in await cases_of(chat)] == ["Fam. R"]
        assert (await chat.where()).flow == "menu"


async def test_buttons_made_before_a_restart_still_work(settings: Settings) -> None:
    who = Identity("test:restart")
    async with open_runtime(settings, check_translations=False) as first:
        chat = Chat(first.turns, who)
        await chat.send("/start")
        await chat.press("Continue")
        understood = chat.button("Understood")

    async with open_runtime(settings, check_translations=False) as second:
        chat = Chat(second.turns, who)
        await chat.press_data(understood.data)

        assert (await chat.where()).step == "first_case"
        assert chat.outcome.notice is None


# --- buttons: stale, double, forged ----------------------------------------------------------


async def test_stale_button_changes_nothing_and_says_so(chat: Chat) -> None:
    await onboard(chat, "Fam. A")
    await chat.send("/gezin")
    new_family = chat.button("New family")
    await chat.press("Menu")
    before = await chat.where()

    await chat.press_data(new_family.data)

    assert await chat.where() == before
    assert (before.flow, before.step) == ("menu", "main")
    assert chat.has(STALE)
    assert chat.outcome.notice == chat.t(STALE_NOTICE)
    assert menu_line(chat.engine, chat.language, "Fam. A") in chat.last.text  # where you are


async def test_double_press_is_applied_once(chat: Chat) -> None:
    await onboard(chat, "Fam. A")
    await chat.send("/gezin")
    await chat.press("Close or delete")
    close = chat.button("Close")

    first, second = await asyncio.gather(chat.press_data(close.data), chat.press_data(close.data))

    assert first.notice is None
    assert second.notice == chat.t(STALE_NOTICE)
    assert len(await audit_of(chat, "case.closed")) == 1
    [case] = await cases_of(chat)
    assert case.status == "closed"
    after = await chat.where()
    await chat.press_data(close.data)  # and once more, after the fact
    assert await chat.where() == after
    assert len(await audit_of(chat, "case.closed")) == 1


async def test_button_of_a_flow_left_and_entered_again_is_stale(chat: Chat) -> None:
    """Steps within a flow move the conversation's counter; leaving it and coming back moves
    the practitioner's, so the same step shown again does not take the old message's buttons."""
    await onboard(chat, "Fam. A")
    await chat.send("/gezin")
    old = chat.button("New family")
    await chat.send("/fase")
    await chat.send("/gezin")
    before = await chat.where()
    assert (before.flow, before.step) == ("cases", "overview")

    await chat.press_data(old.data)

    assert await chat.where() == before
    assert chat.outcome.notice == chat.t(STALE_NOTICE)


async def test_button_made_before_conversations_had_a_counter(chat: Chat) -> None:
    """Buttons sent before the upgrade carry the practitioner's counter alone: they still
    work while nothing changed since, and are old after that."""
    await onboard(chat, "Fam. A")
    await chat.send("/gezin")
    async with chat.engine.sessions() as session:
        p = (
            await session.execute(
                select(Practitioner).where(Practitioner.external_key == chat.who.key)
            )
        ).scalar_one()
        conv = await session.get(Conversation, p.current_conversation_id)
        assert conv is not None
    assert conv.seq == 0  # entered just now: the practitioner's counter moved instead
    legacy = chat.engine.renderer.signer.sign(chat.who.key, f"{p.seq}:b:new")

    await chat.press_data(legacy)
    assert (await chat.where()).step == "ask_label"
    await chat.press(BACK_LABEL)
    before = await chat.where()
    await chat.press_data(legacy)

    assert chat.outcome.notice == chat.t(STALE_NOTICE)
    assert await chat.where() == before


@pytest.mark.parametrize("forgery", ["garbage", "bad_signature", "other_identity", "bobs_button"])
async def test_forged_button_is_refused(engine: Turns, forgery: str) -> None:
    alice, bob = Chat(engine, "test:alice"), Chat(engine, "test:bob")
    await onboard(alice, "Fam. A")
    await onboard(bob, "Fam. B")
    await alice.send("/gezin")
    await bob.send("/gezin")
    before = await alice.where()
    seq = before.seq
    data = {
        "garbage": "definitely not button data",
        "bad_signature": f"{seq}:b:new|AAAAAAAA",
        "other_identity": engine.renderer.signer.sign(bob.who.key, f"{seq}:b:new"),
        "bobs_button": bob.button("New family").data,
    }[forgery]

    await alice.press_data(data)

    assert alice.outcome.notice == alice.t(UNKNOWN_BUTTON)
    assert alice.has(UNKNOWN_BUTTON)
    assert await alice.where() == before
    assert (before.flow, before.step) == ("cases", "overview")


async def test_another_practitioners_case_can_never_be_switched_to(engine: Turns) -> None:
    alice, bob = Chat(engine, "test:alice"), Chat(engine, "test:bob")
    await onboard(bob, "Bob's family")
    [bobs_case] = await cases_of(bob)
    await onboard(alice, "Fam. A")
    await alice.send("/gezin")
    await alice.press("New family")
    await alice.text("Fam. B")
    await alice.send("/gezin")
    await alice.press("Switch")

    assert alice.labels == ["Fam. A", alice.t(BACK_LABEL)]  # only her own other case
    before = await alice.where()
    assert before.step == "pick"
    forged = engine.renderer.signer.sign(alice.who.key, f"{before.seq}:o:{bobs_case.id}")

    await alice.press_data(forged)

    assert alice.outcome.notice == alice.t(UNKNOWN_BUTTON)
    assert await alice.where() == before
    assert before.active_case_id != bobs_case.id
    [still_bobs] = [c for c in await cases_of(bob) if c.id == bobs_case.id]
    assert still_bobs.label == "Bob's family"


# --- /gezin ----------------------------------------------------------------------------------


async def test_cases_create_switch_rename_close_delete(chat: Chat) -> None:
    await onboard(chat, "Fam. A")
    [a] = await cases_of(chat)

    # a second family, which becomes the active one
    await chat.send("/gezin")
    await chat.press("New family")
    await chat.text("Fam. B")
    assert chat.has(CREATED, label="Fam. B")
    [_, b] = await cases_of(chat)
    assert (await chat.where()).active_case_id == b.id

    # switch back to the first
    await chat.send("/gezin")
    await chat.press("Switch")
    await chat.press("Fam. A")
    assert chat.has(SWITCHED, label="Fam. A")
    assert (await chat.where()).active_case_id == a.id

    # rename it
    await chat.send("/gezin")
    await chat.press("Rename")
    await chat.text("Fam. C")
    assert chat.has(RENAMED, label="Fam. C")
    assert [c.label for c in await cases_of(chat)] == ["Fam. C", "Fam. B"]
    assert [e.value for e in await audit_of(chat, "case.renamed")] == ["Fam. C"]
    assert (await chat.where()).step == "overview"

    # close it: it stays, closed, and is no longer active
    await chat.press("Close or delete")
    await chat.press("Close")
    assert chat.has(CLOSED, label="Fam. C")
    closed = next(c for c in await cases_of(chat) if c.id == a.id)
    assert closed.status == "closed" and closed.closed_at is not None
    assert (await chat.where()).active_case_id is None

    # delete the other one, with its audit rows
    await chat.send("/gezin")
    await chat.press("Switch")
    await chat.press("Fam. B")
    assert await count(chat.engine, AuditEntry, AuditEntry.case_id == b.id) > 0
    await chat.send("/gezin")
    await chat.press("Close or delete")
    await chat.press("Delete…")
    await chat.press("Yes, delete")

    assert chat.has(DELETED, label="Fam. B")
    assert [c.id for c in await cases_of(chat)] == [a.id]
    assert await count(chat.engine, AuditEntry, AuditEntry.case_id == b.id) == 0
    assert await count(chat.engine, Conversation, Conversation.case_id == b.id) == 0
    where = await chat.where()
    assert (where.flow, where.active_case_id) == ("menu", None)


async def test_back_button_returns_to_the_step_before(chat: Chat) -> None:
    await onboard(chat, "Fam. A")
    await chat.send("/gezin")
    await chat.press("New family")

    await chat.press(BACK_LABEL)

    assert (await chat.where()).step == "overview"
    assert BACK_LABEL not in chat.labels and chat.t(BACK_LABEL) not in chat.labels


@pytest.mark.parametrize(
    ("label", "refusal"),
    [
        ("Fam. A", DUPLICATE),
        ("fam. a", DUPLICATE),
        ("Bel 06 1234 5678", REFUSALS["family"]["phone"]),
        ("oma@example.org", REFUSALS["family"]["email"]),
        ("Dorpsstraat 12", REFUSALS["family"]["address"]),
        ("Fam. K 1234 AB", REFUSALS["family"]["postcode"]),
    ],
)
async def test_refused_label_keeps_nothing(chat: Chat, label: str, refusal: str) -> None:
    await at_new_family(chat)
    before = await chat.where()

    await chat.text(label)

    assert chat.has(refusal, label=escape(label))
    assert chat.has(say(chat.engine, "cases", "ask_label"))
    assert await chat.where() == before
    assert [c.label for c in await cases_of(chat)] == ["Fam. A"]


@pytest.mark.parametrize(
    ("text", "problem", "values"),
    [
        ("", EMPTY, {}),
        ("   \n\t ", EMPTY, {}),
        ("\u200b\u2060", EMPTY, {}),
        ("x" * 4096, TOO_LONG, {"max": "40"}),
    ],
    ids=["empty", "whitespace", "invisible", "4096"],
)
async def test_empty_or_long_label_is_refused(
    chat: Chat, text: str, problem: str, values: dict[str, str]
) -> None:
    await at_new_family(chat)
    before = await chat.where()

    await chat.text(text)

    assert chat.has(problem, **values)
    assert await chat.where() == before
    assert len(await cases_of(chat)) == 1


# --- language, cancel, unknown input -----------------------------------------------------------


async def test_taal_switches_language_and_answers_in_it(chat: Chat) -> None:
    await onboard(chat, "Fam. A")
    assert (await chat.where()).language == "nl"

    await chat.send("/taal")
    await chat.press("English")

    english = chat.engine.catalogs.get("en")
    assert chat.outcome.language == "en"
    assert (await chat.where()).language == "en"
    assert english.gettext(CHANGED) in chat.last.text
    assert menu_line(chat.engine, "en", "Fam. A") in chat.last.text
    assert [a.value for a in await audit_of(chat, "practitioner.language")] == ["en"]

    await chat.send("/taal")
    await chat.press("Nederlands")

    assert chat.outcome.language == "nl"
    assert (await chat.where()).language == "nl"
    assert menu_line(chat.engine, "nl", "Fam. A") in chat.last.text


async def test_cancel_mid_step_returns_to_the_menu_and_drops_the_step(chat: Chat) -> None:
    await at_new_family(chat)

    await chat.send("/annuleer")

    assert chat.has(CANCELLED)
    where = await chat.where()
    assert (where.flow, where.step) == ("menu", "main")
    assert await count(chat.engine, Conversation, Conversation.flow == "cases") == 0
    await chat.text("Fam. Z")  # the label question is gone: text is not taken as a label
    assert chat.has(USE_BUTTONS)
    assert [c.label for c in await cases_of(chat)] == ["Fam. A"]

    await chat.send("/annuleer")
    assert chat.has(NOTHING_TO_CANCEL)


async def test_unknown_command_keeps_the_state(chat: Chat) -> None:
    await at_new_family(chat)
    before = await chat.where()

    await chat.send("/bestaatniet")

    assert chat.has(UNKNOWN_COMMAND)
    assert await chat.where() == before
    await chat.text("Fam. B")  # still at the label question
    assert [c.label for c in await cases_of(chat)] == ["Fam. A", "Fam. B"]


async def test_unsupported_message_keeps_the_state(chat: Chat) -> None:
    await at_new_family(chat)
    before = await chat.where()

    await chat.unsupported("photo")

    assert chat.has(UNSUPPORTED)
    assert chat.has(say(chat.engine, "cases", "ask_label"))
    assert await chat.where() == before


# --- concurrency and cancellation --------------------------------------------------------------


async def test_concurrent_events_of_one_practitioner_are_applied_in_order(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")

    first, second = await asyncio.gather(chat.text("Fam. 1"), chat.text("Fam. 2"))

    assert [c.label for c in await cases_of(chat)] == ["Fam. 1"]
    assert chat.t(CREATED, label="Fam. 1") in first.replies[-1].text
    assert chat.t(USE_BUTTONS) in second.replies[-1].text  # handled at the menu
    assert len(await audit_of(chat, "case.created")) == 1
    assert (await chat.where()).flow == "menu"


async def test_practitioners_work_side_by_side(engine: Turns) -> None:
    chats = [Chat(engine, f"test:p{i}") for i in range(5)]

    await asyncio.gather(*(onboard(chat, f"Fam. {i}") for i, chat in enumerate(chats)))

    for i, chat in enumerate(chats):
        assert [c.label for c in await cases_of(chat)] == [f"Fam. {i}"]


async def test_cancelled_event_keeps_nothing(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    """A channel that gives up on an event (shutdown, timeout) cancels `handle`; the event
    must then be lost entirely, never half kept."""
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")
    before = await chat.where()
    entered, never = asyncio.Event(), asyncio.Event()
    add_case = Repo.add_case

    async def add_case_then_hang(self: Repo, owner: Practitioner, label: str) -> Case:
        case = await add_case(self, owner, label)
        entered.set()
        await never.wait()
        return case

    monkeypatch.setattr(Repo, "add_case", add_case_then_hang)
    task = asyncio.create_task(chat.text("Fam. K"))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await chat.where() == before
    assert await cases_of(chat) == []
    monkeypatch.undo()
    await chat.text("Fam. K")  # the same label again: nothing of the first try is in the way
    assert [c.label for c in await cases_of(chat)] == ["Fam. K"]


# --- /tips -------------------------------------------------------------------------------------


async def test_tips_work_without_a_case_and_flip_through_the_phases(chat: Chat) -> None:
    await chat.send("/tips")
    assert await cases_of(chat) == []
    seen: dict[int, set[str]] = {1: set(), 2: set(), 3: set(), 4: set()}

    def page(phase: int, step: str) -> None:
        assert chat.has(say(chat.engine, "tips", step))
        assert len(chat.last.text) <= 600
        seen[phase] |= set(chat.last.tips)

    page(1, "phase1")
    await chat.press("More ›")
    page(1, "phase1b")
    for phase, more in ((2, False), (3, True), (4, False)):
        await chat.press(f"Phase {phase} ›")
        assert (await chat.where()).step == f"phase{phase}"
        page(phase, f"phase{phase}")
        if more:
            await chat.press("More ›")
            page(phase, f"phase{phase}b")
    await chat.press("‹ Phase 3")
    assert (await chat.where()).step == "phase3b"
    await chat.press("Phase 4 ›")
    await chat.press("Phase 1")
    page(1, "phase1")

    assert seen == TIPS_BY_PHASE
    assert sum(len(ids) for ids in TIPS_BY_PHASE.values()) == 22
    assert (await chat.where()).active_case_id is None


# --- what is stored ----------------------------------------------------------------------------


async def test_case_dates_are_utc_and_shown_in_the_practitioners_zone(chat: Chat) -> None:
    await onboard(chat, "Fam. A")
    [case] = await cases_of(chat)
    assert case.created_at.tzinfo is not None
    assert case.created_at.utcoffset() == timedelta(0)

    late = datetime(2026, 9, 14, 22, 30, tzinfo=UTC)  # 15 September 00:30 in Amsterdam
    async with chat.engine.sessions() as session, session.begin():
        await session.execute(update(Case).where(Case.id == case.id).values(created_at=late))
    await chat.send("/gezin")

    assert "15 september 2026" in chat.last.text
    [stored] = await cases_of(chat)
    assert stored.created_at == late


@pytest.mark.parametrize(
    ("text", "values", "shown"),
    [
        ("Saved with {case}. Good luck!", {"case": "Gezin B."}, "Saved with Gezin B. Good luck!"),
        (
            "Signal: {signal}. Then {who}.",
            {"signal": "no answer?", "who": "oma"},
            "Signal: no answer? Then oma.",
        ),
        ("{name} is on the map.", {"name": "oma"}, "Oma is on the map."),
        (
            "Tell {p} why. {p} is not your client.",
            {"p": "oma"},
            "Tell oma why. Oma is not your client.",
        ),
        ("Note:\n{text}", {"text": "over 2 weken"}, "Note:\nOver 2 weken"),
        ("“{label}” is ready.", {"label": "fam. K."}, "“fam. K.” is ready."),
        ("Hello {missing}, {name}", {"name": "A"}, "Hello {missing}, A"),
    ],
)
def test_fill_keeps_one_full_stop_and_capitalises_a_sentence_start(
    text: str, values: dict[str, str], shown: str
) -> None:
    assert fill(text, values) == shown
