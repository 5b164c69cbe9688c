"""`make bench`: the real bot against a local stub Bot API, beside two baselines.

    python -m tests.perf.bench                      # SQLite, 200 practitioners
    python -m tests.perf.bench --database-url postgresql://postgres@127.0.0.1/netwerkcoach_bench
    python -m tests.perf.bench --smoke              # a few users for a few seconds
    python -m tests.perf.bench --database-url postgresql://…/netwerkcoach_bench --webhook
                                                    # also two replicas in webhook mode
    python -m tests.perf.bench --channel matrix     # Matrix: 20 practitioners in encrypted
                                                    # chats on a local Synapse, beside an echo
                                                    # bot (tests/perf/matrix_bench.py)

The stub Bot API (tests/support/stub_bot_api.py) runs in this process on 127.0.0.1; each
bot runs as its own process pointed at it with TELEGRAM_API_BASE_URL, exactly as in
production (`python -m bot run`). Simulated practitioners send real update JSON and wait
for the bot's reply in their chat. Latency is measured from the moment an update is queued
for getUpdates to the moment the bot's first reply for that chat reaches the stub.

Loads, each bounded in time:
- saturation: every practitioner answers as soon as the bot replied; one who finished the
  script is replaced by a new one, so the number of concurrent practitioners stays put.
- paced: every practitioner sends one update every `--interval` seconds (200 users every
  2 s is about 100 updates/s offered), after an unmeasured warm-up (onboarding).

`--webhook` (PostgreSQL only) adds Netwerkcoach as two replicas in webhook mode on one
database: the stub then posts each update to a replica, in turn, like a load balancer in
front of them, and the latency runs from the post to the first reply.

Netwerkcoach runs with BOT_RATE_LIMIT=0 and BOT_CHAT_RATE=0 here, because neither baseline
has a rate limiter; `--production-limits` adds a run with the production defaults.
Everything is printed as a table and, last, as one line of JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from bot.config import PROJECT_ROOT, Settings
from bot.runtime import load_content
from bot.store.crypto import configure_data_key
from bot.store.db import is_sqlite, make_engine
from bot.store.migrate import upgrade_async
from bot.store.models import Agreement, Case, Person, Practitioner
from tests.perf.procstat import children, cpu_seconds, machine, memory_mb
from tests.perf.scripts import PRESS, PRESS_HAVING, SEND, Action, Netwerkcoach, questionnaire_script
from tests.support.databases import create_database, reset_schema
from tests.support.stub_bot_api import BotOutput, SimUser, StubBotAPI, _Chat
from tests.support.telegram import TOKEN, Texts
from tests.support.webhook import free_port, post_update

OURS, PTB, AIOGRAM = "netwerkcoach", "ptb", "aiogram"
WEBHOOK = "netwerkcoach_webhook"
REPLICAS = 2
HEADERS = {WEBHOOK: f"webhook ×{REPLICAS}"}
USER_BASE = 100_000_000  # simulated practitioners' Telegram ids: USER_BASE + n
SEED_BASE = 200_000_000  # practitioners seeded straight into the database
RENDER_USER = 300_000_001  # owner of the case with 40 people and 100 agreements
STARTUP_TIMEOUT = 60.0
REPLY_TIMEOUT = 20.0
DRIVER_BUSY = 0.9  # share of one core above which the driver may be the bottleneck

TARGETS = {
    "ratio_vs_ptb": 1.0,
    "ratio_vs_aiogram": 1.0,
    "paced_p99_ms": 50.0,
    "peak_rss_10k_cases_mb": 150.0,
    "startup_s": 2.0,
}


# --- the stub, with timing ------------------------------------------------------------------


class BenchStub(StubBotAPI):
    """The stub Bot API, noting when each chat's update was queued and first answered."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_at: dict[int, float] = {}
        self.samples: list[tuple[float, float]] = []  # (answered at, latency)
        self.first_poll: float | None = None

    async def _emit(self, chat: _Chat, output: BotOutput) -> None:
        queued = self.sent_at.pop(chat.chat_id, None)
        if queued is not None:
            now = time.perf_counter()
            self.samples.append((now, now - queued))
        await super()._emit(chat, output)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.first_poll is None:
            self.first_poll = time.perf_counter()
        return await super()._get_updates(params)


class WebhookStub(BenchStub):
    """The stub for bots in webhook mode: an update is posted to a replica (each in turn,
    as a load balancer would), and again to the next one until one answers 200, as
    Telegram does. The post returns once the update is applied and answered."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret
        self.ports: list[int] = []
        self.webhooks_set = 0
        self._turn = itertools.count()
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> WebhookStub:
        await super().__aenter__()
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()
        await super().__aexit__(*exc)

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhooks_set += 1
        return await super()._set_webhook(params)

    async def _enqueue(self, kind: str, payload: dict[str, Any]) -> None:
        assert self._http is not None
        update = {"update_id": next(self._update_ids), kind: payload}
        for _attempt in range(100):
            port = self.ports[next(self._turn) % len(self.ports)]
            if await post_update(self._http, port, update, secret=self.secret) == 200:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"update {update['update_id']} was never acknowledged")


# --- the bots under test -----------------------------------------------------------------


@dataclass
class BotSpec:
    name: str
    module: str
    env: dict[str, str]
    script: Callable[[int], list[Action]]
    warmup_actions: int = 0
    """Actions of each script done before a paced window (onboarding), not measured."""


@dataclass
class Running:
    spec: BotSpec
    process: asyncio.subprocess.Process
    log: Path
    startup_s: float
    replicas: list[tuple[asyncio.subprocess.Process, Path]] = field(default_factory=list)
    """Further processes of the same bot (webhook mode), each with its log."""

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def pids(self) -> list[int]:
        return [self.process.pid, *(process.pid for process, _log in self.replicas)]

    @property
    def processes(self) -> list[tuple[asyncio.subprocess.Process, Path]]:
        return [(self.process, self.log), *self.replicas]


def base_env(work: Path) -> dict[str, str]:
    """The environment without the developer's own bot settings (a real token, say)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "TELEGRAM_")) and k != "DATABASE_URL"
    }
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["HOME"] = env.get("HOME", str(work))
    return env


