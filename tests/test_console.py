"""The console channel: the real flows in a terminal, on a real SQLite file.

The console refuses to start while the Dutch catalog has gaps (like the bot), and these
tests are about the console, not the catalog (`flows check` is). So they run on a copy of
the catalogs where a missing Dutch text is its English msgid; once the catalog is complete
the copy is identical and the Dutch texts are what is checked.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

import bot.actions  # noqa: F401 - registers what the flows refer to
from bot.channels.console import GOODBYE, run_console, to_terminal
from bot.config import PROJECT_ROOT
from bot.engine.loader import load_flows
from bot.engine.registry import registry
from bot.i18n import Catalogs
from tests.conftest import make_settings

FLOWS = PROJECT_ROOT / "flows"
LABEL = "<b>Fam</b> K"


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(PROJECT_ROOT / "locales", target)
    path = target / "nl" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    for _, _, msgid in load_flows(FLOWS, registry).msgids():
        message = catalog.get(msgid)
        if message is None:
            catalog.add(msgid, msgid)
        elif not message.string or message.fuzzy:
            message.string = msgid
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return target


def first_line(locales: Path, flow: str, step: str) -> str:
    """How the console shows the first line of a step's Dutch text."""
    say = load_flows(FLOWS, registry)[flow].step(step).say
    assert say is not None
    dutch = Catalogs(locales).get("nl").gettext(say)
    return to_terminal(dutch, ansi=False).splitlines()[0]


async def test_onboarding_in_the_console(tmp_path: Path, locales: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'c.db'}", BOT_LOCALES_DIR=locales)
    stdin = io.StringIO(f"1\n\n1\n{LABEL}\n")
    stdout = io.StringIO()
    await run_console(settings, stdin=stdin, stdout=stdout)
    shown = stdout.getvalue()

    welcome = shown.index(first_line(locales, "onboarding", "welcome"))
    privacy = shown.index(first_line(locales, "onboarding", "privacy"))
    ask_label = shown.index(first_line(locales, "onboarding", "first_case"))
    menu = shown.index(first_line(locales, "menu", "main"), ask_label)
    assert welcome < privacy < ask_label < menu
    assert "\n  1. " in shown[welcome:privacy]
    # The empty line showed the privacy step's choices again, without a new message.
    assert shown[privacy:ask_label].count("\n  1. ") == 2
    # The label typed at the label step is the active family in the menu, shown literally.
    assert LABEL in shown[menu:]
    assert "&lt;" not in shown
    assert "\x1b[" not in shown
    assert shown.rstrip().endswith(GOODBYE["nl"])


class ConsoleProcess:
    """`python -m bot chat` with piped stdin and stdout, read as it arrives."""

    def __init__(self, tmp_path: Path, locales: Path) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("BOT_", "TELEGRAM_", "DATABASE_"))
        }
        env.update(
            DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}",
            BOT_LOCALES_DIR=str(locales),
            BOT_LOG_LEVEL="WARNING",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.read1(4096):
            with self._lock:
                self._output += chunk

    @property
    def output(self) -> str:
        with self._lock:
            return self._output.decode("utf-8", errors="replace")

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                pytest.fail(f"{text!r} not shown; got:\n{self.output}")
            time.sleep(0.05)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        """End of input, as Ctrl-D: the console says goodbye and exits."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self._reader.join(timeout=30)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=30)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def start_console(tmp_path: Path, locales: Path) -> Iterator[Callable[[], ConsoleProcess]]:
    started: list[ConsoleProcess] = []

    def start() -> ConsoleProcess:
        started.append(ConsoleProcess(tmp_path, locales))
        return started[-1]

    yield start
    for process in started:
        process.kill()  # nothing to kill once it ended; its pipes are closed either way


@pytest.mark.slow
def test_killed_console_resumes_at_the_same_step(
    start_console: Callable[[], ConsoleProcess], locales: Path
) -> None:
    welcome = first_line(locales, "onboarding", "welcome")
    privacy = first_line(locales, "onboarding", "privacy")
    ask_label = first_line(locales, "onboarding", "first_case")

    first = start_console()
    first.wait_for(welcome)
    first.send("1")
    first.wait_for(privacy)
    first.send("1")
    first.wait_for(ask_label)  # shown only after the step was committed
    first.kill()

    second = start_console()
    second.wait_for(ask_label)
    second.close()
    assert welcome not in second.output
    assert privacy not in second.output
    assert second.proc.returncode == 0
    assert second.output.rstrip().endswith(GOODBYE["nl"])


async def test_forgetting_everything_deletes_the_exported_files(
    tmp_path: Path, locales: Path
) -> None:
    """/export writes a file the terminal can point at; /vergeet "everything" removes it,
    so nothing of the practitioner stays on disk."""
    settings = make_settings(f"sqlite:///{tmp_path / 'c.db'}", BOT_LOCALES_DIR=locales)
    exports = tmp_path / "exports"
    export = io.StringIO(f"1\n\n1\n{LABEL}\n/export\n1\n")
    await run_console(settings, stdin=export, stdout=io.StringIO(), exports=exports)
    assert [path.suffix for path in exports.iterdir()] == [".json"]

    forget = io.StringIO("/vergeet\n2\n1\n")
    shown = io.StringIO()
    await run_console(settings, stdin=forget, stdout=shown, exports=exports)
    assert "📎" not in shown.getvalue()
    assert list(exports.iterdir()) == []


async def test_the_console_speaks_of_numbered_choices_not_buttons(
    tmp_path: Path, locales: Path
) -> None:
    from bot.channels.wording import CHOICE_WORDS
    from bot.engine.messages import USE_BUTTONS
    from bot.i18n import Catalogs

    settings = make_settings(f"sqlite:///{tmp_path / 'c.db'}", BOT_LOCALES_DIR=locales)
    shown = io.StringIO()
    await run_console(settings, stdin=io.StringIO("hallo\n"), stdout=shown)
    dutch = Catalogs(locales).get("nl").gettext
    assert dutch(CHOICE_WORDS[USE_BUTTONS]) in shown.getvalue()
    assert dutch(USE_BUTTONS) not in shown.getvalue()
