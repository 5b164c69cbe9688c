"""How long a reminder is sent but not yet recorded as sent: the window in which a crash
(`kill -9`) makes it come twice.

    python -m tests.perf.reminder_window                 # SQLite, in a temporary folder
    python -m tests.perf.reminder_window --database-url postgresql://postgres@127.0.0.1/x

The delivery job (`bot.reminders.delivery`) sends 200 due reminders through the real
Telegram stack (python-telegram-bot, the bot's transport, rate limiter and `Notifier`) to
the stub Bot API on 127.0.0.1, on the real database, first alone and then while a few
practitioners' turns write to it (`--busy`, as many tasks). Per reminder it times, from
the moment the transport has Telegram's answer (the message was accepted):

- "commit sent": the commit leaves for the database: the autocommitted UPDATE, or the
  COMMIT of a transaction. On PostgreSQL the window ends here: the server carries out a
  commit it received even when the client is dead by then.
- "commit done": the database confirmed it (on PostgreSQL including the flush of its
  log); on SQLite, in the process itself, the window ends here.

Printed as percentiles in milliseconds; nothing is asserted. The window also holds the
answer's way back from Telegram, which no code here can shorten. The tables of a
PostgreSQL database are emptied first: never point it at one that holds anything of value.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session
from telegram.ext import ExtBot

from bot.access import telegram_key
from bot.channels.telegram.channel import TelegramNotifier
from bot.channels.telegram.ratelimit import ChatRateLimiter
from bot.channels.telegram.transport import BotApiRequest
from bot.reminders.delivery import for_turns
from bot.runtime import open_runtime
from bot.store.db import is_sqlite
from bot.store.models import Practitioner, utcnow
from bot.store.repo import Repo
from tests.conftest import make_settings
from tests.support.databases import empty_tables
from tests.support.stub_bot_api import StubBotAPI
from tests.support.telegram import TOKEN

USER_IDS = 7000
"""Telegram user ids of the practitioners here: 7000, 7001, ..."""


class Answered(BotApiRequest):
    """The bot's transport, noting when Telegram's answer to each sendMessage is in."""

    answered: list[float]

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        answer = await super().do_request(url, *args, **kwargs)
        if url.endswith("/sendMessage"):
            self.answered.append(time.perf_counter())
        return answer


class Commits:
    """When the commit of each mark left for the database, and when it was done."""

    def __init__(self) -> None:
        self.sent: list[float] = []
        self.done: list[float] = []
        self._marking: set[Any] = set()
        """Connections inside a transaction that wrote a mark and did not commit it yet."""
        self._connection: dict[Session, Any] = {}

    @staticmethod
    def _mark(conn: Any, statement: str) -> bool | None:
        """None: not a mark; True: an autocommitted one; False: one inside a transaction."""
        if not statement.startswith("UPDATE reminders SET status"):
            return None
        return conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"

    def before_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self._mark(conn, statement):
            self.sent.append(time.perf_counter())

    def after_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        autocommit = self._mark(conn, statement)
        if autocommit:
            self.done.append(time.perf_counter())
        elif autocommit is False:
            self._marking.add(conn)

    def after_begin(self, session: Session, _transaction: Any, conn: Any) -> None:
        self._connection[session] = conn

    def commit(self, conn: Any) -> None:
        if conn in self._marking:
            self.sent.append(time.perf_counter())

    def after_commit(self, session: Session) -> None:
        conn = self._connection.pop(session, None)
        if conn in self._marking:
            self._marking.discard(conn)
            self.done.append(time.perf_counter())


async def measure(url: str, reminders: int, busy: int) -> tuple[list[float], list[float]]:
    """The gaps, in milliseconds, from Telegram's answer to the commit sent and done."""
    if not is_sqlite(url):
        await empty_tables(url)
    async with StubBotAPI() as stub, open_runtime(make_settings(url)) as runtime:
        engine = runtime.turns
        due = utcnow() - timedelta(minutes=1)
        people = max(busy, 1)
        async with engine.sessions() as session, session.begin():
            repo = Repo(session)
            owners = []
            for n in range(people):
                stub.user(USER_IDS + n, language_code="nl")
                p = await repo.add_practitioner(telegram_key(USER_IDS + n), "nl", "UTC")
                p.onboarded, p.quiet_start, p.quiet_end = True, 0, 0
                owners.append(p)
            for i in range(reminders):
                owner = owners[i % people]
                await repo.add_reminder(owner, case=None, kind="free", due_at=due, about=f"r{i}")
            ids = [p.id for p in owners]

        commits = Commits()
        hooks: list[tuple[Any, str, Any]] = [
            (runtime.db.sync_engine, "before_cursor_execute", commits.before_execute),
            (runtime.db.sync_engine, "after_cursor_execute", commits.after_execute),
            (runtime.db.sync_engine, "commit", commits.commit),
            (Session, "after_begin", commits.after_begin),
            (Session, "after_commit", commits.after_commit),
        ]
        stop = asyncio.Event()

        async def turns(owner_id: int) -> None:
            """A practitioner at work: short write transactions, one after another."""
            while not stop.is_set():
                async with engine.sessions() as session, session.begin():
                    change = update(Practitioner).where(Practitioner.id == owner_id)
                    await session.execute(change.values(quiet_start=0))
                await asyncio.sleep(0.001)

        request = Answered()
        request.answered = []
        bot = ExtBot(
            TOKEN,
            base_url=stub.base_url,
            request=request,
            rate_limiter=ChatRateLimiter(overall_per_second=10_000, chat_per_second=0),
        )
        for hook in hooks:
            event.listen(*hook)
        workers = [asyncio.create_task(turns(i)) for i in ids[:busy]]
        try:
            async with bot:
                done = await for_turns(engine, TelegramNotifier(bot)).run_once()
        finally:
            stop.set()
            await asyncio.gather(*workers)
            for hook in hooks:
                event.remove(*hook)
        assert done.sent == reminders, done

        def gaps(moments: list[float]) -> list[float]:
            pairs = zip(request.answered, moments, strict=True)
            return [(moment - answered) * 1000 for answered, moment in pairs]

        return gaps(commits.sent), gaps(commits.done)


def report(label: str, gaps: list[float]) -> None:
    gaps = sorted(gaps)

    def at(share: float) -> float:
        return gaps[min(len(gaps) - 1, int(share * len(gaps)))]

    print(
        f"{label:<36} n={len(gaps):<4} median {statistics.median(gaps):7.3f} ms   "
        f"p90 {at(0.9):7.3f}   p99 {at(0.99):7.3f}   max {gaps[-1]:7.3f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reminders", type=int, default=200)
    parser.add_argument("--busy", type=int, default=8, help="practitioners writing meanwhile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for busy in (0, args.busy):
            url = args.database_url or f"sqlite:///{Path(folder) / f'window{busy}.db'}"
            name = "SQLite" if is_sqlite(url) else "PostgreSQL"
            sent, done = await measure(url, args.reminders, busy)
            load = f"{busy} writing" if busy else "idle"
            report(f"{name}, {load}: commit sent", sent)
            report(f"{name}, {load}: commit done", done)


if __name__ == "__main__":
    asyncio.run(main())
