"""Installation-wide values in the `meta` table: the secret that signs buttons."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from sqlalchemy import Table, Text, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.store import crypto
from bot.store.models import Meta
from bot.store.queries import Queries

log = logging.getLogger(__name__)

_META: Table = Meta.__table__  # type: ignore[assignment]
_INSERT_IF_NEW: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


class MetaQueries(Queries):
    async def installation_secret(self, key: str) -> str:
        """An installation-wide random secret from `meta` (the key that signs buttons),
        made on first use and sealed at rest with BOT_DATA_KEY like family data.

        Two processes starting at once agree on one: the insert does nothing when the
        other's row is there (on PostgreSQL it waits for the other's commit), and both
        read the row that won. A value stored unsealed, before BOT_DATA_KEY was set or by
        a version that did not seal it, is sealed here as it is, so buttons already signed
        with it still verify; only when it is still what was read, so two processes doing
        this at once write it once. Without a key it stays as it is (development). A
        sealed value that no key opens raises `DataKeyError`, as any sealed value does.
        """
        as_stored = type_coerce(_META.c.value, Text)  # sealed or not: never opened here
        insert = _INSERT_IF_NEW[self.session.get_bind().dialect.name](_META)
        await self.session.execute(
            insert.values(key=key, value=secrets.token_urlsafe(32)).on_conflict_do_nothing()
        )
        stored = (
            await self.session.execute(select(as_stored).where(_META.c.key == key))
        ).scalar_one()
        secret = crypto.unseal(stored)
        if crypto.active() is not None and not crypto.is_sealed(stored):
            await self.session.execute(
                update(_META)
                .where(_META.c.key == key, as_stored == stored)
                .values(value=secret)  # sealed on the way in, by the column type
            )
            log.info("meta %s was stored unencrypted: sealed it with BOT_DATA_KEY", key)
        return secret
