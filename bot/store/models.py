"""The tables. Alembic migrations in `migrations/versions` create them; never `create_all`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.store.status import (
    AgreementStatus,
    CaseStatus,
    ConversationStatus,
    ReminderKind,
    ReminderStatus,
)
from bot.store.types import SensitiveJSON, SensitiveString, SensitiveText, UTCDateTime

KEY_LENGTH = 300
"""Room for `matrix:` and a Matrix id, which may be 255 characters long."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations get stable constraint names."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


Base.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Practitioner(Base):
    """A hulpverlener using the bot; `external_key` is e.g. `telegram:123` or `console:local`."""

    __tablename__ = "practitioners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    settings: Mapped[dict[str, Any]] = mapped_column(SensitiveJSON, default=dict)
    onboarded: Mapped[bool] = mapped_column(default=False)
    # Plain ids, not foreign keys: the two tables point at each other, and the repository
    # clears these when it deletes a case or a conversation.
    active_case_id: Mapped[int | None] = mapped_column(Integer, default=None)
    current_conversation_id: Mapped[int | None] = mapped_column(Integer, default=None)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    """Bumped when the practitioner moves to another conversation (and on a reminder's
    button); buttons carry it with the conversation's own `seq`, so an old button is
    recognised (`bot.engine.interpreter._bump`)."""
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    """Moved by each turn's first statement and, on PostgreSQL, by triggers on any other
    change to this row, their conversations or their cases (migration 0007). The ORM never
    writes it; a loaded value may be behind. See `bot.store.turns`."""
    quiet_start: Mapped[int] = mapped_column(Integer, default=21 * 60)
    quiet_end: Mapped[int] = mapped_column(Integer, default=8 * 60)
    """Quiet hours for reminders, in minutes after local midnight (default 21:00–08:00);
    equal values mean no quiet hours. Plain columns, so delivery reads them cheaply."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Base):
    """A family, known to the bot only by the practitioner's pseudonymous label."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(SensitiveText)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    retention_reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the reminder before deletion went out (a closed case gets one, once)."""

    __table_args__ = (Index("ix_cases_owner_id", "owner_id"),)


class Conversation(Base):
    """Where a practitioner is in one flow (for one case, when the flow is about a case).

    `scope` is `-` for flows about the practitioner and `case:<id>` for case flows, so a
    phase paused in one family waits there while another family is worked on.
    """

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), default=None
    )
    flow: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.ACTIVE)
    data: Mapped[dict[str, Any]] = mapped_column(SensitiveJSON, default=dict)
    trail: Mapped[dict[str, Any]] = mapped_column(SensitiveJSON, default=dict)
    """`{"steps": [...]}`: the steps behind this one, for the back button."""
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    """Bumped on every change within this conversation (see `Practitioner.seq`)."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("practitioner_id", "flow", "scope"),)


class AuditEntry(Base):
    """Append-only record of what was recorded or changed: who, when, what."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), default=None
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    event: Mapped[str] = mapped_column(String(48))
    flow: Mapped[str | None] = mapped_column(String(32), default=None)
    field: Mapped[str | None] = mapped_column(String(48), default=None)
    value: Mapped[str | None] = mapped_column(SensitiveText, default=None)

    __table_args__ = (Index("ix_audit_case_id", "case_id"),)


class Meta(Base):
    """Small installation-wide values, such as the key that signs button data.

    Values are sealed with BOT_DATA_KEY like family data (`Repo.installation_secret`), and
    `python -m bot db rotate-key` rotates them with it."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(SensitiveString(512))


class Person(Base):
    """Someone from the family's network, by first name, initials or role ("oma").

    `decision` is the parent's answer to "may I contact this person?": `yes`, `no` or
    `open` (not discussed yet). Only `yes` ever allows an approach (fase 3).
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(SensitiveText)
    group: Mapped[str] = mapped_column(String(16))
    """`household` (huishouden/familie), `friends`, `community` (buurt/school/werk/club),
    `professional`."""
    closeness: Mapped[str] = mapped_column(String(8))
    """`close`, `middle`, `far`."""
    meaning: Mapped[str | None] = mapped_column(SensitiveText, default=None)
    decision: Mapped[str] = mapped_column(String(8), default="open")
    approached_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_people_case_id", "case_id"),)


