"""/plan through the real Telegram stack: both documents arrive as files at the stub Bot
API (sendDocument), and are read back as a phone would open them."""

from __future__ import annotations

import pytest

from bot.actions import plan, plan_family
from bot.actions.plan_parts import CHECKIN_PLANNED
from bot.config import Settings
from bot.engine.render import fill
from tests.support.network import pages, pdf_text, seed_network
from tests.support.onboarding import onboard_user
from tests.support.plan import (
    AGREEMENTS,
    CHECKINS,
    CHECKINS_NL,
    OWN_NOTES,
    PEOPLE,
    REFUSED,
    TASKS,
)
from tests.support.stub_bot_api import BotOutput, SimUser, StubBotAPI
from tests.support.telegram import Texts

pytestmark = pytest.mark.e2e

FILE_WAIT = 60.0
"""Seconds to wait for a file: the first picture of a process also imports matplotlib."""


async def sent_file(user: SimUser) -> BotOutput:
    out = await user.wait_until(lambda o: o.method == "sendDocument", timeout=FILE_WAIT)
    assert out.file is not None and out.file.content.startswith(b"%PDF")
    return out


async def test_both_plan_documents_arrive_through_telegram(
    running: StubBotAPI, txt: Texts, settings: Settings
) -> None:
    user = running.user(5101)
    await onboard_user(user, txt, "Gezin R.")
    key = f"telegram:{user.user_id}"
    await seed_network(settings.database_url, key, PEOPLE, AGREEMENTS, CHECKINS)
    checkins = [txt.t(CHECKIN_PLANNED).replace("{date}", day) for day in CHECKINS_NL]

    await user.send("/plan")
    choice = await user.reply()
    assert all(name in (choice.plain_text or "") for name in REFUSED)  # left out, unless…
    assert txt.button("plan", "choose", "family_all") in choice.flat_buttons
    await user.press(txt.button("plan", "choose", "family"))
    family = await sent_file(user)
    assert family.file is not None and family.file.filename == "netwerkplan.pdf"
    text = pdf_text(family.file.content)
    wrong, tasks = text.index(txt.t(plan_family.WRONG)), text.index(txt.t(plan_family.TASKS))
    assert wrong < tasks < text.index(txt.t(plan_family.MAP), tasks)
    for line in checkins:
        assert line in text, line
    for task in TASKS:
        assert task.text in text
    for name in REFUSED:
        assert name not in text
    for note in OWN_NOTES:
        assert note.text not in text
    assert len(pages(family.file.content)) <= 2
    after = await user.reply()
    left_out = fill(txt.t(plan_family.LEFT_OUT), {"names": "Opa Henk, Buurman Piet"})
    assert left_out in (after.plain_text or "")

    await user.send("/plan")
    await user.reply()
    await user.press(txt.button("plan", "choose", "notes"))
    notes = await sent_file(user)
    assert notes.file is not None and notes.file.filename == plan.PLAN_FILES["nl"]
    text = pdf_text(notes.file.content)
    for line in checkins:
        assert line in text, line
    for agreement in AGREEMENTS:
        # A plan for when things go wrong is shown in its parts, as in the family's copy.
        for part in agreement.detail.values() if agreement.detail else [agreement.text]:
            assert part in text, part
