"""Translations: English msgids in code and flows, Dutch and English catalogs in `locales/`.

The catalogs are read from the `.po` files with Babel at start-up, so what is committed is
what runs (no compiled `.mo` to forget). A turn carries its practitioner's `Translator`
(`Turn.t`), so the language is passed along, never looked up from a global.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
DOMAIN = "messages"


@dataclass(frozen=True)
class Translator:
    """One language's messages; a missing entry falls back to the English msgid."""

    language: str
    messages: dict[str, str]

    def gettext(self, msgid: str) -> str:
        return self.messages.get(msgid) or msgid

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)


class Catalogs:
    """All languages, loaded once."""

    def __init__(self, locales_dir: Path) -> None:
        self.dir = locales_dir
        self._translators: dict[str, Translator] = {}
        self._fuzzy: dict[str, set[str]] = {}
        for language in LANGUAGES:
            messages, fuzzy = _read(locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po")
            self._translators[language] = Translator(language, messages)
            self._fuzzy[language] = fuzzy

    def get(self, language: str) -> Translator:
        return self._translators.get(language) or self._translators[DEFAULT_LANGUAGE]

    def is_translated(self, msgid: str, language: str = DEFAULT_LANGUAGE) -> bool:
        """True when the catalog has a finished (non-empty, non-fuzzy) translation."""
        return bool(self._translators[language].messages.get(msgid))


def _read(path: Path) -> tuple[dict[str, str], set[str]]:
    if not path.exists():
        return {}, set()
    with path.open("rb") as handle:
        catalog = read_po(handle)
    messages: dict[str, str] = {}
    fuzzy: set[str] = set()
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        if message.fuzzy:
            fuzzy.add(message.id)
            continue
        if isinstance(message.string, str) and message.string:
            messages[message.id] = message.string
    return messages, fuzzy


def language_for(language_code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Telegram's `language_code` on first contact: `en*` gives English, anything else the
    default language (Dutch, unless the operator chose otherwise)."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return default


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a msgid for extraction without translating it yet."""
    return msgid
