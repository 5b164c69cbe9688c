"""What a practitioner's last turn left, kept for their next turn in this process.

Every turn starts by reading the practitioner with their current conversation and active
case. On PostgreSQL that read was a tenth of an update's CPU in `make bench`, and nearly
always it finds exactly what this process wrote at the end of the previous turn. So the
objects are kept (a bounded number, least recently used out), and the next turn takes
them instead of reading, when it can tell that nothing else changed them since:

- the turn's first statement moves the practitioner's `version` by one and returns it
  (`bot.store.dedup`), and triggers move it on every other change to their row, their
  conversations or their cases (migration 0007), by another process, a job or by hand;
- so a returned number one higher than the one kept, for the same row (a practitioner
  deleted and added again starts counting afresh), means: only our own last turn
  happened in between, and what it committed is what we kept.

SQLite has no triggers (nor a setting that could tell them whose turn it is), but this
process is its only writer as a rule and its transactions take turns on one connection.
So the turn's first statement (`bot.store.dedup`), holding SQLite's write lock, gets
instead the number of writes by others this process noticed
(`sqlite_inline.Connection.turn`): another connection's commit (SQLite's `data_version`:
another process, an operator's command, a hand-made change) or a transaction of this
process that changed rows and was no turn (a job). Turns write only their own
practitioner's rows. So the same number at the start of the practitioner's next turn
means: only turns happened in between, and what our own last one committed is what we
kept. That is the stamp `(0, number)`.

Anything else (another number, a turn that failed, deleted something or erased the
practitioner) is read from the database as before.

The objects hold decrypted family data. Deleting family data anywhere in this process
empties the store (`Queries._forget`), as it empties the decryption cache, and a turn that
was under way then keeps nothing. Data deleted by another process (an operator's command)
goes with the practitioner's next turn here, or after `MAX_AGE` at the latest.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.store.models import Case, Conversation, Practitioner

KEEP = 1024
"""Practitioners whose last turn is kept (a few kB each)."""
MAX_AGE = 900.0
"""Seconds a last turn is kept."""

_ALL: weakref.WeakSet[LastTurns] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class LastTurn:
    stamp: tuple[int, int]
    """The practitioner's row id and `version` as the turn left them (PostgreSQL), or 0
    and the number of writes by others (SQLite)."""
    practitioner: Practitioner
    conversation: Conversation | None
    case: Case | None
    at: float = field(default_factory=time.monotonic)


class LastTurns:
    def __init__(self, keep: int = KEEP, max_age: float = MAX_AGE) -> None:
        self._keep = keep
        self._max_age = max_age
        self._turns: OrderedDict[str, LastTurn] = OrderedDict()
        self.generation = 0
        """Moves whenever the store is emptied; see `keep`."""
        _ALL.add(self)

    def take(self, key: str, stamp: tuple[int, int] | None) -> LastTurn | None:
        """The last turn of `key` if the database moved on by just the turn now begun
        (`stamp`: the row id and `version` its first statement returned); either way it is
        no longer kept (a turn keeps what it leaves with `keep`)."""
        last = self._turns.pop(key, None)
        if last is None or stamp is None:
            return None
        if stamp != following(last.stamp):
            return None
        if time.monotonic() - last.at > self._max_age:
            return None
        return last

    def keep(self, key: str, turn: LastTurn, generation: int) -> None:
        """Keep what a committed turn left, unless the store was emptied since the turn
        began (`generation` as it was then): it may hold data deleted meanwhile."""
        if generation != self.generation:
            return
        self._turns[key] = turn
        self._turns.move_to_end(key)
        while self._turns and (
            len(self._turns) > self._keep
            or turn.at - next(iter(self._turns.values())).at > self._max_age
        ):
            self._turns.popitem(last=False)

    def clear(self) -> None:
        self._turns.clear()
        self.generation += 1

    def __len__(self) -> int:
        return len(self._turns)


def following(stamp: tuple[int, int]) -> tuple[int, int]:
    """The stamp the next turn's first statement finds when only that turn happened since
    `stamp`: on PostgreSQL the version moved by one (by that turn); on SQLite (row id 0)
    the count of writes by others stays."""
    row_id, number = stamp
    return stamp if row_id == 0 else (row_id, number + 1)


def forget_all() -> None:
    """Empty every store in the process (family data was deleted)."""
    for turns in list(_ALL):
        turns.clear()
