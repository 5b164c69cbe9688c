"""/vergeet and /export at the engine: one family or everything deleted after a
confirmation and committed before the answer; all of one's own data, and only that, as a
JSON document."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.access import NO_ACCESS, create_invite, telegram_key
from bot.actions.cases import DELETED
from bot.actions.export import SENT
from bot.actions.forget import (
    AFTER_INVITE,
    AFTER_START,
    AGAIN_INVITE,
    AGAIN_START,
    FORGOTTEN,
)
from bot.config import Settings
from bot.engine.events import Identity
from bot.runtime import open_runtime
from bot.store.models import Agreement, AuditEntry, Case, Conversation, Person, utcnow
from bot.store.repo import Repo
from bot.turns import Turns
from tests.conftest import CALLBACK_SECRET, make_settings
from tests.support.chat import Chat
from tests.support.data import seed_case
from tests.support.onboarding import onboard

OWN_TABLES = (Case, Person, Agreement, AuditEntry, Conversation)


async def count(engine: Turns, model: Any, *where: Any) -> int:
    async with engine.sessions() as session:
        query = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(query)).scalar_one())


async def totals(engine: Turns) -> dict[str, int]:
    return {model.__tablename__: await count(engine, model) for model in OWN_TABLES}


async def people_names(engine: Turns) -> list[str]:
    """Every person's name (compared in Python: names are sealed at rest)."""
    async with engine.sessions() as session:
        return sorted((await session.execute(select(Person.name))).scalars())


async def case_rows(engine: Turns, case_id: int) -> int:
    return sum(
        [
            await count(engine, Case, Case.id == case_id),
            await count(engine, Person, Person.case_id == case_id),
            await count(engine, Agreement, Agreement.case_id == case_id),
            await count(engine, AuditEntry, AuditEntry.case_id == case_id),
            await count(engine, Conversation, Conversation.case_id == case_id),
        ]
    )


async def two_practitioners(engine: Turns) -> tuple[Chat, Chat, int]:
    """Alice with "Fam. A" (from onboarding) and "Fam. Ö" (seeded); Bob with "Fam. Z".
    Returns the id of Alice's second family."""
    alice, bob = Chat(engine, "test:alice"), Chat(engine, "test:bob")
    await onboard(alice, "Fam. A")
    second = await seed_case(engine, alice.who.key, "Fam. Ö")
    await onboard(bob, "Fam. Z")
    await seed_case(engine, bob.who.key, "Fam. Y", person="Buurman Kees")
    return alice, bob, second


# --- /vergeet ---------------------------------------------------------------------------


async def test_vergeet_deletes_one_chosen_family_with_everything_about_it(engine: Turns) -> None:
    alice, _bob, second = await two_practitioners(engine)
    before = await totals(engine)

    await alice.send("/vergeet")
    assert {"Fam. A", "Fam. Ö"} <= set(alice.labels)
    assert "Fam. Z" not in alice.labels
    await alice.press("Fam. Ö")
    assert "Fam. Ö" in alice.last.text
    assert await case_rows(engine, second) > 0  # asking deletes nothing
    await alice.press("Yes, delete")

    assert alice.has(DELETED, label="Fam. Ö")
    assert await case_rows(engine, second) == 0
    assert (await alice.where()).flow == "menu"
    async with engine.sessions() as session:
        p = await alice.practitioner()
        assert p is not None
        assert [c.label for c in await Repo(session).cases(p, status=None)] == ["Fam. A"]
    after = await totals(engine)
    assert after["cases"] == before["cases"] - 1
    assert "Buurman Kees" in await people_names(engine)  # Bob's stay


async def test_vergeet_asks_first_and_no_keeps_everything(engine: Turns) -> None:
    alice, _bob, second = await two_practitioners(engine)
    before = await totals(engine)
    await alice.send("/vergeet")
    await alice.press("Fam. Ö")
    await alice.press("No, keep")
    await alice.press("All my data…")
    await alice.press("No, keep")
    assert await totals(engine) == before
    assert await case_rows(engine, second) > 0


