"""practitioner version: moved by every change to a practitioner's data, and by their turns

A number on the practitioner's row that moves whenever anything but their own turn
changes their row, their conversations or their cases (PostgreSQL). Each turn on
PostgreSQL moves it by one in its first statement (`bot.store.dedup`) and gets it back;
the triggers below move it for every other writer (another process, the
retention job, an operator's command, a hand-made change). A process that still holds
what its own last turn left, and finds the number moved by exactly one, knows nothing
else happened in between and need not read it again (`bot.store.turns`). The triggers
leave changes alone that the practitioner's own turn makes: that turn names itself in the
transaction setting `netwerkcoach.turn`. A key rotation (`bot.store.rekey`) writes new
ciphertext of the same values and says so in `netwerkcoach.same_plaintext`: it moves
nothing, and so never waits for a practitioner's row lock while holding other rows.

SQLite gets the column only: there one process writes, and it reads every turn afresh.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOUCH = """
CREATE FUNCTION netwerkcoach_touch_owner() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner integer;
BEGIN
    IF current_setting('netwerkcoach.same_plaintext', true) = 'yes' THEN
        RETURN NULL;  -- a key rotation: new ciphertext, the same values
    END IF;
    -- One statement per table and operation: plpgsql prepares a statement when it first
    -- runs it, for the table at hand, so a column of the other table is never looked up.
    IF TG_TABLE_NAME = 'cases' THEN
        IF TG_OP = 'DELETE' THEN owner := OLD.owner_id; ELSE owner := NEW.owner_id; END IF;
    ELSE
        IF TG_OP = 'DELETE' THEN
            owner := OLD.practitioner_id;
        ELSE
            owner := NEW.practitioner_id;
        END IF;
    END IF;
    UPDATE practitioners SET version = version + 1
    WHERE id = owner
      AND external_key IS DISTINCT FROM current_setting('netwerkcoach.turn', true);
    RETURN NULL;
END
$$
"""
"""After a change to a conversation or a case: move its owner's number, unless this is
the owner's own turn."""

TOUCH_SELF = """
CREATE FUNCTION netwerkcoach_touch_self() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('netwerkcoach.same_plaintext', true) = 'yes' THEN
        RETURN NEW;  -- a key rotation: new ciphertext, the same values
    END IF;
    IF NEW.version = OLD.version
       AND NEW.external_key IS DISTINCT FROM current_setting('netwerkcoach.turn', true) THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$
"""
"""Before a change to a practitioner's row that did not move the number itself."""


def upgrade() -> None:
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.BigInteger(), nullable=False, server_default=sa.text("0"))
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(TOUCH)
    op.execute(TOUCH_SELF)
    for table in ("conversations", "cases"):
        op.execute(
            f"CREATE TRIGGER {table}_touch_owner AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION netwerkcoach_touch_owner()"
        )
    op.execute(
        "CREATE TRIGGER practitioners_touch_self BEFORE UPDATE ON practitioners "
        "FOR EACH ROW EXECUTE FUNCTION netwerkcoach_touch_self()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER practitioners_touch_self ON practitioners")
        for table in ("conversations", "cases"):
            op.execute(f"DROP TRIGGER {table}_touch_owner ON {table}")
        op.execute("DROP FUNCTION netwerkcoach_touch_self()")
        op.execute("DROP FUNCTION netwerkcoach_touch_owner()")
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.drop_column("version")
