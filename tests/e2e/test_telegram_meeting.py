"""#16 part 2 through the real Telegram stack against the stub Bot API: a new practitioner's
very first command is /voorbereiden (or /prepare); onboarding, then step 1, where she types
her opening sentence; "In 1 hour" on the offer; the reminder arrives with her sentence and
the points she prepared, without a tip, and "Open ›" shows what she kept.

The engine's clock is held at a quiet-free morning so the same-day choices are known; the
delivery job keeps the real clock, so the reminder's time is moved to just past while the
bot is stopped, and the restarted bot sends it in its first pass (as
test_telegram_reminders.py does).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.access import telegram_key
from bot.actions.reminders.meeting import OPENS
from bot.config import Settings
from bot.engine.render import fill
from bot.reminders import message
from bot.store.models import Conversation, Reminder, utcnow
from bot.store.status import ReminderKind
from tests.e2e.test_telegram_reminders import (
    START_TIMEOUT,
    is_reminder,
    practitioner_row,
    quiet_hours_off,
)
from tests.support.databases import database
from tests.support.stub_bot_api import StubBotAPI
from tests.support.telegram import Texts, bot_against, engine_of

pytestmark = pytest.mark.e2e

MORNING = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
"""Tuesday 8 December 2026, 10:00 in Amsterdam: "in 1 hour" and "this afternoon" both on."""
SENTENCE = {
    "nl": "Ik ben hier maar even; jullie mensen blijven.",
    "en": "I am only here for a while; your people stay.",
}
COMMAND = {"nl": "/voorbereiden", "en": "/prepare"}


@pytest.mark.parametrize("language", ["nl", "en"])
async def test_first_command_prepare_then_a_reminder_that_helps_in_the_last_minutes(
    stub: StubBotAPI, settings: Settings, txt: Texts, language: str
) -> None:
    def t(msgid: str) -> str:
        return txt.t(msgid, language)

    user = stub.user(5301, language_code=language)
    async with bot_against(stub, settings) as app:
        engine_of(app).clock = lambda: MORNING
        await user.send(COMMAND[language])
        welcome = await user.reply()
        assert txt.first_line("onboarding", "welcome", language) in (welcome.text or "")
        await user.press(txt.button("onboarding", "welcome", "next", language))
        await user.reply()
        await user.press(txt.button("onboarding", "privacy", "ok", language))
        await user.reply()
        await user.send("Gezin A")
        why = await user.reply()  # into the preparation, not the menu
        assert txt.first_line("voorbereiden", "why", language) in (why.text or "")
        assert t("Good, you can start. Whenever you need a quick reminder: /tips.") in (
            why.plain_text or ""
        )

        await user.send(SENTENCE[language])  # typed at step 1, and kept
        join = await user.reply()
        assert txt.first_line("voorbereiden", "join", language) in (join.text or "")
        for step in ("join", "listen", "vulnerable", "trust"):
            await user.press(txt.button("voorbereiden", step, "done", language))
            await user.reply()
        await user.press(txt.button("voorbereiden", "summary", "save", language))
        offer = await user.reply()
        labels = [label for row in offer.buttons for label in row]
        assert labels[:2] == [t("In 1 hour"), t("This afternoon 14:00")]
        await user.press(t("In 1 hour"))
        await user.reply()

    async with database(settings) as sessions, sessions() as session, session.begin():
        await quiet_hours_off(session, user)
        [reminder] = (await session.execute(select(Reminder))).scalars()
        assert (reminder.kind, reminder.tip_id) == (ReminderKind.MEETING, None)
        assert reminder.due_at == MORNING + timedelta(hours=1)
        reminder.due_at = reminder.next_attempt_at = utcnow() - timedelta(minutes=1)

    async with bot_against(stub, settings) as app, database(settings) as sessions:
        sent = await user.wait_until(is_reminder, timeout=START_TIMEOUT)
        text, plain = sent.text or "", sent.plain_text or ""
        headline = fill(t(message.HEADLINES[ReminderKind.MEETING]), {"label": "Gezin A"})
        assert headline in plain
        assert SENTENCE[language] in plain
        assert t("Listen first to what the parents want") in plain
        assert "💡" not in plain
        assert len(text) <= message.LIMIT
        assert sent.buttons[-1] == [t(message.BUTTON_OPEN)]

        await user.press(t(message.BUTTON_OPEN), message_id=sent.message_id)
        opened = await user.reply()
        assert SENTENCE[language] in (opened.plain_text or "")
        assert fill(t("Step {number} of {total}"), {"number": "1", "total": "7"}) not in (
            opened.plain_text or ""
        )
        async with sessions() as session:
            p = await practitioner_row(session, user)
            assert p.external_key == telegram_key(user.user_id)
            conversation = await session.get(Conversation, p.current_conversation_id)
            assert conversation is not None
            assert (conversation.flow, conversation.step) == OPENS
    assert len([o for o in user.outputs if is_reminder(o)]) == 1
