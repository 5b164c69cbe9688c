"""`python -m bot run` with Matrix settings: a missing or wrong setting is named before
anything starts, and a refused password is reported without the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot.config import get_settings
from tests.support.synapse import Synapse

PASSWORD = "geheim-wachtwoord-123"


def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> int:
    for name in ("TELEGRAM_BOT_TOKEN", "MATRIX_ALLOWED_USERS", "MATRIX_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("MATRIX_STORE_DIR", str(tmp_path / "matrix"))
    monkeypatch.setenv("BOT_LOG_LEVEL", "WARNING")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no developer's .env
    get_settings.cache_clear()
    try:
        return cli.main(["run"])
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MATRIX_HOMESERVER": "https://matrix.gemeente.nl"}, "MATRIX_USER_ID"),
        (
            {"MATRIX_HOMESERVER": "https://matrix.gemeente.nl", "MATRIX_USER_ID": "netwerkcoach"},
            "MATRIX_USER_ID",
        ),
        ({"MATRIX_HOMESERVER": "matrix.gemeente.nl"}, "MATRIX_HOMESERVER"),
        (
            {
                "MATRIX_HOMESERVER": "https://matrix.gemeente.nl",
                "MATRIX_USER_ID": "@netwerkcoach:gemeente.nl",
                "MATRIX_ACCESS_TOKEN": "syt_abc",
            },
            "MATRIX_DEVICE_ID",
        ),
        ({"MATRIX_ALLOWED_USERS": "els"}, "MATRIX_ALLOWED_USERS"),
        ({"MATRIX_ALLOWED_SERVERS": "gemeente nl/x"}, "MATRIX_ALLOWED_SERVERS"),
    ],
)
def test_a_missing_or_wrong_setting_is_named(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    named: str,
) -> None:
    assert run(monkeypatch, tmp_path, **env) == 2
    assert named in capsys.readouterr().err


def test_a_refused_password_is_reported_without_it(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    synapse: Synapse,
) -> None:
    code = run(
        monkeypatch,
        tmp_path,
        MATRIX_HOMESERVER=synapse.url,
        MATRIX_USER_ID="@nobody:localhost",
        MATRIX_PASSWORD=PASSWORD,
    )
    output = capsys.readouterr()
    assert code == 2
    assert "MATRIX_PASSWORD was refused for @nobody:localhost" in output.err
    assert PASSWORD not in output.err + output.out


def test_without_password_or_token_the_first_login_is_explained(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    synapse: Synapse,
) -> None:
    code = run(
        monkeypatch, tmp_path, MATRIX_HOMESERVER=synapse.url, MATRIX_USER_ID="@nobody:localhost"
    )
    assert code == 2
    assert "MATRIX_PASSWORD is not set" in capsys.readouterr().err
