"""Access, at the engine: who gets a practitioner row, who gets one polite refusal and
leaves nothing behind, invites (once, expiring), revocation, and the development default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.access import (
    BAD_INVITE,
    CONSOLE_KEY,
    NO_ACCESS,
    RefusalLimiter,
    create_invite,
    hash_code,
    startup_warning,
    telegram_key,
)
from bot.admin import revoke
from bot.config import Settings
from bot.engine.events import Command, Identity, Outcome, Press, Text
from bot.runtime import open_runtime
from bot.store.models import utcnow
from bot.store.repo import Repo
from bot.turns import Turns
from tests.conftest import make_settings
from tests.support.chat import Chat
from tests.support.data import holding, stored_rows

ALLOWED = 5001
STRANGER = 6001


async def running(settings: Settings) -> AsyncIterator[Turns]:
    async with open_runtime(settings, migrate=False, check_translations=False) as rt:
        yield rt.turns


@pytest.fixture
def closed_settings(database_url: str) -> Settings:
    """Development with an allow-list: closed to everyone else, as production is."""
    return make_settings(database_url, BOT_ALLOWED_USERS=str(ALLOWED))


@pytest.fixture
async def gate(closed_settings: Settings) -> AsyncIterator[Turns]:
    async for engine in running(closed_settings):
        yield engine


def telegram(user_id: int, language: str | None = "nl") -> Identity:
    return Identity(telegram_key(user_id), language)


def welcomed(engine: Turns, outcome: Outcome) -> bool:
    text = engine.catalogs.get(outcome.language).gettext(
        engine.flows["onboarding"].step("welcome").say or ""
    )
    return any(text.split("\n")[0] in reply.text for reply in outcome.replies)


def refusal(engine: Turns, msgid: str, language: str = "nl") -> str:
    return engine.catalogs.get(language).gettext(msgid)


async def invite(engine: Turns, days: int = 7) -> str:
    async with engine.sessions() as session, session.begin():
        code, _ = await create_invite(Repo(session), days, utcnow())
    return code


# --- strangers --------------------------------------------------------------------------------


async def test_a_stranger_gets_one_polite_dutch_refusal_and_nothing_is_stored(
    gate: Turns,
) -> None:
    before = await stored_rows(gate.settings.database_url)
    stranger = Chat(gate, telegram(STRANGER, "nl"))

    outcome = await stranger.send("/start")
    [answer] = outcome.replies
    assert answer.text == refusal(gate, NO_ACCESS)
    assert "beheerder" in answer.text and "uitnodiging" in answer.text  # how to get in
    assert answer.buttons == ()

    for event in (Text("hallo?"), Command("gezin"), Press("0:b:next|forged!!")):
        assert (await stranger.handle(event)).replies == ()  # the minute is not over

    after = await stored_rows(gate.settings.database_url)
    assert after == before  # not one row added or changed, in any table
    assert holding(after, str(STRANGER)) == {}
    assert len(gate.locks) == 0  # nor a lock kept for them


async def test_english_apps_get_the_refusal_in_english(gate: Turns) -> None:
    outcome = await Chat(gate, telegram(STRANGER, "en-GB")).send("/start")
    assert [r.text for r in outcome.replies] == [NO_ACCESS]
    assert outcome.language == "en"


async def test_a_refused_stranger_is_answered_at_most_once_a_minute(gate: Turns) -> None:
    now = [1000.0]
    gate.access.limiter.clock = lambda: now[0]
    stranger = Chat(gate, telegram(STRANGER))
    assert len((await stranger.send("/start")).replies) == 1
    now[0] += 59
    assert (await stranger.send("/start")).replies == ()
    now[0] += 2
    assert len((await stranger.send("/menu")).replies) == 1
    assert (await stranger.text("nog eens")).replies == ()
    assert len(gate.access.limiter) == 1


def test_the_refusal_memory_is_bounded_and_forgets_after_the_minute() -> None:
    now = [0.0]
    limiter = RefusalLimiter(every=60, max_keys=3, clock=lambda: now[0])
    for n in range(10):
        assert limiter.answer(f"telegram:{n}")
    assert len(limiter) == 3  # only the newest three are remembered
    assert limiter.silenced("telegram:9") and not limiter.silenced("telegram:0")
    now[0] += 61
    assert limiter.answer("telegram:42")
    assert len(limiter) == 1  # the others were older than a minute


# --- who gets in --------------------------------------------------------------------------------


async def test_an_allowed_user_gets_in_and_keeps_access(gate: Turns) -> None:
    allowed = Chat(gate, telegram(ALLOWED))
    outcome = await allowed.send("/start")
    assert welcomed(gate, outcome)
    assert (await allowed.where()).flow == "onboarding"


async def test_an_invite_works_once(gate: Turns) -> None:
    code = await invite(gate)
    first = Chat(gate, telegram(STRANGER))
    assert welcomed(gate, await first.send(f"/start {code}"))
    assert (await first.where()).flow == "onboarding"
    rows = await stored_rows(gate.settings.database_url)
    assert holding(rows, code) == {}  # only its hash is kept
    assert holding(rows, hash_code(code)) == {"invites": 1}

    # the invitee keeps access without the code; a second person cannot use it again
    assert (await first.send("/menu")).replies
    second = Chat(gate, telegram(STRANGER + 1))
    outcome = await second.send(f"/start {code}")
    assert [r.text for r in outcome.replies] == [refusal(gate, BAD_INVITE)]
    assert await second.practitioner() is None


async def test_an_invite_expires(gate: Turns) -> None:
    code = await invite(gate, days=2)
    gate.access.clock = lambda: utcnow() + timedelta(days=2, minutes=1)
    outcome = await Chat(gate, telegram(STRANGER)).send(f"/start {code}")
    assert [r.text for r in outcome.replies] == [refusal(gate, BAD_INVITE)]
    gate.access.clock = utcnow  # still unused: it works before its end
    gate.access.limiter.forget(telegram_key(STRANGER))
    assert welcomed(gate, await Chat(gate, telegram(STRANGER)).send(f"/start {code}"))


async def test_a_refused_stranger_can_use_an_invite_at_once(gate: Turns) -> None:
    stranger = Chat(gate, telegram(STRANGER))
    assert (await stranger.send("/start")).replies
    code = await invite(gate)
    assert welcomed(gate, await stranger.send(f"/start {code}"))  # within the same minute


async def test_an_allowed_user_does_not_use_up_an_invite(gate: Turns) -> None:
    code = await invite(gate)
    await Chat(gate, telegram(ALLOWED)).send(f"/start {code}")
    assert welcomed(gate, await Chat(gate, telegram(STRANGER)).send(f"/start {code}"))


async def test_a_revoked_practitioner_is_refused_until_a_new_invite(
    gate: Turns, closed_settings: Settings
) -> None:
    allowed = Chat(gate, telegram(ALLOWED))
    await allowed.send("/start")
    p = await allowed.practitioner()
    assert p is not None
    revoked = await revoke(closed_settings, p.id)
    assert revoked is not None and revoked.practitioner.account == str(ALLOWED)

    outcome = await allowed.send("/start")  # still on the allow-list, yet refused
    assert [r.text for r in outcome.replies] == [refusal(gate, NO_ACCESS)]
    assert await allowed.practitioner() is None
    stored = await stored_rows(gate.settings.database_url)
    assert holding(stored, str(ALLOWED)) == {"revocations": 1}  # only what keeps them out

    code = await invite(gate)
    assert welcomed(gate, await allowed.send(f"/start {code}"))
    stored = await stored_rows(gate.settings.database_url)
    assert holding(stored, str(ALLOWED)) == {"practitioners": 1}


# --- with nothing configured ------------------------------------------------------------------


async def test_development_without_allow_list_or_invites_is_open_until_an_invite_exists(
    settings: Settings,
) -> None:
    async for engine in running(settings):
        async with engine.sessions() as session:
            warning = await startup_warning(Repo(session), settings)
        assert warning is not None and warning.startswith("ACCESS IS OPEN")
        assert welcomed(engine, await Chat(engine, telegram(STRANGER)).send("/start"))

        await invite(engine)  # making an invite says: access is controlled now
        refused = await Chat(engine, telegram(STRANGER + 1)).send("/start")
        assert [r.text for r in refused.replies] == [refusal(engine, NO_ACCESS)]
        assert (await Chat(engine, telegram(STRANGER)).send("/menu")).replies  # registered
        async with engine.sessions() as session:
            assert await startup_warning(Repo(session), settings) is None


async def test_production_lets_in_only_the_console_until_something_is_configured(
    database_url: str,
) -> None:
    production = make_settings(database_url, BOT_ENV="production")
    async for engine in running(production):
        async with engine.sessions() as session:
            warning = await startup_warning(Repo(session), production)
        assert warning is not None and warning.startswith("Nobody new can start")
        refused = await Chat(engine, telegram(STRANGER)).send("/start")
        assert [r.text for r in refused.replies] == [refusal(engine, NO_ACCESS)]
        assert welcomed(engine, await Chat(engine, Identity(CONSOLE_KEY, "nl")).send("/start"))
