"""A real Matrix homeserver for the tests: Synapse from PyPI, on 127.0.0.1.

`make test` installs Synapse into a virtual environment of its own (`.venv-synapse`;
it pins libraries the bot's own environment need not agree with). The suite starts one
Synapse per test process on a free port, with SQLite in a temporary folder, registers
users through its shared-secret admin API, and stops it by its pid at the end.

The Matrix benchmark may run it on PostgreSQL instead, as a real homeserver runs
(`postgres_database`): Synapse on SQLite has one connection and waits for the disk at each
commit, which a homeserver on PostgreSQL does not.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy import make_url, text

from bot.store.db import make_engine

PROJECT = Path(__file__).resolve().parents[2]
SYNAPSE_PYTHON_ENV = "SYNAPSE_PYTHON"
DEFAULT_PYTHON = PROJECT / ".venv-synapse" / "bin" / "python"
SERVER_NAME = "localhost"
SHARED_SECRET = "netwerkcoach-tests"
START_TIMEOUT = 90.0

CONFIG = """\
server_name: "{server_name}"
pid_file: {folder}/homeserver.pid
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
{database}
log_config: "{folder}/log.yaml"
media_store_path: {folder}/media
registration_shared_secret: "{secret}"
enable_registration: false
report_stats: false
macaroon_secret_key: "tests-macaroon"
form_secret: "tests-form"
signing_key_path: "{folder}/signing.key"
trusted_key_servers: []
suppress_key_server_warning: true
bcrypt_rounds: 4
federation_domain_whitelist: []
presence:
  enabled: false
rc_message: {{per_second: 1000, burst_count: 1000}}
rc_registration: {{per_second: 1000, burst_count: 1000}}
rc_login:
  address: {{per_second: 1000, burst_count: 1000}}
  account: {{per_second: 1000, burst_count: 1000}}
  failed_attempts: {{per_second: 1000, burst_count: 1000}}
rc_joins:
  local: {{per_second: 1000, burst_count: 1000}}
rc_invites:
  per_room: {{per_second: 1000, burst_count: 1000}}
  per_user: {{per_second: 1000, burst_count: 1000}}
rc_key_requests: {{per_second: 1000, burst_count: 1000}}
"""

SQLITE = """\
  name: sqlite3
  args:
    database: {folder}/homeserver.db"""

POSTGRES = """\
  name: psycopg2
  args:
    user: "{user}"
    password: "{password}"
    host: "{host}"
    port: {port}
    database: "{database}"
    cp_min: 1
    cp_max: 10"""
"""Synapse's own pool size (its default); psycopg2 comes from tests/synapse-requirements.txt."""

POSTGRES_OPTIONS = "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
"""What Synapse requires of its database: it refuses to start on another collation."""

LOG_CONFIG = """\
version: 1
formatters:
  precise: {{format: '%(asctime)s %(name)s %(levelname)s %(message)s'}}
handlers:
  file: {{class: logging.FileHandler, formatter: precise, filename: {folder}/homeserver.log}}
root: {{level: WARNING, handlers: [file]}}
disable_existing_loggers: false
"""


def synapse_python() -> Path:
    path = Path(os.environ.get(SYNAPSE_PYTHON_ENV) or DEFAULT_PYTHON)
    if not path.exists():
        raise RuntimeError(
            f"No Synapse for the Matrix tests at {path}: run `make test` (it installs "
            f"Synapse into .venv-synapse), or set {SYNAPSE_PYTHON_ENV}"
        )
    return path


def postgres_block(url: str) -> str:
    """The `database:` section for Synapse on the PostgreSQL database of `url`."""
    parsed = make_url(url)
    return POSTGRES.format(
        user=parsed.username or "postgres",
        password=parsed.password or "",
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        database=parsed.database,
    )


@asynccontextmanager
async def postgres_database(server_url: str) -> AsyncIterator[str]:
    """A new, empty database for one Synapse on the PostgreSQL server of `server_url` (any
    existing database there, e.g. `postgres`), created as Synapse requires; dropped at the
    end, with whatever connections are left. Yields its URL."""
    server = make_url(server_url)
    name = f"synapse_bench_{uuid.uuid4().hex[:12]}"
    engine = make_engine(server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"CREATE DATABASE {name} {POSTGRES_OPTIONS}"))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            async with engine.connect() as conn:
                await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Synapse:
    """A running homeserver; `url` is its client API address."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, folder: Path, postgres_url: str | None = None) -> Synapse:
        """Synapse with its files in `folder`; its database is SQLite there, or the
        PostgreSQL database `postgres_url` (made by `postgres_database`)."""
        python = synapse_python()
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        database = (
            SQLITE.format(folder=folder) if postgres_url is None else postgres_block(postgres_url)
        )
        values = {"folder": folder, "port": port, "secret": SHARED_SECRET, "database": database}
        (folder / "homeserver.yaml").write_text(CONFIG.format(server_name=SERVER_NAME, **values))
        (folder / "log.yaml").write_text(LOG_CONFIG.format(folder=folder))
        subprocess.run(
            [
                str(python),
                "-m",
                "synapse.app.homeserver",
                "-c",
                str(folder / "homeserver.yaml"),
                "--generate-keys",
            ],
            check=True,
            capture_output=True,
        )
        with (folder / "stdout.log").open("wb") as output:  # the child keeps its own copy
            process = subprocess.Popen(
                [
                    str(python),
                    "-m",
                    "synapse.app.homeserver",
                    "-c",
                    str(folder / "homeserver.yaml"),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        synapse = cls(folder, port, process)
        synapse.wait_until_up()
        return synapse

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.folder / "stdout.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"Synapse exited with {self.process.returncode}:\n{log}")
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Synapse did not answer within {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        """By its pid: SIGTERM, then SIGKILL if it does not go."""
        if self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    async def register(self, localpart: str, password: str) -> str:
        """A new account through the shared-secret admin API; returns its Matrix id."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        async with aiohttp.ClientSession() as http:
            async with http.get(endpoint) as response:
                nonce = (await response.json())["nonce"]
            mac = hmac.new(SHARED_SECRET.encode(), digestmod=hashlib.sha1)
            mac.update(
                b"\x00".join([nonce.encode(), localpart.encode(), password.encode(), b"notadmin"])
            )
            body = {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": False,
                "mac": mac.hexdigest(),
            }
            async with http.post(endpoint, json=body) as response:
                answer = await response.json()
                if response.status != 200:
                    raise RuntimeError(f"registering {localpart} failed: {answer}")
        return str(answer["user_id"])