class Agreement(Base):
    """An agreement for the shared plan: who does what, until when, in which phase."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    phase: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24), default="agreement")
    """What the agreement is about, e.g. `decision`, `approach`, `problem_plan`,
    `expectation`, `check_in`, `agreement`."""
    text: Mapped[str] = mapped_column(SensitiveText)
    who: Mapped[str | None] = mapped_column(SensitiveText, default=None)
    """`parent`, `practitioner`, or a network member's name as noted."""
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    due: Mapped[str | None] = mapped_column(SensitiveText, default=None)
    """Until when, as agreed (free text such as "eind maart"), or None."""
    detail: Mapped[dict[str, Any] | None] = mapped_column(SensitiveJSON, default=None)
    """The parts of an agreement that has parts, as typed, so nothing has to be read back
    from `text` (a sentence in the language of the day it was noted): a plan for when
    things go wrong `{"signal", "action"}` (who is `who`), a closing answer `{"question",
    "answer"}`, a check-in `{"at", "what"}` (`at` an ISO moment in UTC). None for the
    rest, and for a plan whose text was changed by hand (/afspraken)."""
    status: Mapped[str] = mapped_column(String(8), default=AgreementStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_agreements_case_id", "case_id"),)


class Invite(Base):
    """A one-time invite made by the operator (`python -m bot invite`).

    Only a hash of the code is kept, so a database dump cannot be used to get in; the row
    says nothing about who redeemed it.
    """

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Revocation(Base):
    """A practitioner whose access the operator revoked (`python -m bot admin revoke`).

    Their data is deleted; this row only keeps them out, also when their Telegram id is
    still in `BOT_ALLOWED_USERS`. Redeeming a new invite lifts it.
    """

    __tablename__ = "revocations"

    external_key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(Base):
    """A reminder for the practitioner, delivered at `due_at` (outside quiet hours).

    `kind` is `meeting` (before a first meeting), `followup` (after approaching someone),
    `checkin` (after closing) or `free`. `status` goes `pending` → `sent` → `done`, or
    `cancelled`; `failed` when the channel says it can never be delivered. Delivery claims
    a row by setting `claimed_until` (a lease), so two processes never send it both;
    `next_attempt_at` is when the next try may happen (the due time, the end of quiet
    hours, or a back-off after a failure). See `bot/reminders/`.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), default=None
    )
    kind: Mapped[str] = mapped_column(String(16), default=ReminderKind.FREE)
    about: Mapped[str | None] = mapped_column(SensitiveText, default=None)
    tip_id: Mapped[str | None] = mapped_column(String(64), default=None)
    open_flow: Mapped[str | None] = mapped_column(String(32), default=None)
    open_step: Mapped[str | None] = mapped_column(String(32), default=None)
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=ReminderStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    late: Mapped[bool] = mapped_column(default=False)
    maybe_sent: Mapped[bool] = mapped_column(default=False, server_default=false())
    """A send was interrupted (a lapsed claim): the practitioner may have it already."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_reminders_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_reminders_owner_id", "owner_id"),
        Index("ix_reminders_case_id", "case_id"),
    )


class ProcessedUpdate(Base):
    """A channel event (a Telegram `update_id`) already applied, written in the same
    transaction as the turn, so a redelivered update is recognised and changes nothing.
    Only the id and when: nothing about who sent it. Pruned after a day (`bot/store/dedup.py`).
    """

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_processed_updates_processed_at", "processed_at"),)


class Lease(Base):
    """Who does a job that only one process may do at a time (syncing the Matrix account),
    and until when: the holder renews it while alive; when it stops renewing (it died),
    another process may take it over once `expires_at` has passed (`bot.store.leases`)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]


class MatrixRoom(Base):
    """A Matrix direct chat of an admitted practitioner, and what the channel must know of
    it between events: the question whose numbered choices a number or reaction answers,
    and whether the practitioner was told that the chat is not encrypted. The choices'
    labels may name family members, so they are sealed like family data."""

    __tablename__ = "matrix_rooms"

    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    practitioner_key: Mapped[str] = mapped_column(String(KEY_LENGTH), index=True)
    question_event_id: Mapped[str | None] = mapped_column(String(255), default=None)
    choices: Mapped[dict[str, Any]] = mapped_column(SensitiveJSON, default=dict)
    warned_unencrypted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
