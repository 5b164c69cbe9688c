"""One practitioner's walk through the real Telegram stack, as a list of updates: onboarding,
a family, and fase 1 up to three recorded agreements; and everything recorded about a
practitioner, to compare a walk that met crashes or replicas with one that did not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import telegram_key
from bot.store.models import Agreement, AuditEntry, Case, Conversation, Practitioner
from tests.support.stub_bot_api import SimUser
from tests.support.telegram import Texts

WISH = "Oma en de buurvrouw mogen meedenken"
"""The typed answer of the walk (fase 1's wish), recorded as an agreement."""

Action = Callable[[SimUser], Awaitable[object]]

WISH_STEP = 6
"""Where in `script` the wish is typed: the walk's one answer in the practitioner's words."""


def script(txt: Texts) -> list[Action]:
    """Onboarding, a family, and phase 1 up to three recorded agreements: 9 updates."""

    def send(text: str) -> Action:
        return lambda user: user.send(text)

    def press(label: str) -> Action:
        return lambda user: user.press(label)

    async def open_fase1(user: SimUser) -> object:
        title = txt.t(txt.flows["fase1"].title)
        message = user.last_keyboard_message()
        assert message is not None
        [label] = [b for row in message.buttons for b in row if title in b]
        return await user.press(label)

    return [
        send("/start"),
        press(txt.button("onboarding", "welcome", "next")),
        press(txt.button("onboarding", "privacy", "ok")),
        send("Gezin K"),
        send("/fase"),
        open_fase1,
        send(WISH),
        press(txt.button("fase1", "join", "accepted")),
        press(txt.button("fase1", "trust", "enough")),
    ]


def owned_cases(user_id: int) -> Select[tuple[int]]:
    """The ids of the families of one Telegram practitioner, for `... .in_(...)`."""
    return (
        select(Case.id)
        .join(Practitioner, Practitioner.id == Case.owner_id)
        .where(Practitioner.external_key == telegram_key(user_id))
    )


async def state(sessions: async_sessionmaker[AsyncSession], user_id: int) -> dict[str, Any]:
    """Everything recorded about one practitioner, without ids that differ between them."""
    async with sessions() as session:
        p = (
            await session.execute(
                select(Practitioner).where(Practitioner.external_key == telegram_key(user_id))
            )
        ).scalar_one()
        convs = (
            await session.execute(select(Conversation).where(Conversation.practitioner_id == p.id))
        ).scalars()
        cases = (await session.execute(select(Case).where(Case.owner_id == p.id))).scalars()
        agreements = (
            await session.execute(
                select(Agreement)
                .join(Case, Agreement.case_id == Case.id)
                .where(Case.owner_id == p.id)
            )
        ).scalars()
        audit = (
            await session.execute(select(AuditEntry).where(AuditEntry.practitioner_id == p.id))
        ).scalars()
        current = await session.get(Conversation, p.current_conversation_id or 0)
        return {
            "seq": (p.seq, current.seq if current else None),
            "onboarded": p.onboarded,
            "at": (current.flow, current.step) if current else None,
            "conversations": sorted(
                (c.flow, c.scope.split(":")[0], c.step, c.status) for c in convs
            ),
            "cases": sorted((c.label, c.status) for c in cases),
            "agreements": sorted(
                (a.phase, a.kind, a.text, a.who or "", a.status) for a in agreements
            ),
            "audit": sorted(
                (e.event, e.flow or "", (e.field or "").split(":")[0], e.value or "") for e in audit
            ),
        }
