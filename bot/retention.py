"""Retention: a closed family is deleted `BOT_RETENTION_DAYS` after closing, with a reminder
a few days before.

The bot's notes are the practitioner's working notes, not the family's file, so they do
not outlive the help. One pass (`RetentionJob.run_once`) deletes every closed case whose
grace period is over, then reminds the owners of cases whose deletion is near, once per
case. The Telegram bot runs a pass at start and every hour (`run_periodically`);
`python -m bot retention run` runs one from cron or by hand. The clock is given to the
job, so tests move time instead of waiting, and the job knows no Telegram: it sends
through a `Notifier`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.engine.events import Reply
from bot.engine.render import escape, fill
from bot.i18n import N_, Catalogs
from bot.i18n.fmt import date_long
from bot.notify import Notifier
from bot.store.models import Case, Practitioner, utcnow
from bot.store.repo import Repo

log = logging.getLogger(__name__)

REMIND_DAYS = 3
"""How many days before the deletion the practitioner is reminded."""
INTERVAL = 3600.0
"""Seconds between two passes while the Telegram bot runs."""

REMINDER = N_(
    "⏰ On {date} I delete the notes of “{label}” (closed on {closed}).\n"
    "Want to keep something for the family's file? Send /export before then: you get all "
    "your data as a file. /vergeet deletes it right away."
)


def grace(settings: Settings) -> timedelta:
    return timedelta(days=settings.retention_days)


def reminder_lead(settings: Settings) -> timedelta:
    """How long before the deletion the reminder goes out (never before the closing)."""
    return timedelta(days=min(REMIND_DAYS, settings.retention_days))


def deletion_date(
    closed_at: datetime, settings: Settings, *, kept_until: datetime | None = None
) -> datetime:
    """When a closed case is deleted: `grace` after its closing or, when check-ins after the
    closing are still planned, after the last of them (`kept_until`, see
    `Repo.last_open_due`): the reminders need the family they are about."""
    start = closed_at if kept_until is None else max(closed_at, kept_until)
    return start + grace(settings)


async def deletion_of(repo: Repo, case: Case, settings: Settings) -> datetime:
    """`deletion_date` of a closed case, with its planned check-ins read from `repo`."""
    assert case.closed_at is not None
    kept_until = await repo.last_open_due(case)
    return deletion_date(case.closed_at, settings, kept_until=kept_until)


@dataclass(frozen=True)
class Pass:
    """What one pass did."""

    deleted: int
    reminded: int


class RetentionJob:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalogs: Catalogs,
        settings: Settings,
        notifier: Notifier | None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.catalogs = catalogs
        self.settings = settings
        self.notifier = notifier
        self.clock = clock

    async def run_once(self) -> Pass:
        """Delete what is due, then remind; without a notifier only the first."""
        now = self.clock()
        deleted = await self._delete_due(now)
        reminded = 0 if self.notifier is None else await self._remind(now, self.notifier)
        if deleted or reminded:
            log.info("retention: %d closed case(s) deleted, %d reminder(s)", deleted, reminded)
        return Pass(deleted, reminded)

    async def _delete_due(self, now: datetime) -> int:
        closed_by = now - grace(self.settings)
        async with self.sessions() as session:
            owners = sorted({case.owner_id for case in await Repo(session).closed_cases(closed_by)})
        deleted = 0
        for owner_id in owners:
            # One transaction per practitioner, holding their row lock (PostgreSQL) like
            # the engine does, so a turn of theirs never sees half of it.
            async with self.sessions() as session, session.begin():
                repo = Repo(session)
                owner = await repo.practitioner_by_id(owner_id)
                if owner is None:
                    continue
                for case in await repo.closed_cases(closed_by, owner_id=owner_id):
                    if await deletion_of(repo, case, self.settings) > now:
                        continue  # kept for the check-ins still planned
                    await repo.delete_case(owner, case)
                    deleted += 1
        return deleted

    async def _remind(self, now: datetime, notifier: Notifier) -> int:
        remind_by = now - grace(self.settings) + reminder_lead(self.settings)
        async with self.sessions() as session:
            repo = Repo(session)
            due = await repo.closed_cases(remind_by, reminded=False)
            messages = []
            for case in due:
                deletion = await deletion_of(repo, case, self.settings)
                if deletion - reminder_lead(self.settings) > now:
                    continue  # kept longer for its check-ins: remind before that date
                owner = await session.get(Practitioner, case.owner_id)
                if owner is not None:
                    messages.append(
                        (case.id, owner.external_key, self._reminder(case, owner, deletion))
                    )
        sent = 0
        for case_id, key, message in messages:
            # Claimed before sending, so two passes (the bot's and a cron job's) never
            # both send it; released again when sending failed for now.
            async with self.sessions() as session, session.begin():
                if not await Repo(session).claim_reminder(case_id, now):
                    continue
            try:
                delivered = await notifier.notify(key, message)
            except Exception as exc:
                log.warning("retention reminder not sent: %s", type(exc).__name__)
                async with self.sessions() as session, session.begin():
                    await Repo(session).release_reminder(case_id)
                continue
            sent += delivered
        return sent

    def _reminder(self, case: Case, owner: Practitioner, deletion: datetime) -> Reply:
        assert case.closed_at is not None
        language, zone = owner.language, owner.timezone
        text = fill(
            self.catalogs.get(language).gettext(REMINDER),
            {
                "date": date_long(deletion, language, zone),
                "closed": date_long(case.closed_at, language, zone),
                "label": escape(case.label),
            },
        )
        return Reply(text)


async def run_periodically(job: RetentionJob, interval: float = INTERVAL) -> None:
    """A pass now and every `interval` seconds until cancelled; a failed pass is logged
    (its type only: messages may quote data) and the next one tries again."""
    while True:
        try:
            await job.run_once()
        except Exception as exc:
            log.error("retention pass failed: %s", type(exc).__name__)
        await asyncio.sleep(interval)
