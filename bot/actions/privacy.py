"""What the practitioner is told about their data, with the real figures of this install."""

from __future__ import annotations

from bot.engine.registry import registry
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.store.db import is_sqlite

SQLITE = N_("a database file on the computer that runs this bot")
POSTGRES = N_("your organisation's PostgreSQL database")


@registry.view("privacy_facts")
async def privacy_facts(turn: Turn) -> dict[str, str]:
    where = SQLITE if is_sqlite(turn.settings.database_url) else POSTGRES
    count = await turn.repo.count_cases(turn.practitioner)
    return {"where": turn.t(where), "stored_cases": str(count)}


@registry.view("retention_facts")
async def retention_facts(turn: Turn) -> dict[str, str]:
    """How long a closed family is kept (`BOT_RETENTION_DAYS`)."""
    return {"retention_days": str(turn.settings.retention_days)}
