"""sealed signing key: the key that signs buttons is stored encrypted from this version on

No schema change. From this version on the `meta` row `callback_key` holds the key that
signs buttons sealed with `BOT_DATA_KEY` (when one is set; an older plain value is sealed
at the next start, keeping the same secret: `Repo.installation_secret`). A version from
before would read the sealed text as the key itself and sign every button with it, so
buttons made by the other replicas would all look outdated, without an error. This
revision makes such a version refuse to start against the database instead (Alembic
does not know revision 0008), so a rollback or an old replica fails loudly.

Downgrading is not possible without the data key: unseal the row by hand first.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change in the schema: the revision number itself is the point."""


def downgrade() -> None:
    """Nothing in the schema to undo (see the module's docstring about the sealed key)."""
