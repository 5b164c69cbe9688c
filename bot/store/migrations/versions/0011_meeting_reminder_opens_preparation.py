"""meeting reminders open the kept preparation: "Open ›" on a reminder set before 0011

A reminder before a first meeting now opens what was prepared (step `kept` of
/voorbereiden) instead of step 1 of the checklist; reminders set before this release still
point at step 1. Only reminders that can still be pressed are moved; done ones keep their
history as it was.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REMINDERS = sa.table(
    "reminders",
    sa.column("kind", sa.String),
    sa.column("status", sa.String),
    sa.column("open_flow", sa.String),
    sa.column("open_step", sa.String),
)
OPEN = ("pending", "sent")


def _move(from_step: str, to_step: str) -> None:
    op.execute(
        REMINDERS.update()
        .where(
            REMINDERS.c.kind == "meeting",
            REMINDERS.c.status.in_(OPEN),
            REMINDERS.c.open_flow == "voorbereiden",
            REMINDERS.c.open_step == from_step,
        )
        .values(open_step=to_step)
    )


def upgrade() -> None:
    _move("why", "kept")


def downgrade() -> None:
    _move("kept", "why")
