"""The operator's commands: `admin list`, `admin counts`, `admin revoke`, `invite` and
`retention run`, through the CLI's own handlers (and one real process). They show who and
how much, never labels or notes; revoking asks first and keeps the practitioner out."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bot.access import NO_ACCESS, telegram_key
from bot.cli import build_parser
from bot.config import Settings
from bot.engine.events import Identity
from bot.runtime import open_runtime
from tests.conftest import make_settings
from tests.support.chat import Chat
from tests.support.data import seed_case
from tests.test_cli import cli

ALICE, BOB = 5001, 5002
LABELS = ("Fam. A", "Fam. Ö", "Fam. Z", "Oma", "woensdag")


def run(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.handler(settings, args)
    return result


async def _seed(settings: Settings) -> tuple[int, int]:
    """Alice with two families, Bob with one; returns their internal ids."""
    async with open_runtime(settings, migrate=False, check_translations=False) as rt:
        ids = []
        for user_id, labels in ((ALICE, ("Fam. A", "Fam. Ö")), (BOB, ("Fam. Z",))):
            chat = Chat(rt.turns, Identity(telegram_key(user_id), "nl"))
            await chat.send("/start")
            for label in labels:
                await seed_case(rt.turns, chat.who.key, label)
            p = await chat.practitioner()
            assert p is not None
            ids.append(p.id)
        return ids[0], ids[1]


async def _refused(settings: Settings, user_id: int) -> bool:
    """Whether /start from this Telegram user gets exactly the refusal."""
    async with open_runtime(settings, migrate=False, check_translations=False) as rt:
        outcome = await Chat(rt.turns, Identity(telegram_key(user_id), "nl")).send("/start")
        refusal = rt.turns.catalogs.get("nl").gettext(NO_ACCESS)
        return [reply.text for reply in outcome.replies] == [refusal]


@pytest.fixture
def seeded(database_url: str) -> tuple[Settings, int, int]:
    settings = make_settings(database_url, BOT_ALLOWED_USERS=f"{ALICE},{BOB}")
    alice, bob = asyncio.run(_seed(settings))
    return settings, alice, bob


def test_list_and_counts_show_who_and_how_much_never_what(
    seeded: tuple[Settings, int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, alice, bob = seeded
    assert run(settings, "admin", "list") == 0
    listed = capsys.readouterr().out
    lines = listed.splitlines()
    assert lines[0].split() == ["id", "telegram", "language", "since", "cases"]
    assert re.fullmatch(rf"\s*{alice}\s+{ALICE}\s+nl\s+\d{{4}}-\d\d-\d\d\s+2", lines[1])
    assert re.fullmatch(rf"\s*{bob}\s+{BOB}\s+nl\s+\d{{4}}-\d\d-\d\d\s+1", lines[2])

    assert run(settings, "admin", "counts") == 0
    counted = capsys.readouterr().out
    numbers = {line[:15].strip(): int(line[15:]) for line in counted.splitlines()}
    assert numbers == {
        "practitioners": 2,
        "open cases": 3,
        "closed cases": 0,
        "people": 3,
        "agreements": 3,
        "valid invites": 0,
    }
    for text in LABELS:
        assert text not in listed + counted


def test_revoke_asks_first_then_deletes_everything_and_keeps_them_out(
    seeded: tuple[Settings, int, int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, alice, _bob = seeded
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda _question: next(answers))

    assert run(settings, "admin", "revoke", str(alice)) == 1  # "n"
    assert "Nothing changed." in capsys.readouterr().out
    assert run(settings, "admin", "counts") == 0
    assert "practitioners        2" in capsys.readouterr().out

    assert run(settings, "admin", "revoke", str(alice)) == 0  # "y"
    said = capsys.readouterr().out
    assert f"({ALICE}): 2 case(s), 2 people, 2 agreement(s)" in said
    assert f"Also remove {ALICE} from BOT_ALLOWED_USERS" in said
    assert run(settings, "admin", "counts") == 0
    numbers = {line[:15].strip(): int(line[15:]) for line in capsys.readouterr().out.splitlines()}
    assert numbers["practitioners"] == 1 and numbers["open cases"] == 1
    assert numbers["people"] == 1 and numbers["agreements"] == 1

    assert asyncio.run(_refused(settings, ALICE))  # on the allow-list still, but refused
    assert not asyncio.run(_refused(settings, BOB))
    assert run(settings, "admin", "revoke", str(alice), "--yes") == 1  # gone already
    assert "No practitioner with id" in capsys.readouterr().err


def test_revoke_with_yes_needs_no_answer(
    seeded: tuple[Settings, int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _alice, bob = seeded
    assert run(settings, "admin", "revoke", str(bob), "--yes") == 0
    assert "Revoked" in capsys.readouterr().out
    assert asyncio.run(_refused(settings, BOB))


@pytest.mark.slow
def test_invite_and_admin_as_a_process(tmp_path: Path) -> None:
    """Without a token the invite names `/start <code>`; the code works once."""
    made = cli(tmp_path, "invite", "--days", "3")
    assert made.returncode == 0, made.stderr
    [code] = re.findall(r"Invite code: (\S+)", made.stdout)
    assert f"/start {code}" in made.stdout
    assert "t.me" not in made.stdout
    counts = cli(tmp_path, "admin", "counts")
    assert counts.returncode == 0, counts.stderr
    assert re.search(r"valid invites\s+1", counts.stdout)
    assert cli(tmp_path, "invite", "--days", "0").returncode == 2
    assert cli(tmp_path, "admin", "list").stdout.strip() == "No practitioners yet."
    ran = cli(tmp_path, "retention", "run")
    assert ran.returncode == 0, ran.stderr
    assert "0 closed case(s) deleted" in ran.stdout
