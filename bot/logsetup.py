"""Logging for every entry point: one line per record on stderr, and no secrets in it.

Logs end up in `docker logs`, CI output and bug reports, where a bot token would let anyone
take over the bot and a family's label should never be. So the noisy libraries that print
request URLs (which carry the token), message texts or SQL parameters are pinned to a quiet
level here: on their own loggers, so it holds even with the root logger (or
`BOT_LOG_LEVEL`) at DEBUG and for every handler, not just ours. A filter on our handler
blanks any token that still slips through.
"""

from __future__ import annotations

import logging
import re
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "bot<redacted>"
TOKEN_IN_URL = re.compile(r"bot\d+:[A-Za-z0-9_-]{30,}")
MATRIX_TOKEN = re.compile(r"\b(syt|syr|mat|mct)_[A-Za-z0-9_-]{10,}")
"""Access and refresh tokens as Synapse (and MAS) make them."""
MATRIX_USER = re.compile(r"(?<![\w/:.])@[a-z0-9._=/+-]+:(?=[A-Za-z0-9.-]+)")
"""A Matrix id's own part (`@els.devries:`), which often is a practitioner's name."""

QUIET = {
    # python-telegram-bot logs every Bot API call with its parameters and its answer (the
    # practitioner's messages, labels and names) at DEBUG; its INFO lines are start/stop.
    "telegram": logging.INFO,
    # python-telegram-bot's HTTP client logs every request URL, token included, at INFO.
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "hpack": logging.WARNING,
    # SQLAlchemy logs statements with their parameters at INFO and rows at DEBUG as soon as
    # the root logger is that verbose; the drivers log the calls they run at DEBUG.
    "sqlalchemy": logging.WARNING,
    "asyncpg": logging.WARNING,
    # transitions logs an ERROR with repr(exception) for each refused transition, which our
    # own error handling already reports without the practitioner's input in it.
    "transitions": logging.CRITICAL,
    "aiosqlite": logging.WARNING,
    "asyncio": logging.WARNING,
    # matrix-nio logs user ids (often names), rooms and sessions at INFO; its warnings
    # (undecryptable events) are worth keeping, and the filter blanks the ids in them.
    "nio": logging.WARNING,
    "peewee": logging.WARNING,
    # uvicorn (the webhook server) logs each request's client and path at INFO (access
    # log, switched off anyway) and an unhandled error's traceback, whose message may quote
    # what was posted: the route catches its errors itself (channels/telegram/http.py).
    "uvicorn": logging.WARNING,
}

_installed: logging.Handler | None = None


class RedactFilter(logging.Filter):
    """Second line of defence: whatever a library logs, the token does not reach the output.

    It rewrites the final message (after %-formatting) and any traceback text, because an
    HTTP error's message often quotes the URL it failed on.
    """

    def __init__(self, token: str | None = None, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.token = token or None
        self.secrets = tuple(secret for secret in secrets if secret)
        self._tracebacks = logging.Formatter()

    def redact(self, text: str) -> str:
        if self.token:
            text = text.replace(f"bot{self.token}", REDACTED).replace(self.token, "<redacted>")
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        text = MATRIX_TOKEN.sub("<redacted>", text)
        text = MATRIX_USER.sub("@<redacted>:", text)
        return TOKEN_IN_URL.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._tracebacks.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def hide(secret: str | None) -> None:
    """Blank `secret` in every log line from now on: a value learned while running (the
    Matrix access token kept in the database) rather than read from the settings."""
    if not secret or _installed is None:
        return
    for found in _installed.filters:
        if isinstance(found, RedactFilter) and secret not in found.secrets:
            found.secrets = (*found.secrets, secret)


def configure_logging(level: str, token: str | None = None, secrets: tuple[str, ...] = ()) -> None:
    """Set up the root logger once per process; calling it again replaces our handler
    (tests and the CLI may both call it) instead of printing every line twice. `token` is
    the Telegram bot token, `secrets` any other value never to be printed (the Matrix
    password and access token)."""
    global _installed  # noqa: PLW0603 - one root handler per process, by design
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactFilter(token, secrets))
    root.addHandler(handler)
    root.setLevel(level.upper())
    _installed = handler
    for name, quiet_level in QUIET.items():
        logging.getLogger(name).setLevel(quiet_level)
