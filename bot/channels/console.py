"""The flows in a terminal, on the same database as the bot: for trying content without a
Telegram token, and for demos on a laptop.

One fixed practitioner talks here, so what you do in the console is what a second start
of the console resumes. Buttons become numbered choices (`bot.channels.choices`, as on
Matrix); typing the number or the start of a label presses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.access import CONSOLE_KEY
from bot.channels.choices import flatten, numbered_lines, pick
from bot.channels.plain import to_terminal
from bot.channels.wording import Wording
from bot.config import PROJECT_ROOT, Settings
from bot.engine.events import (
    Attachment,
    Command,
    Event,
    Identity,
    Outcome,
    Press,
    Reply,
    ReplyButton,
    Text,
)
from bot.reminders.delivery import for_turns as reminder_job
from bot.reminders.delivery import run_periodically as deliver_reminders
from bot.retention import RetentionJob
from bot.runtime import open_runtime
from bot.turns import Turns

LOCAL = Identity(CONSOLE_KEY, "nl")
GOODBYE = {"nl": "Tot ziens!", "en": "Goodbye!"}
PROMPT = "› "


def parse(line: str, choices: list[ReplyButton]) -> Event | None:
    """What a typed line means; None for an empty line (show the choices again)."""
    text = line.strip()
    if not text:
        return None
    if text.startswith("/"):
        name, _, arg = text[1:].partition(" ")
        return Command(name.lower(), arg.strip())
    chosen = pick(text, choices)
    if chosen is not None:
        return Press(chosen.data)
    return Text(text)


EXPORTS = PROJECT_ROOT / "data" / "exports"


def save_attachment(attachment: Attachment, folder: Path = EXPORTS) -> Path:
    """A terminal cannot show a file: it is written under data/exports and its path shown."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(attachment.filename).name
    path.write_bytes(attachment.content)
    return path


def delete_exports(folder: Path = EXPORTS) -> None:
    """After /vergeet nothing of the practitioner may stay on disk: the console's one
    practitioner owns every file it wrote there."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file():
                path.unlink()


async def readline(stdin: TextIO) -> str:
    """One line, or "" at end of input, without blocking the event loop.

    A daemon thread rather than `asyncio.to_thread`: a pool thread stuck in `readline`
    would keep the process waiting for Enter after Ctrl-C.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def deliver(line: str) -> None:
        if not future.done():
            future.set_result(line)

    def read() -> None:
        try:
            line = stdin.readline()
        except (OSError, ValueError):  # closed or unreadable: treat as the end
            line = ""
        with contextlib.suppress(RuntimeError):  # the loop already closed
            loop.call_soon_threadsafe(deliver, line)

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return await future


@dataclass
class Screen:
    """What the terminal shows, and the choices the last message offered."""

    out: TextIO
    ansi: bool
    language: str = LOCAL.language_code or "nl"
    choices: list[ReplyButton] = field(default_factory=list)
    exports: Path = EXPORTS
    wording: Callable[[str], str] = str
    """The engine's lines about buttons in the console's words (`bot.channels.wording`)."""

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, outcome: Outcome) -> None:
        self.language = outcome.language
        if outcome.erased:
            delete_exports(self.exports)
        self.write("")
        if outcome.notice:
            self.write(self.wording(outcome.notice))
        for attachment in outcome.attachments:
            self.write(f"📎 {save_attachment(attachment, self.exports)}")
        for reply in outcome.replies:
            self.write(to_terminal(self.wording(reply.text), ansi=self.ansi))
        if outcome.replies:
            self.choices = flatten(outcome.replies[-1].buttons)
        self.show_choices()

    def show_choices(self) -> None:
        for line in numbered_lines(self.choices):
            self.write("  " + line)

    def prompt(self) -> None:
        if self.ansi:
            self.out.write(PROMPT)
            self.out.flush()

    def goodbye(self) -> None:
        self.write("\n" + GOODBYE.get(self.language, GOODBYE["en"]))


@dataclass
class ScreenNotifier:
    """The console's `Notifier`: a reminder for the local practitioner is printed."""

    screen: Screen

    async def notify(self, practitioner_key: str, message: Reply) -> bool:
        if practitioner_key != LOCAL.key:
            return False
        if message.buttons:  # a reminder: its buttons become the numbered choices
            self.screen.show(Outcome((message,), language=self.screen.language))
            self.screen.prompt()
        else:
            self.screen.write(to_terminal(message.text, ansi=self.screen.ansi))
        return True


async def converse(turns: Turns, stdin: TextIO, screen: Screen) -> None:
    """Start (or resume) the conversation, then one turn per typed line."""
    screen.show(await turns.handle(LOCAL, Command("start")))
    while True:
        screen.prompt()
        line = await readline(stdin)
        if not line:
            return
        event = parse(line, screen.choices)
        if event is None:
            screen.show_choices()
            continue
        screen.show(await turns.handle(LOCAL, event))


async def run_console(
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    exports: Path = EXPORTS,
) -> None:
    """Run until end of input (Ctrl-D) or Ctrl-C; everything is committed per line, so
    stopping at any moment loses nothing that was answered."""
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    ansi = stdout.isatty() and "NO_COLOR" not in os.environ
    screen = Screen(stdout, ansi, exports=exports)
    async with open_runtime(settings) as runtime:
        turns = runtime.turns
        screen.wording = Wording(turns.catalogs)
        # The Telegram bot does this every hour; the console once, when it starts.
        await RetentionJob(
            turns.sessions, turns.catalogs, settings, ScreenNotifier(screen)
        ).run_once()
        # Due reminders appear between the lines typed, as in the Telegram bot.
        reminders = asyncio.create_task(
            deliver_reminders(reminder_job(turns, ScreenNotifier(screen))), name="reminders"
        )
        try:
            await converse(turns, stdin, screen)
        except asyncio.CancelledError:  # Ctrl-C under asyncio.run
            screen.goodbye()
            raise
        finally:
            reminders.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reminders
        screen.goodbye()
