"""Who may come in: the operator's one-time invites and revocations (`bot.access` decides
with them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete, exists, select, update

from bot.store.models import Invite, Revocation
from bot.store.queries import Queries


class AccessQueries(Queries):
    async def add_invite(self, code_hash: str, expires_at: datetime) -> Invite:
        return await self._add(Invite(code_hash=code_hash, expires_at=expires_at))

    async def redeem_invite(self, code_hash: str, now: datetime) -> bool:
        """Use up an unused, unexpired invite; one statement, so two people racing for
        the same code cannot both get in."""
        result = await self.session.execute(
            update(Invite)
            .where(
                Invite.code_hash == code_hash,
                Invite.used_at.is_(None),
                Invite.expires_at > now,
            )
            .values(used_at=now)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def any_invites(self) -> bool:
        """Whether the operator ever made an invite (used and expired ones count)."""
        return bool((await self.session.execute(select(exists().select_from(Invite)))).scalar())

    async def valid_invites(self, now: datetime) -> int:
        return await self._count(Invite.id, Invite.used_at.is_(None), Invite.expires_at > now)

    async def is_revoked(self, external_key: str) -> bool:
        return await self.session.get(Revocation, external_key) is not None

    async def revoke(self, external_key: str) -> None:
        if not await self.is_revoked(external_key):
            self.session.add(Revocation(external_key=external_key))
            await self.session.flush()

    async def lift_revocation(self, external_key: str) -> None:
        await self.session.execute(
            delete(Revocation).where(Revocation.external_key == external_key)
        )
