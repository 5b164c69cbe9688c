"""A parents' tip in full where it bites the first time for a family, short after (#16).

The preparation and fase 1 share tips ("offer that someone may join", "trust first"):
read in full while preparing, fase 1 reminds in a few words. Another family starts afresh,
and a tip never seen in full for a family is never shown short.
"""

from __future__ import annotations

from bot.engine.spec import Tip
from bot.engine.tips_seen import KEY
from bot.store.repo import Repo
from tests.support.chat import Chat
from tests.support.flows import enter, prepare_with_example
from tests.support.onboarding import onboard


def tip(chat: Chat, tip_id: str) -> Tip:
    return chat.engine.flows.tips()[tip_id][1]


def full(chat: Chat, tip_id: str) -> str:
    return chat.t(tip(chat, tip_id).text)


def short(chat: Chat, tip_id: str) -> str:
    found = tip(chat, tip_id).short
    assert found is not None
    return chat.t(found)


def test_every_tip_has_a_short_form_shorter_than_itself(chat: Chat) -> None:
    for tip_id, (_flow, each) in chat.engine.flows.tips().items():
        assert each.short, tip_id
        for language in ("nl", "en"):
            catalog = chat.engine.catalogs.get(language)
            assert len(catalog.gettext(each.short)) < len(catalog.gettext(each.text)), tip_id


async def test_a_tip_is_shown_in_full_once_per_family_then_short(chat: Chat) -> None:
    await onboard(chat)
    await prepare_with_example(chat)
    prepared = " ".join(r.text for o in chat.outcomes for r in o.replies)
    assert full(chat, "f1.do.offer_join") in prepared
    assert full(chat, "f1.do.trust_first") in prepared

    await enter(chat, "fase1")
    assert f"💡 {short(chat, 'f1.do.listen')}" in chat.last.text  # prepared: short now
    await chat.text("Oma mag helpen")
    assert (await chat.where()).step == "join"
    assert f"💡 {short(chat, 'f1.do.offer_join')}" in chat.last.text
    assert full(chat, "f1.do.offer_join") not in chat.last.text
    assert "f1.do.offer_join" in chat.last.tips  # still shown, in a few words
    await chat.press("Yes")
    assert f"💡 {short(chat, 'f1.do.trust_first')}" in chat.last.text
    await chat.text("blabla")  # the same step once more: short, as it was
    assert f"💡 {short(chat, 'f1.do.trust_first')}" in chat.last.text

    await chat.send("/gezin")  # another family: every tip in full again
    await chat.press("New family")
    await chat.text("Fam. L")
    await enter(chat, "fase1")
    assert full(chat, "f1.do.listen") in chat.last.text
    await chat.text("Niemand, zegt vader")
    assert full(chat, "f1.do.offer_join") in chat.last.text
    await chat.press("‹ Back")
    assert f"💡 {short(chat, 'f1.do.listen')}" in chat.last.text  # seen once: short now


async def test_a_deleted_family_leaves_no_tip_ids_behind(chat: Chat) -> None:
    """What was shown is kept per family id; deleting the family drops that entry too,
    and leaves another family's."""
    await onboard(chat)
    await prepare_with_example(chat)
    await chat.send("/gezin")
    await chat.press("New family")
    await chat.text("Fam. L")
    await prepare_with_example(chat)
    async with chat.engine.sessions() as session, session.begin():
        owner = await session.merge(await chat.practitioner())
        families = await Repo(session).cases(owner)
        assert set(owner.settings[KEY]) == {str(c.id) for c in families}
        await Repo(session).delete_case(owner, families[0])
    after = await chat.practitioner()
    assert after is not None
    assert set(after.settings[KEY]) == {str(families[1].id)}
