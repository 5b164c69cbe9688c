"""Reminders below the flows: stored per owner, delivered by the job at their time in the
practitioner's language, held in quiet hours, retried, marked late after downtime; their
buttons (done, later, open) work through the engine. The job's clock is moved; nothing
sleeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot import metrics
from bot.actions import cases
from bot.actions.export import export_document
from bot.engine.events import Identity, Outcome, Press, Reply
from bot.engine.render import fill
from bot.reminders import buttons, delivery, message
from bot.reminders.delivery import LATE_AFTER, ReminderJob, for_turns
from bot.reminders.when import days_later, say_when
from bot.store import reminders as reminder_store
from bot.store.models import AuditEntry, Practitioner, Reminder
from bot.store.repo import Repo
from bot.turns import Turns
from tests.support.chat import Chat, parse

AMS = ZoneInfo("Europe/Amsterdam")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=AMS).astimezone(UTC)
HOUR = timedelta(hours=1)
ALICE, BOB = "test:alice", "test:bob"


class Inbox:
    """A `Notifier` that keeps what it was asked to send; can fail for a while."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []
        self.down = False
        self.blocked: set[str] = set()

    async def notify(self, practitioner_key: str, message: Reply) -> bool:
        if self.down:
            raise ConnectionError("Telegram is down")
        if practitioner_key in self.blocked:
            return False
        self.sent.append((practitioner_key, message))
        return True


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move(self, delta: timedelta) -> None:
        self.now += delta


def job_for(engine: Turns, inbox: Inbox, clock: Clock) -> ReminderJob:
    engine.clock = clock
    return for_turns(engine, inbox)


async def practitioner(
    engine: Turns,
    key: str = ALICE,
    *,
    language: str = "nl",
    quiet: tuple[int, int] = (21 * 60, 8 * 60),
    label: str | None = "Gezin B.",
) -> int | None:
    """A practitioner (with one open family, made active, unless `label` is None); returns
    the case id."""
    async with engine.sessions() as session, session.begin():
        repo = Repo(session)
        p = await repo.add_practitioner(key, language, "Europe/Amsterdam")
        p.onboarded = True
        p.quiet_start, p.quiet_end = quiet
        if label is None:
            return None
        case = await repo.add_case(p, label)
        p.active_case_id = case.id
        return case.id


async def add(
    engine: Turns,
    due_at: datetime,
    *,
    key: str = ALICE,
    case_id: int | None = None,
    kind: str = "followup",
    about: str | None = "oma",
    tip_id: str | None = "f3.do.clear_goal",
    open_flow: str | None = None,
    open_step: str | None = None,
) -> int:
    async with engine.sessions() as session, session.begin():
        repo = Repo(session)
        owner = await repo.practitioner(key)
        assert owner is not None
        case = await repo.case(owner, case_id)
        reminder = await repo.add_reminder(
            owner,
            case=case,
            kind=kind,
            due_at=due_at,
            about=about,
            tip_id=tip_id,
            open_flow=open_flow,
            open_step=open_step,
        )
        return reminder.id


async def stored(engine: Turns, reminder_id: int) -> Reminder:
    async with engine.sessions() as session:
        found = await session.get(Reminder, reminder_id)
        assert found is not None
        return found


def data_of(reply: Reply, label: str) -> str:
    return next(b.data for row in reply.buttons for b in row if b.label == label)


def t(engine: Turns, msgid: str, language: str = "nl") -> str:
    return engine.catalogs.get(language).gettext(msgid)


# --- delivery ------------------------------------------------------------------------------


async def test_a_reminder_arrives_at_its_time_in_dutch(engine: Turns) -> None:
    case_id = await practitioner(engine)
    reminder_id = await add(engine, NOON, case_id=case_id)
    inbox, clock = Inbox(), Clock(NOON - timedelta(minutes=1))
    job = job_for(engine, inbox, clock)

    assert (await job.run_once()).sent == 0
    assert inbox.sent == []
    clock.move(timedelta(minutes=1))
    counted = metrics.REMINDERS_SENT._value.get()
    assert (await job.run_once()).sent == 1
    assert (await job.run_once()).sent == 0  # once
    assert metrics.REMINDERS_SENT._value.get() == counted + 1  # /metrics counts it

    key, reply = inbox.sent[0]
    assert key == ALICE
    assert "Gezin B." in reply.text and "oma" in reply.text
    tip = engine.flows.tips()["f3.do.clear_goal"][1]
    assert t(engine, tip.text) in reply.text
    assert reply.tips == ("f3.do.clear_goal",)
    assert t(engine, message.LATE).split("{")[0] not in reply.text
    labels = [b.label for row in reply.buttons for b in row]
    assert labels == [t(engine, m) for m in (message.BUTTON_DONE, message.BUTTON_HOUR,
                                             message.BUTTON_TOMORROW)]  # fmt: skip
    row = await stored(engine, reminder_id)
    assert (row.status, row.sent_at, row.late) == ("sent", NOON, False)


