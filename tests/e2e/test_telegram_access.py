"""Access, /export, /vergeet and the retention reminder through the real Telegram stack,
with an allow-list set (closed, as production is)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import admin
from bot.access import BAD_INVITE, NO_ACCESS
from bot.actions.forget import AGAIN_START, FORGOTTEN
from bot.channels.telegram.channel import TelegramNotifier
from bot.cli import build_parser
from bot.config import Settings
from bot.retention import REMIND_DAYS, Pass, RetentionJob
from bot.store.db import make_engine, make_sessionmaker
from bot.store.models import Case
from tests.support.data import holding, stored_rows
from tests.support.onboarding import onboard_user
from tests.support.stub_bot_api import BOT_USERNAME, StubBotAPI
from tests.support.telegram import Texts, bot_against, bot_settings

pytestmark = pytest.mark.e2e

ALLOWED = 5001
STRANGER = 6001


@pytest.fixture
def closed_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allowed_users": frozenset({ALLOWED})})


@pytest.fixture
async def closed(stub: StubBotAPI, closed_settings: Settings) -> AsyncIterator[StubBotAPI]:
    async with bot_against(stub, closed_settings):
        yield stub


async def test_a_stranger_gets_one_polite_refusal_then_silence_and_nothing_is_stored(
    closed: StubBotAPI, closed_settings: Settings, txt: Texts
) -> None:
    before = await stored_rows(closed_settings.database_url)
    stranger = closed.user(STRANGER, language_code="nl")
    await stranger.send("/start")
    refusal = await stranger.reply()
    assert refusal.method == "sendMessage"
    assert refusal.text == txt.t(NO_ACCESS)
    assert refusal.buttons == []

    for text in ("/start", "hallo?", "/gezin"):
        await stranger.send(text)
    await stranger.send_photo()
    await closed.wait_idle()
    await asyncio.sleep(0.5)
    assert stranger.drain() == []  # rate-limited: no second answer within the minute

    after = await stored_rows(closed_settings.database_url)
    assert after == before
    assert holding(after, str(STRANGER)) == {}

    english = closed.user(STRANGER + 1, language_code="en-US")
    await english.send("/start")
    assert (await english.reply()).text == NO_ACCESS


async def test_an_allowed_user_gets_in(closed: StubBotAPI, txt: Texts) -> None:
    user = closed.user(ALLOWED)
    menu = await onboard_user(user, txt, "Gezin B.")
    assert "Gezin B." in menu.text


async def test_an_invite_link_lets_exactly_one_practitioner_in(
    closed: StubBotAPI, closed_settings: Settings, txt: Texts, capsys: pytest.CaptureFixture[str]
) -> None:
    args = build_parser().parse_args(["invite", "--days", "2"])
    operator = bot_settings(closed_settings, closed)  # the bot's username comes from getMe
    assert await asyncio.to_thread(args.handler, operator, args) == 0
    [(username, code)] = re.findall(r"https://t\.me/(\w+)\?start=(\S+)", capsys.readouterr().out)
    assert username == BOT_USERNAME

    invitee = closed.user(7001)
    await invitee.send(f"/start {code}")  # what Telegram sends for the deep link
    welcome = await invitee.reply()
    assert txt.first_line("onboarding", "welcome") in welcome.text

    other = closed.user(7002)
    await other.send(f"/start {code}")
    assert (await other.reply()).text == txt.t(BAD_INVITE)


async def test_a_revoked_practitioner_is_refused(
    closed: StubBotAPI, closed_settings: Settings, txt: Texts
) -> None:
    user = closed.user(ALLOWED)
    await onboard_user(user, txt, "Gezin B.")
    [row] = await admin.practitioners(closed_settings)
    assert row.account == str(ALLOWED) and row.cases == 1
    assert await admin.revoke(closed_settings, row.id) is not None

    await user.send("/menu")
    assert (await user.reply()).text == txt.t(NO_ACCESS)


async def test_export_sends_a_json_document(closed: StubBotAPI, txt: Texts) -> None:
    user = closed.user(ALLOWED)
    await onboard_user(user, txt, "Gezin Ünal")
    await user.send("/export")
    await user.reply()
    await user.press(txt.button("export", "info", "send"))
    document = await user.reply()
    assert document.method == "sendDocument"
    assert document.file is not None
    assert re.fullmatch(r"netwerkcoach-export-\d{8}\.json", document.file.filename)
    data = json.loads(document.file.content.decode("utf-8"))
    assert [case["label"] for case in data["cases"]] == ["Gezin Ünal"]
    menu = await user.reply()
    assert menu.method == "sendMessage"
    assert txt.button("menu", "main", "cases") in menu.flat_buttons


async def test_vergeet_everything_then_start_begins_afresh(
    closed: StubBotAPI, closed_settings: Settings, txt: Texts
) -> None:
    user = closed.user(ALLOWED)
    await onboard_user(user, txt, "Gezin B.")
    await user.send("/vergeet")
    await user.reply()
    await user.press(txt.button("vergeet", "choose", "all"))
    await user.reply()
    await user.press(txt.button("vergeet", "confirm_all", "delete"))
    farewell = await user.reply()
    assert farewell.method == "editMessageText"
    assert farewell.text == f"{txt.t(FORGOTTEN)}\n{txt.t(AGAIN_START)}"
    assert farewell.buttons == []
    assert holding(await stored_rows(closed_settings.database_url), str(ALLOWED)) == {}

    await user.send("/start")
    assert txt.first_line("onboarding", "welcome") in (await user.reply()).text


async def test_the_retention_reminder_reaches_the_practitioner(
    stub: StubBotAPI, closed_settings: Settings, txt: Texts
) -> None:
    async with bot_against(stub, closed_settings) as app:
        user = stub.user(ALLOWED)
        await onboard_user(user, txt, "Gezin R.")
        await user.send("/gezin")
        await user.reply()
        await user.press(txt.button("cases", "overview", "close"))
        await user.reply()
        await user.press(txt.button("cases", "confirm_close", "close"))
        await user.reply()

        db = make_engine(closed_settings.database_url)
        try:
            sessions = make_sessionmaker(db)
            async with sessions() as session:
                [case] = (await session.execute(select(Case))).scalars()
            assert case.closed_at is not None
            due = case.closed_at + timedelta(days=closed_settings.retention_days - REMIND_DAYS)
            job = RetentionJob(
                sessions,
                txt.catalogs,
                closed_settings,
                TelegramNotifier(app.bot),
                clock=lambda: due + timedelta(hours=1),
            )
            assert await job.run_once() == Pass(deleted=0, reminded=1)
        finally:
            await db.dispose()
        reminder = await user.reply()
        assert reminder.method == "sendMessage"
        assert "Gezin R." in reminder.text and "/export" in reminder.text
