"""Readiness: can this process do its work right now? Asked by `/readyz`.

Ready means the database answers and its schema is at the migrations' head: a replica
started with newer code than the database (or pointed at the wrong one) is kept out of the
load balancer instead of failing every update.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

READY_TIMEOUT = 2.0
"""Seconds the database gets to answer a readiness probe."""


async def schema_version(db: AsyncEngine) -> str | None:
    async with db.connect() as conn:
        result = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return result.scalar_one_or_none()


async def database_ready(db: AsyncEngine, head: str) -> bool:
    """The database answers within `READY_TIMEOUT` and is migrated to `head`."""
    try:
        version = await asyncio.wait_for(schema_version(db), READY_TIMEOUT)
    except Exception as exc:  # the type only: a driver error may quote the URL
        log.warning("not ready: database unreachable (%s)", type(exc).__name__)
        return False
    if version != head:
        log.warning("not ready: schema at %s, code expects %s", version, head)
        return False
    return True