async def test_a_reminder_arrives_in_english_for_an_english_practitioner(engine: Turns) -> None:
    case_id = await practitioner(engine, language="en")
    await add(engine, NOON, case_id=case_id, kind="checkin", tip_id="f4.do.keep_in_touch")
    inbox = Inbox()
    await job_for(engine, inbox, Clock(NOON)).run_once()
    reply = inbox.sent[0][1]
    assert reply.text.startswith("⏰ Reminder: a check-in with “Gezin B.”")
    assert "Keep a finger on the pulse" in reply.text
    assert [b.label for b in reply.buttons[0]] == ["Done ✓"]


async def test_a_reminder_without_a_family_is_delivered_too(engine: Turns) -> None:
    await practitioner(engine, label=None)
    await add(engine, NOON, kind="free", about="bel de school", tip_id=None)
    inbox = Inbox()
    await job_for(engine, inbox, Clock(NOON)).run_once()
    assert "bel de school" in inbox.sent[0][1].text


async def test_quiet_hours_hold_a_reminder_until_the_morning(engine: Turns) -> None:
    case_id = await practitioner(engine)  # quiet 21:00-08:00
    evening = datetime(2026, 12, 1, 22, 30, tzinfo=AMS).astimezone(UTC)
    morning = datetime(2026, 12, 2, 8, 0, tzinfo=AMS).astimezone(UTC)
    reminder_id = await add(engine, evening, case_id=case_id)
    inbox, clock = Inbox(), Clock(evening)
    job = job_for(engine, inbox, clock)

    assert (await job.run_once()).deferred == 1
    assert (await stored(engine, reminder_id)).next_attempt_at == morning
    clock.now = morning - timedelta(minutes=1)
    assert (await job.run_once()).sent == 0
    clock.now = morning
    assert (await job.run_once()).sent == 1
    row = await stored(engine, reminder_id)
    assert (row.status, row.late) == ("sent", False)  # held on purpose: not late


async def test_no_quiet_hours_when_start_equals_end(engine: Turns) -> None:
    case_id = await practitioner(engine, quiet=(0, 0))
    night = datetime(2026, 12, 1, 3, 0, tzinfo=AMS).astimezone(UTC)
    await add(engine, night, case_id=case_id)
    inbox = Inbox()
    assert (await job_for(engine, inbox, Clock(night)).run_once()).sent == 1


async def test_a_9_oclock_reminder_arrives_at_9_local_across_both_dst_changes(
    engine: Turns,
) -> None:
    case_id = await practitioner(engine)
    inbox, clock = Inbox(), Clock(NOON)
    job = job_for(engine, inbox, clock)
    for day in (datetime(2026, 10, 25), datetime(2027, 3, 28)):  # the last Sundays
        nine = day.replace(hour=9, tzinfo=AMS)
        saturday_nine = (nine - timedelta(days=1)).astimezone(UTC)
        async with engine.sessions() as session, session.begin():
            repo = Repo(session)
            owner = await repo.practitioner(ALICE)
            assert owner is not None
            due = days_later(saturday_nine, owner.timezone, 1)
            await repo.add_reminder(
                owner, case=await repo.case(owner, case_id), kind="free", due_at=due
            )
        clock.now = saturday_nine + timedelta(hours=23, minutes=59)  # 24 h is not 09:00
        before = len(inbox.sent)
        await job.run_once()
        if day.month == 3:
            assert len(inbox.sent) == before + 1  # the spring day is 23 h: 09:00 was at 23 h
        else:
            assert len(inbox.sent) == before
            clock.now = nine.astimezone(UTC) - timedelta(seconds=1)
            await job.run_once()
            assert len(inbox.sent) == before
            clock.now = nine.astimezone(UTC)
            await job.run_once()
            assert len(inbox.sent) == before + 1
        assert due.astimezone(AMS).hour == 9


