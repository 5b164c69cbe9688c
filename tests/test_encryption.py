"""Encryption at rest: family data and the key that signs buttons are sealed with
BOT_DATA_KEY, keys rotate, and a database dump without the key shows no label, name, note
or signing key.

The whole suite runs with the test key (tests/conftest.py), so every other test already
proves that the bot works encrypted; these tests look at what is actually stored.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.actions import people as pe
from bot.config import Settings
from bot.engine.signing import Signer
from bot.runtime import open_runtime
from bot.store import crypto
from bot.store.crypto import NO_KEY_FOR_SEALED, PREFIX, WRONG_KEY, Cipher, DataKeyError
from bot.store.db import is_sqlite, make_engine, make_sessionmaker
from bot.store.models import AuditEntry, Case, Conversation, Person, Practitioner
from bot.store.rekey import rotate, sealed_columns
from bot.store.repo import Repo
from bot.turns.service import CALLBACK_KEY
from tests.conftest import DATA_KEY, make_settings
from tests.support.chat import Chat
from tests.support.flows import enter
from tests.support.onboarding import onboard
from tests.test_phase2_3 import YES, add_person, press_starting

KEY_A = "4pHb9-TNAEslXRs5MFipia-1tb2xmJ35T3jjxJCiQnI="
KEY_B = "OvVcDB2uP8axkyQCDotrJuQupMChzYfscyESQZvqJps="

# Distinctive strings that must never be readable in the database without the key.
LABEL = "Gezin Q. Kolibrie"
PERSON = "Oma Truus"
MEANING = "Kookt op dinsdag stamppot"
GOAL = "Brengt Kolibrie-junior naar zwemles"
UNTIL = "tot de herfstvakantie"
TASK = "Vraagt Truus zelf op verjaardag"
SECRETS = (LABEL, PERSON, "Truus", "Kolibrie", MEANING, "stamppot", GOAL, "zwemles", UNTIL, TASK)

ROUND_TRIP = (
    "Gezin B.",
    "oma 👵🏽 – “Truus”",
    "مرحبا \u200fشالوم",  # right-to-left text, a right-to-left mark
    "<b>vet</b> & 'quotes' \"dubbel\"",
    "x" * 4096,
    "",
)


@pytest.fixture
def restore_cipher() -> Iterator[None]:
    """Tests that switch keys put the suite's cipher back afterwards."""
    saved = crypto.active()
    yield
    crypto.use(saved)


async def raw_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read with plain SQL: no ORM, no column types."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            if is_sqlite(url):
                names_sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
            else:
                names_sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            names = list((await conn.execute(text(names_sql))).scalars())
            return {
                name: [tuple(row) for row in await conn.execute(text(f'SELECT * FROM "{name}"'))]
                for name in names
            }
    finally:
        await engine.dispose()