DATA_KEY = "bmV0d2Vya2NvYWNoLWJlbmNoLW5vdC1hLXNlY3JldCE="  # b"netwerkcoach-bench-not-a-secret!"
"""A fixed Fernet key (not a secret: the data is made up): family data is encrypted at
rest as in production."""


def our_env(database_url: str, *, production_limits: bool = False) -> dict[str, str]:
    """Development mode: with no allow-list and no invite, everyone may use the bot (the
    simulated practitioners); otherwise as in production, data key included."""
    env = {
        "DATABASE_URL": database_url,
        "BOT_ENV": "development",
        "BOT_CALLBACK_SECRET": "bench-secret",
        "BOT_POLLING_TIMEOUT": "10",
        "BOT_LOG_LEVEL": "INFO",
    }
    if "data_key" in Settings.model_fields:
        env["BOT_DATA_KEY"] = DATA_KEY
    if not production_limits:
        env |= {"BOT_RATE_LIMIT": "0", "BOT_CHAT_RATE": "0"}
    return env


async def start_bot(spec: BotSpec, stub: BenchStub, work: Path) -> Running:
    """Start the bot as its own process; start-up lasts until its first getUpdates."""
    log = work / f"{spec.name}.log"
    env = base_env(work) | spec.env
    env["TELEGRAM_BOT_TOKEN"] = TOKEN
    env["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{stub.port}"
    stub.first_poll = None
    with log.open("wb") as out:
        began = time.perf_counter()
        # BENCH_CPROFILE=file: Netwerkcoach under cProfile (for finding costs, not timing).
        cprofile = os.environ.get("BENCH_CPROFILE") if spec.module == "bot" else None
        process = await asyncio.create_subprocess_exec(
            sys.executable, *(["-m", "cProfile", "-o", cprofile] if cprofile else []),
            "-m", spec.module, *(["run"] if spec.module == "bot" else []),
            cwd=work, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
        )  # fmt: skip
    deadline = began + STARTUP_TIMEOUT
    while stub.first_poll is None:
        if process.returncode is not None or time.perf_counter() > deadline:
            if process.returncode is None:
                process.kill()
            await process.wait()
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{spec.name} did not start polling:\n{tail}")
        await asyncio.sleep(0.005)
    return Running(spec, process, log, stub.first_poll - began)


async def start_replicas(spec: BotSpec, stub: WebhookStub, work: Path) -> Running:
    """`REPLICAS` processes of the bot in webhook mode, each on its own port; start-up lasts
    until the last one has set its webhook."""
    stub.ports = [free_port() for _ in range(REPLICAS)]
    stub.webhooks_set = 0
    started: list[tuple[asyncio.subprocess.Process, Path]] = []
    began = time.perf_counter()
    for n, port in enumerate(stub.ports):
        log = work / f"{spec.name}-{n}.log"
        env = base_env(work) | spec.env | {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{stub.port}",
            "BOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "BOT_WEBHOOK_SECRET": stub.secret,
            "BOT_WEBHOOK_PORT": str(port),
        }  # fmt: skip
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=work, env=env,
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
            )  # fmt: skip
        started.append((process, log))
    deadline = began + STARTUP_TIMEOUT
    while stub.webhooks_set < REPLICAS:
        if any(p.returncode is not None for p, _ in started) or time.perf_counter() > deadline:
            for process, _log in started:
                if process.returncode is None:
                    process.kill()
                await process.wait()
            tails = "\n".join(log.read_text(errors="replace")[-1500:] for _p, log in started)
            raise RuntimeError(f"{spec.name} did not set its webhooks:\n{tails}")
        await asyncio.sleep(0.005)
    (first, first_log), *others = started
    return Running(spec, first, first_log, time.perf_counter() - began, others)


async def stop_bot(running: Running) -> tuple[float, int]:
    """SIGTERM, and the peak RSS (MiB, the largest process's) read just before; also the
    number of ERROR lines."""
    peak = max(memory_mb(pid)[1] for pid in running.pids)
    errors = 0
    for process, log in running.processes:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        errors += sum(" ERROR " in line for line in log.read_text(errors="replace").split("\n"))
    return peak, errors


# --- simulated practitioners --------------------------------------------------------------


@dataclass
class Counters:
    timeouts: int = 0
    mismatches: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        if len(self.failures) < 5:
            self.failures.append(what)