async def test_reminders_due_while_the_bot_was_down_come_at_start_marked_late(
    engine: Turns,
) -> None:
    case_id = await practitioner(engine)
    reminder_id = await add(engine, NOON, case_id=case_id)
    inbox = Inbox()
    restart = NOON + 2 * HOUR
    await job_for(engine, inbox, Clock(restart)).run_once()
    reply = inbox.sent[0][1]
    late_line = t(engine, message.LATE).replace("{when}", say_when(NOON, "nl", "Europe/Amsterdam"))
    assert late_line in reply.text
    row = await stored(engine, reminder_id)
    assert (row.status, row.late) == ("sent", True)


async def test_a_little_delay_is_not_late(engine: Turns) -> None:
    case_id = await practitioner(engine)
    reminder_id = await add(engine, NOON, case_id=case_id)
    await job_for(engine, Inbox(), Clock(NOON + LATE_AFTER)).run_once()
    assert (await stored(engine, reminder_id)).late is False


async def test_a_failed_send_is_retried_with_back_off_and_never_lost(engine: Turns) -> None:
    case_id = await practitioner(engine)
    reminder_id = await add(engine, NOON, case_id=case_id)
    inbox, clock = Inbox(), Clock(NOON)
    job = job_for(engine, inbox, clock)
    inbox.down = True
    assert (await job.run_once()).retried == 1
    first = await stored(engine, reminder_id)
    assert (first.status, first.attempts, first.next_attempt_at) == (
        "pending", 1, NOON + timedelta(minutes=1))  # fmt: skip
    clock.move(timedelta(minutes=1))
    assert (await job.run_once()).retried == 1
    second = await stored(engine, reminder_id)
    assert second.next_attempt_at == clock.now + timedelta(minutes=5)  # growing
    inbox.down = False
    clock.move(timedelta(minutes=4))
    assert (await job.run_once()).sent == 0  # not before its back-off
    clock.move(timedelta(minutes=1))
    assert (await job.run_once()).sent == 1
    assert len(inbox.sent) == 1


async def test_a_chat_that_blocked_the_bot_is_given_up(engine: Turns) -> None:
    case_id = await practitioner(engine)
    reminder_id = await add(engine, NOON, case_id=case_id)
    inbox = Inbox()
    inbox.blocked.add(ALICE)
    assert (await job_for(engine, inbox, Clock(NOON)).run_once()).failed == 1
    assert (await stored(engine, reminder_id)).status == "failed"


class Crash(BaseException):
    """The process dies mid-send (kill -9): nothing after the send runs."""


class Dying(Inbox):
    """Takes the message, as Telegram does, and dies at the `crash_at`-th one (1 = the
    first) before the send returns."""

    def __init__(self, crash_at: int = 1) -> None:
        super().__init__()
        self.crash_at = crash_at

    async def notify(self, practitioner_key: str, message: Reply) -> bool:
        await super().notify(practitioner_key, message)
        if len(self.sent) == self.crash_at:
            raise Crash
        return True


async def test_a_crash_between_send_and_mark_repeats_the_reminder_never_loses_it(
    engine: Turns,
) -> None:
    case_id = await practitioner(engine)
    reminder_id = await add(engine, NOON, case_id=case_id)
    dying, clock = Dying(), Clock(NOON)
    with pytest.raises(Crash):
        await job_for(engine, dying, clock).run_once()
    assert len(dying.sent) == 1
    assert (await stored(engine, reminder_id)).status == "pending"  # claimed, not marked
    again = t(engine, message.AGAIN)
    assert again not in dying.sent[0][1].text

    survivor = Inbox()
    job = job_for(engine, survivor, clock)
    assert (await job.run_once()).sent == 0  # the lease still holds
    clock.move(timedelta(minutes=5))
    assert (await job.run_once()).sent == 1  # the lease ran out: sent again, saying so
    assert f"<i>{again}</i>" in survivor.sent[0][1].text
    assert again.startswith("(Misschien kreeg je deze herinnering al")
    assert (await stored(engine, reminder_id)).status == "sent"


