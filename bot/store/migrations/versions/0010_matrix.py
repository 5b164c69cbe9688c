"""matrix: leases, Matrix direct chats, and room for Matrix ids in practitioner keys

`leases` lets exactly one process sync the bot's Matrix account (a second one waits and
takes over once the first stops renewing). `matrix_rooms` keeps, per direct chat, the
question whose numbered choices a number or reaction answers (sealed: labels may name
family members) and whether the practitioner heard that the chat is unencrypted.
Practitioner keys grow from 64 to 300 characters: `matrix:` and a Matrix id of up to 255.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "matrix_rooms",
        sa.Column("room_id", sa.String(255), nullable=False),
        sa.Column("practitioner_key", sa.String(300), nullable=False),
        sa.Column("question_event_id", sa.String(255), nullable=True),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("warned_unencrypted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_matrix_rooms")),
    )
    op.create_index(op.f("ix_matrix_rooms_practitioner_key"), "matrix_rooms", ["practitioner_key"])
    for table in ("practitioners", "revocations"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("external_key", type_=sa.String(300), existing_type=sa.String(64))


def downgrade() -> None:
    for table in ("practitioners", "revocations"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("external_key", type_=sa.String(64), existing_type=sa.String(300))
    op.drop_index(op.f("ix_matrix_rooms_practitioner_key"), table_name="matrix_rooms")
    op.drop_table("matrix_rooms")
    op.drop_table("leases")