class Crowd:
    """Creates simulated practitioners and makes them act."""

    def __init__(
        self, stub: BenchStub, script: Callable[[int], list[Action]], user_base: int
    ) -> None:
        self.stub = stub
        self.script = script
        self.user_base = user_base
        self.next = 0
        self.counters = Counters()
        self.stopping = False
        self.limit: int | None = None  # at most this many practitioners (seeded ones)

    def new(self) -> tuple[SimUser, list[Action]] | None:
        index = self.next
        if self.limit is not None and index >= self.limit:
            return None
        self.next += 1
        return self.stub.user(self.user_base + index), self.script(index)

    async def act(self, user: SimUser, action: Action, last: BotOutput | None) -> BotOutput:
        self.stub.sent_at[user.chat_id] = time.perf_counter()
        if action.kind == SEND:
            await user.send(action.arg)
        elif action.kind == PRESS:
            await user.press(action.arg)
        else:
            assert action.kind == PRESS_HAVING
            labels = last.flat_buttons if last is not None else []
            label = next((b for b in labels if action.arg in b), None)
            if label is None:
                raise AssertionError(f"no button with {action.arg!r} in {labels}")
            await user.press(label)
        out = await user.reply(timeout=REPLY_TIMEOUT)
        if action.expect is not None and action.expect not in (out.text or ""):
            self.counters.mismatches += 1
            self.counters.fail(f"expected {action.expect[:40]!r}: {out.describe()[:160]}")
        return out

    async def walk(self, user: SimUser, actions: list[Action], pace: Pace | None = None) -> bool:
        """Do `actions`; False when the bot did not answer as expected (user abandoned)."""
        last: BotOutput | None = None
        for action in actions:
            if self.stopping:
                return True
            if pace is not None and not await pace.wait():
                return True
            try:
                last = await self.act(user, action, last)
            except AssertionError as err:
                if "no bot output within" in str(err):
                    self.counters.timeouts += 1
                self.counters.fail(str(err)[:200])
                return False
        return True

    async def saturate(self) -> None:
        """One slot: practitioners one after another, each answering at once."""
        while not self.stopping:
            made = self.new()
            if made is None:
                return
            await self.walk(*made)


class Pace:
    """One update every `interval` seconds, from `start`, until `end`; no catching up."""

    def __init__(self, start: float, interval: float, end: float) -> None:
        self.at, self.interval, self.end = start, interval, end

    async def wait(self) -> bool:
        now = time.perf_counter()
        if self.at >= self.end:
            return False
        if self.at > now:
            await asyncio.sleep(self.at - now)
        self.at = max(self.at + self.interval, time.perf_counter())
        return True


# --- one measured window --------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


def latency_ms(latencies: list[float]) -> dict[str, float]:
    """p50, p95, p99 and the maximum of sorted latencies (seconds), in milliseconds."""
    return {f"p{p}": round(percentile(latencies, p) * 1000, 1) for p in (50, 95, 99)} | {
        "max": round(latencies[-1] * 1000, 1) if latencies else math.nan
    }


@dataclass
class Window:
    """One measured stretch. The driver's own garbage collector waits while it is open:
    this process holds every simulated chat and sample, and its full collections paused it
    for 60 to 240 ms, long enough to count as a reply that late (the bot had answered in
    a few ms). What the driver throws away in the meantime is freed at `close`."""

    start: float
    bot_cpu: float
    driver_cpu: float

    @classmethod
    def open(cls, pids: list[int]) -> Window:
        gc.disable()
        return cls(time.perf_counter(), sum(map(cpu_seconds, pids)), cpu_seconds())

    def close(self, stub: BenchStub, pids: list[int], crowd: Crowd) -> dict[str, Any]:
        """The bot's CPU is that of all its processes (the replicas in webhook mode)."""
        end = time.perf_counter()
        gc.enable()
        bot_cpu = sum(map(cpu_seconds, pids)) - self.bot_cpu
        driver_cpu = cpu_seconds() - self.driver_cpu
        wall = end - self.start
        latencies = sorted(lat for at, lat in stub.samples if self.start <= at <= end)
        n = len(latencies)
        return {
            "updates": n,
            "seconds": round(wall, 2),
            "updates_per_s": round(n / wall, 1),
            "latency_ms": latency_ms(latencies),
            "cpu_s_per_1000_updates": round(bot_cpu / n * 1000, 2) if n else math.nan,
            "bot_cpu_share": round(bot_cpu / wall, 2),
            "driver_cpu_share": round(driver_cpu / wall, 2),
            "timeouts": crowd.counters.timeouts,
            "wrong_replies": crowd.counters.mismatches,
        }


async def finish(crowd: Crowd, tasks: list[asyncio.Task[Any]]) -> None:
    crowd.stopping = True
    _done, pending = await asyncio.wait(tasks, timeout=REPLY_TIMEOUT + 5)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def long_enough(stub: BenchStub, start: float, duration: float) -> None:
    """Wait out a window of `duration`, and longer (up to 10 s) while no reply came in it:
    a window without a reply has no figures. The smoke test's windows are 0.5 s, which on a
    machine busy with other work could pass before the first reply."""
    await asyncio.sleep(duration)
    deadline = time.perf_counter() + 10.0
    # Polled: the stub only appends to a list, and this waits past the window at most once.
    while time.perf_counter() < deadline and not any(at >= start for at, _ in stub.samples):  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def saturation(
    stub: BenchStub,
    running: Running,
    users: int,
    warmup: float,
    duration: float,
    *,
    base: int,
    profile: Path | None = None,
) -> dict[str, Any]:
    crowd = Crowd(stub, running.spec.script, base)
    tasks = [asyncio.create_task(crowd.saturate()) for _ in range(users)]
    await asyncio.sleep(warmup)
    spy = await start_profiler(running.pid, duration, profile) if profile else None
    window = Window.open(running.pids)
    await long_enough(stub, window.start, duration)
    result = window.close(stub, running.pids, crowd)
    if spy is not None:
        await spy.wait()
    await finish(crowd, tasks)
    result["practitioners"] = crowd.next
    return result | failures(crowd)