async def test_a_repeat_held_back_by_quiet_hours_still_says_it_may_have_come(
    engine: Turns,
) -> None:
    """Killed mid-send at 20:58; the claim lapses at 21:03, inside quiet hours, so the
    repeat waits until 08:00: it still carries the note, which is cleared once sent."""
    case_id = await practitioner(engine)
    evening = datetime(2026, 12, 1, 20, 58, tzinfo=AMS).astimezone(UTC)
    reminder_id = await add(engine, evening, case_id=case_id)
    clock = Clock(evening)
    with pytest.raises(Crash):
        await job_for(engine, Dying(), clock).run_once()
    clock.move(timedelta(minutes=6))
    morning = Inbox()
    job = job_for(engine, morning, clock)
    assert (await job.run_once()).deferred == 1
    assert (await stored(engine, reminder_id)).maybe_sent
    clock.now = datetime(2026, 12, 2, 8, 0, tzinfo=AMS).astimezone(UTC)
    assert (await job.run_once()).sent == 1
    assert t(engine, message.AGAIN) in morning.sent[0][1].text
    assert not (await stored(engine, reminder_id)).maybe_sent


async def test_a_crash_in_a_pass_repeats_only_the_reminder_being_sent(engine: Turns) -> None:
    """One reminder is claimed at a time, just before its send: after a crash during the
    second of three, the first is not sent again, the second comes again saying it may
    have come already, and the third, never sent, comes without that line."""
    case_id = await practitioner(engine)
    ids = [await add(engine, NOON + timedelta(seconds=i), case_id=case_id) for i in range(3)]
    dying, clock = Dying(crash_at=2), Clock(NOON + timedelta(minutes=1))
    with pytest.raises(Crash):
        await job_for(engine, dying, clock).run_once()
    statuses = [(await stored(engine, i)).status for i in ids]
    assert statuses == ["sent", "pending", "pending"]
    assert (await stored(engine, ids[2])).claimed_until is None  # not even claimed

    clock.move(timedelta(minutes=5))
    survivor = Inbox()
    assert (await job_for(engine, survivor, clock).run_once()).sent == 2
    again = t(engine, message.AGAIN)
    assert [again in reply.text for _, reply in survivor.sent] == [True, False]
    assert [(await stored(engine, i)).status for i in ids] == ["sent"] * 3


class Held(Inbox):
    """Holds each send until `go` is set, as a slow Telegram would."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = asyncio.Event()
        self.go = asyncio.Event()

    async def notify(self, practitioner_key: str, message: Reply) -> bool:
        self.sending.set()
        await self.go.wait()
        return await super().notify(practitioner_key, message)


async def test_stopping_finishes_the_reminder_on_its_way_and_claims_no_next(
    engine: Turns,
) -> None:
    """A stop (SIGTERM) while a reminder is on its way: it is sent and marked sent, so it
    does not come again after the lease; the next one waits for the next start."""
    case_id = await practitioner(engine)
    first, second = [await add(engine, NOON, case_id=case_id) for _ in range(2)]
    held = Held()
    job = job_for(engine, held, Clock(NOON + timedelta(minutes=1)))
    running = asyncio.create_task(delivery.run_periodically(job, poll=60))
    await asyncio.wait_for(held.sending.wait(), 10)
    job.stopping.set()
    held.go.set()
    await asyncio.wait_for(running, 10)  # ends by itself, not cancelled
    assert len(held.sent) == 1
    assert (await stored(engine, first)).status == "sent"
    assert (await stored(engine, second)).status == "pending"
    assert (await stored(engine, second)).claimed_until is None


async def test_a_slow_pass_does_not_outlive_its_claims(engine: Turns) -> None:
    """Each send takes 4 minutes (a lease is 5). The lease runs from each reminder's own
    send, not from the start of the pass, so a second process that runs a pass meanwhile
    finds only reminders that are not being sent, and none comes twice."""
    case_id = await practitioner(engine)
    for i in range(3):
        await add(engine, NOON + timedelta(seconds=i), case_id=case_id, about=f"r{i}")
    clock = Clock(NOON + timedelta(minutes=1))
    other = Inbox()
    other_job = job_for(engine, other, clock)

    class Slow(Inbox):
        async def notify(self, practitioner_key: str, message: Reply) -> bool:
            clock.move(timedelta(minutes=4))
            if len(self.sent) == 1:  # during the second send
                await other_job.run_once()
            return await super().notify(practitioner_key, message)

    slow = Slow()
    await job_for(engine, slow, clock).run_once()
    texts = [reply.text for _, reply in slow.sent + other.sent]
    assert len(texts) == len(set(texts)) == 3


async def test_sent_is_written_again_when_the_database_does_not_take_it(
    engine: Turns, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails once right after Telegram took the reminder: "sent" is written
    again a moment later rather than left for the lease to run out (which would send the
    reminder a second time)."""
    case_id = await practitioner(engine)
    reminder_id = await add(engine, NOON, case_id=case_id)
    real, failures = reminder_store.mark_sent, [OperationalError("UPDATE", {}, ConnectionError())]

    async def flaky(*args: Any, **kwargs: Any) -> bool:
        if failures:
            raise failures.pop()
        return await real(*args, **kwargs)

    monkeypatch.setattr(reminder_store, "mark_sent", flaky)
    monkeypatch.setattr(delivery, "MARK_PAUSES", (0.0,))
    inbox, clock = Inbox(), Clock(NOON)
    job = job_for(engine, inbox, clock)
    assert (await job.run_once()).sent == 1
    assert (await stored(engine, reminder_id)).status == "sent"
    clock.move(timedelta(hours=1))
    assert (await job.run_once()).sent == 0
    assert len(inbox.sent) == 1


