"""Long polling through the real stack (bot/channels/telegram/polling.py): practitioners go
side by side, a failing getUpdates is tried again, and what is done is confirmed."""

from __future__ import annotations

import logging

import pytest

from bot.config import Settings
from tests.support.bot_process import until
from tests.support.stub_bot_api import StubBotAPI
from tests.support.telegram import TOKEN, Texts, bot_against

pytestmark = pytest.mark.e2e


async def test_a_practitioner_waiting_on_telegram_does_not_hold_up_another(
    running: StubBotAPI, txt: Texts
) -> None:
    """Anna's reply hangs in Telegram; Bram, who wrote after her, is answered meanwhile,
    and Telegram keeps Anna's update (unconfirmed) until her turn is done."""
    anna, bram = running.user(8101), running.user(8102)
    running.delay_next("sendMessage", 3.0)
    await anna.send("/start")
    await until(
        lambda: _now(running.held("sendMessage") == 1), 10, lambda: "Anna's reply on its way"
    )
    await bram.send("/start")
    welcome = await bram.reply()
    assert txt.first_line("onboarding", "welcome") in welcome.text
    assert anna.outputs == []  # still on its way
    assert running.pending_updates >= 1  # hers: not confirmed while it is in hand
    assert txt.first_line("onboarding", "welcome") in (await anna.reply(timeout=10)).text


async def test_a_failing_get_updates_is_tried_again(
    stub: StubBotAPI, settings: Settings, txt: Texts, caplog: pytest.LogCaptureFixture
) -> None:
    stub.fail_next("getUpdates", 502, times=2)
    async with bot_against(stub, settings):
        user = stub.user(8103)
        await user.send("/start")
        assert txt.first_line("onboarding", "welcome") in (await user.reply(timeout=15)).text
    assert len(stub.faulted) == 2
    failures = [r for r in caplog.records if "getUpdates failed" in r.getMessage()]
    assert len(failures) == 2
    assert all(r.levelno == logging.WARNING for r in failures)
    assert TOKEN.split(":")[1] not in caplog.text


async def test_stopping_finishes_the_update_in_hand_and_confirms_it(
    stub: StubBotAPI, settings: Settings, txt: Texts
) -> None:
    """Stopped while a reply is on its way: the turn is finished, and confirmed on the way
    out, so a restart does not fetch it again (and show the step a second time)."""
    user = stub.user(8104)
    async with bot_against(stub, settings):
        stub.delay_next("sendMessage", 1.0)
        await user.send("/start")
        await until(lambda: _now(stub.held("sendMessage") == 1), 10, lambda: "the reply held")
    assert txt.first_line("onboarding", "welcome") in (await user.reply(timeout=0.1)).text
    assert stub.pending_updates == 0


async def _now(value: bool) -> bool:
    return value
