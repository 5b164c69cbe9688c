"""Reminders through the real Telegram stack: the message and its buttons, a `kill -9`
with a reminder falling due during the downtime, two bot processes on one PostgreSQL
sharing 200 due reminders, and a `kill -9` in the middle of sending one.

The bot is python-telegram-bot's Application over real HTTP against the stub Bot API: in
this process for the buttons (so the engine's clock can be held still), as `python -m bot
run` subprocesses for the rest. Nothing waits for a reminder to fall due: reminders are put
in the database with their time just past, and the delivery job sends them in its first
pass, at start.

Quiet hours are switched off (start equal to end) for the practitioners here, so these
tests do not depend on the hour they run at; tests/test_reminders.py covers quiet hours,
the change to and from summer time and the back-off, with a moved clock.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import telegram_key
from bot.actions.approach import FOLLOWUP_TIP
from bot.actions.reminders.meeting import OPENS
from bot.config import Settings
from bot.engine.render import fill
from bot.engine.signing import Signer
from bot.reminders import buttons, message
from bot.reminders.delivery import LATE_AFTER
from bot.reminders.when import say_when
from bot.store.db import is_sqlite
from bot.store.models import AuditEntry, Case, Conversation, Practitioner, Reminder, utcnow
from bot.store.repo import Repo
from tests.support.bot_process import CALLBACK_SECRET, until
from tests.support.bot_process import BotProcess as SharedBotProcess
from tests.support.databases import database
from tests.support.db_locks import holding
from tests.support.onboarding import onboard_user
from tests.support.snapshot import snapshot
from tests.support.stub_bot_api import BotOutput, SimUser, StubBotAPI
from tests.support.telegram import TOKEN, Texts, bot_against, engine_of

pytestmark = pytest.mark.e2e

ZONE = "Europe/Amsterdam"
START_TIMEOUT = 30.0
"""Seconds a cold `python -m bot run` (imports, migrations) may take to do its first thing:
a generous bound for a busy CI machine, not a speed requirement."""
PREPARED = "Openingszin: “Ik ben er maar even.”\nEerst luisteren."
"""A preparation kept with a family, as /voorbereiden stores it."""
PROCESS_SECRET = CALLBACK_SECRET
"""BOT_CALLBACK_SECRET of the bot processes: the test reads their buttons with it."""

Sessions = async_sessionmaker[AsyncSession]


# --- helpers ---------------------------------------------------------------------------------


def is_reminder(out: BotOutput) -> bool:
    """A reminder message: sent (not an edit), with the reminder buttons (`r:…`)."""
    return out.method == "sendMessage" and any(
        data.startswith(f"{message.PREFIX}:") for row in out.callback_data for data in row
    )


def reminder_of(out: BotOutput, signer: Signer, owner_key: str) -> int:
    """The id of the reminder a message is about, read from its signed buttons (all of
    them must name the same one)."""
    parsed = [
        message.parse_reminder_payload(signer.verify(owner_key, data) or "")
        for row in out.callback_data
        for data in row
    ]
    ids = {p[1] for p in parsed if p is not None}
    assert None not in parsed and len(ids) == 1, out.describe()
    return ids.pop()


async def practitioner_row(session: AsyncSession, user: SimUser) -> Practitioner:
    p = await Repo(session).practitioner(telegram_key(user.user_id), lock=False)
    assert p is not None, user
    return p


async def quiet_hours_off(session: AsyncSession, user: SimUser) -> Practitioner:
    p = await practitioner_row(session, user)
    p.quiet_start = p.quiet_end = 0
    return p


class BotProcess(SharedBotProcess):
    def sent(self) -> int:
        """How many reminders this process says it sent, from its log lines."""
        return sum(int(n) for n in re.findall(r"reminders: (\d+) sent", self.text()))


# --- 1. the message and its buttons ----------------------------------------------------------


async def test_a_due_reminder_arrives_with_its_buttons_done_snooze_and_open_work(
    stub: StubBotAPI, settings: Settings, txt: Texts
) -> None:
    """Delivered by the running bot: the family, what it is about, the tip (before a first
    meeting: the preparation instead, #16), the buttons. "Done" is recorded and a second
    press changes nothing and says so; "in 1 hour" moves it; "open" makes its family
    active and shows the flow's step. The engine's clock is
    held still for the buttons ("in 1 hour" from a known now); the delivery job keeps the
    real clock, which is why the reminders are due just before the start."""
    t = txt.t
    user = stub.user(5101, language_code="nl")
    async with bot_against(stub, settings):
        await onboard_user(user, txt, "Gezin A")
        await user.send("/gezin")
        await user.reply()
        await user.press(txt.button("cases", "overview", "new"))
        await user.reply()
        await user.send("Gezin B")
        assert "<b>Gezin B</b>" in ((await user.reply()).text or "")  # the other family is active

    # While the bot is stopped: three reminders about Gezin A fall due (a minute or so ago:
    # in time, not late).
    past = utcnow() - timedelta(minutes=1)
    async with database(settings) as sessions, sessions() as session, session.begin():
        repo = Repo(session)
        p = await quiet_hours_off(session, user)
        [family] = [c for c in await repo.cases(p) if c.label == "Gezin A"]
        assert p.active_case_id != family.id
        await repo.add_agreement(family, 1, PREPARED, kind="preparation", who="practitioner")
        meeting = await repo.add_reminder(
            p, case=family, kind="meeting", due_at=past - timedelta(seconds=3),
            open_flow=OPENS[0], open_step=OPENS[1],
        )  # fmt: skip
        followup = await repo.add_reminder(
            p, case=family, kind="followup", due_at=past - timedelta(seconds=2), about="Oma",
            tip_id=FOLLOWUP_TIP, open_flow="fase3", open_step="check_who",
        )  # fmt: skip
        free = await repo.add_reminder(
            p, case=family, kind="free", due_at=past - timedelta(seconds=1),
            about="moeder bellen", open_flow="herinneringen",
        )  # fmt: skip
        family_id, ids = family.id, (meeting.id, followup.id, free.id)

    async with bot_against(stub, settings) as app, database(settings) as sessions:
        engine = engine_of(app)
        key = telegram_key(user.user_id)
        arrived = {}
        for _ in ids:
            out = await user.wait_until(is_reminder, timeout=START_TIMEOUT)
            arrived[reminder_of(out, engine.renderer.signer, key)] = out
        assert set(arrived) == set(ids)
        meeting_msg, followup_msg, free_msg = (arrived[i] for i in ids)

        async def statuses() -> list[str]:
            async with sessions() as session:
                query = select(Reminder.status).where(Reminder.id.in_(ids)).order_by(Reminder.id)
                return list((await session.execute(query)).scalars())

        async def all_sent() -> bool:
            return await statuses() == ["sent"] * 3

        await until(all_sent, 10, lambda: "the three reminders marked sent")

        # What a reminder says: the family, what it is about, the tip; and its buttons.
        tips = txt.flows.tips()
        plain = meeting_msg.plain_text or ""
        assert fill(t(message.HEADLINES["meeting"]), {"label": "Gezin A"}) in plain
        assert PREPARED in plain and "💡" not in plain  # her preparation, no tip
        assert meeting_msg.parse_mode == "HTML"
        assert meeting_msg.buttons == [
            [t(message.BUTTON_DONE)],
            [t(message.BUTTON_HOUR), t(message.BUTTON_TOMORROW)],
            [t(message.BUTTON_OPEN)],
        ]
        plain = followup_msg.plain_text or ""
        assert fill(t(message.HEADLINES["followup"]), {"label": "Gezin A"}) in plain
        assert fill(t(message.ABOUT), {"about": "Oma"}) in plain
        assert f"💡 {t(tips[FOLLOWUP_TIP][1].text)}" in plain
        plain = free_msg.plain_text or ""
        assert fill(t(message.HEADLINES["free"]), {"label": "Gezin A"}) in plain
        assert fill(t(message.ABOUT), {"about": "moeder bellen"}) in plain
        late = t(message.LATE).split("{")[0]
        assert not any(late in (m.plain_text or "") for m in arrived.values())

        now = utcnow().replace(microsecond=0)
        engine.clock = lambda: now  # "now" for the buttons

        async def answered(count: int) -> bool:
            return len(user.callback_answers) >= count

        # Done: recorded in the family's trail; the message loses its buttons.
        await user.press(t(message.BUTTON_DONE), message_id=followup_msg.message_id)
        done = await user.reply()
        assert (done.method, done.message_id) == ("editMessageText", followup_msg.message_id)
        assert fill(t(buttons.DONE_NOTE), {"label": "Gezin A"}) in (done.plain_text or "")
        assert done.buttons == []
        await until(lambda: answered(1), 5, lambda: "the press answered")
        assert user.callback_answers[-1].get("text") == t(buttons.DONE_PLAIN)
        async with sessions() as session:
            row = await session.get(Reminder, followup.id)
            assert row is not None and row.status == "done"
            trail = select(AuditEntry).where(AuditEntry.event == "reminder.done")
            [entry] = (await session.execute(trail)).scalars()
            assert (entry.case_id, entry.value) == (family_id, "Oma")

        # Done again (a double tap, an old client): nothing changes, and it says so.
        before = await snapshot(settings.database_url)
        [[done_data], *_] = followup_msg.callback_data
        await user.press_data(done_data, followup_msg.message_id)
        again = await user.reply()
        assert t(buttons.GONE) in (again.plain_text or "")
        await until(lambda: answered(2), 5, lambda: "the second press answered")
        assert user.callback_answers[-1].get("text") == t(buttons.GONE)
        assert await snapshot(settings.database_url) == before

        # In 1 hour: pending again, an hour from the engine's now.
        await user.press(t(message.BUTTON_HOUR), message_id=free_msg.message_id)
        snoozed = await user.reply()
        later = now + buttons.SNOOZE_HOUR
        line = fill(t(buttons.AGAIN), {"when": say_when(later, "nl", ZONE)})
        assert line in (snoozed.plain_text or "")
        assert snoozed.buttons == []
        async with sessions() as session:
            row = await session.get(Reminder, free.id)
            assert row is not None
            assert (row.status, row.due_at, row.next_attempt_at) == ("pending", later, later)
            assert (row.sent_at, row.claimed_until) == (None, None)

        # Open: Gezin A becomes the active family and its kept preparation shows.
        await user.press(t(message.BUTTON_OPEN), message_id=meeting_msg.message_id)
        opened = await user.reply()
        assert opened.method == "sendMessage"
        assert PREPARED in (opened.plain_text or "")
        assert "Gezin A" in (opened.plain_text or "")
        assert "Gezin B" not in (opened.plain_text or "")
        await until(lambda: answered(3), 5, lambda: "the open press answered")
        assert user.callback_answers[-1].get("text") == t(buttons.OPENED)
        async with sessions() as session:
            p = await practitioner_row(session, user)
            conversation = await session.get(Conversation, p.current_conversation_id)
            assert conversation is not None
            assert p.active_case_id == family_id
            assert (conversation.flow, conversation.step) == OPENS
        assert await statuses() == ["sent", "done", "pending"]
    assert len([o for o in user.outputs if is_reminder(o)]) == 3  # none came twice


# --- 2. kill -9 --------------------------------------------------------------------------------


@pytest.mark.slow
async def test_a_reminder_due_while_the_bot_was_killed_comes_at_restart_late_and_once(
    stub: StubBotAPI, settings: Settings, txt: Texts, tmp_path: Path
) -> None:
    """Set over Telegram in a real `python -m bot run`, which is then killed with SIGKILL.
    While it is dead the reminder falls due; the restarted process delivers it at start,
    marked late, once.

    The downtime here lasts a moment, and "late" means more than `LATE_AFTER` after the
    time. So while the process is dead the reminder's time is set to twenty minutes ago:
    to the restarted bot that is exactly a reminder that fell due in a longer downtime."""
    t = txt.t
    user = stub.user(5201, language_code="nl")
    first = BotProcess("first", stub, settings, tmp_path)
    second = BotProcess("second", stub, settings, tmp_path)
    try:
        await first.start()
        await onboard_user(user, txt, "Gezin K", first_reply_within=START_TIMEOUT)
        await user.send("/herinneringen")
        await user.reply()
        await user.press(t("New reminder"))
        await user.reply()
        await user.press(t("Yes, this family"))
        await user.reply()
        await user.send("moeder bellen")
        await user.reply()
        await user.press(t("Tomorrow 09:00"))
        assert "moeder bellen" in ((await user.reply()).plain_text or "")

        async with database(settings) as sessions:
            async with sessions() as session, session.begin():
                await quiet_hours_off(session, user)
                [reminder] = (await session.execute(select(Reminder))).scalars()
                assert (reminder.status, reminder.about) == ("pending", "moeder bellen")
                assert reminder.due_at > utcnow()  # tomorrow: the first process keeps it

            await first.kill()
            assert first.process is not None and first.process.returncode == -signal.SIGKILL
            assert not [o for o in user.outputs if is_reminder(o)]

            due = (utcnow() - 2 * LATE_AFTER).replace(microsecond=0)
            async with sessions() as session, session.begin():
                await session.execute(
                    update(Reminder)
                    .where(Reminder.id == reminder.id)
                    .values(due_at=due, next_attempt_at=due)
                )

            await second.start()
            out = await user.wait_until(is_reminder, timeout=START_TIMEOUT)
            assert reminder_of(out, Signer(PROCESS_SECRET), telegram_key(user.user_id)) == (
                reminder.id
            )
            plain = out.plain_text or ""
            assert fill(t(message.HEADLINES["free"]), {"label": "Gezin K"}) in plain
            assert fill(t(message.ABOUT), {"about": "moeder bellen"}) in plain
            assert fill(t(message.LATE), {"when": say_when(due, "nl", ZONE)}) in plain
            assert "later dan gepland" in plain.lower()  # said in Dutch, as late

            async def marked() -> bool:
                async with sessions() as session:
                    row = await session.get(Reminder, reminder.id)
                    return row is not None and row.status == "sent"

            await until(marked, 10, second.tail)
            async with sessions() as session:
                row = await session.get(Reminder, reminder.id)
                assert row is not None and row.late and row.sent_at is not None
                assert (row.attempts, row.claimed_until) == (0, None)
            await second.kill()  # nothing can come after this
        assert len([o for o in user.outputs if is_reminder(o)]) == 1
    finally:
        await first.stop()
        await second.stop()


# --- 3. two processes on PostgreSQL ------------------------------------------------------------

PRACTITIONERS = 8
EACH = 25
TOTAL = PRACTITIONERS * EACH
DELIVERED_WITHIN = 60.0


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_processes_deliver_200_due_reminders_none_lost_none_twice(
    stub: StubBotAPI, settings: Settings, tmp_path: Path
) -> None:
    """Two `python -m bot run` on one PostgreSQL (webhook mode, so they do not fight over
    `getUpdates`), started together with 200 reminders of 8 practitioners due. Each
    message is traced back to its reminder by its signed buttons and by its text: every
    reminder arrives exactly once and is marked sent. The processes are killed before the
    count, so no late duplicate can slip in after it. How the work was split is printed
    (from their logs), not asserted: that is up to timing."""
    users = [stub.user(5301 + n, language_code="nl") for n in range(PRACTITIONERS)]
    expected: dict[int, tuple[int, str, str]] = {}  # reminder id: (user id, label, about)
    due = utcnow() - timedelta(minutes=1)
    async with database(settings) as sessions:
        async with sessions() as session, session.begin():
            repo = Repo(session)
            for n, user in enumerate(users):
                p = await repo.add_practitioner(telegram_key(user.user_id), "nl", ZONE)
                p.onboarded, p.quiet_start, p.quiet_end = True, 0, 0
                label = f"Gezin {n}"
                case = await repo.add_case(p, label)
                for i in range(EACH):
                    about = f"taak {n}-{i:02d}"
                    r = await repo.add_reminder(
                        p, case=case, kind="free", due_at=due - timedelta(seconds=i), about=about
                    )
                    expected[r.id] = (user.user_id, label, about)
        assert len(expected) == TOTAL

        a = BotProcess("a", stub, settings, tmp_path, webhook=True)
        b = BotProcess("b", stub, settings, tmp_path, webhook=True)
        try:
            await asyncio.gather(a.start(), b.start())

            def messages() -> list[tuple[SimUser, BotOutput]]:
                return [(u, o) for u in users for o in u.outputs if is_reminder(o)]

            async def all_arrived() -> bool:
                assert a.alive() and b.alive(), a.tail() + b.tail()
                return len(messages()) >= TOTAL

            await until(
                all_arrived, DELIVERED_WITHIN, lambda: f"{len(messages())} of {TOTAL} arrived"
            )

            async def sent_count() -> int:
                async with sessions() as session:
                    query = select(func.count()).where(Reminder.status == "sent")
                    return int(await session.scalar(query.select_from(Reminder)) or 0)

            async def all_marked() -> bool:
                return await sent_count() == TOTAL

            await until(all_marked, 30, lambda: "all marked sent")
            await asyncio.gather(a.kill(), b.kill())  # nothing can come after this
        finally:
            await asyncio.gather(a.stop(), b.stop())

        signer = Signer(PROCESS_SECRET)
        seen: Counter[int] = Counter()
        for user, out in messages():
            reminder_id = reminder_of(out, signer, telegram_key(user.user_id))
            seen[reminder_id] += 1
            owner, label, about = expected[reminder_id]
            assert owner == user.user_id
            plain = out.plain_text or ""
            assert f"“{label}”" in plain and f": {about}" in plain, out.describe()
        assert set(seen) == set(expected)  # none lost
        assert [i for i, n in seen.items() if n > 1] == []  # none twice
        async with sessions() as session:
            rows = (await session.execute(select(Reminder))).scalars().all()
            assert len(rows) == TOTAL
            assert all(r.status == "sent" and r.sent_at is not None for r in rows)
            assert all(r.claimed_until is None and r.attempts == 0 for r in rows)
            cases = await session.scalar(select(func.count()).select_from(Case))
            assert cases == PRACTITIONERS
    print(f"\n200 reminders: process a sent {a.sent()}, process b sent {b.sent()}")
    for process in (a, b):
        assert TOKEN.split(":")[1] not in process.text()
        assert "Gezin 0" not in process.text() and "taak" not in process.text()


# --- 4. kill -9 during a send ------------------------------------------------------------------

SEND_HELD = 30.0
"""Seconds the stub holds the send the test kills the bot in: the test kills it long before."""
SEND_SLOW = 2.0
"""Seconds the stub takes to accept a send: time for the test to lock the database first."""
FIRST_ENV = {"BOT_REMINDER_LEASE": "2", "BOT_TELEGRAM_TIMEOUT": "40"}
"""The killed process: a short lease, so that the restarted one takes the reminder over
soon; Telegram's answer may take longer than the stub holds a send."""


async def one_due_reminder(settings: Settings, user: SimUser) -> int:
    """An onboarded practitioner (quiet hours off) with a family, and a reminder about it
    that fell due a minute ago."""
    async with database(settings) as sessions, sessions() as session, session.begin():
        repo = Repo(session)
        p = await repo.add_practitioner(telegram_key(user.user_id), "nl", ZONE)
        p.onboarded, p.quiet_start, p.quiet_end = True, 0, 0
        family = await repo.add_case(p, "Gezin K")
        due = utcnow() - timedelta(minutes=1)
        reminder = await repo.add_reminder(
            p, case=family, kind="free", due_at=due, about="moeder bellen"
        )
        return reminder.id


@asynccontextmanager
async def killed_and_restarted(
    stub: StubBotAPI, settings: Settings, logs: Path
) -> AsyncIterator[tuple[BotProcess, BotProcess]]:
    """The process to kill (`FIRST_ENV`) and the one started after it; both gone at the
    end, whatever happened."""
    first = BotProcess("first", stub, settings, logs, env=FIRST_ENV)
    second = BotProcess("second", stub, settings, logs)
    try:
        yield first, second
    finally:
        await first.stop()
        await second.stop()


async def sending(
    first: BotProcess, stub: StubBotAPI, sessions: Sessions, reminder_id: int
) -> Reminder:
    """Start `first` and wait until its send of the reminder is on its way (the stub holds
    it); the reminder then, pending and claimed."""
    await first.start()

    async def in_flight() -> bool:
        assert first.alive(), first.tail()
        return stub.held("sendMessage") == 1

    await until(in_flight, START_TIMEOUT, first.tail)
    async with sessions() as session:
        row = await session.get(Reminder, reminder_id)
        assert row is not None and row.status == "pending" and row.claimed_until is not None
        return row


async def restarted(second: BotProcess, sessions: Sessions, user: SimUser, claim: Reminder) -> int:
    """Give the practitioner a later reminder, due just after the killed process's claim
    ran out; start `second`, wait for that one and kill `second`. The restarted process
    claims reminders in the order they are due, so a repeat of the other one came before
    it, and nothing can come after. Returns the later reminder's id."""
    assert claim.claimed_until is not None
    due = claim.claimed_until + timedelta(seconds=1)
    async with sessions() as session, session.begin():
        p = await practitioner_row(session, user)
        later = await Repo(session).add_reminder(p, case=None, kind="free", due_at=due)
        later_id = later.id
    await second.start()
    await user.wait_until(
        lambda out: is_reminder(out) and bool(arrived([out], user, later_id)),
        timeout=START_TIMEOUT,
    )
    await second.kill()
    return later_id


def arrived(outputs: list[BotOutput], user: SimUser, reminder_id: int) -> list[BotOutput]:
    """The messages about this reminder among `outputs` to `user`."""
    signer, key = Signer(PROCESS_SECRET), telegram_key(user.user_id)
    return [o for o in outputs if is_reminder(o) and reminder_of(o, signer, key) == reminder_id]


@pytest.mark.slow
async def test_killed_while_the_send_is_on_its_way_the_reminder_comes_once_more_saying_so(
    stub: StubBotAPI, settings: Settings, txt: Texts, tmp_path: Path
) -> None:
    """`kill -9` while Telegram has the request and has not answered. The stub then drops
    it (the client is gone); the restarted process sends it after the lease, once, with the
    line that it may have come already. (Telegram may instead have shown the first: then
    the practitioner has it twice, the second time with that line, as in the test below.)
    Nothing is lost; the row ends as sent."""
    user = stub.user(5401, language_code="nl")
    reminder_id = await one_due_reminder(settings, user)
    stub.delay_next("sendMessage", SEND_HELD)
    async with (
        killed_and_restarted(stub, settings, tmp_path) as (first, second),
        database(settings) as sessions,
    ):
        claim = await sending(first, stub, sessions, reminder_id)
        await first.kill()

        async def dropped() -> bool:
            return stub.held("sendMessage") == 0

        await until(dropped, 10, lambda: "the stub let go of the send")
        assert not arrived(user.outputs, user, reminder_id)
        later_id = await restarted(second, sessions, user, claim)
        async with sessions() as session:
            row = await session.get(Reminder, reminder_id)
            assert row is not None and (row.status, row.claimed_until) == ("sent", None)
    [again] = arrived(user.outputs, user, reminder_id)  # no loss, and one message
    again_note = txt.t(message.AGAIN)
    assert again_note in (again.plain_text or "")
    assert "Misschien kreeg je deze herinnering al" in (again.plain_text or "")
    [next_one] = arrived(user.outputs, user, later_id)
    assert again_note not in (next_one.plain_text or "")


@pytest.mark.slow
async def test_killed_after_telegram_took_the_reminder_before_sent_was_committed(
    stub: StubBotAPI, settings: Settings, txt: Texts, tmp_path: Path
) -> None:
    """`kill -9` after Telegram accepted the reminder and before "sent" was committed: the
    test holds the lock the mark needs while the send is on its way, so the bot is stuck
    between the two when it is killed.

    SQLite: the mark never reached the database. The restarted process sends it again after
    the lease: the practitioner has it twice, the second time with the line that it may
    have come already. PostgreSQL: the mark is one autocommitted UPDATE, and the bot was
    waiting for the lock with it already sent to the server; the server carries it out
    when the lock goes, dead client or not, so the row is sent and nothing comes again.
    Either way at most one repeat, no loss, and the row ends as sent."""
    t = txt.t
    user = stub.user(5402, language_code="nl")
    reminder_id = await one_due_reminder(settings, user)
    stub.delay_next("sendMessage", SEND_SLOW)
    async with (
        killed_and_restarted(stub, settings, tmp_path) as (first, second),
        database(settings) as sessions,
    ):
        claim = await sending(first, stub, sessions, reminder_id)
        row = select(Reminder.id).where(Reminder.id == reminder_id)
        async with holding(settings.database_url, row) as waiting:
            assert stub.held("sendMessage") == 1, "locked too late: raise SEND_SLOW"
            original = await user.wait_until(is_reminder, timeout=START_TIMEOUT)
            await until(waiting, 10, lambda: "the bot waiting to mark it sent")
            await first.kill()
        assert t(message.AGAIN) not in (original.plain_text or "")

        async def marked() -> bool:
            async with sessions() as session:
                row = await session.get(Reminder, reminder_id)
                assert row is not None
                return row.status == "sent"

        if is_sqlite(settings.database_url):
            assert not await marked()  # the dead process never wrote it
        else:
            await until(marked, 10, lambda: "the dead process's mark carried out")
        later_id = await restarted(second, sessions, user, claim)
        assert await marked()
    seen = arrived(user.outputs, user, reminder_id)
    assert seen[0] is original
    if is_sqlite(settings.database_url):
        [_, again] = seen  # one repeat, saying so
        assert t(message.AGAIN) in (again.plain_text or "")
    else:
        assert len(seen) == 1  # no repeat
    [next_one] = arrived(user.outputs, user, later_id)
    assert t(message.AGAIN) not in (next_one.plain_text or "")