async def test_many_due_reminders_go_out_in_one_pass_one_after_the_other(engine: Turns) -> None:
    case_id = await practitioner(engine)
    for i in range(120):
        await add(engine, NOON - timedelta(seconds=i), case_id=case_id, about=f"r{i}")
    inbox = Inbox()
    assert (await job_for(engine, inbox, Clock(NOON)).run_once()).sent == 120
    assert len({reply.text for _, reply in inbox.sent}) == 120


# --- the buttons ------------------------------------------------------------------------------


async def delivered(engine: Turns, clock: Clock, **kwargs: object) -> tuple[int, Reply]:
    case_id = await practitioner(engine)
    reminder_id = await add(engine, NOON, case_id=case_id, **kwargs)  # type: ignore[arg-type]
    inbox = Inbox()
    await job_for(engine, inbox, clock).run_once()
    return reminder_id, inbox.sent[-1][1]


async def press(engine: Turns, data: str, key: str = ALICE) -> Outcome:
    return await engine.handle(Identity(key), Press(data))


async def test_done_is_recorded_in_the_case_and_a_second_press_changes_nothing(
    engine: Turns,
) -> None:
    clock = Clock(NOON)
    reminder_id, reply = await delivered(engine, clock)
    done = data_of(reply, t(engine, message.BUTTON_DONE))

    outcome = await press(engine, done)
    assert outcome.edit and outcome.replies[0].buttons == ()
    assert fill(t(engine, buttons.DONE_NOTE), {"label": "Gezin B."}) in outcome.replies[0].text
    assert (await stored(engine, reminder_id)).status == "done"
    async with engine.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.event == "reminder.done")
        entry = (await session.execute(query)).scalar_one()
        assert entry.case_id is not None and entry.value == "oma"

    again = await press(engine, done)
    assert again.notice == t(engine, buttons.GONE)
    assert (await stored(engine, reminder_id)).status == "done"


async def test_later_snoozes_for_an_hour_or_until_tomorrow_9(engine: Turns) -> None:
    clock = Clock(NOON)
    reminder_id, reply = await delivered(engine, clock)
    outcome = await press(engine, data_of(reply, t(engine, message.BUTTON_HOUR)))
    assert outcome.edit
    row = await stored(engine, reminder_id)
    assert (row.status, row.due_at) == ("pending", NOON + HOUR)

    inbox = Inbox()
    job = job_for(engine, inbox, clock)
    clock.move(HOUR)
    assert (await job.run_once()).sent == 1
    again = inbox.sent[0][1]
    await press(engine, data_of(again, t(engine, message.BUTTON_TOMORROW)))
    tomorrow_nine = datetime(2026, 12, 2, 9, 0, tzinfo=AMS).astimezone(UTC)
    assert (await stored(engine, reminder_id)).due_at == tomorrow_nine