async def test_vergeet_everything_deletes_the_practitioner_and_start_begins_afresh(
    engine: Turns,
) -> None:
    alice, bob, _ = await two_practitioners(engine)
    await alice.send("/vergeet")
    await alice.press("All my data…")
    assert alice.has(AFTER_START)  # development, open: they may come back
    await alice.press("Yes, delete everything")

    [farewell] = alice.outcome.replies
    assert farewell.text == f"{alice.t(FORGOTTEN)}\n{alice.t(AGAIN_START)}"
    assert farewell.buttons == ()
    assert await alice.practitioner() is None  # committed before the answer
    p = await bob.practitioner()
    assert p is not None
    for model in (Case, AuditEntry, Conversation):
        owner = model.owner_id if model is Case else model.practitioner_id
        assert await count(engine, model) == await count(engine, model, owner == p.id)
    assert await people_names(engine) == ["Buurman Kees"]  # Bob's; Alice's Oma is gone

    await alice.send("/start")
    assert (await alice.where()).flow == "onboarding"
    assert (await alice.where()).active_case_id is None


async def test_vergeet_everything_tells_an_invitee_a_new_invite_is_needed(
    database_url: str,
) -> None:
    settings = make_settings(database_url, BOT_ALLOWED_USERS="5001")
    async with open_runtime(settings, migrate=False, check_translations=False) as rt:
        async with rt.turns.sessions() as session, session.begin():
            code, _ = await create_invite(Repo(session), 7, utcnow())
        invitee = Chat(rt.turns, Identity(telegram_key(6001), "nl"))
        await invitee.send(f"/start {code}")
        await invitee.send("/vergeet")
        await invitee.press("All my data…")
        assert invitee.has(AFTER_INVITE)
        await invitee.press("Yes, delete everything")
        assert invitee.last.text.endswith(invitee.t(AGAIN_INVITE))
        assert await invitee.practitioner() is None

        refused = await invitee.send("/start")
        assert [r.text for r in refused.replies] == [invitee.t(NO_ACCESS)]


# --- /export ----------------------------------------------------------------------------


def moments(document: Any) -> list[str]:
    """Every value of a key ending in `_at` (or `at`), anywhere in the document."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if (key == "at" or key.endswith("_at") or key == "deleted_after") and value:
                found.append(value)
            else:
                found.extend(moments(value))
    elif isinstance(document, list):
        for value in document:
            found.extend(moments(value))
    return found


async def test_export_sends_all_own_data_as_json_and_nothing_of_others(
    engine: Turns, settings: Settings
) -> None:
    alice, _bob, second = await two_practitioners(engine)
    async with engine.sessions() as session, session.begin():
        case = await session.get(Case, second)
        assert case is not None
        case.status, case.closed_at = "closed", utcnow() - timedelta(days=1)

    await alice.send("/export")
    assert alice.outcome.attachments == ()  # it says what it sends, and asks first
    await alice.press("Send the file")

    [attachment] = alice.outcome.attachments
    assert attachment.kind == "document"
    today = datetime.now().astimezone().strftime("%Y%m%d")
    assert re.fullmatch(r"netwerkcoach-export-\d{8}\.json", attachment.filename)
    assert abs(int(attachment.filename[20:28]) - int(today)) <= 1  # local date of the zone
    assert "Fam. Ö".encode() in attachment.content  # UTF-8, not \u escapes
    document = json.loads(attachment.content.decode("utf-8"))
    assert alice.has(SENT)

    assert document["format"] == "netwerkcoach-export"
    assert document["practitioner"]["language"] == "nl"
    assert document["practitioner"]["timezone"] == settings.timezone
    cases = {c["label"]: c for c in document["cases"]}
    assert set(cases) == {"Fam. A", "Fam. Ö"}
    assert cases["Fam. A"]["status"] == "open" and cases["Fam. A"]["active"]
    closed = cases["Fam. Ö"]
    assert closed["status"] == "closed" and closed["deleted_after"] is not None
    assert [p["name"] for p in closed["people"]] == ["Oma"]
    [agreement] = closed["agreements"]
    assert agreement["text"] == "Oma haalt de kinderen op woensdag op"
    assert agreement["person"] == "Oma"
    assert [e["event"] for e in cases["Fam. A"]["audit"]] == ["case.created"]
    assert [e["event"] for e in closed["audit"]] == ["case.created"]
    for moment in moments(document):
        assert datetime.fromisoformat(moment).utcoffset() is not None

    text = attachment.content.decode("utf-8")
    for other in ("Fam. Z", "Fam. Y", "Buurman Kees", "test:bob"):
        assert other not in text
    assert CALLBACK_SECRET not in text
    assert '"seq"' not in text and '"id"' not in text  # no internal ids or counters
