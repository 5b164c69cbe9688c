"""Build everything a channel needs, in one place: database, catalogs, flows, turns."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

import bot.actions  # noqa: F401 - registers the guards, actions, providers and views
from bot.config import Settings
from bot.engine.loader import load_flows
from bot.engine.registry import registry
from bot.engine.spec import FlowSet
from bot.i18n import Catalogs
from bot.store.crypto import configure_data_key
from bot.store.db import make_engine, make_sessionmaker
from bot.store.migrate import upgrade_async
from bot.turns import Turns

log = logging.getLogger(__name__)


def load_content(
    settings: Settings, *, check_translations: bool = True
) -> tuple[FlowSet, Catalogs]:
    """Catalogs first: a flow whose text has no Dutch translation does not load (unless
    `check_translations` is off, for tests of engine logic while a catalog is being filled)."""
    catalogs = Catalogs(settings.locales_dir)
    translated = catalogs.is_translated if check_translations else None
    flows = load_flows(settings.flows_dir, registry, translated)
    return flows, catalogs


@dataclass
class Runtime:
    settings: Settings
    db: AsyncEngine
    turns: Turns


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    migrate: bool = True,
    check_translations: bool = True,
    content: tuple[FlowSet, Catalogs] | None = None,
) -> AsyncIterator[Runtime]:
    """Migrate the database, load and validate the flows, start the turns; close the
    database on the way out. `check_translations=False` skips the Dutch-catalog check.
    `content` is flows and catalogs loaded before with `load_content` (they are read-only
    data): the test suite loads them once instead of for each of its hundreds of tests."""
    configure_data_key(settings)  # first: production without BOT_DATA_KEY stops here
    if content is None:
        content = load_content(settings, check_translations=check_translations)
    flows, catalogs = content
    if migrate:
        await upgrade_async(settings.database_url)
    db = make_engine(settings.database_url)
    try:
        turns = Turns(flows, registry, catalogs, make_sessionmaker(db), settings)
        await turns.start()
        log.info("ready: %d flows, %d tips", len(flows.flows), len(flows.tips()))
        yield Runtime(settings, db, turns)
    finally:
        await db.dispose()