async def test_reminder_buttons_stay_valid_while_the_practitioner_works_on(
    engine: Turns,
) -> None:
    clock = Clock(NOON)
    reminder_id, reply = await delivered(engine, clock)
    for command in ("/menu", "/tips", "/menu"):  # each bumps the step number
        await engine.handle(Identity(ALICE), parse(command))
    await press(engine, data_of(reply, t(engine, message.BUTTON_DONE)))
    assert (await stored(engine, reminder_id)).status == "done"


async def test_someone_elses_or_a_forged_reminder_button_changes_nothing(engine: Turns) -> None:
    clock = Clock(NOON)
    reminder_id, reply = await delivered(engine, clock)
    await practitioner(engine, BOB, label="Fam. K")
    done = data_of(reply, t(engine, message.BUTTON_DONE))
    outcome = await press(engine, done, key=BOB)  # signed for Alice
    assert outcome.replies == ()
    forged = message.reminder_data(engine.renderer.signer, BOB, message.DONE, reminder_id)
    outcome = await press(engine, forged, key=BOB)  # signed for Bob, but Alice's reminder
    assert outcome.notice == t(engine, buttons.UNKNOWN)
    assert (await stored(engine, reminder_id)).status == "sent"


async def test_open_makes_the_case_active_and_starts_the_flow_at_the_step(engine: Turns) -> None:
    clock = Clock(NOON)
    other = None
    reminder_id, reply = await delivered(engine, clock, open_flow="afspraken", open_step="list")
    async with engine.sessions() as session, session.begin():  # another family is active
        repo = Repo(session)
        owner = await repo.practitioner(ALICE)
        assert owner is not None
        other = await repo.add_case(owner, "Fam. Z")
        owner.active_case_id = other.id
    outcome = await press(engine, data_of(reply, t(engine, message.BUTTON_OPEN)))
    async with engine.sessions() as session:
        owner = await Repo(session).practitioner(ALICE, lock=False)
        assert owner is not None
        reminder = await session.get(Reminder, reminder_id)
        assert reminder is not None
        assert owner.active_case_id == reminder.case_id != other.id
    assert not outcome.edit
    assert "Gezin B" in outcome.replies[0].text


# --- ownership, deletion, export -----------------------------------------------------------


async def test_the_repository_api_is_scoped_to_the_owner(engine: Turns) -> None:
    case_id = await practitioner(engine)
    await practitioner(engine, BOB, label="Fam. K")
    reminder_id = await add(engine, NOON + HOUR, case_id=case_id)
    later = await add(engine, NOON + 2 * HOUR, case_id=case_id, about="buurvrouw")
    async with engine.sessions() as session, session.begin():
        repo = Repo(session)
        alice = await repo.practitioner(ALICE)
        bob = await repo.practitioner(BOB)
        assert alice is not None and bob is not None
        assert await repo.reminder(bob, reminder_id) is None
        assert await repo.cancel_reminder(bob, reminder_id) is None
        assert await repo.done_reminder(bob, reminder_id) is None
        assert await repo.move_reminder(bob, reminder_id, NOON) is None
        assert await repo.upcoming_reminders(bob) == []
        upcoming = await repo.upcoming_reminders(alice)
        assert [(u.reminder.id, u.case_label) for u in upcoming] == [
            (reminder_id, "Gezin B."), (later, "Gezin B.")]  # fmt: skip
        moved = await repo.move_reminder(alice, later, NOON + 30 * timedelta(minutes=1))
        assert moved is not None
        assert [u.reminder.id for u in await repo.upcoming_reminders(alice)] == [
            later, reminder_id]  # fmt: skip
        assert await repo.cancel_reminder(alice, reminder_id) is not None
        assert await repo.cancel_reminder(alice, reminder_id) is None  # already
        assert [u.reminder.id for u in await repo.upcoming_reminders(alice)] == [later]


