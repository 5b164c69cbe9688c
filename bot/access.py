"""Who may use the bot: decided once, when someone without a practitioner row writes.

A practitioner row is made only for someone the operator let in:

- the console's local practitioner, always;
- a Telegram user id in `BOT_ALLOWED_USERS`;
- whoever redeems a one-time invite (`python -m bot invite`: `/start <code>` or the link
  `https://t.me/<bot>?start=<code>`); the invite is used up in the same transaction that
  makes the row, so it works once;
- in development only, while no allow-list is set and no invite was ever made: everyone
  ("open"), with a loud warning at start-up. Production is never open.

A revoked practitioner (`python -m bot admin revoke`) is refused, also when still on the
allow-list, until they redeem a new invite. Registered practitioners keep access: the
unit of work (`bot.turns`) asks here only when it finds no row, so nothing is added to a
practitioner's turn.

Anyone else gets one polite refusal and nothing about them is written. A refused id is
remembered in memory only, so that a stranger gets at most one answer a minute.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.config import Settings
from bot.engine.events import Command, Event, Identity
from bot.errors import NetwerkcoachError
from bot.i18n import N_
from bot.store.models import utcnow
from bot.store.repo import Repo

TELEGRAM = "telegram"
MATRIX = "matrix"
CONSOLE_KEY = "console:local"
START = "start"  # the command that carries an invite code (the engine's /start)
INVITE_BYTES = 16
"""128 random bits: 22 characters of [A-Za-z0-9_-], fit for a Telegram deep link."""
ANSWER_EVERY = 60.0
"""Seconds between two refusals to the same stranger; messages in between get none."""
MAX_REMEMBERED = 10_000

NO_ACCESS = N_(
    "Hello! I am Netwerkcoach, a bot for youth-care practitioners. Only practitioners "
    "admitted by their organisation can use me, and you have no access (yet).\n\n"
    "To get access, ask your organisation's operator (whoever manages this bot) for an "
    "invite. With the link or code in it you can start right away.\n\n"
    "I have not stored anything about you."
)
BAD_INVITE = N_(
    "That invite code does not work: it was used already, has expired or is mistyped. "
    "Please ask your organisation's operator for a new invite.\n\n"
    "I have not stored anything about you."
)


def telegram_key(user_id: int) -> str:
    """The practitioner key of a Telegram user (`Identity.key`)."""
    return f"{TELEGRAM}:{user_id}"


def telegram_id(key: str) -> int | None:
    """The Telegram user id in a practitioner key, or None for another channel."""
    channel, _, rest = key.partition(":")
    return int(rest) if channel == TELEGRAM and rest.isdigit() else None


def matrix_key(user_id: str) -> str:
    """The practitioner key of a Matrix user (`@els:gemeente.nl`): one practitioner per
    Matrix account, whichever room they write from."""
    return f"{MATRIX}:{user_id}"


def matrix_user(key: str) -> str | None:
    """The Matrix user id in a practitioner key, or None for another channel."""
    channel, _, rest = key.partition(":")
    return rest if channel == MATRIX and rest.startswith("@") else None


def server_of(user_id: str) -> str:
    """`gemeente.nl` of `@els:gemeente.nl` (a port, if any, is part of the name)."""
    return user_id.partition(":")[2].lower()


def matrix_allowed(settings: Settings, user_id: str) -> bool:
    """On `MATRIX_ALLOWED_USERS`, or from a server on `MATRIX_ALLOWED_SERVERS`."""
    return (
        user_id in settings.matrix_allowed_users
        or server_of(user_id) in settings.matrix_allowed_servers
    )


def has_allow_list(settings: Settings) -> bool:
    return bool(
        settings.allowed_users or settings.matrix_allowed_users or settings.matrix_allowed_servers
    )


def new_invite_code() -> str:
    return secrets.token_urlsafe(INVITE_BYTES)


def hash_code(code: str) -> str:
    """What is stored of an invite code. The code is random, so a plain hash is enough:
    there is nothing to guess it from."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


def invite_code(event: Event) -> str | None:
    """The code in `/start <code>`; a deep link arrives as exactly that."""
    if isinstance(event, Command) and event.name == START and event.arg.strip():
        return event.arg.split()[0]
    return None


async def create_invite(repo: Repo, days: int, now: datetime) -> tuple[str, datetime]:
    """A new invite valid for `days`; returns the code (shown once, never stored) and
    when it expires."""
    code = new_invite_code()
    expires = now + timedelta(days=days)
    await repo.add_invite(hash_code(code), expires)
    return code, expires


async def is_open(repo: Repo, settings: Settings) -> bool:
    """Development without an allow-list and without any invite: everyone may start."""
    return (
        settings.env == "development"
        and not has_allow_list(settings)
        and not await repo.any_invites()
    )


