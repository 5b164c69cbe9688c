"""`kill -9` of the real bot process in the middle of a phase, then a restart.

The engine-level test (tests/test_crash_restart.py) restarts at every step of every
flow; this one does it once for real, as an operator's server would: `python -m bot run`
killed with SIGKILL in fase 2, after one person was added and while the next one is half
entered. The new process must find both: the committed person with the parent's decision,
and the half-entered one at the step it was on.
"""

from __future__ import annotations

import os
import signal

import pytest

from bot.config import Settings
from tests.e2e.test_telegram_process import bot_process
from tests.support.onboarding import onboard_user
from tests.support.snapshot import snapshot
from tests.support.stub_bot_api import BotOutput, SimUser, StubBotAPI
from tests.support.telegram import Texts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

START_TIMEOUT = 30.0
"""A cold `python -m bot run` (imports, migrations) on a busy CI machine."""


async def expect(
    user: SimUser,
    txt: Texts,
    flow: str,
    step: str,
    timeout: float = 10.0,  # noqa: ASYNC109 - a deadline per expected reply
) -> BotOutput:
    """The next reply, which must show `step` of `flow`."""
    out = await user.reply(timeout=timeout)
    assert txt.first_line(flow, step) in (out.text or ""), f"{flow}.{step}? {out.describe()}"
    return out


async def test_kill_9_in_fase_2_after_a_person_was_added_then_restart(
    stub: StubBotAPI, settings: Settings, txt: Texts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_CHAT_RATE", "50")  # the process reads its environment; 1/s is slow
    user = stub.user(4444, language_code="nl")
    async with bot_process(stub, settings) as first:
        await onboard_user(user, txt, "Gezin K", first_reply_within=START_TIMEOUT)
        await user.send("/fase")
        phases = await user.reply()
        title = txt.t(txt.flows["fase2"].title)
        await user.press(next(b for b in phases.flat_buttons if title in b))
        await expect(user, txt, "fase2", "start")
        await user.send("oma, dichtbij")  # one line: the role tells the group
        await expect(user, txt, "fase2", "decision")
        await user.press(txt.button("fase2", "decision", "consent"))
        await expect(user, txt, "fase2", "hub")
        await user.send("Sanne")  # a first name alone: the group is asked
        group = await expect(user, txt, "fase2", "group")
        rows = await snapshot(settings.database_url)
        # Killed once Telegram forgot the last update: else it is handed over again after
        # the restart and answered with the step once more (tested in
        # test_telegram_polling_crash.py), before the reply this test waits for.
        await stub.wait_confirmed()

        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
        assert first.returncode == -signal.SIGKILL
    assert await snapshot(settings.database_url) == rows  # what was committed is all there

    async with bot_process(stub, settings):
        # The button of the message shown before the kill still works: same step, same
        # sequence number, and the name typed before the kill is remembered.
        await user.press(txt.button("fase2", "group", "friends"), message_id=group.message_id)
        closeness = await expect(user, txt, "fase2", "closeness", START_TIMEOUT)
        assert "Sanne" in closeness.text
        await user.press(txt.button("fase2", "closeness", "middle"))
        await expect(user, txt, "fase2", "decision")
        await user.press(txt.button("fase2", "decision", "refuse"))
        hub = await expect(user, txt, "fase2", "hub")
    assert "oma" in (hub.plain_text or "")
    assert "Sanne" in (hub.plain_text or "")
    after = await snapshot(settings.database_url)
    assert len(after["people"]) == 2
    assert len(after["agreements"]) == len(rows["agreements"]) + 1