async def test_deleting_a_case_or_a_practitioner_deletes_their_reminders(engine: Turns) -> None:
    case_id = await practitioner(engine)
    await add(engine, NOON, case_id=case_id)
    await add(engine, NOON, case_id=None, about="vrij")
    async with engine.sessions() as session, session.begin():
        repo = Repo(session)
        owner = await repo.practitioner(ALICE)
        assert owner is not None
        document = await export_document(repo, owner, engine.settings)
        assert document["cases"][0]["reminders"][0]["about"] == "oma"
        assert document["reminders"][0]["about"] == "vrij"
        assert document["practitioner"]["quiet_hours"] == ["21:00", "08:00"]
        case = await repo.case(owner, case_id)
        assert case is not None
        await repo.delete_case(owner, case)

    async def count() -> int:
        async with engine.sessions() as session:
            return int((await session.execute(select(func.count(Reminder.id)))).scalar_one())

    assert await count() == 1
    async with engine.sessions() as session, session.begin():
        owner_row = await Repo(session).practitioner(ALICE)
        assert isinstance(owner_row, Practitioner)
        await Repo(session).delete_practitioner(owner_row.id)
    assert await count() == 0


async def test_a_closed_family_is_kept_until_its_check_ins_are_through(engine: Turns) -> None:
    from bot.retention import RetentionJob, grace

    case_id = await practitioner(engine)
    twelve_weeks = NOON + timedelta(weeks=12)
    await add(engine, twelve_weeks, case_id=case_id, kind="checkin")
    async with engine.sessions() as session, session.begin():
        repo = Repo(session)
        owner = await repo.practitioner(ALICE)
        case = await repo.case(owner, case_id) if owner is not None else None
        assert case is not None
        await repo.close_case(case)
        case.closed_at = NOON
    settings = engine.settings
    clock = Clock(NOON + grace(settings) + timedelta(days=1))
    retention = RetentionJob(engine.sessions, engine.catalogs, settings, Inbox(), clock=clock)
    assert (await retention.run_once()).deleted == 0  # the 12-week check-in still needs it

    inbox = Inbox()
    clock.now = twelve_weeks
    await job_for(engine, inbox, clock).run_once()  # the check-in arrives
    assert "Gezin B." in inbox.sent[0][1].text
    clock.now = twelve_weeks + grace(settings) + timedelta(days=1)
    assert (await retention.run_once()).deleted == 1  # the grace after the last check-in


async def test_a_check_in_of_a_closed_family_has_no_open_button(engine: Turns) -> None:
    case_id = await practitioner(engine)
    reminder_id = await add(
        engine, NOON, case_id=case_id, kind="checkin", open_flow="fase4", open_step="summary"
    )
    async with engine.sessions() as session, session.begin():
        repo = Repo(session)
        owner = await repo.practitioner(ALICE)
        case = await repo.case(owner, case_id) if owner is not None else None
        assert case is not None
        await repo.close_case(case)
    inbox = Inbox()
    await job_for(engine, inbox, Clock(NOON)).run_once()
    reply = inbox.sent[0][1]
    labels = [b.label for row in reply.buttons for b in row]
    assert t(engine, message.BUTTON_OPEN) not in labels
    forged = message.reminder_data(engine.renderer.signer, ALICE, message.OPEN, reminder_id)
    outcome = await press(engine, forged)  # an older copy of the message had the button
    assert outcome.notice == t(engine, buttons.CLOSED)


async def test_closing_a_family_cancels_its_meeting_and_follow_up_keeps_check_ins(
    engine: Turns,
) -> None:
    case_id = await practitioner(engine)
    meeting = await add(engine, NOON, case_id=case_id, kind="meeting")
    follow_up = await add(engine, NOON, case_id=case_id, kind="followup")
    check_in = await add(engine, NOON + timedelta(weeks=6), case_id=case_id, kind="checkin")
    chat = Chat(engine, ALICE)
    await chat.send("/gezin")
    await chat.press("Close or delete")
    await chat.press("Close")
    assert t(engine, cases.REMINDERS_CANCELLED) in chat.last.text
    statuses = [(await stored(engine, r)).status for r in (meeting, follow_up, check_in)]
    assert statuses == ["cancelled", "cancelled", "pending"]


async def test_a_sent_reminder_not_yet_done_stays_in_the_list(engine: Turns) -> None:
    case_id = await practitioner(engine, quiet=(0, 0))
    await add(engine, NOON, case_id=case_id, about="oma bellen")
    await job_for(engine, Inbox(), Clock(NOON)).run_once()  # sent, never answered
    chat = Chat(engine, ALICE)
    await chat.send("/herinneringen")
    assert "oma bellen" in chat.last.text
    assert "nog niet afgevinkt" in chat.last.text
