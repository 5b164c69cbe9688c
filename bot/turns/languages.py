"""The language each practitioner was last answered in, kept in memory."""

from __future__ import annotations

from collections import OrderedDict

LANGUAGE_CACHE = 10_000


class LastLanguages:
    """For answers that cannot wait for the database (it may be the reason for the
    failure). Bounded: the least recently seen practitioners are forgotten first."""

    def __init__(self, size: int = LANGUAGE_CACHE) -> None:
        self._size = size
        self._languages: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        return self._languages.get(key)

    def remember(self, key: str, language: str) -> None:
        self._languages[key] = language
        self._languages.move_to_end(key)
        if len(self._languages) > self._size:
            self._languages.popitem(last=False)
