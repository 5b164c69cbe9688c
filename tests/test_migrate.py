"""Start-up skips Alembic when the database is already at the newest migration."""

from __future__ import annotations

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
