"""Encryption at rest for family data: labels, names, notes, answers and audit values.

The bot keeps notes about vulnerable families and about third parties who never agreed to
be in a database. A dump, a stolen backup or a curious database administrator must see
nothing readable, so every value of a `SensitiveText` / `SensitiveJSON` column is sealed
with Fernet (AES-128-CBC with an HMAC, from `cryptography`) before it reaches the driver.

- One key per installation, from `BOT_DATA_KEY`. Several comma-separated keys, newest
  first, allow rotation: the newest key writes, every key reads (`MultiFernet`), and
  `python -m bot db rotate-key` rewrites everything with the newest one.
- A stored value is `enc1:` + a Fernet token. A value without the prefix was written before
  a key was set; it is read as it is, and `rotate-key` encrypts it.
- The cipher is process-wide and set once at start-up (`configure_data_key`): the column
  types cannot receive it any other way, and models and queries stay unaware of it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import NetwerkcoachError

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

OPENED_CACHE = 2048
"""Decrypted values remembered (`Cipher.open`): a few per active practitioner."""
OPENED_MAX = 4096
"""Longer stored values are decrypted every time: the cache stays under about 10 MB."""

PREFIX = "enc1:"
"""Marks a sealed value; the digit leaves room for another scheme later."""

SETTING = "BOT_DATA_KEY"
HOW_TO = (
    "Make a key with `python -m bot db new-key`, set it as BOT_DATA_KEY (in .env or the "
    "environment) and keep a copy somewhere safe: without it the data cannot be read."
)
MISSING_IN_PRODUCTION = (
    "BOT_DATA_KEY is not set, and BOT_ENV=production refuses to store family data "
    "unencrypted. " + HOW_TO
)
MISSING_IN_DEVELOPMENT = (
    "BOT_DATA_KEY is not set: labels, names and notes are stored UNENCRYPTED "
    "(allowed only because BOT_ENV=development). " + HOW_TO
)
NO_KEY_FOR_SEALED = (
    "An encrypted value was read, but BOT_DATA_KEY is not set. Set the key this database "
    "was written with."
)
WRONG_KEY = (
    "A stored value cannot be decrypted with any key in BOT_DATA_KEY: the key it was "
    "written with is missing. Put that key back (after the newest one, comma-separated) "
    "and run `python -m bot db rotate-key`."
)


class DataKeyError(NetwerkcoachError):
    """The data key is missing, malformed or does not fit the stored data.

    Messages name the setting and what to do, and never contain a key or a value.
    """


def new_key() -> str:
    """A fresh random key, as `BOT_DATA_KEY` expects it (url-safe base64, 32 bytes)."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw: str) -> list[Fernet]:
    """`BOT_DATA_KEY` as Fernet keys, newest first; a bad key is named by its position."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts:
        raise DataKeyError(f"{SETTING} is empty. {HOW_TO}")
    keys: list[Fernet] = []
    for number, part in enumerate(parts, 1):
        try:
            keys.append(Fernet(part.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            raise DataKeyError(
                f"{SETTING}: key {number} of {len(parts)} is not a valid key "
                f"(it must be 32 url-safe base64-encoded bytes). {HOW_TO}"
            ) from None
    return keys


class Cipher:
    """Seals with the newest key and opens with any of them."""

    def __init__(self, keys: Sequence[Fernet]) -> None:
        if not keys:
            raise DataKeyError(f"{SETTING} holds no key. {HOW_TO}")
        self._newest = keys[0]
        self._any = MultiFernet(list(keys))
        self.key_count = len(keys)
        self._opened: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def from_setting(cls, raw: str) -> Cipher:
        return cls(parse_keys(raw))

    def seal(self, plain: str) -> str:
        return PREFIX + self._any.encrypt(plain.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str:
        """The plain text of a value as stored; unsealed (older) values pass unchanged.

        A turn reads the same few values it read on the previous turn (the practitioner's
        settings, the conversation's answers and trail, the family's label): the last
        `OPENED_CACHE` tokens (of at most `OPENED_MAX` characters) are remembered with their
        plain text, which made decrypting (an HMAC and AES per value) cost nothing on most
        reads in `make bench`. A token is a value exactly as stored, so a remembered one
        is never stale. It is in memory only, and deleting a family, a person, an
        agreement or a practitioner empties it (`forget_opened`), so deleted data does not
        linger there."""
        if not is_sealed(stored):
            return stored
        opened = self._opened.get(stored)
        if opened is not None:
            self._opened.move_to_end(stored)
            return opened
        try:
            opened = self._any.decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise DataKeyError(WRONG_KEY) from None
        if len(stored) <= OPENED_MAX:
            self._opened[stored] = opened
            if len(self._opened) > OPENED_CACHE:
                self._opened.popitem(last=False)
        return opened

    def forget(self) -> None:
        """Drop every remembered plain text (see `open`)."""
        self._opened.clear()

    def reseal(self, stored: str) -> str | None:
        """The value sealed with the newest key, or None when it already is.

        Plain (pre-key) values get sealed; values of an older key get a new token (with
        the original timestamp, as `MultiFernet.rotate` keeps it). Raises `DataKeyError`
        when no key opens it.
        """
        if not is_sealed(stored):
            return self.seal(stored)
        token = stored[len(PREFIX) :].encode("ascii")
        try:
            self._newest.decrypt(token)
        except InvalidToken:
            pass
        else:
            return None
        try:
            return PREFIX + self._any.rotate(token).decode("ascii")
        except InvalidToken:
            raise DataKeyError(WRONG_KEY) from None


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


# --- the process-wide cipher ---------------------------------------------------------------

_cipher: Cipher | None = None


def use(cipher: Cipher | None) -> None:
    """Set (or, with None, clear) the cipher the column types use from now on."""
    global _cipher  # noqa: PLW0603 - one cipher per process, set at start-up
    _cipher = cipher


def active() -> Cipher | None:
    return _cipher


def seal(plain: str) -> str:
    """What a sensitive column stores: sealed with a key, as it is without one."""
    return plain if _cipher is None else _cipher.seal(plain)


def forget_opened() -> None:
    """After deleting family data: no decrypted copy of it stays in memory."""
    if _cipher is not None:
        _cipher.forget()


def unseal(stored: str) -> str:
    """What a sensitive column reads; old plain values pass, sealed ones need the key."""
    if not is_sealed(stored):
        return stored
    if _cipher is None:
        raise DataKeyError(NO_KEY_FOR_SEALED)
    return _cipher.open(stored)


def configure_data_key(settings: Settings) -> Cipher | None:
    """Set the process-wide cipher from `BOT_DATA_KEY`; every entry point calls this first.

    Without a key, production refuses (`DataKeyError`) and development warns once and
    stores plain text, so a first `make run` needs nothing but stays honest about it.
    """
    secret = settings.data_key
    if secret is None:
        if settings.env == "production":
            raise DataKeyError(MISSING_IN_PRODUCTION)
        log.warning(MISSING_IN_DEVELOPMENT)
        use(None)
        return None
    cipher = Cipher.from_setting(secret.get_secret_value())
    use(cipher)
    return cipher
