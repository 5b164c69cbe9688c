"""`python -m bot ...`: the one entry point for operators, content authors and `make`.

Each subcommand reads the same settings and sets up the same logging first, so what works
in `make flows-check` on a laptop is what runs in the container.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from babel.messages.pofile import read_po, write_po
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

import bot.actions  # noqa: F401 - registers the guards, actions, providers and views
from bot import admin
from bot.access import telegram_id
from bot.channels.console import run_console
from bot.config import PROJECT_ROOT, Settings, get_settings
from bot.diagram import mermaid
from bot.engine.errors import FlowError, FlowErrors
from bot.engine.loader import load_flows
from bot.engine.registry import registry
from bot.errors import SettingError, StartupError
from bot.i18n import Catalogs
from bot.logsetup import configure_logging
from bot.retention import Pass
from bot.store.crypto import HOW_TO, WRONG_KEY, Cipher, DataKeyError, new_key
from bot.store.migrate import head_revision, upgrade
from bot.store.rekey import rotate

Handler = Callable[[Settings, argparse.Namespace], int]

DEFAULT_DIAGRAM_DIR = PROJECT_ROOT / "docs" / "flows"
DEFAULT_INVITE_DAYS = 7
MAX_INVITE_DAYS = 365
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, configure, dispatch; content errors become `file:line` lines, not tracebacks."""
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"Invalid settings (environment or .env):\n{exc}", file=sys.stderr)
        return 2
    token = settings.telegram_bot_token
    try:
        matrix_secrets = tuple(
            secret.get_secret_value()
            for secret in (settings.matrix_password, settings.matrix_access_token)
            if secret is not None
        )
        configure_logging(
            settings.log_level, token.get_secret_value() if token else None, matrix_secrets
        )
    except ValueError as exc:
        print(f"BOT_LOG_LEVEL: {exc}", file=sys.stderr)
        return 2
    handler: Handler = args.handler
    try:
        return handler(settings, args)
    except FlowErrors as exc:
        print_flow_errors(exc.errors)
        return 1
    except DataKeyError as exc:  # no key in production, a malformed or wrong key
        print(f"Netwerkcoach: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Netwerkcoach: run the bot, chat in a terminal, check flows, manage the "
        "database and catalogs.",
    )
    parser.set_defaults(handler=cmd_run)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser(
        "run", help="the Telegram bot if TELEGRAM_BOT_TOKEN is set, else the console chat"
    )
    run.set_defaults(handler=cmd_run)
    chat = commands.add_parser("chat", help="the conversation in this terminal")
    chat.set_defaults(handler=cmd_chat)

    flows = commands.add_parser("flows", help="check or draw the flows")
    flow_commands = flows.add_subparsers(title="flows commands", metavar="ACTION", required=True)
    check = flow_commands.add_parser("check", help="validate flows/*.yaml and their Dutch texts")
    check.add_argument("--dir", type=Path, help="flow folder (default: BOT_FLOWS_DIR)")
    check.set_defaults(handler=cmd_flows_check)
    diagram = flow_commands.add_parser("diagram", help="a Mermaid state diagram per flow")
    diagram.add_argument("--dir", type=Path, help="flow folder (default: BOT_FLOWS_DIR)")
    diagram.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_DIAGRAM_DIR,
        help="where to write <flow>.mmd (default: docs/flows)",
    )
    diagram.set_defaults(handler=cmd_flows_diagram)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(title="db commands", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply all migrations")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    new_key = db_commands.add_parser("new-key", help="print a fresh key for BOT_DATA_KEY")
    new_key.set_defaults(handler=cmd_db_new_key)
    rotate_key = db_commands.add_parser(
        "rotate-key",
        help="re-encrypt all family data and the signing key with the newest key in BOT_DATA_KEY",
    )
    rotate_key.add_argument(
        "--batch", type=int, default=500, help="rows per committed batch (default: 500)"
    )
    rotate_key.set_defaults(handler=cmd_db_rotate_key)

    invite = commands.add_parser("invite", help="make a one-time invite code and link")
    invite.add_argument(
        "--days",
        type=int,
        default=DEFAULT_INVITE_DAYS,
        help=f"how long it can be used (default: {DEFAULT_INVITE_DAYS} days)",
    )
    invite.set_defaults(handler=cmd_invite)

    admin = commands.add_parser("admin", help="practitioners: list, revoke access, counts")
    admin_commands = admin.add_subparsers(title="admin commands", metavar="ACTION", required=True)
    admin_list = admin_commands.add_parser("list", help="every practitioner, without content")
    admin_list.set_defaults(handler=cmd_admin_list)
    revoke = admin_commands.add_parser(
        "revoke", help="revoke a practitioner's access and delete all their data"
    )
    revoke.add_argument("id", type=int, help="the practitioner's id, as `admin list` shows it")
    revoke.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    revoke.set_defaults(handler=cmd_admin_revoke)
    admin_counts = admin_commands.add_parser("counts", help="how much is stored, never what")
    admin_counts.set_defaults(handler=cmd_admin_counts)

    retention = commands.add_parser("retention", help="deleting closed families")
    retention_commands = retention.add_subparsers(
        title="retention commands", metavar="ACTION", required=True
    )
    retention_run = retention_commands.add_parser(
        "run", help="delete closed families past BOT_RETENTION_DAYS and send due reminders"
    )
    retention_run.set_defaults(handler=cmd_retention_run)

    i18n = commands.add_parser("i18n", help="translation catalogs")
    i18n_commands = i18n.add_subparsers(title="i18n commands", metavar="ACTION", required=True)
    fill = i18n_commands.add_parser("fill-en", help="English msgstr = msgid where empty")
    fill.set_defaults(handler=cmd_fill_en)
    return parser


# --- run and chat --------------------------------------------------------------------------


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    """Every configured messenger in one process; the console when none is."""
    from bot.serve import channels

    running = channels(settings)
    if not running and settings.env == "production":
        # In a container the console would exit at once and be restarted forever.
        print(
            "Netwerkcoach: BOT_ENV=production needs a messenger: set TELEGRAM_BOT_TOKEN, "
            "or MATRIX_HOMESERVER with MATRIX_USER_ID",
            file=sys.stderr,
        )
        return 2
    if not running:
        announce("console chat (no TELEGRAM_BOT_TOKEN or MATRIX_HOMESERVER set)", settings)
        return chat(settings)
    try:
        check_channels(settings)
    except SettingError as exc:  # a missing or wrong setting, named
        print(f"Netwerkcoach: {exc}", file=sys.stderr)
        return 2
    announce(" and ".join(CHANNEL_NAMES[name] for name in running), settings)
    from bot.serve import run

    try:
        run(settings)
    except (SettingError, StartupError) as exc:  # e.g. a refused Matrix password
        print(f"Netwerkcoach: {exc}", file=sys.stderr)
        return 2
    return 0


CHANNEL_NAMES = {"telegram": "Telegram bot", "matrix": "Matrix bot"}


def check_channels(settings: Settings) -> None:
    """What can be checked before anything starts; raises `SettingError`."""
    if settings.webhook_url is not None and settings.telegram_bot_token is not None:
        from bot.channels.telegram.app import webhook_secret

        webhook_secret(settings)
    if settings.matrix_homeserver is not None:
        from bot.channels.matrix.client import check

        check(settings)


def cmd_chat(settings: Settings, _args: argparse.Namespace) -> int:
    announce("console chat", settings)
    return chat(settings)


def chat(settings: Settings) -> int:
    try:
        asyncio.run(run_console(settings))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return 0


def announce(mode: str, settings: Settings) -> None:
    """One line on stderr, so an operator sees at once which bot and which data this is."""
    print(f"Netwerkcoach: {mode}, database {safe_url(settings.database_url)}", file=sys.stderr)
    if settings.data_key is None and settings.env != "production":
        print(
            "Netwerkcoach: WARNING: BOT_DATA_KEY is not set, family data is stored "
            "UNENCRYPTED. Make a key with `python -m bot db new-key`.",
            file=sys.stderr,
        )


def safe_url(url: str) -> str:
    """The database URL without its password, fit for logs and terminals."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable DATABASE_URL>"


# --- flows ---------------------------------------------------------------------------------


def cmd_flows_check(settings: Settings, args: argparse.Namespace) -> int:
    """The start-up validation, Dutch catalog included, without starting anything."""
    catalogs = Catalogs(settings.locales_dir)
    flows = load_flows(args.dir or settings.flows_dir, registry, catalogs.is_translated)
    print(f"OK: {len(flows.flows)} flows, {len(flows.tips())} tips")
    return 0


def cmd_flows_diagram(settings: Settings, args: argparse.Namespace) -> int:
    """Structure only: a diagram is useful while the Dutch texts are still being written."""
    flows = load_flows(args.dir or settings.flows_dir, registry)
    english = Catalogs(settings.locales_dir).get("en").gettext
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for flow in flows:
        (out / f"{flow.id}.mmd").write_text(mermaid(flow, english), encoding="utf-8")
        command = f"/{flow.command}" if flow.command else ""
        rows.append(
            f"| {flow.id} | {flow.title} | {command} | {len(flow.steps)} "
            f"| [{flow.id}.mmd]({flow.id}.mmd) |"
        )
    print("# Flows\n")
    print("One Mermaid state diagram per flow, made by `python -m bot flows diagram`.\n")
    print("| Flow | Title | Command | Steps | Diagram |")
    print("|------|-------|---------|-------|---------|")
    print("\n".join(rows))
    return 0


def print_flow_errors(errors: Sequence[FlowError]) -> None:
    """`file:line: message`, paths relative to here when possible, so editors can jump."""
    here = Path.cwd()
    for error in errors:
        path = error.path
        if path.is_absolute() and path.is_relative_to(here):
            path = path.relative_to(here)
        print(f"{path}:{error.line}: {error.message}", file=sys.stderr)
    print(f"{len(errors)} problem(s) in the flows.", file=sys.stderr)


# --- database and catalogs -------------------------------------------------------------------


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    print(f"Database at revision {head_revision()}: {safe_url(settings.database_url)}")
    return 0


def cmd_db_new_key(_settings: Settings, _args: argparse.Namespace) -> int:
    """Only the key on stdout, so `python -m bot db new-key >> keyfile` works."""
    print(new_key())
    return 0


def cmd_db_rotate_key(settings: Settings, args: argparse.Namespace) -> int:
    """Reseal every sensitive value with the newest key; counts only, never values."""
    if settings.data_key is None:
        print(f"Netwerkcoach: nothing to rotate to. {HOW_TO}", file=sys.stderr)
        return 2
    if args.batch < 1:
        print("Netwerkcoach: --batch must be at least 1", file=sys.stderr)
        return 2
    cipher = Cipher.from_setting(settings.data_key.get_secret_value())
    upgrade(settings.database_url)
    done = asyncio.run(rotate(settings.database_url, cipher, batch=args.batch))
    for column_name, count in sorted(done.per_column.items()):
        print(f"{column_name}: {count} re-encrypted")
    print(
        f"Re-encrypted {done.resealed} value(s) with the newest key, "
        f"{done.current} already were, {done.unreadable} unreadable: "
        f"{safe_url(settings.database_url)}"
    )
    if done.unreadable:
        print(
            f"Netwerkcoach: {done.unreadable} value(s) left as they were. {WRONG_KEY}",
            file=sys.stderr,
        )
        return 1
    return 0


# --- access, practitioners and retention (operators) -----------------------------------


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    """The code is printed once and only its hash is stored."""
    if not 1 <= args.days <= MAX_INVITE_DAYS:
        print(f"Netwerkcoach: --days must be 1 to {MAX_INVITE_DAYS}", file=sys.stderr)
        return 2
    code, expires, username = asyncio.run(invite(settings, args.days))
    print(f"Invite code: {code}")
    if username:
        print(f"Link:        https://t.me/{username}?start={code}")
    elif settings.telegram_bot_token is not None or settings.matrix_user_id is None:
        print(f"Or send the bot: /start {code}")
    if settings.matrix_user_id is not None:
        print(
            f"On Matrix:   start a direct chat with {settings.matrix_user_id} and send: "
            f"!start {code}"
        )
    print(
        f"Valid once, until {expires:%Y-%m-%d %H:%M} UTC. Give it to one practitioner; "
        "it is not stored and cannot be shown again."
    )
    return 0


async def invite(settings: Settings, days: int) -> tuple[str, datetime, str | None]:
    """A new invite, and the bot's username for its link."""
    code, expires = await admin.new_invite(settings, days)
    return code, expires, await bot_username(settings)


async def bot_username(settings: Settings) -> str | None:
    """The bot's @username from Telegram (getMe), for the invite link; None without a
    token or when Telegram cannot be reached."""
    if settings.telegram_bot_token is None:
        return None
    from telegram.error import TelegramError

    from bot.channels.telegram.app import make_bot

    try:
        async with make_bot(settings) as telegram:
            return telegram.username
    except TelegramError as exc:
        print(
            f"Netwerkcoach: no bot username from Telegram ({type(exc).__name__})", file=sys.stderr
        )
        return None


def cmd_admin_list(settings: Settings, _args: argparse.Namespace) -> int:
    rows = asyncio.run(admin.practitioners(settings))
    if not rows:
        print("No practitioners yet.")
        return 0
    print(f"{'id':>5}  {'telegram':<14}  {'language':<8}  {'since':<10}  {'cases':>5}")
    for row in rows:
        print(
            f"{row.id:>5}  {row.account:<14}  {row.language:<8}  "
            f"{row.created_at:%Y-%m-%d}  {row.cases:>5}"
        )
    return 0


def cmd_admin_counts(settings: Settings, _args: argparse.Namespace) -> int:
    for name, count in asyncio.run(admin.counts(settings)).items():
        print(f"{name:<15} {count:>6}")
    return 0


def cmd_admin_revoke(settings: Settings, args: argparse.Namespace) -> int:
    """Asks first (unless --yes): the practitioner's data cannot be brought back."""
    stored = asyncio.run(admin.stored_by(settings, args.id))
    if stored is None:
        print(
            f"No practitioner with id {args.id}; see `python -m bot admin list`.", file=sys.stderr
        )
        return 1
    who = stored.practitioner
    totals = stored.totals
    print(
        f"Practitioner {who.id} ({who.account}): {totals['cases']} case(s), "
        f"{totals['people']} people, {totals['agreements']} agreement(s)."
    )
    if not args.yes and not confirm(
        "Revoke their access and delete all their data? This cannot be undone. [y/N] "
    ):
        print("Nothing changed.")
        return 1
    if asyncio.run(admin.revoke(settings, args.id)) is None:
        print(f"Practitioner {args.id} was deleted in the meantime.", file=sys.stderr)
        return 1
    print(
        f"Revoked: practitioner {who.id} and all their data are deleted, and they are refused "
        "from now on. Only a new invite (`python -m bot invite`) lets them in again."
    )
    user_id = telegram_id(stored.external_key)
    if user_id is not None and user_id in settings.allowed_users:
        print(f"Also remove {user_id} from BOT_ALLOWED_USERS (the revocation keeps them out).")
    return 0


def confirm(question: str) -> bool:
    """y/N on the terminal; no answer (end of input) is no."""
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes", "j", "ja")


def cmd_retention_run(settings: Settings, _args: argparse.Namespace) -> int:
    """One pass, as the running bot does every hour; reminders need the Telegram token."""
    done = asyncio.run(retention_pass(settings))
    print(
        f"Retention ({settings.retention_days} days after closing): {done.deleted} closed "
        f"case(s) deleted, {done.reminded} reminder(s) sent."
    )
    if settings.telegram_bot_token is None:
        print("No TELEGRAM_BOT_TOKEN: reminders were not sent (the bot sends them later).")
    return 0


async def retention_pass(settings: Settings) -> Pass:
    if settings.telegram_bot_token is None:
        return await admin.retention_pass(settings, None)
    from bot.channels.telegram.app import make_bot
    from bot.channels.telegram.channel import TelegramNotifier

    async with make_bot(settings) as telegram:
        return await admin.retention_pass(settings, TelegramNotifier(telegram))


def cmd_fill_en(settings: Settings, _args: argparse.Namespace) -> int:
    path = settings.locales_dir / "en" / "LC_MESSAGES" / "messages.po"
    filled = fill_from_msgids(path)
    print(f"{path}: {filled} English text(s) taken from their msgid")
    return 0


def fill_from_msgids(path: Path) -> int:
    """Give every untranslated or fuzzy entry its msgid as translation; returns how many.

    The msgids are English, so for the English catalog this is the right text, and a fuzzy
    entry's old text belongs to a different msgid: the msgid is better than stale text.
    """
    with path.open("rb") as handle:
        catalog = read_po(handle)
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy or not _translated(message.string):
            if isinstance(message.id, tuple):
                singular, plural = message.id[0], message.id[1]
                message.string = (singular, *[plural] * (catalog.num_plurals - 1))
            else:
                message.string = message.id
            message.flags.discard("fuzzy")
            filled += 1
    catalog.fuzzy = False
    partial = path.with_name(path.name + ".tmp")
    with partial.open("wb") as handle:
        write_po(handle, catalog, no_location=True, sort_output=True, width=76)
    os.replace(partial, path)
    return filled


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)
