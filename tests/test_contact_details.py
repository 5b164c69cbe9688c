"""Contact details stay out of every typed answer, in every flow: one check, declared per
`input` (`holds:`, `note` unless a flow says otherwise), that the engine applies before any
action sees the text. A new free-text field cannot skip it: the loader needs a known check
for every input, and the walk below types contact details at every typing step there is.
"""

from __future__ import annotations

import pytest

from bot.actions.labels import NOTE_CONTACT, REFUSALS
from bot.actions.phase_records import NO_CONTACT
from bot.engine.errors import Reject
from bot.engine.registry import registry
from bot.engine.spec import FlowSet
from bot.runtime import Runtime
from tests.conftest import make_settings
from tests.support.chat import Chat
from tests.support.explore import Explorer
from tests.support.onboarding import onboard
from tests.support.snapshot import differences, snapshot

CONTACT = {
    "phone": "06 12345678",
    "email": "oma@example.org",
    "address": "Dorpsstraat 12",
    "postcode": "1234 AB",
}
"""One of each kind, short enough for the shortest input (quiet hours: 20 characters)."""
REFUSED = [*(m for kinds in REFUSALS.values() for m in kinds.values()), NOTE_CONTACT, NO_CONTACT]


@pytest.fixture(scope="module")
def flows() -> FlowSet:
    from bot.runtime import load_content

    loaded, _ = load_content(make_settings("sqlite://"), check_translations=False)
    return loaded


def typing_steps(flows: FlowSet) -> list[tuple[str, str]]:
    return [
        (flow.id, name)
        for flow in flows
        for name, step in flow.steps.items()
        if step.input is not None
    ]


def test_every_typed_answer_of_every_flow_has_a_check_that_refuses_contact_details(
    flows: FlowSet,
) -> None:
    steps = typing_steps(flows)
    assert len(steps) > 30
    for flow_id, name in steps:
        spec = flows[flow_id].step(name).input
        assert spec is not None
        check = registry.texts[spec.holds]
        for kind, text in CONTACT.items():
            with pytest.raises(Reject):
                check(text)
            assert kind  # every kind refused, whatever the field holds


@pytest.mark.parametrize(
    "text",
    [
        "Oma haalt de kinderen op woensdag",
        "gaat langs op 15-03-2026",
        "over 2 weken bellen",
        "morgen 9:00",
        "15-03-2027 10:00",
        "2027-03-15 10:00",
        "21:00-08:00",
        "met de 2 kinderen naar het park 3 keer per week",
        "Ze gaat 2 keer per week naar de supermarkt 2 uur lang",
        "ze belt onderweg 2 keer",
        "groep 8, juf Anna",
        "sinds 2024 en daarna",
    ],
)
def test_a_note_lets_ordinary_answers_through(text: str) -> None:
    registry.texts["note"](text)


async def test_the_fase1_wish_and_the_fase4_reflections_refuse_contact_details(
    chat: Chat, engine_runtime: Runtime
) -> None:
    await onboard(chat)
    await chat.send("/fase")
    await chat.press(chat.t(chat.engine.flows["fase1"].title))
    before = await snapshot(engine_runtime.db)
    await chat.text("Oma mag helpen, bel 06 12345678")
    assert chat.has(NOTE_CONTACT)
    assert (await chat.where()).step == "wish"
    assert await snapshot(engine_runtime.db) == before

    await chat.send("/fase")
    await chat.press(chat.t(chat.engine.flows["fase4"].title))
    for step, text in [
        ("now", "Beter. Mail: moeder@example.org"),
        ("place", "Ze woont nu op de Dorpsstraat 12"),
        ("meaning", "Een vangnet, oma: 06-12345678"),
    ]:
        assert (await chat.where()).step == step
        before = await snapshot(engine_runtime.db)
        await chat.text(text)
        assert chat.has(NOTE_CONTACT), step
        assert (await chat.where()).step == step
        assert await snapshot(engine_runtime.db) == before
        await chat.text("Het gaat goed")


async def test_contact_details_typed_at_every_typing_step_are_refused_and_kept_nowhere(
    engine_runtime: Runtime,
) -> None:
    """The walk visits every step of every flow (tests/support/explore.py); at each step
    that takes typed text it types a phone number, an e-mail address, an address and a
    postcode: each is refused with a line saying why, and nothing is written anywhere."""
    turns, db = engine_runtime.turns, engine_runtime.db
    typed: list[tuple[str, str]] = []

    async def type_contact_details(chat: Chat, flow: str, step: str) -> None:
        if turns.flows[flow].step(step).input is None:
            return
        typed.append((flow, step))
        for kind, text in CONTACT.items():
            where, rows = await chat.where(), await snapshot(db)
            await chat.text(text)
            assert await chat.where() == where, f"{flow}.{step}: moved on {kind}"
            after = await snapshot(db)
            assert after == rows, f"{flow}.{step}, {kind}: {differences(rows, after)}"
            assert any(chat.has(msgid) for msgid in REFUSED), f"{flow}.{step}: {kind} kept"

    explorer = Explorer(turns.flows, lambda: turns, type_contact_details)
    await explorer.run()
    assert explorer.missing() == {}
    assert sorted(typed) == sorted(typing_steps(turns.flows))
