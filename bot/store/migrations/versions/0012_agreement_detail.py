"""agreements.detail: a plan for when things go wrong kept as its parts, not one sentence

Fase 4 stored a plan for when things go wrong as one translated sentence ("Signaal: ….
Dan oma: …") and the family's plan read it back with a regular expression, which failed
for a plan noted in the other language: it showed whole in the first column. From now on
fase 4 keeps the parts in `detail` (sealed JSON, like every family text). This migration
converts what it can:

- a plan whose sentence reads as one of the two templates below gets
  `{"signal", "action"}`; one that does not stays text only (and shows whole, as before);
- a plan whose "who" is the name of someone on the family's map gets that person's id,
  so leaving out someone the parent refused goes by that link;
- a closing answer that starts with one of its question's labels gets
  `{"question", "answer"}`, so the family's plan can show what they want their network
  to mean.

The templates are copied here, as they were in the catalogs at this revision: a migration
must not change when a translation does later. Values are opened with the data key of
this installation (`BOT_DATA_KEY`) when the bot's start-up has not set it already; a
sealed value without a key to open it is left as it is.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAN_TEMPLATES = (
    "Signaal: {signal}. Dan {who}: {action}",
    "Signal: {signal}. Then {who}: {action}",
)
CLOSING_LABELS = {
    "where_now": ("Waar we nu staan: ", "Where we are now: "),
    "own_place": ("Hun plek in het netwerk: ", "Their place in the network: "),
    "network_meaning": ("Wat het netwerk gaat betekenen: ", "What the network will mean: "),
}

AGREEMENTS = sa.table(
    "agreements",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("text", sa.Text),
    sa.column("who", sa.Text),
    sa.column("person_id", sa.Integer),
    sa.column("detail", sa.Text),
)
PEOPLE = sa.table(
    "people",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("name", sa.Text),
)


class _Values:
    """Opens and seals values with this installation's key (none: plain values only)."""

    def __init__(self) -> None:
        from bot.store import crypto

        self.crypto = crypto
        self.cipher = crypto.active()
        if self.cipher is None:
            from bot.config import get_settings

            key = get_settings().data_key
            if key is not None:
                self.cipher = crypto.Cipher.from_setting(key.get_secret_value())

    def open(self, stored: str | None) -> str | None:
        if stored is None or not self.crypto.is_sealed(stored):
            return stored
        if self.cipher is None:
            return None
        try:
            return self.cipher.open(stored)
        except self.crypto.DataKeyError:
            return None

    def seal(self, value: dict[str, Any]) -> str:
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return plain if self.cipher is None else self.cipher.seal(plain)


def _pattern(template: str, who: str) -> re.Pattern[str]:
    """The template as a regular expression for this `who`; the full stop after a signal
    that ended in one was left out when the sentence was made."""
    out = []
    for part in re.split(r"(\{signal\}|\{who\}|\{action\})", template):
        if part == "{signal}":
            out.append(r"(?P<signal>.+?)")
        elif part == "{action}":
            out.append(r"(?P<action>.+)")
        elif part == "{who}":
            out.append(re.escape(who))
        elif part.startswith("."):
            out.append(r"\.?" + re.escape(part[1:]))
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$", re.DOTALL | re.IGNORECASE)


def split_plan(text: str, who: str) -> dict[str, str] | None:
    """`{"signal", "action"}` from a sentence made from one of PLAN_TEMPLATES, else None."""
    if not who:
        return None
    for template in PLAN_TEMPLATES:
        found = _pattern(template, who).match(text)
        if found:
            return {"signal": found["signal"].strip(), "action": found["action"].strip()}
    return None


def split_closing(text: str) -> dict[str, str] | None:
    for question, labels in CLOSING_LABELS.items():
        for label in labels:
            if text.startswith(label) and text[len(label) :].strip():
                return {"question": question, "answer": text[len(label) :].strip()}
    return None


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def upgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.Text(), nullable=True))
    connection = op.get_bind()
    values = _Values()
    rows = connection.execute(
        sa.select(
            AGREEMENTS.c.id,
            AGREEMENTS.c.case_id,
            AGREEMENTS.c.kind,
            AGREEMENTS.c.text,
            AGREEMENTS.c.who,
            AGREEMENTS.c.person_id,
        ).where(AGREEMENTS.c.kind.in_(("problem_plan", "closing")))
    ).all()
    names: dict[int, list[tuple[int, str | None]]] = {}
    for row in rows:
        text = values.open(row.text)
        if text is None:
            continue
        changes: dict[str, Any] = {}
        if row.kind == "closing":
            detail = split_closing(text)
        else:
            who = values.open(row.who) or ""
            detail = split_plan(text, who)
            if row.person_id is None and who:
                if row.case_id not in names:
                    found = connection.execute(
                        sa.select(PEOPLE.c.id, PEOPLE.c.name).where(PEOPLE.c.case_id == row.case_id)
                    ).all()
                    names[row.case_id] = [(p.id, values.open(p.name)) for p in found]
                person = next(
                    (i for i, name in names[row.case_id] if name and _same_name(name, who)), None
                )
                if person is not None:
                    changes["person_id"] = person
        if detail is not None:
            changes["detail"] = values.seal(detail)
        if changes:
            connection.execute(
                AGREEMENTS.update().where(AGREEMENTS.c.id == row.id).values(**changes)
            )


def downgrade() -> None:
    """The sentences were kept as they were: dropping the parts loses nothing they hold
    (a link to a person made here stays: it is true)."""
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("detail")