async def raw_values(url: str, table: str, column: str) -> list[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            query = text(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')
            return list((await conn.execute(query)).scalars())
    finally:
        await engine.dispose()


def found_in(haystack: str) -> list[str]:
    folded = haystack.casefold()
    return [secret for secret in SECRETS if secret.casefold() in folded]


# --- round trip ------------------------------------------------------------------------------


async def test_values_round_trip_and_are_stored_sealed(settings: Settings) -> None:
    async with open_runtime(settings, check_translations=False) as runtime:
        sessions = runtime.turns.sessions
        async with sessions() as session, session.begin():
            repo = Repo(session)
            owner = await repo.add_practitioner("test:crypto", "nl", "UTC")
            case_ids = [(await repo.add_case(owner, value)).id for value in ROUND_TRIP]
            conv = await repo.add_conversation(owner, "fase2", "-", "name", None)
            conv.data = {"name": ROUND_TRIP[1], "nested": {"list": list(ROUND_TRIP[:3])}}
        async with sessions() as session:
            cases = {c.id: c.label for c in await session.scalars(select(Case))}
            data = (await session.get(Conversation, conv.id)).data  # type: ignore[union-attr]

    assert [cases[i] for i in case_ids] == list(ROUND_TRIP)
    assert data == {"name": ROUND_TRIP[1], "nested": {"list": list(ROUND_TRIP[:3])}}
    stored = await raw_values(settings.database_url, "cases", "label")
    assert len(stored) == len(ROUND_TRIP)
    assert all(value.startswith(PREFIX) for value in stored)
    assert len(set(stored)) == len(stored)
    [conv_data] = await raw_values(settings.database_url, "conversations", "data")
    assert conv_data.startswith(PREFIX) and "Truus" not in conv_data


async def test_rows_from_before_the_key_are_read_as_they_are(
    settings: Settings, restore_cipher: None
) -> None:
    async with open_runtime(settings, check_translations=False) as runtime:
        sessions = runtime.turns.sessions
        crypto.use(None)  # as the bot ran before BOT_DATA_KEY was set
        async with sessions() as session, session.begin():
            owner = await Repo(session).add_practitioner("test:old", "nl", "UTC")
            await Repo(session).add_case(owner, "Gezin Oud")
        assert await raw_values(settings.database_url, "cases", "label") == ["Gezin Oud"]
        crypto.use(Cipher.from_setting(DATA_KEY))
        async with sessions() as session:
            assert list(await session.scalars(select(Case.label))) == ["Gezin Oud"]


def test_sql_cannot_compare_an_encrypted_column_with_a_value() -> None:
    """Sealing is randomised, so `label == 'x'` would silently never match; it raises."""
    with pytest.raises(TypeError, match="encrypted"):
        select(Case).where(Case.label == "Gezin B.")
    with pytest.raises(TypeError, match="encrypted"):
        select(Person).where(Person.name.in_(["oma"]))
    select(AuditEntry).where(AuditEntry.value.is_(None), AuditEntry.value != None)  # noqa: E711


# --- keys ------------------------------------------------------------------------------------


def test_a_malformed_key_is_named_by_position_without_showing_it() -> None:
    with pytest.raises(DataKeyError) as bad:
        Cipher.from_setting(f"{KEY_A}, not-a-key-at-all")
    assert "key 2 of 2" in str(bad.value) and "BOT_DATA_KEY" in str(bad.value)
    assert "not-a-key" not in str(bad.value) and KEY_A not in str(bad.value)
    with pytest.raises(DataKeyError, match="empty"):
        Cipher.from_setting(" , ")


def test_new_key_makes_a_working_key() -> None:
    key = crypto.new_key()
    cipher = Cipher.from_setting(key)
    assert cipher.open(cipher.seal("oma")) == "oma"
    assert key != crypto.new_key()


async def test_rotation_rewrites_everything_with_the_newest_key(
    database_url: str, restore_cipher: None
) -> None:
    old, both, new = (Cipher.from_setting(k) for k in (KEY_A, f"{KEY_B},{KEY_A}", KEY_B))
    engine = make_engine(database_url)
    try:
        crypto.use(None)  # a row from before any key: plain text
        async with make_sessionmaker(engine)() as session, session.begin():
            owner = await Repo(session).add_practitioner("test:rot", "nl", "UTC")
            await Repo(session).add_case(owner, "Gezin Oud")
        crypto.use(old)  # then the first key
        async with make_sessionmaker(engine)() as session, session.begin():
            repo = Repo(session)
            owner = await repo.practitioner("test:rot")  # type: ignore[assignment]
            for label in ("Gezin A", "Gezin B", "Gezin C"):
                case = await repo.add_case(owner, label)
            await repo.add_person(case, PERSON, "household", "close", MEANING, "yes")
            repo.audit(owner, "case.renamed", case_id=case.id, field="label", value=LABEL)
    finally:
        await engine.dispose()

    crypto.use(both)  # the new key first, the old one still reads
    assert await labels(database_url) == ["Gezin Oud", "Gezin A", "Gezin B", "Gezin C"]

    done = await rotate(database_url, both, batch=2)
    values = await all_sealed_values(database_url)
    # every practitioner setting, label, name, meaning, audit value: all of them rewritten
    assert done.resealed == len(values) and done.unreadable == 0
    assert done.per_column["cases.label"] == 4
    assert done.batches >= 3  # four cases in batches of two, and the other tables
    assert all(value.startswith(PREFIX) for value in values)
    # In stored order, which an UPDATE changes on PostgreSQL: compare the set of labels.
    resealed = await raw_values(database_url, "cases", "label")
    assert sorted(new.open(value) for value in resealed) == [
        "Gezin A",
        "Gezin B",
        "Gezin C",
        "Gezin Oud",
    ]
    for value in values:
        with pytest.raises(DataKeyError):
            old.open(value)

    again = await rotate(database_url, both)
    assert (again.resealed, again.current) == (0, len(values))

    crypto.use(new)  # the new key alone reads everything
    assert await labels(database_url) == ["Gezin Oud", "Gezin A", "Gezin B", "Gezin C"]
    crypto.use(old)  # the old key alone no longer reads anything
    with pytest.raises(DataKeyError, match="BOT_DATA_KEY"):
        await labels(database_url)


async def test_values_no_key_opens_are_counted_and_left_alone(
    database_url: str, restore_cipher: None
) -> None:
    crypto.use(Cipher.from_setting(KEY_A))
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            owner = await Repo(session).add_practitioner("test:lost", "nl", "UTC")
            await Repo(session).add_case(owner, "Gezin A")
    finally:
        await engine.dispose()
    before = await raw_values(database_url, "cases", "label")

    done = await rotate(database_url, Cipher.from_setting(KEY_B))

    assert done.unreadable == 2  # the label and the practitioner's settings
    assert await raw_values(database_url, "cases", "label") == before


async def labels(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list(await session.scalars(select(Case.label).order_by(Case.id)))
    finally:
        await engine.dispose()


async def all_sealed_values(url: str) -> list[str]:
    found: list[str] = []
    for target in sealed_columns():
        for column in target.columns:
            found += await raw_values(url, target.name, column)
    return found


# --- without a key -----------------------------------------------------------------------


async def test_production_without_a_key_refuses_to_start(
    tmp_path: Path, restore_cipher: None
) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    settings = make_settings(url, BOT_ENV="production", BOT_DATA_KEY=None)

    with pytest.raises(DataKeyError) as refused:
        async with open_runtime(settings):
            pytest.fail("the bot started without BOT_DATA_KEY in production")

    assert "BOT_DATA_KEY" in str(refused.value)
    assert "python -m bot db new-key" in str(refused.value)
    assert not (tmp_path / "prod.db").exists()  # refused before touching the database


async def test_development_without_a_key_warns_once_and_stores_plain_text(
    database_url: str, restore_cipher: None, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(database_url, BOT_DATA_KEY=None)
    caplog.set_level(logging.WARNING)
    async with (
        open_runtime(settings, migrate=False, check_translations=False) as runtime,
        runtime.turns.sessions() as session,
        session.begin(),
    ):
        owner = await Repo(session).add_practitioner("test:dev", "nl", "UTC")
        await Repo(session).add_case(owner, "Gezin B.")

    warnings = [r for r in caplog.records if "BOT_DATA_KEY" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "UNENCRYPTED" in warnings[0].getMessage()
    assert await raw_values(database_url, "cases", "label") == ["Gezin B."]


# --- the command line --------------------------------------------------------------------


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot` in a clean environment (no developer `.env` or exported settings)."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "TELEGRAM_", "DATABASE_"))
    }
    clean.update(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", BOT_LOG_LEVEL="WARNING")
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_cli_new_key_prints_only_a_key(tmp_path: Path) -> None:
    result = cli(tmp_path, "db", "new-key")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"


@pytest.mark.slow
def test_cli_refuses_production_without_a_key_and_warns_in_development(tmp_path: Path) -> None:
    refused = cli(tmp_path, "chat", BOT_ENV="production")
    assert refused.returncode == 2
    assert "BOT_DATA_KEY is not set" in refused.stderr
    assert "python -m bot db new-key" in refused.stderr

    dev = cli(tmp_path, "chat")
    assert dev.returncode == 0, dev.stderr
    lines = [line for line in dev.stderr.splitlines() if "BOT_DATA_KEY is not set" in line]
    assert len(lines) == 2, dev.stderr  # one from the command line, one WARNING log line
    assert sum(" WARNING bot.store.crypto: " in line for line in lines) == 1


async def plain_database(url: str) -> None:
    """A database as a bot without BOT_DATA_KEY wrote it."""
    settings = make_settings(url, BOT_DATA_KEY=None)
    async with (
        open_runtime(settings, check_translations=False) as runtime,
        runtime.turns.sessions() as session,
        session.begin(),
    ):
        owner = await Repo(session).add_practitioner("test:cli", "nl", "UTC")
        await Repo(session).add_case(owner, LABEL)


@pytest.mark.slow
def test_cli_rotate_key_encrypts_an_old_plain_database(
    tmp_path: Path, restore_cipher: None
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    asyncio.run(plain_database(url))

    assert cli(tmp_path, "db", "rotate-key").returncode == 2  # no key: nothing to rotate to
    result = cli(tmp_path, "db", "rotate-key", "--batch", "1", BOT_DATA_KEY=KEY_A)

    assert result.returncode == 0, result.stderr
    assert "cases.label: 1 re-encrypted" in result.stdout
    assert "Re-encrypted 2 value(s)" in result.stdout  # the label and the settings
    assert not found_in(result.stdout + result.stderr)
    [label] = asyncio.run(raw_values(url, "cases", "label"))
    assert Cipher.from_setting(KEY_A).open(label) == LABEL


# --- a database dump without the key ------------------------------------------------------


async def walk_with_secrets(chat: Chat) -> None:
    """Onboarding with a label, fase 2 with a person and a note, fase 3 with a goal."""
    await onboard(chat, LABEL)
    await enter(chat, "fase2")
    await add_person(chat, PERSON, meaning=MEANING, decision=YES)
    await enter(chat, "fase3")
    await press_starting(chat, f"{pe.MARKS['yes']} {PERSON}")
    await chat.text(GOAL)
    await chat.text(UNTIL)
    await chat.text(TASK)
    assert (await chat.where()).step == "follow_up"


async def test_a_database_dump_without_the_key_reveals_no_names_or_notes(
    chat: Chat, settings: Settings
) -> None:
    await walk_with_secrets(chat)
    async with chat.engine.sessions() as session:  # with the key, everything is there
        people = list(await session.scalars(select(Person.name)))
        assert people == [PERSON]
        assert await session.scalar(select(Practitioner.id)) is not None

    rows = await raw_rows(settings.database_url)
    assert {"cases", "people", "agreements", "audit", "conversations"} <= set(rows)
    assert rows["agreements"] and rows["audit"]
    dump = as_dump(rows)
    assert PREFIX in dump
    assert not found_in(dump), "readable in a plain SQL dump"

    if is_sqlite(settings.database_url):
        assert not found_in(database_files(settings.database_url)), "readable in the files"


def as_dump(rows: dict[str, list[tuple[Any, ...]]]) -> str:
    return "\n".join(repr(row) for table_rows in rows.values() for row in table_rows)


def database_files(url: str) -> str:
    """A SQLite database and its write-ahead log, as a copy of the files shows them."""
    database = Path(make_url(url).database or "")
    files = [p for p in (database, Path(f"{database}-wal")) if p.exists()]
    assert database in files
    return b"".join(p.read_bytes() for p in files).decode("utf-8", errors="replace")


def test_the_test_key_is_the_one_the_suite_runs_with(settings: Settings) -> None:
    assert settings.data_key is not None
    assert settings.data_key.get_secret_value() == DATA_KEY


def test_decrypted_values_are_remembered_until_family_data_is_deleted() -> None:
    """`Cipher.open` remembers what it decrypted; deleting family data (`forget_opened`,
    called by the repository's deletes) leaves no decrypted copy in memory."""
    cipher = Cipher.from_setting(Fernet.generate_key().decode())
    short, long = cipher.seal("Oma Jansen"), cipher.seal("x" * crypto.OPENED_MAX)
    crypto.use(cipher)
    try:
        assert crypto.unseal(short) == "Oma Jansen"
        assert crypto.unseal(long) == "x" * crypto.OPENED_MAX
        assert list(cipher._opened.values()) == ["Oma Jansen"]  # too long to remember
        assert crypto.unseal(short) == "Oma Jansen"  # from memory now, the same

        crypto.forget_opened()

        assert not cipher._opened
    finally:
        crypto.use(None)


async def test_deleting_a_family_forgets_its_decrypted_values(engine_runtime: Any) -> None:
    engine = engine_runtime.turns
    cipher = crypto.active()
    assert cipher is not None
    chat = Chat(engine, "test:forgetful")
    await onboard(chat)
    await chat.send("/gezin")  # reads the family's label: decrypted and remembered
    assert "Fam. K" in cipher._opened.values()

    async with engine.sessions() as session, session.begin():
        repo = Repo(session)
        p = await repo.practitioner(chat.who.key)
        assert p is not None
        [case] = await repo.cases(p)
        await repo.delete_case(p, case)

    assert not cipher._opened


# --- the key that signs buttons ----------------------------------------------------------

OWNER = "telegram:4242"
PAYLOAD = "3.7:opt:2"
OLD_SECRET = "mZ3q0Xv8Rk1yTt9bWcE2uH5nJ7aLp4sD6fG8hK0jQ2w"
"""A signing secret as versions before it was sealed left in `meta`, in plain text."""


def signing_settings(url: str, data_key: str | None = DATA_KEY) -> Settings:
    """Without BOT_CALLBACK_SECRET: the secret that signs buttons lives in the database."""
    return make_settings(url, BOT_CALLBACK_SECRET=None, BOT_DATA_KEY=data_key)


async def started_signer(url: str, data_key: str | None = DATA_KEY) -> Signer:
    """The signer of a bot started on `url`, as it signs and checks buttons."""
    async with open_runtime(
        signing_settings(url, data_key), migrate=False, check_translations=False
    ) as runtime:
        return runtime.turns.renderer.signer


def secret_of(signer: Signer) -> str:
    return signer._key.decode()


def plain_forms(secret: str) -> list[str]:
    """The secret as a dump could show it: as it is, in base64 and hex, and the random
    bytes it encodes in base64 and hex."""
    raw = secret.encode()
    random = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    forms = [secret, raw.hex(), base64.b64encode(raw).decode(), random.hex()]
    forms += [base64.b64encode(random).decode().rstrip("="), secret[:16]]
    return forms


async def write_plain_secret(url: str, secret: str) -> None:
    """`meta` as earlier versions left it: the signing secret in plain text."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO meta (key, value) VALUES (:key, :value)"),
                {"key": CALLBACK_KEY, "value": secret},
            )
    finally:
        await engine.dispose()


async def test_the_signing_key_is_made_sealed_and_never_readable_in_a_dump(
    database_url: str, restore_cipher: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signer = await started_signer(database_url)
    secret = secret_of(signer)
    assert len(secret) >= 43  # 32 random bytes

    [stored] = await raw_values(database_url, "meta", "value")
    assert stored.startswith(PREFIX)
    assert Cipher.from_setting(DATA_KEY).open(stored) == secret
    dump = as_dump(await raw_rows(database_url))
    assert stored in dump
    assert [form for form in plain_forms(secret) if form in dump] == []
    if is_sqlite(database_url):
        files = database_files(database_url)
        assert [form for form in plain_forms(secret) if form in files] == []
    assert not [r for r in caplog.records if secret[:16] in r.getMessage()]

    again = await started_signer(database_url)  # a restart: the same secret, left as stored
    assert again.verify(OWNER, signer.sign(OWNER, PAYLOAD)) == PAYLOAD
    assert await raw_values(database_url, "meta", "value") == [stored]


async def test_buttons_signed_before_the_key_was_sealed_still_verify(
    database_url: str, restore_cipher: None, caplog: pytest.LogCaptureFixture
) -> None:
    await write_plain_secret(database_url, OLD_SECRET)
    old_button = Signer(OLD_SECRET).sign(OWNER, PAYLOAD)
    caplog.set_level(logging.DEBUG)

    upgraded = await started_signer(database_url)

    assert upgraded.verify(OWNER, old_button) == PAYLOAD
    assert upgraded.verify("telegram:1", old_button) is None  # still bound to its owner
    [stored] = await raw_values(database_url, "meta", "value")
    assert stored.startswith(PREFIX) and OLD_SECRET not in stored
    assert Cipher.from_setting(DATA_KEY).open(stored) == OLD_SECRET
    assert not [r for r in caplog.records if OLD_SECRET[:16] in r.getMessage()]
    assert (await started_signer(database_url)).verify(OWNER, old_button) == PAYLOAD


async def test_without_a_data_key_the_signing_key_is_stored_as_before(
    database_url: str, restore_cipher: None
) -> None:
    """Development without BOT_DATA_KEY: made, kept and read in plain text, as it was."""
    signer = await started_signer(database_url, data_key=None)
    assert await raw_values(database_url, "meta", "value") == [secret_of(signer)]
    again = await started_signer(database_url, data_key=None)
    assert again.verify(OWNER, signer.sign(OWNER, PAYLOAD)) == PAYLOAD


async def test_rotation_reseals_the_signing_key_and_old_buttons_still_verify(
    database_url: str, restore_cipher: None
) -> None:
    signer = await started_signer(database_url, data_key=KEY_A)
    old_button = signer.sign(OWNER, PAYLOAD)
    [before] = await raw_values(database_url, "meta", "value")
    assert Cipher.from_setting(KEY_A).open(before) == secret_of(signer)

    done = await rotate(database_url, Cipher.from_setting(f"{KEY_B},{KEY_A}"))

    assert done.per_column["meta.value"] == 1 and done.unreadable == 0
    [after] = await raw_values(database_url, "meta", "value")
    assert Cipher.from_setting(KEY_B).open(after) == secret_of(signer)
    with pytest.raises(DataKeyError):
        Cipher.from_setting(KEY_A).open(after)
    rotated = await started_signer(database_url, data_key=KEY_B)  # the old key retired
    assert rotated.verify(OWNER, old_button) == PAYLOAD


async def test_rotation_goes_through_meta_by_name_in_batches(
    database_url: str, restore_cipher: None
) -> None:
    """`meta` is keyed by a name, not a number: batches of one still reach every row."""
    await write_plain_secret(database_url, OLD_SECRET)
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            for name in ("a_first", "z_last"):
                await conn.execute(
                    text("INSERT INTO meta (key, value) VALUES (:key, :value)"),
                    {"key": name, "value": f"plain {name}"},
                )
    finally:
        await engine.dispose()

    done = await rotate(database_url, Cipher.from_setting(KEY_A), batch=1)

    assert done.per_column == {"meta.value": 3} and done.batches == 3
    stored = await raw_values(database_url, "meta", "value")
    opened = sorted(Cipher.from_setting(KEY_A).open(value) for value in stored)
    assert opened == sorted([OLD_SECRET, "plain a_first", "plain z_last"])


@pytest.mark.parametrize(
    ("data_key", "message"),
    [(KEY_B, WRONG_KEY), (None, NO_KEY_FOR_SEALED)],
    ids=["wrong-key", "no-key"],
)
async def test_a_sealed_signing_key_without_its_data_key_stops_the_start_clearly(
    database_url: str, restore_cipher: None, data_key: str | None, message: str
) -> None:
    secret = secret_of(await started_signer(database_url, data_key=KEY_A))

    with pytest.raises(DataKeyError) as refused:
        await started_signer(database_url, data_key=data_key)

    assert str(refused.value) == message
    assert secret[:16] not in str(refused.value) and KEY_A not in str(refused.value)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("before", ["nothing", "a plain secret"])
async def test_two_replicas_starting_at_once_agree_on_one_signing_key(
    database_url: str, restore_cipher: None, before: str
) -> None:
    """Replica A makes (or seals) the secret and has not committed yet when replica B
    starts: B waits for A, then uses A's secret, and the row holds one sealed value."""
    if before == "a plain secret":
        await write_plain_secret(database_url, OLD_SECRET)
    crypto.use(Cipher.from_setting(DATA_KEY))
    one, two = make_engine(database_url), make_engine(database_url)
    try:
        async with make_sessionmaker(one)() as session, session.begin():
            first = await Repo(session).installation_secret(CALLBACK_KEY)
            second = asyncio.create_task(secret_in_own_transaction(two))
            await asyncio.sleep(0.5)
            assert not second.done()  # waiting for A's row
        assert await asyncio.wait_for(second, 10) == first
    finally:
        await one.dispose()
        await two.dispose()
    if before == "a plain secret":
        assert first == OLD_SECRET
    [stored] = await raw_values(database_url, "meta", "value")
    assert Cipher.from_setting(DATA_KEY).open(stored) == first


async def secret_in_own_transaction(engine: AsyncEngine) -> str:
    async with make_sessionmaker(engine)() as session, session.begin():
        return await Repo(session).installation_secret(CALLBACK_KEY)
