"""Retention: closing a family says when its notes go and offers to keep them first; the
job reminds once a few days before and deletes after the grace period. The job's clock is
moved instead of waiting."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.actions.cases import CLOSED, RETENTION_NOTE
from bot.config import Settings
from bot.engine.events import Reply
from bot.i18n.fmt import date_long
from bot.retention import REMIND_DAYS, REMINDER, Pass, RetentionJob
from bot.store.models import Agreement, Case, Person
from bot.turns import Turns
from tests.support.chat import Chat
from tests.support.data import seed_case
from tests.support.onboarding import onboard

DAY = timedelta(days=1)


class Inbox:
    """A `Notifier` that keeps what it was asked to send."""

    def __init__(self, *, failing: bool = False) -> None:
        self.sent: list[tuple[str, Reply]] = []
        self.failing = failing

    async def notify(self, practitioner_key: str, message: Reply) -> bool:
        if self.failing:
            raise ConnectionError("Telegram is down")
        self.sent.append((practitioner_key, message))
        return True


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def close_active(chat: Chat) -> None:
    await chat.send("/gezin")
    await chat.press("Close or delete")
    await chat.press("Close")


async def case_of(engine: Turns, case_id: int) -> Case | None:
    async with engine.sessions() as session:
        return await session.get(Case, case_id)


async def rows_of(engine: Turns, case_id: int) -> int:
    async with engine.sessions() as session:
        total = 0
        for model in (Person, Agreement):
            query = select(func.count()).select_from(model).where(model.case_id == case_id)
            total += int((await session.execute(query)).scalar_one())
        return total


async def test_closing_says_when_the_notes_go_and_offers_to_keep_them_first(
    engine: Turns, settings: Settings
) -> None:
    chat = Chat(engine, "test:alice")
    await onboard(chat, "Fam. A")
    await chat.send("/gezin")
    await chat.press("Close or delete")
    assert str(settings.retention_days) in chat.last.text
    assert "/plan" in chat.last.text and "/export" in chat.last.text
    await chat.press("Export first")  # keeping a copy comes before closing
    assert (await chat.where()).flow == "export"
    await chat.send("/gezin")
    await chat.press("Close or delete")
    await chat.press("Plan first (PDF)")
    [plan] = (await chat.press("Working notes")).attachments  # /plan asks which document
    assert plan.filename.endswith(".pdf")

    await close_active(chat)
    assert chat.has(CLOSED, label="Fam. A")
    p = await chat.practitioner()
    assert p is not None and p.active_case_id is None
    async with engine.sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.status == "closed" and case.closed_at is not None
    deleted_on = date_long(
        case.closed_at + timedelta(days=settings.retention_days), "nl", p.timezone
    )
    assert chat.has(RETENTION_NOTE, date=deleted_on)


async def test_the_job_reminds_once_before_and_deletes_after_the_grace_period(
    engine: Turns, settings: Settings
) -> None:
    alice, bob = Chat(engine, "test:alice"), Chat(engine, "test:bob")
    await onboard(alice, "Fam. A")
    await close_active(alice)
    await onboard(bob, "Fam. Open")  # stays open: never touched
    async with engine.sessions() as session:
        [closed] = (await session.execute(select(Case).where(Case.status == "closed"))).scalars()
    assert closed.closed_at is not None
    start = closed.closed_at
    grace = timedelta(days=settings.retention_days)
    later = await seed_case(engine, bob.who.key, "Fam. Later", closed_at=start + 10 * DAY)
    clock, inbox = Clock(start), Inbox()
    job = RetentionJob(engine.sessions, engine.catalogs, settings, inbox, clock=clock)

    clock.now = start + grace - REMIND_DAYS * DAY - timedelta(hours=1)
    assert await job.run_once() == Pass(deleted=0, reminded=0)

    clock.now = start + grace - REMIND_DAYS * DAY + timedelta(hours=1)
    assert await job.run_once() == Pass(deleted=0, reminded=1)
    [(key, reminder)] = inbox.sent
    assert key == alice.who.key
    deleted_on = date_long(start + grace, "nl", "Europe/Amsterdam")
    closed_on = date_long(start, "nl", "Europe/Amsterdam")
    text = engine.catalogs.get("nl").gettext(REMINDER)
    assert reminder.text == text.format(date=deleted_on, closed=closed_on, label="Fam. A")
    reminded = await case_of(engine, closed.id)
    assert reminded is not None and reminded.retention_reminded_at == clock.now

    assert await job.run_once() == Pass(deleted=0, reminded=0)  # once per case
    assert len(inbox.sent) == 1

    clock.now = start + grace - timedelta(minutes=1)
    assert await job.run_once() == Pass(deleted=0, reminded=0)
    assert await case_of(engine, closed.id) is not None

    clock.now = start + grace + timedelta(hours=1)
    assert await job.run_once() == Pass(deleted=1, reminded=0)
    assert await case_of(engine, closed.id) is None
    assert await rows_of(engine, closed.id) == 0
    assert await alice.practitioner() is not None  # the practitioner stays
    # Bob's open family and his later-closed one are untouched
    async with engine.sessions() as session:
        labels = sorted(c.label for c in (await session.execute(select(Case))).scalars())
    assert labels == ["Fam. Later", "Fam. Open"]
    assert await rows_of(engine, later) == 2

    clock.now = start + 10 * DAY + grace + timedelta(hours=1)
    assert await job.run_once() == Pass(deleted=1, reminded=0)  # its reminder was missed
    assert await case_of(engine, later) is None


async def test_a_reminder_that_could_not_be_sent_is_tried_again(
    engine: Turns, settings: Settings
) -> None:
    alice = Chat(engine, "test:alice")
    await onboard(alice, "Fam. A")
    await close_active(alice)
    async with engine.sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.closed_at is not None
    due = case.closed_at + timedelta(days=settings.retention_days) - DAY
    clock, down = Clock(due), Inbox(failing=True)
    job = RetentionJob(engine.sessions, engine.catalogs, settings, down, clock=clock)
    assert await job.run_once() == Pass(deleted=0, reminded=0)
    stored = await case_of(engine, case.id)
    assert stored is not None and stored.retention_reminded_at is None

    up = Inbox()
    job = RetentionJob(engine.sessions, engine.catalogs, settings, up, clock=clock)
    assert await job.run_once() == Pass(deleted=0, reminded=1)
    assert len(up.sent) == 1


async def test_without_a_notifier_the_job_only_deletes(engine: Turns, settings: Settings) -> None:
    alice = Chat(engine, "test:alice")
    await onboard(alice, "Fam. A")
    await close_active(alice)
    async with engine.sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.closed_at is not None
    clock = Clock(case.closed_at + timedelta(days=settings.retention_days) - DAY)
    job = RetentionJob(engine.sessions, engine.catalogs, settings, None, clock=clock)
    assert await job.run_once() == Pass(deleted=0, reminded=0)
    stored = await case_of(engine, case.id)
    assert stored is not None and stored.retention_reminded_at is None  # left for the bot