async def allowed_without_invite(repo: Repo, settings: Settings, key: str) -> bool:
    """Whether `key` may (again) get a practitioner row without redeeming an invite."""
    if key == CONSOLE_KEY:
        return True
    if await repo.is_revoked(key):
        return False
    user_id = telegram_id(key)
    if user_id is not None and user_id in settings.allowed_users:
        return True
    matrix_id = matrix_user(key)
    if matrix_id is not None and matrix_allowed(settings, matrix_id):
        return True
    return await is_open(repo, settings)


async def may_invite(repo: Repo, settings: Settings, key: str, now: datetime) -> bool:
    """Whether the bot accepts an invite to a chat from `key` (Matrix): a practitioner,
    someone it would admit without an invite, or anyone while an unused invite code is
    waiting, since that person can only send the code once the bot is in the chat (the
    gate then decides on their first message, and the channel leaves when it refuses)."""
    if await repo.practitioner(key, lock=False) is not None:
        return True
    if await allowed_without_invite(repo, settings, key):
        return True
    return await repo.valid_invites(now) > 0


async def startup_warning(repo: Repo, settings: Settings) -> str | None:
    """A line for the operator when access is not what production needs."""
    if await is_open(repo, settings):
        return (
            "ACCESS IS OPEN: BOT_ENV=development without an allow-list (BOT_ALLOWED_USERS, "
            "MATRIX_ALLOWED_USERS, MATRIX_ALLOWED_SERVERS) and without any invite, so EVERY "
            "user who finds this bot can use it. Set an allow-list or make an invite "
            "(python -m bot invite) to close it."
        )
    if not has_allow_list(settings) and not await repo.any_invites():
        return (
            "Nobody new can start: no allow-list (BOT_ALLOWED_USERS, MATRIX_ALLOWED_USERS, "
            "MATRIX_ALLOWED_SERVERS) is set and no invite was made yet. "
            "Make one with `python -m bot invite`."
        )
    return None


class NotAdmitted(NetwerkcoachError):  # noqa: N818 - a verdict, like Reject
    """Someone who may not use the bot; nothing of the turn is kept.

    `msgid` is the refusal to show (how to get access); `bot.turns` answers it in the
    language their app reports, at most once a minute.
    """

    def __init__(self, msgid: str) -> None:
        self.msgid = msgid
        super().__init__(msgid)


class RefusalLimiter:
    """When each recently refused key was last answered; in memory only, and bounded:
    entries older than a minute are dropped, and at most `max_keys` are kept."""

    def __init__(
        self,
        *,
        every: float = ANSWER_EVERY,
        max_keys: int = MAX_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = every
        self.max_keys = max_keys
        self.clock = clock
        self._answered: OrderedDict[str, float] = OrderedDict()

    def _prune(self, now: float) -> None:
        while self._answered:
            key, at = next(iter(self._answered.items()))
            if now - at < self.every and len(self._answered) < self.max_keys:
                break
            del self._answered[key]

    def silenced(self, key: str) -> bool:
        """True while `key` was refused less than a minute ago."""
        at = self._answered.get(key)
        return at is not None and self.clock() - at < self.every

    def answer(self, key: str) -> bool:
        """Whether a refusal may be sent to `key` now; if so, remember that it was."""
        if self.silenced(key):
            return False
        now = self.clock()
        self._answered.pop(key, None)
        self._prune(now)
        self._answered[key] = now
        return True

    def forget(self, key: str) -> None:
        self._answered.pop(key, None)

    def __len__(self) -> int:
        return len(self._answered)


class Access:
    """The gate `bot.turns` consults before it makes a practitioner row."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        limiter: RefusalLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.limiter = limiter or RefusalLimiter()

    def silenced(self, who: Identity, event: Event) -> bool:
        """Drop a message without a database query: its sender was refused less than a
        minute ago. An invite code is always looked at, so someone who was refused and
        then got an invite can use it at once."""
        return invite_code(event) is None and self.limiter.silenced(who.key)

    async def admit(self, repo: Repo, who: Identity, event: Event) -> None:
        """Return when `who` may get a practitioner row; raise `NotAdmitted` otherwise.
        Redeeming an invite happens here, inside the caller's transaction."""
        code = invite_code(event)
        if await allowed_without_invite(repo, self.settings, who.key):
            self.limiter.forget(who.key)
            return
        if code is not None and await repo.redeem_invite(hash_code(code), self.clock()):
            await repo.lift_revocation(who.key)
            self.limiter.forget(who.key)
            return
        raise NotAdmitted(BAD_INVITE if code is not None else NO_ACCESS)

    async def may_invite(self, repo: Repo, who: Identity) -> bool:
        """See `may_invite`: whether the bot joins a chat `who` invites it to."""
        return await may_invite(repo, self.settings, who.key, self.clock())

    def may_answer(self, who: Identity) -> bool:
        """Whether this refusal is sent (at most one a minute per stranger)."""
        return self.limiter.answer(who.key)
