"""Start-up skips Alembic when the database is already at the newest migration."""

from __future__ import annotations

import asyncio
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


# --- 0012: a plan for when things go wrong kept in its parts ---------------------------------

PLAN_ROWS = [
    # (kind, text, who): the plans of before 0012, in both languages, and ones it cannot read
    ("problem_plan", "Signaal: Moeder slaapt slecht. Dan oma: neemt de kinderen", "oma"),
    ("problem_plan", "Signal: No food at home. Then Gran: cooks along; mother texts her", "Gran"),
    ("problem_plan", "Als moeder ziek is: Oma belt de school", "Oma"),
    ("closing", "Wat het netwerk gaat betekenen: Dat ze blijven langskomen", "parent"),
    ("closing", "Where we are now: Better", "parent"),
    ("expectation", "Oma: komt op woensdag", None),
]


async def _rows_before_0012(url: str) -> None:
    """A family with Oma on the map and the agreements of PLAN_ROWS, written at the head
    (sealed, with the test key), then the schema taken back to 0011."""
    from alembic import command

    from bot.store import crypto
    from bot.store.db import make_engine, make_sessionmaker
    from bot.store.repo import Repo
    from tests.conftest import DATA_KEY

    crypto.use(crypto.Cipher.from_setting(DATA_KEY))
    await upgrade_async(url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            repo = Repo(session)
            owner = await repo.add_practitioner("test:migrate", "nl", "Europe/Amsterdam")
            case = await repo.add_case(owner, "Gezin M.")
            await repo.add_person(case, "Oma", "household", "close", None, "yes")
            for kind, text, who in PLAN_ROWS:
                await repo.add_agreement(case, 4, text, kind=kind, who=who)
    finally:
        await engine.dispose()
    await asyncio.to_thread(command.downgrade, migrate.alembic_config(url), "0011")
    assert await current_revision(url) == "0011"


async def _details(url: str) -> list[tuple[str, dict[str, str] | None, bool]]:
    from sqlalchemy import select

    from bot.store.db import make_engine, make_sessionmaker
    from bot.store.models import Agreement

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            found = await session.execute(select(Agreement).order_by(Agreement.id))
            return [(a.text, a.detail, a.person_id is not None) for a in found.scalars()]
    finally:
        await engine.dispose()


async def _check_0012(url: str) -> None:
    from bot.store import crypto

    before = crypto.active()
    try:
        await _rows_before_0012(url)
        await upgrade_async(url)
        found = await _details(url)
    finally:
        crypto.use(before)
    assert found == [
        (
            PLAN_ROWS[0][1],
            {"signal": "Moeder slaapt slecht", "action": "neemt de kinderen"},
            True,
        ),
        (
            PLAN_ROWS[1][1],
            {"signal": "No food at home", "action": "cooks along; mother texts her"},
            False,
        ),
        (PLAN_ROWS[2][1], None, True),  # left as text, but linked to Oma
        (
            PLAN_ROWS[3][1],
            {"question": "network_meaning", "answer": "Dat ze blijven langskomen"},
            False,
        ),
        (PLAN_ROWS[4][1], {"question": "where_now", "answer": "Better"}, False),
        (PLAN_ROWS[5][1], None, False),
    ]


async def test_0012_keeps_the_parts_of_plans_it_can_read_on_sqlite(tmp_path: Path) -> None:
    await _check_0012(f"sqlite:///{tmp_path / 'plans.db'}")


async def test_0012_keeps_the_parts_of_plans_it_can_read_on_postgresql() -> None:
    """In a database of its own beside TEST_DATABASE_URL (the session's is at the head)."""
    import os

    from sqlalchemy.engine import make_url

    from tests.support.databases import create_database, reset_schema

    base = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    own = make_url(base)
    url = own.set(database=f"{own.database}_m0012").render_as_string(hide_password=False)
    await create_database(url, via=base)
    await reset_schema(url)
    await _check_0012(url)
