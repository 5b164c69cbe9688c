"""What a practitioner's last turn left, kept for their next turn in this process.

Every turn starts by reading the practitioner with their current conversation and active
case. On PostgreSQL that read was a tenth of an update's CPU in `make bench`, and nearly
always it finds exactly what this process wrote at the end of the previous turn. So the
objects are kept (a bounded number, least recently used out), and the next turn takes
them instead of reading, when it can tell that nothing else changed them since:

- the turn's first statement moves the practitioner's `version` by one and returns it
  (`bot.store.dedup`), and triggers move it on every other change to their row, their
  conversations or their cases (migration 0007), by another process, a job or by hand;
- so a returned number one higher than the one kept means: only our own last turn
  happened in between, and what it committed is what we kept.

Anything else (another number, a turn that failed, deleted something or erased the
practitioner) is read from the database as before. On SQLite, where there are no
triggers, `version` is not returned and every turn reads. The objects hold decrypted
family data, so deleting family data anywhere in the process empties the store
(`crypto.forget_opened`), as it empties the decryption cache.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass

from bot.store.models import Case, Conversation, Practitioner

KEEP = 1024
"""Practitioners whose last turn is kept (a few kB each)."""

_ALL: weakref.WeakSet[LastTurns] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class LastTurn:
    version: int
    practitioner: Practitioner
    conversation: Conversation | None
    case: Case | None


class LastTurns:
    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._turns: OrderedDict[str, LastTurn] = OrderedDict()
        _ALL.add(self)

    def take(self, key: str, version: int | None) -> LastTurn | None:
        """The last turn of `key` if the database moved on by just the turn now begun;
        either way it is no longer kept (a turn keeps what it leaves with `keep`)."""
        last = self._turns.pop(key, None)
        if last is None or version is None or version != last.version + 1:
            return None
        return last

    def keep(self, key: str, turn: LastTurn) -> None:
        self._turns[key] = turn
        self._turns.move_to_end(key)
        if len(self._turns) > self._keep:
            self._turns.popitem(last=False)

    def drop(self, key: str) -> None:
        self._turns.pop(key, None)

    def clear(self) -> None:
        self._turns.clear()

    def __len__(self) -> int:
        return len(self._turns)


def forget_all() -> None:
    """Empty every store in the process (family data was deleted)."""
    for turns in list(_ALL):
        turns.clear()