async def paced(
    stub: BenchStub,
    running: Running,
    users: int,
    interval: float,
    duration: float,
    *,
    base: int,
) -> dict[str, Any]:
    crowd = Crowd(stub, running.spec.script, base)
    made = [crowd.new() for _ in range(users)]
    people = [m for m in made if m is not None]
    split = running.spec.warmup_actions
    if split:  # onboarding as fast as the bot answers, not measured
        await asyncio.gather(*(crowd.walk(user, actions[:split]) for user, actions in people))
    rng = random.Random(7)
    start = time.perf_counter() + 0.2
    end = start + duration
    tasks = [
        asyncio.create_task(
            crowd.walk(user, actions[split:], Pace(start + rng.uniform(0, interval), interval, end))
        )
        for user, actions in people
    ]
    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    window = Window.open(running.pids)
    await long_enough(stub, window.start, duration)
    result = window.close(stub, running.pids, crowd)
    await finish(crowd, tasks)
    result["offered_per_s"] = round(len(people) / interval, 1)
    return result | failures(crowd)


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if Path(found).exists() else None


async def start_profiler(pid: int, duration: float, out: Path) -> asyncio.subprocess.Process | None:
    """py-spy (the `bench` extra) samples the bot during the window: collapsed stacks."""
    spy = py_spy()
    if spy is None:
        print("--profile: py-spy is not installed (pip install -e '.[bench]')", file=sys.stderr)
        return None
    return await asyncio.create_subprocess_exec(
        spy, "record", "--pid", str(pid), "--duration", str(max(1, int(duration))),
        "--rate", "200", "--format", "raw", "--output", str(out), "--nonblocking",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


def failures(crowd: Crowd) -> dict[str, Any]:
    return {"failures": crowd.counters.failures} if crowd.counters.failures else {}


# --- databases ------------------------------------------------------------------------------


async def fresh_database(url: str | None, work: Path, name: str) -> str:
    """A new SQLite file, or the PostgreSQL database emptied (its public schema dropped)."""
    if url is None:
        return f"sqlite:///{work / f'{name}.db'}"
    await reset_schema(url)
    return url


async def ensure_postgres_database(url: str) -> None:
    """Create the benchmark's database when it does not exist yet."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database or ""
    if "bench" not in name:
        raise SystemExit(
            f"--database-url: the benchmark wipes its database; use one whose name has "
            f"'bench' in it (e.g. netwerkcoach_bench), not {name!r}"
        )
    await create_database(
        url, via=parsed.set(database="postgres").render_as_string(hide_password=False)
    )


async def seed(url: str, cases: int, per_practitioner: int) -> int:
    """`cases` families straight into the database, `per_practitioner` each; the last one
    of each practitioner is active and empty, the others have 3 people and 5 agreements.
    Plus one practitioner whose family has 40 people and 100 agreements (for rendering).
    Returns the number of seeded practitioners."""
    practitioners = max(1, cases // per_practitioner)
    now = datetime.now(UTC)
    p_rows, c_rows, person_rows, agreement_rows = [], [], [], []
    case_id = 0
    for p in range(1, practitioners + 2):
        big = p == practitioners + 1
        key = RENDER_USER if big else SEED_BASE + p - 1
        count = 1 if big else per_practitioner
        for c in range(count):
            case_id += 1
            c_rows.append(
                {"id": case_id, "owner_id": p, "label": f"Gezin {p}.{c}", "status": "open",
                 "created_at": now}
            )  # fmt: skip
            active = c == count - 1
            n_people, n_agreements = (40, 100) if big else (0, 0) if active else (3, 5)
            for i in range(n_people):
                person_rows.append(
                    {"case_id": case_id, "name": f"Persoon {i}",
                     "group": ("household", "friends", "community", "professional")[i % 4],
                     "closeness": ("close", "middle", "far")[i % 3],
                     "meaning": "Haalt de kinderen op woensdag op",
                     "decision": ("yes", "no", "open")[i % 3], "created_at": now}
                )  # fmt: skip
            for i in range(n_agreements):
                agreement_rows.append(
                    {"case_id": case_id, "phase": 1 + i % 4, "kind": "agreement",
                     "text": f"Afspraak {i}: oma belt op maandag", "who": "oma",
                     "due": "eind maart", "status": "open", "created_at": now,
                     "updated_at": now}
                )  # fmt: skip
        p_rows.append(
            {"id": p, "external_key": f"telegram:{key}", "language": "nl",
             "timezone": "Europe/Amsterdam", "settings": {}, "onboarded": True,
             "active_case_id": case_id, "current_conversation_id": None, "seq": 0,
             "created_at": now}
        )  # fmt: skip
    await upgrade_async(url)
    # Sealed with the bot's data key, as the bot itself would have written them.
    keyed = Settings(_env_file=None, DATABASE_URL=url, BOT_DATA_KEY=DATA_KEY)  # type: ignore[call-arg]
    configure_data_key(keyed)
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for table, rows in (
                (Practitioner.__table__, p_rows),
                (Case.__table__, c_rows),
                (Person.__table__, person_rows),
                (Agreement.__table__, agreement_rows),
            ):
                for i in range(0, len(rows), 5000):
                    await conn.execute(table.insert(), rows[i : i + 5000])
            if not is_sqlite(url):
                for name in ("practitioners", "cases"):
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT max(id) FROM {name}))"
                        )
                    )
    finally:
        await engine.dispose()
    return practitioners


# --- rendering the map and the plan ----------------------------------------------------------


async def render_times(stub: BenchStub, txt: Texts, repeats: int) -> dict[str, Any]:
    """Time from the command to the picture or PDF arriving, for the big family."""
    result: dict[str, Any] = {}
    user = stub.user(RENDER_USER)
    notes = txt.button("plan", "choose", "notes")
    for command in ("netwerkkaart", "plan"):
        if txt.flows.by_command(command) is None:
            result[command] = "not built yet"
            continue
        times: list[float] = []
        for _ in range(repeats):
            user.drain()
            began = time.perf_counter()
            await user.send(f"/{command}")
            try:
                if command == "plan":  # a choice first: the working notes are the larger
                    await user.wait_until(lambda o: notes in o.flat_buttons, timeout=60)
                    await user.press(notes)
                await user.wait_until(lambda o: o.file is not None, timeout=60)
            except AssertionError as err:
                result[command] = f"no file sent: {str(err)[:200]}"
                break
            times.append(time.perf_counter() - began)
        else:
            result[command] = {
                "median_ms": round(statistics.median(times) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
            }
    return result


# --- flows ------------------------------------------------------------------------------------


def flows_load_times(repeats: int = 5) -> dict[str, float]:
    settings = Settings(_env_file=None, DATABASE_URL="sqlite://")  # type: ignore[call-arg]
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        load_content(settings)
        times.append(time.perf_counter() - began)
    return {
        "first_ms": round(times[0] * 1000, 1),
        "median_ms": round(statistics.median(times) * 1000, 1),
    }


# --- the whole run ------------------------------------------------------------------------------


@dataclass
class Options:
    users: int
    warmup: float
    duration: float
    paced_duration: float
    interval: float
    cases: int
    database_url: str | None
    baselines: bool
    paced_baselines: bool
    production_limits: bool
    render_repeats: int
    profile: Path | None = None
    webhook: bool = False


def specs(txt: Texts, database_url: str) -> dict[str, BotSpec]:
    ours = Netwerkcoach(txt)
    questionnaire = questionnaire_script()
    return {
        OURS: BotSpec(
            OURS, "bot", our_env(database_url), lambda i: ours.script(i, f"Gezin {i}"), 4
        ),
        PTB: BotSpec(PTB, "tests.perf.baselines.ptb_bot", {}, lambda i: questionnaire),
        AIOGRAM: BotSpec(AIOGRAM, "tests.perf.baselines.aiogram_bot", {}, lambda i: questionnaire),
    }


async def measure_bot(
    spec: BotSpec, opts: Options, work: Path, *, paced_too: bool
) -> dict[str, Any]:
    ours_unlimited = spec.name == OURS and spec.env.get("BOT_RATE_LIMIT") == "0"
    async with BenchStub() as stub:
        running = await start_bot(spec, stub, work)
        profile = opts.profile if ours_unlimited else None
        return await measure_loads(stub, running, opts, paced_too=paced_too, profile=profile)


async def measure_loads(
    stub: BenchStub,
    running: Running,
    opts: Options,
    *,
    paced_too: bool,
    profile: Path | None = None,
) -> dict[str, Any]:
    """Saturation and (if asked) paced load on a started bot, which is stopped after."""
    result: dict[str, Any] = {"startup_s": round(running.startup_s, 2)}
    try:
        result["saturation"] = await saturation(
            stub, running, opts.users, opts.warmup, opts.duration, base=USER_BASE,
            profile=profile,
        )  # fmt: skip
        if paced_too:
            result["paced"] = await paced(
                stub, running, opts.users, opts.interval, opts.paced_duration,
                base=USER_BASE + 10_000_000,
            )  # fmt: skip
    finally:
        peak, errors = await stop_bot(running)
    result["peak_rss_mb"] = round(peak, 1)
    result["log_errors"] = errors
    return result


async def measure_webhook(opts: Options, work: Path, txt: Texts) -> dict[str, Any]:
    """Netwerkcoach as `REPLICAS` webhook replicas on one PostgreSQL database."""
    assert opts.database_url is not None
    url = await fresh_database(opts.database_url, work, "webhook")
    ours = Netwerkcoach(txt)
    spec = BotSpec(WEBHOOK, "bot", our_env(url), lambda i: ours.script(i, f"Gezin {i}"), 4)
    async with WebhookStub("bench-webhook-secret") as stub:
        running = await start_replicas(spec, stub, work)
        return await measure_loads(stub, running, opts, paced_too=True)


async def measure_seeded(opts: Options, work: Path, txt: Texts) -> dict[str, Any]:
    """10,000 stored families: start-up, RSS idle and under load, and rendering."""
    url = await fresh_database(opts.database_url, work, "seeded")
    began = time.perf_counter()
    practitioners = await seed(url, opts.cases, per_practitioner=10)
    seeded_s = time.perf_counter() - began
    ours = Netwerkcoach(txt)
    spec = BotSpec(OURS, "bot", our_env(url), ours.phases)
    async with BenchStub() as stub:
        running = await start_bot(spec, stub, work)
        try:
            await asyncio.sleep(0.5)
            idle, _ = memory_mb(running.pid)
            crowd = Crowd(stub, spec.script, SEED_BASE)
            crowd.limit = practitioners
            tasks = [asyncio.create_task(crowd.saturate()) for _ in range(opts.users)]
            window = Window.open(running.pids)
            await asyncio.sleep(min(opts.duration, 8.0))
            load = window.close(stub, running.pids, crowd)
            await finish(crowd, tasks)
            _rss, peak_load = memory_mb(running.pid)
            render = await render_times(stub, txt, opts.render_repeats)
            # Renders run in a worker process of the bot's (bot/render/worker.py).
            worker = sum(memory_mb(child)[1] for child in children(running.pid))
        finally:
            peak, errors = await stop_bot(running)
    return {
        "cases": opts.cases,
        "seed_s": round(seeded_s, 1),
        "startup_s": round(running.startup_s, 2),
        "rss_idle_mb": round(idle, 1),
        "peak_rss_mb": round(peak_load, 1),
        "peak_rss_after_render_mb": round(peak, 1),
        "render_worker_peak_rss_mb": round(worker, 1),
        "load": load | failures(crowd),
        "render": render,
        "log_errors": errors,
    }


async def run(opts: Options) -> dict[str, Any]:
    info = machine()
    if opts.database_url and not is_sqlite(opts.database_url):
        await ensure_postgres_database(opts.database_url)
    work = Path(tempfile.mkdtemp(prefix="netwerkcoach-bench-"))
    try:
        settings = Settings(_env_file=None, DATABASE_URL="sqlite://")  # type: ignore[call-arg]
        flows, catalogs = load_content(settings)
        txt = Texts(flows, catalogs)
        report: dict[str, Any] = {
            "machine": info,
            "database": "sqlite" if opts.database_url is None else "postgresql",
            "users": opts.users,
            "flows_load_validate": flows_load_times(),
        }
        url = await fresh_database(opts.database_url, work, "ours")
        bots = specs(txt, url)
        report[OURS] = await measure_bot(bots[OURS], opts, work, paced_too=True)
        if opts.baselines:
            for name in (PTB, AIOGRAM):
                report[name] = await measure_bot(
                    bots[name], opts, work, paced_too=opts.paced_baselines
                )
        if opts.production_limits:
            url = await fresh_database(opts.database_url, work, "limits")
            limited = BotSpec(
                OURS, "bot", our_env(url, production_limits=True), bots[OURS].script, 4
            )
            report["netwerkcoach_production_limits"] = await measure_bot(
                limited, opts, work, paced_too=True
            )
        if opts.webhook:
            report[WEBHOOK] = await measure_webhook(opts, work, txt)
        report["seeded"] = await measure_seeded(opts, work, txt)
        report["machine"]["load_after"] = round(os.getloadavg()[0], 2)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- output -------------------------------------------------------------------------------------


def ratio(a: float | None, b: float | None) -> float | None:
    if not a or not b or math.isnan(a) or math.isnan(b):
        return None
    return round(a / b, 2)


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The one-line JSON: our saturation figures at the top, then everything else."""
    ours = report[OURS]
    sat = ours["saturation"]
    line: dict[str, Any] = {
        "bench": "netwerkcoach",
        "database": report["database"],
        "users": report["users"],
        "updates": sat["updates"],
        "updates_per_s": sat["updates_per_s"],
        "latency_ms": sat["latency_ms"],
        "cpu_s_per_1000_updates": sat["cpu_s_per_1000_updates"],
        "peak_rss_mb": ours["peak_rss_mb"],
        "startup_s": ours["startup_s"],
        "ratio_vs_ptb": None,
        "ratio_vs_aiogram": None,
        "cpu_ratio_vs_ptb": None,
        "cpu_ratio_vs_aiogram": None,
    }
    for name in (PTB, AIOGRAM):
        if name in report:
            theirs = report[name]["saturation"]
            line[f"ratio_vs_{name}"] = ratio(sat["updates_per_s"], theirs["updates_per_s"])
            # Their CPU per update over ours: above 1 means we spend less per update.
            line[f"cpu_ratio_vs_{name}"] = ratio(
                theirs["cpu_s_per_1000_updates"], sat["cpu_s_per_1000_updates"]
            )
    if WEBHOOK in report:
        hooked = report[WEBHOOK]
        line["webhook"] = {
            "replicas": REPLICAS,
            "startup_s": hooked["startup_s"],
            "saturation": hooked["saturation"],
            "paced": hooked["paced"],
            "peak_rss_mb": hooked["peak_rss_mb"],
            "ratio_vs_polling": ratio(hooked["saturation"]["updates_per_s"], sat["updates_per_s"]),
        }
    seeded = report["seeded"]
    line |= {
        "paced": ours["paced"],
        "baselines": {
            name: report[name] | {"peak_rss_mb": report[name]["peak_rss_mb"]}
            for name in (PTB, AIOGRAM)
            if name in report
        },
        "saturation": sat,
        "rss_10k_cases_mb": {
            "idle": seeded["rss_idle_mb"],
            "peak": seeded["peak_rss_mb"],
            "peak_after_render": seeded["peak_rss_after_render_mb"],
            "render_worker_peak": seeded["render_worker_peak_rss_mb"],
        },
        "startup_10k_cases_s": seeded["startup_s"],
        "seeded_load": seeded["load"],
        "render": seeded["render"],
        "flows_load_validate_ms": report["flows_load_validate"],
        "machine": report["machine"],
    }
    if "netwerkcoach_production_limits" in report:
        line["production_limits"] = report["netwerkcoach_production_limits"]
    paced_p99 = ours["paced"]["latency_ms"]["p99"]
    line["targets_met"] = {
        "ratio_vs_ptb>=1": _met(line["ratio_vs_ptb"], lambda v: v >= TARGETS["ratio_vs_ptb"]),
        "ratio_vs_aiogram>=1": _met(
            line["ratio_vs_aiogram"], lambda v: v >= TARGETS["ratio_vs_aiogram"]
        ),
        "paced_p99<50ms": paced_p99 < TARGETS["paced_p99_ms"],
        "peak_rss_10k_cases<150MB": seeded["peak_rss_mb"] < TARGETS["peak_rss_10k_cases_mb"],
        "peak_rss_10k_cases_with_render<150MB": seeded["peak_rss_after_render_mb"]
        < TARGETS["peak_rss_10k_cases_mb"],
        "startup<2s": max(ours["startup_s"], seeded["startup_s"]) < TARGETS["startup_s"],
    }
    return line


def _met(value: float | None, test: Callable[[float], bool]) -> bool | None:
    return None if value is None else test(value)


class Grid:
    """The printed table, one column per bot and one row per figure; a bot without that
    figure shows "–". Shared with the Matrix benchmark (matrix_bench.py)."""

    def __init__(self, report: dict[str, Any], names: list[str], headers: list[str]) -> None:
        self.report, self.names = report, names
        self.rows: list[tuple[str, ...]] = [("", *headers)]

    def add(self, label: str, get: Callable[[dict[str, Any]], Any]) -> None:
        cells = []
        for name in self.names:
            try:
                value = get(self.report[name])
            except (KeyError, TypeError):
                value = "–"
            cells.append("–" if value is None else str(value))
        self.rows.append((label, *cells))

    def latencies(self, load: str) -> None:
        for p in ("p50", "p95", "p99", "max"):
            self.add(f"{load}: latency {p} (ms)", lambda r, k=load, q=p: r[k]["latency_ms"][q])

    def outcomes(self, load: str) -> None:
        self.add(
            f"{load}: timeouts / wrong replies",
            lambda r, k=load: f"{r[k]['timeouts']} / {r[k]['wrong_replies']}",
        )

    def text(self) -> str:
        """With the rows every bot has last: its peak memory and its log's errors."""
        self.add("peak RSS (MiB)", lambda r: r["peak_rss_mb"])
        self.add("ERROR lines in the bot's log", lambda r: r["log_errors"])
        rows = self.rows
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


def table(report: dict[str, Any]) -> str:
    names = [n for n in (OURS, WEBHOOK, PTB, AIOGRAM) if n in report]
    grid = Grid(report, names, [HEADERS.get(n, n) for n in names])
    add = grid.add
    add("start-up to first getUpdates (s)", lambda r: r["startup_s"])  # webhook: set
    for load in ("saturation", "paced"):
        add(f"{load}: updates handled", lambda r, k=load: r[k]["updates"])
        add(f"{load}: updates/s", lambda r, k=load: r[k]["updates_per_s"])
        grid.latencies(load)
        add(f"{load}: CPU s / 1000 updates", lambda r, k=load: r[k]["cpu_s_per_1000_updates"])
        add(f"{load}: bot CPU (cores)", lambda r, k=load: r[k]["bot_cpu_share"])
        add(f"{load}: driver CPU (cores)", lambda r, k=load: r[k]["driver_cpu_share"])
        grid.outcomes(load)
    return grid.text()


def print_report(report: dict[str, Any], line: dict[str, Any]) -> None:
    m = report["machine"]
    print(
        f"\nNetwerkcoach benchmark · {report['database']} · {report['users']} practitioners · "
        f"{m['nproc']} × {m['cpu']} · load {m['load_before']} → {m.get('load_after')}"
    )
    print("Netwerkcoach runs with BOT_RATE_LIMIT=0 and BOT_CHAT_RATE=0 (the baselines have no "
          "rate limiter).\n")  # fmt: skip
    print(table(report))
    seeded = report["seeded"]
    print()
    for key in ("ratio_vs_ptb", "ratio_vs_aiogram", "cpu_ratio_vs_ptb", "cpu_ratio_vs_aiogram"):
        print(f"{key:<22} {line[key]}")
    if "webhook" in line:
        print(f"{'webhook ×2 vs polling':<22} {line['webhook']['ratio_vs_polling']}")
    print(
        f"\n{seeded['cases']:,} stored families: start-up {seeded['startup_s']} s, RSS idle "
        f"{seeded['rss_idle_mb']} MiB, peak under load {seeded['peak_rss_mb']} MiB "
        f"({seeded['load']['updates_per_s']} updates/s, p99 "
        f"{seeded['load']['latency_ms']['p99']} ms), peak after rendering the map and the plan "
        f"{seeded['peak_rss_after_render_mb']} MiB (its render worker process: "
        f"{seeded['render_worker_peak_rss_mb']} MiB)"
    )
    for command, value in seeded["render"].items():
        shown = (
            value if isinstance(value, str) else f"{value['median_ms']} ms (max {value['max_ms']})"
        )
        print(f"/{command} for a family with 40 people and 100 agreements: {shown}")
    flows = report["flows_load_validate"]
    print(f"flows load + validate: {flows['first_ms']} ms first, {flows['median_ms']} ms median")
    if "netwerkcoach_production_limits" in report:
        limited = report["netwerkcoach_production_limits"]
        for load in ("saturation", "paced"):
            r = limited[load]
            print(
                f"with production limits (30/s overall, 1/s per chat), {load}: "
                f"{r['updates_per_s']} updates/s, p50 {r['latency_ms']['p50']} ms, "
                f"p99 {r['latency_ms']['p99']} ms"
            )
    busy = [
        f"{name} {load}"
        for name in (OURS, PTB, AIOGRAM)
        if name in report
        for load in ("saturation", "paced")
        if load in report[name] and report[name][load]["driver_cpu_share"] > DRIVER_BUSY
    ]
    if busy:
        print(f"WARNING: the driver used more than {DRIVER_BUSY:.0%} of a core in: {busy}")
    print("targets met:", json.dumps(line["targets_met"]))
    print(json.dumps(line, separators=(",", ":")))


CHANNEL = argparse.ArgumentParser(add_help=False)
CHANNEL.add_argument("--channel", choices=("telegram", "matrix"), default="telegram")
"""Picks the benchmark before its own options are read: Matrix has options of its own."""


def bench_parser(
    prog: str,
    description: str | None,
    *,
    users: int,
    duration: float,
    warmup: float,
    paced_duration: float,
) -> argparse.ArgumentParser:
    """The options both benchmarks (Telegram, Matrix) have, with their own defaults."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=users, help="concurrent practitioners")
    parser.add_argument("--duration", type=float, default=duration, help="saturation window (s)")
    parser.add_argument("--warmup", type=float, default=warmup, help="before the window (s)")
    parser.add_argument(
        "--paced-duration", type=float, default=paced_duration, help="paced window (s)"
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL for Netwerkcoach instead of SQLite files; the database is WIPED, so "
        "its name must contain 'bench' (it is created when missing)",
    )
    parser.add_argument("--no-baselines", action="store_true", help="only Netwerkcoach")
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy stacks of Netwerkcoach's saturation window to FILE "
        "(Matrix: also the paced window, to FILE-paced)",
    )
    return parser


def parse_args(argv: list[str] | None = None) -> Options:
    parser = bench_parser(
        "python -m tests.perf.bench",
        __doc__,
        users=200,
        duration=15.0,
        warmup=2.0,
        paced_duration=20.0,
    )
    parser.add_argument("--interval", type=float, default=2.0, help="paced: s between updates")
    parser.add_argument("--cases", type=int, default=10_000, help="families seeded for RSS")
    parser.add_argument("--paced-baselines", action="store_true", help="paced load for them too")
    parser.add_argument(
        "--production-limits",
        action="store_true",
        help="also a run with BOT_RATE_LIMIT=30, BOT_CHAT_RATE=1",
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help=f"also {REPLICAS} replicas in webhook mode (needs --database-url: PostgreSQL)",
    )
    parser.add_argument("--smoke", action="store_true", help="3 users, 0.5 s windows, 100 families")
    parser.add_argument(
        "--channel",
        choices=("telegram", "matrix"),
        default="telegram",
        help="matrix: 20 practitioners in encrypted chats on a local Synapse, beside an echo "
        "bot (its own options: --channel matrix --help)",
    )
    args = parser.parse_args(argv)
    if args.webhook and (args.database_url is None or is_sqlite(args.database_url)):
        parser.error("--webhook needs --database-url with PostgreSQL: replicas share it")
    if args.smoke:  # the machinery, not the figures: short windows (the suite runs this)
        args.users, args.duration, args.warmup = 3, 0.5, 0.2
        args.paced_duration, args.interval, args.cases = 0.5, 0.25, 100
    return Options(
        users=args.users,
        warmup=args.warmup,
        duration=args.duration,
        paced_duration=args.paced_duration,
        interval=args.interval,
        cases=args.cases,
        database_url=args.database_url,
        baselines=not args.no_baselines,
        paced_baselines=args.paced_baselines,
        production_limits=args.production_limits,
        render_repeats=1 if args.smoke else 3,
        profile=args.profile,
        webhook=args.webhook,
    )


def main(argv: list[str] | None = None) -> int:
    chosen, _rest = CHANNEL.parse_known_args(argv)
    if chosen.channel == "matrix":
        from tests.perf import matrix_bench

        return matrix_bench.main(argv)
    opts = parse_args(argv)
    try:
        import uvloop  # the driver's own overhead (the baselines run on asyncio's default loop)
    except ImportError:
        report = asyncio.run(run(opts))
    else:
        report = uvloop.run(run(opts))
    print_report(report, summary(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
