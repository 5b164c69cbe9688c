"""The operator's commands (`python -m bot invite`, `admin …`, `retention run`), as async
functions over the database; `bot.cli` parses the arguments and prints.

They show who uses the bot and how much is stored, never labels, names or notes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import create_invite, telegram_id
from bot.config import Settings
from bot.notify import Notifier
from bot.retention import Pass, RetentionJob
from bot.runtime import open_runtime
from bot.store.db import make_engine, make_sessionmaker
from bot.store.migrate import upgrade_async
from bot.store.models import utcnow
from bot.store.repo import Repo


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The database at the current schema. These commands read no sealed (family) column,
    so they need no data key."""
    await upgrade_async(settings.database_url)
    turns = make_engine(settings.database_url)
    try:
        yield make_sessionmaker(turns)
    finally:
        await turns.dispose()


@dataclass(frozen=True)
class PractitionerRow:
    """One line of `admin list`: who, not what they wrote."""

    id: int
    account: str
    """The Telegram user id, or the key of another channel (`console:local`)."""
    language: str
    created_at: datetime
    cases: int

    @classmethod
    def of(cls, row: Row[Any]) -> PractitionerRow:
        user_id = telegram_id(row.external_key)
        account = row.external_key if user_id is None else str(user_id)
        return cls(row.id, account, row.language, row.created_at, int(row.cases))


@dataclass(frozen=True)
class Stored:
    """A practitioner and how much they have stored (for `admin revoke`)."""

    practitioner: PractitionerRow
    external_key: str
    totals: dict[str, int]


async def new_invite(settings: Settings, days: int) -> tuple[str, datetime]:
    async with database(settings) as sessions, sessions() as session, session.begin():
        return await create_invite(Repo(session), days, utcnow())


async def practitioners(settings: Settings) -> list[PractitionerRow]:
    async with database(settings) as sessions, sessions() as session:
        return [PractitionerRow.of(row) for row in await Repo(session).practitioner_rows()]


async def counts(settings: Settings) -> dict[str, int]:
    async with database(settings) as sessions, sessions() as session:
        repo = Repo(session)
        totals = await repo.totals()
        totals["valid invites"] = await repo.valid_invites(utcnow())
        return totals


async def _stored(repo: Repo, practitioner_id: int) -> Stored | None:
    rows = await repo.practitioner_rows(practitioner_id)  # locked: waits for a turn of theirs
    if not rows:
        return None
    totals = await repo.owned_totals(practitioner_id)
    return Stored(PractitionerRow.of(rows[0]), rows[0].external_key, totals)


async def stored_by(settings: Settings, practitioner_id: int) -> Stored | None:
    """What revoking would delete, for the confirmation question."""
    async with database(settings) as sessions, sessions() as session:
        return await _stored(Repo(session), practitioner_id)


async def revoke(settings: Settings, practitioner_id: int) -> Stored | None:
    """Delete the practitioner with all their data and keep them out from now on (until
    they redeem a new invite); None when there is no such practitioner."""
    async with database(settings) as sessions, sessions() as session, session.begin():
        repo = Repo(session)
        stored = await _stored(repo, practitioner_id)
        if stored is not None:
            await repo.delete_practitioner(practitioner_id)
            await repo.revoke(stored.external_key)
        return stored


async def retention_pass(settings: Settings, notifier: Notifier | None) -> Pass:
    """One retention pass, on the runtime the bot itself uses (migrations, catalogs, and
    whatever it needs to read family data)."""
    async with open_runtime(settings) as runtime:
        turns = runtime.turns
        return await RetentionJob(turns.sessions, turns.catalogs, settings, notifier).run_once()
