"""Start-up skips Alembic when the database is already at the newest migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.store import migrate
from bot.store.migrate import alembic_config, current_revision, head_revision, upgrade_async


def test_the_head_read_from_the_files_is_alembics() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert head_revision() == script.get_current_head()


async def test_a_new_database_is_migrated_and_an_up_to_date_one_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert await current_revision(url) is None

    await upgrade_async(url)
    assert await current_revision(url) == head_revision()

    def must_not_run(database_url: str, revision: str = "head") -> None:
        raise AssertionError("Alembic ran on a database that was up to date")

    monkeypatch.setattr(migrate, "upgrade", must_not_run)
    await upgrade_async(url)  # at the head: nothing to do, Alembic not involved


async def test_a_database_behind_the_head_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    await upgrade_async(url, "0005")
    assert await current_revision(url) == "0005"

    await upgrade_async(url)

    assert await current_revision(url) == head_revision()


async def test_meeting_reminders_still_open_are_moved_to_open_the_kept_preparation(
    tmp_path: Path,
) -> None:
    """0011: "Open ›" on a meeting reminder set before it showed step 1; now the preparation.
    Done reminders keep their history, and other kinds are left alone."""
    path = tmp_path / "old.db"
    await upgrade_async(f"sqlite:///{path}", "0010")
    rows = [
        (1, "meeting", "pending", "voorbereiden", "why"),
        (2, "meeting", "sent", "voorbereiden", "why"),
        (3, "meeting", "done", "voorbereiden", "why"),
        (4, "followup", "pending", "fase3", "why"),
    ]
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO reminders (id, owner_id, kind, status, open_flow, open_step, due_at,"
            " attempts, next_attempt_at, late, maybe_sent, created_at)"
            " VALUES (?, 1, ?, ?, ?, ?, '2026-12-08', 0, '2026-12-08', 0, 0, '2026-12-07')",
            rows,
        )

    await upgrade_async(f"sqlite:///{path}", "0011")

    with sqlite3.connect(path) as db:
        steps = dict(db.execute("SELECT id, open_step FROM reminders ORDER BY id").fetchall())
    assert steps == {1: "kept", 2: "kept", 3: "why", 4: "why"}
