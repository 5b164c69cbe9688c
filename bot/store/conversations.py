"""The conversations: where a practitioner is in each flow, per scope (themselves, or one
case)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select

from bot.store.models import Conversation, Practitioner
from bot.store.queries import Queries

NO_SCOPE = "-"
"""The scope of a flow about the practitioner rather than a case."""

_CONVERSATION_BY_ID = select(Conversation).where(
    Conversation.id == bindparam("id"), Conversation.practitioner_id == bindparam("owner")
)
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
        if conv_id is None:
            return None
        key = ("conversation", conv_id, owner.id)
        conv: Conversation | None = self._again(key)
        if conv is None:
            values = {"id": conv_id, "owner": owner.id}
            result = await self.session.execute(_CONVERSATION_BY_ID, values)
            conv = self._loaded[key] = result.scalar_one_or_none()
        return conv

    async def conversation(self, owner: Practitioner, flow: str, scope: str) -> Conversation | None:
        values = {"owner": owner.id, "flow": flow, "scope": scope}
        conv = (await self.session.execute(_CONVERSATION, values)).scalar_one_or_none()
        if conv is not None:
            self._loaded[("conversation", conv.id, owner.id)] = conv
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
            status="active",
            data={},
            trail={"steps": []},
        )
        self.session.add(conv)
        await self.session.flush()
        self._loaded[("conversation", conv.id, owner.id)] = conv
        return conv

    async def delete_conversation(self, conv: Conversation) -> None:
        await self.session.delete(conv)
        await self.session.flush()
