"""Typed settings, read once from the environment and an optional `.env` file.

Everything an operator can change lives here, so the README's settings table and
`.env.example` have one place to agree with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import SettingError

MATRIX_ID = re.compile(r"@[a-z0-9._=/+-]+:[A-Za-z0-9.-]+(:[0-9]{1,5})?")
"""A Matrix user id: `@localpart:server` (lower-case localpart, as the spec requires)."""
SERVER_NAME = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout (or image) root: `flows/` and `locales/` live beside the package."""

DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'netwerkcoach.db'}"


class Settings(BaseSettings):
    """All settings; field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,  # `NAME=` in .env means "not set", never an empty value
    )

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str | None = Field(default=None, alias="TELEGRAM_API_BASE_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    env: Literal["development", "production"] = Field(default="development", alias="BOT_ENV")
    allowed_users: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), alias="BOT_ALLOWED_USERS"
    )
    """Telegram user ids that may use the bot without an invite (see `bot.access`)."""
    retention_days: int = Field(default=30, ge=1, le=3650, alias="BOT_RETENTION_DAYS")
    """Days after closing a family before everything noted about it is deleted."""
    default_language: Literal["nl", "en"] = Field(default="nl", alias="BOT_DEFAULT_LANGUAGE")
    timezone: str = Field(default="Europe/Amsterdam", alias="BOT_TIMEZONE")
    log_level: str = Field(default="INFO", alias="BOT_LOG_LEVEL")
    concurrent_updates: int = Field(default=256, ge=1, alias="BOT_CONCURRENT_UPDATES")
    rate_limit_overall: float = Field(default=30.0, ge=0, alias="BOT_RATE_LIMIT")
    rate_limit_chat: float = Field(default=1.0, ge=0, alias="BOT_CHAT_RATE")
    polling_timeout: int = Field(default=30, ge=0, le=50, alias="BOT_POLLING_TIMEOUT")
    telegram_timeout: float = Field(default=5.0, gt=0, le=60, alias="BOT_TELEGRAM_TIMEOUT")
    """Seconds to wait for Telegram's answer to a message the bot sends before trying again."""
    callback_secret: SecretStr | None = Field(default=None, alias="BOT_CALLBACK_SECRET")
    data_key: SecretStr | None = Field(default=None, alias="BOT_DATA_KEY")
    """Fernet key(s), comma-separated, newest first, that seal family data at rest."""
    webhook_url: str | None = Field(default=None, alias="BOT_WEBHOOK_URL")
    """Public HTTPS address Telegram posts updates to; set: webhook mode, else long polling."""
    webhook_secret: SecretStr | None = Field(default=None, alias="BOT_WEBHOOK_SECRET")
    """Telegram sends it in `X-Telegram-Bot-Api-Secret-Token`; required in webhook mode."""
    webhook_listen: str = Field(default="127.0.0.1", alias="BOT_WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8080, ge=1, le=65535, alias="BOT_WEBHOOK_PORT")
    http_port: int | None = Field(default=None, ge=1, le=65535, alias="BOT_HTTP_PORT")
    """Long polling only: serve /healthz, /readyz and /metrics on this port (off if unset)."""
    reminder_lease: float = Field(default=300.0, ge=1, le=3600, alias="BOT_REMINDER_LEASE")
    """Seconds a process holds a reminder it claimed before another may send it (a process
    that died between claiming and sending); longer than a send with its retries."""
    matrix_homeserver: str | None = Field(default=None, alias="MATRIX_HOMESERVER")
    """The organisation's Matrix server (`https://matrix.gemeente.nl`); set: the Matrix
    channel runs (see `bot.channels.matrix`)."""
    matrix_user_id: str | None = Field(default=None, alias="MATRIX_USER_ID")
    """The bot's own account, `@netwerkcoach:gemeente.nl`."""
    matrix_password: SecretStr | None = Field(default=None, alias="MATRIX_PASSWORD")
    """For the first login only: afterwards the bot keeps its access token (sealed)."""
    matrix_access_token: SecretStr | None = Field(default=None, alias="MATRIX_ACCESS_TOKEN")
    matrix_device_id: str | None = Field(default=None, alias="MATRIX_DEVICE_ID")
    matrix_store_dir: Path = Field(
        default=PROJECT_ROOT / "data" / "matrix", alias="MATRIX_STORE_DIR"
    )
    """Where the bot's end-to-end encryption keys live (keep it with the database)."""
    matrix_allowed_users: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), alias="MATRIX_ALLOWED_USERS"
    )
    """Matrix ids (`@els:gemeente.nl`) that may use the bot without an invite."""
    matrix_allowed_servers: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), alias="MATRIX_ALLOWED_SERVERS"
    )
    """Server names (`gemeente.nl`) whose users may use the bot without an invite."""
    matrix_lease_seconds: float = Field(default=30.0, ge=1, le=600, alias="MATRIX_LEASE_SECONDS")
    """Seconds after which a second process takes over syncing from one that died."""
    flows_dir: Path = Field(default=PROJECT_ROOT / "flows", alias="BOT_FLOWS_DIR")
    locales_dir: Path = Field(default=PROJECT_ROOT / "locales", alias="BOT_LOCALES_DIR")

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        """An empty `TELEGRAM_BOT_TOKEN=` line in `.env` means: no token, use the console."""
        return None if value in ("", None) else value

    @field_validator("allowed_users", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        """`BOT_ALLOWED_USERS=123, 456`: Telegram user ids, separated by commas or spaces."""
        return _listed(
            value,
            lambda part: part.isdigit() and int(part) > 0,
            int,
            "not a Telegram user id: {!r} (use digits, e.g. 123456789)",
        )

    @field_validator("matrix_allowed_users", mode="before")
    @classmethod
    def _matrix_ids(cls, value: object) -> object:
        """`MATRIX_ALLOWED_USERS=@els:gemeente.nl, @piet:gemeente.nl`."""
        return _listed(
            value,
            lambda part: MATRIX_ID.fullmatch(part) is not None,
            str,
            "not a Matrix id: {!r} (use e.g. @els:gemeente.nl)",
        )

    @field_validator("matrix_allowed_servers", mode="before")
    @classmethod
    def _server_names(cls, value: object) -> object:
        """`MATRIX_ALLOWED_SERVERS=gemeente.nl, jeugdhulp.example`."""
        return _listed(
            value,
            lambda part: SERVER_NAME.fullmatch(part) is not None,
            str.lower,
            "not a Matrix server name: {!r} (use e.g. gemeente.nl)",
        )

    @field_validator("matrix_user_id", mode="before")
    @classmethod
    def _bot_matrix_id(cls, value: object) -> object:
        if value in ("", None):
            return None
        if not isinstance(value, str) or not MATRIX_ID.fullmatch(value):
            raise SettingError(
                f"MATRIX_USER_ID is not a Matrix id: {value!r} (use e.g. @netwerkcoach:gemeente.nl)"
            )
        return value

    @field_validator("matrix_homeserver", mode="before")
    @classmethod
    def _homeserver_url(cls, value: object) -> object:
        if value in ("", None):
            return None
        if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise SettingError(
                f"MATRIX_HOMESERVER is not an address: {value!r} (use e.g. https://matrix.gemeente.nl)"
            )
        return value.rstrip("/")

    @field_validator("telegram_api_base_url", "webhook_url", mode="before")
    @classmethod
    def _empty_url_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value


def _listed(
    value: object, valid: Callable[[str], bool], read: Callable[[str], Any], problem: str
) -> object:
    """A setting that lists values separated by commas or spaces, each checked."""
    if not isinstance(value, str):
        return value
    items = set()
    for part in value.replace(",", " ").split():
        if not valid(part):
            raise SettingError(problem.format(part))
        items.add(read(part))
    return frozenset(items)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings(...)` instead."""
    return Settings()
