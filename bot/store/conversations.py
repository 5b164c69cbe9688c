"""The conversations: where a practitioner is in each flow, per scope (themselves, or one
case)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select

from bot.store.models import Conversation, Practitioner
from bot.store.queries import Queries, owned
from bot.store.status import ConversationStatus

NO_SCOPE = "-"
"""The scope of a flow about the practitioner rather than a case."""

_CONVERSATION_BY_ID = owned(Conversation, Conversation.id, Conversation.practitioner_id)
_CONVERSATION = select(Conversation).where(
    Conversation.practitioner_id == bindparam("owner"),
    Conversation.flow == bindparam("flow"),
    Conversation.scope == bindparam("scope"),
)
# Where each flow of a case stands, for the menu and /fase: four columns, without the
# answers (which would be decrypted for nothing).
_POSITIONS = select(
    Conversation.flow, Conversation.status, Conversation.step, Conversation.trail
).where(
    Conversation.practitioner_id == bindparam("owner"),
    Conversation.scope == bindparam("scope"),
)


def case_scope(case_id: int) -> str:
    return f"case:{case_id}"


class ConversationQueries(Queries):
    async def conversation_by_id(
        self, owner: Practitioner, conv_id: int | None
    ) -> Conversation | None:
        return await self._owned(_CONVERSATION_BY_ID, owner, conv_id)

    async def conversation(self, owner: Practitioner, flow: str, scope: str) -> Conversation | None:
        values = {"owner": owner.id, "flow": flow, "scope": scope}
        conv = (await self.session.execute(_CONVERSATION, values)).scalar_one_or_none()
        if conv is not None:
            self._remember(conv, owner.id)
        return conv

    async def conversations(self, owner: Practitioner) -> Sequence[Conversation]:
        query = select(Conversation).where(Conversation.practitioner_id == owner.id)
        return (await self.session.execute(query.order_by(Conversation.id))).scalars().all()

    async def flow_positions(self, owner: Practitioner, scope: str) -> Sequence[Row[Any]]:
        """Where each of `owner`'s flows in `scope` stands: flow, status, step and trail."""
        values = {"owner": owner.id, "scope": scope}
        return (await self.session.execute(_POSITIONS, values)).all()

    async def add_conversation(
        self, owner: Practitioner, flow: str, scope: str, step: str, case_id: int | None
    ) -> Conversation:
        conv = Conversation(
            practitioner_id=owner.id,
            flow=flow,
            scope=scope,
            step=step,
            case_id=case_id,
            status=ConversationStatus.ACTIVE,
            data={},
            trail={"steps": []},
        )
        return await self._add(conv, owner_id=owner.id)

    async def delete_conversation(self, conv: Conversation) -> None:
        """Deleted with the next flush rather than now: leaving a flow deletes its
        conversation right after the next one was added (and flushed, for its id), so the
        commit writes the delete together with the practitioner's move, a flush less per
        change of flow. Every query flushes first, so a conversation of the same flow and
        scope looked up next (before adding one) is not found."""
        await self.session.delete(conv)
