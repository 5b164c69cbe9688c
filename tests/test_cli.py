"""`python -m bot` as operators and `make` run it: a real process, exit codes, stderr.

Each command runs in the test's tmp_path with a clean environment, so a developer's `.env`
or exported settings cannot change the outcome.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import bot.actions  # noqa: F401 - registers what the flows refer to
from bot.cli import fill_from_msgids
from bot.config import PROJECT_ROOT
from bot.engine.loader import load_flows
from bot.engine.registry import registry
from bot.logsetup import REDACTED, RedactFilter
from bot.store.migrate import head_revision
from bot.store.models import Base

pytestmark = pytest.mark.slow

FLOWS = PROJECT_ROOT / "flows"
TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmnop"


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "TELEGRAM_", "DATABASE_"))
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", BOT_LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_flows(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    shutil.copytree(FLOWS, target)
    return target


def line_of(path: Path, prefix: str) -> int:
    """1-based number of the first line starting with `prefix`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(prefix))


def test_flows_check_accepts_the_real_flows(tmp_path: Path) -> None:
    result = cli(tmp_path, "flows", "check")
    assert result.returncode == 0, result.stderr
    flows = load_flows(FLOWS, registry)
    assert result.stdout.strip() == f"OK: {len(flows.flows)} flows, {len(flows.tips())} tips"


def test_flows_check_names_file_and_line_of_an_unknown_step(tmp_path: Path) -> None:
    flows = copy_flows(tmp_path)
    menu = flows / "menu.yaml"
    text = menu.read_text(encoding="utf-8").rstrip("\n") + "\n"
    end = len(text.splitlines())
    menu.write_text(
        text
        + "  broken:\n    buttons:\n      - id: go\n        label: Menu\n        to: nowhere\n",
        encoding="utf-8",
    )
    result = cli(tmp_path, "flows", "check", "--dir", "flows")
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert f"flows/menu.yaml:{end + 3}: unknown step 'nowhere'" in errors
    unreachable = f"flows/menu.yaml:{end + 1}: unreachable step 'broken'"
    assert any(error.startswith(unreachable) for error in errors), errors
    assert result.stdout == ""


def test_flows_check_names_file_and_line_of_a_yaml_syntax_error(tmp_path: Path) -> None:
    flows = copy_flows(tmp_path)
    onboarding = flows / "onboarding.yaml"
    line = line_of(onboarding, "start:")
    lines = onboarding.read_text(encoding="utf-8").splitlines()
    lines[line - 1] = "start: welcome: oops"
    onboarding.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli(tmp_path, "flows", "check", "--dir", "flows")
    assert result.returncode == 1
    prefix = f"flows/onboarding.yaml:{line}: not valid YAML"
    assert any(error.startswith(prefix) for error in result.stderr.splitlines()), result.stderr


def test_flows_diagram_writes_one_mermaid_file_per_flow(tmp_path: Path) -> None:
    result = cli(tmp_path, "flows", "diagram", "--out", "diagrams")
    assert result.returncode == 0, result.stderr
    ids = {flow.id for flow in load_flows(FLOWS, registry)}
    written = {
        path.stem: path.read_text(encoding="utf-8") for path in (tmp_path / "diagrams").iterdir()
    }
    assert set(written) == ids
    for flow_id, diagram in written.items():
        assert diagram.startswith("stateDiagram-v2\n")
        assert "[*] --> " in diagram
        assert f"[{flow_id}.mmd]({flow_id}.mmd)" in result.stdout


def test_db_upgrade_creates_the_tables(tmp_path: Path) -> None:
    result = cli(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert head_revision() in result.stdout
    with sqlite3.connect(tmp_path / "x.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_redact_filter_hides_the_token_in_messages_and_tracebacks() -> None:
    redact = RedactFilter(TOKEN)
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        record = logging.LogRecord(
            "httpx",
            logging.ERROR,
            __file__,
            1,
            "HTTP Request: %s",
            (f"bot{TOKEN}",),
            sys.exc_info(),
        )
    assert redact.filter(record)
    assert record.getMessage() == f"HTTP Request: {REDACTED}"
    assert record.exc_text is not None
    assert TOKEN not in record.exc_text
    assert REDACTED in record.exc_text
    other = "bot987654321:" + "x" * 35
    assert RedactFilter().redact(f"url {other}/send") == f"url {REDACTED}/send"


def test_redact_filter_hides_matrix_secrets_tokens_and_user_ids() -> None:
    redact = RedactFilter(None, ("geheim-wachtwoord",))
    line = (
        "Creating Inbound session for @els.devries:gemeente.nl with syt_ZWxz_abcdefghij_0123; "
        "login geheim-wachtwoord; db postgresql://postgres@127.0.0.1:5432/x"
    )
    assert redact.redact(line) == (
        "Creating Inbound session for @<redacted>:gemeente.nl with <redacted>; "
        "login <redacted>; db postgresql://postgres@127.0.0.1:5432/x"
    )


def test_fill_en_gives_empty_and_fuzzy_entries_their_msgid(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        'msgid "Menu"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Tips"\nmsgstr "Old tips"\n\n'
        'msgid "Help"\nmsgstr "Help me"\n',
        encoding="utf-8",
    )
    assert fill_from_msgids(po) == 2
    text = po.read_text(encoding="utf-8")
    assert 'msgid "Menu"\nmsgstr "Menu"' in text
    assert 'msgid "Tips"\nmsgstr "Tips"' in text
    assert 'msgid "Help"\nmsgstr "Help me"' in text
    assert "fuzzy" not in text
