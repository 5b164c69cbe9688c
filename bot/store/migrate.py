"""Apply Alembic migrations from code: at start-up, in `python -m bot db upgrade`, in tests.

Alembic is imported only when there is something to migrate: importing it and loading the
migration scripts took 0.3 to 0.45 s of every start-up, most of it on a database that was
already up to date. `upgrade_async` first asks the database for its revision and compares
it with the newest migration file (`head_revision`, read without Alembic).
"""

from __future__ import annotations

import asyncio
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc

from bot.errors import StartupError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r'^revision(?:\s*:\s*[^=]+)?\s*=\s*"([^"]+)"', re.MULTILINE)
_DOWN = re.compile(r'^down_revision(?:\s*:\s*[^=]+)?\s*=\s*"([^"]+)"', re.MULTILINE)


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`. Synchronous: call it before the event loop runs, or
    through `upgrade_async` from inside one."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """`upgrade`, unless the database is already at the head. Alembic's async env runs its
    own event loop, so it gets a thread of its own."""
    if revision == "head" and await current_revision(database_url) == head_revision():
        return
    await asyncio.to_thread(upgrade, database_url, revision)


async def current_revision(database_url: str) -> str | None:
    """The database's revision; None for a new database (or one Alembic never touched)."""
    from bot.health import schema_version
    from bot.store.db import make_engine

    engine = make_engine(database_url)
    try:
        return await schema_version(engine)
    except (sa_exc.DBAPIError, OSError):
        # No alembic_version table yet, or no database to reach: Alembic, which runs next,
        # creates the one and reports the other as it always did.
        return None
    finally:
        await engine.dispose()


@cache
def head_revision() -> str:
    """The newest migration: the revision that no other migration file names as its
    `down_revision`. Read from the files with two patterns, so without importing Alembic;
    a test checks it against Alembic's own answer."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = _REVISION.search(source)
        if revision is None:
            raise StartupError(f'{path.name}: no `revision = "..."` line')
        revisions.add(revision.group(1))
        parents.update(_DOWN.findall(source))
    heads = revisions - parents
    if len(heads) != 1:
        raise StartupError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()
