"""A conversation's answers are written when they changed, also when changed in place.

Flows change `Conversation.data` in place (`set:` values, actions that note an id in
`turn.data`), and SQLAlchemy does not see a change inside a JSON value. Writing the
answers on every step would see it, at the cost of encrypting and writing them when
nothing changed (most button presses). So each conversation remembers its answers as last
read or written, and those that differ are marked for writing: before every flush of a
conversation that is written anyway (a query in the middle of a turn flushes, and the
answers must go with that UPDATE, or the remembered copy would already count as written),
and before every commit, for a conversation changed in nothing else. Both are session
events: every session gets them, wherever the answers were changed. `bot.store.db`
imports this module, so they are registered wherever sessions are made.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot.store.models import Conversation

_STORED = "_netwerkcoach_stored_answers"
"""Key in a conversation's instance dict: its answers as stored, as JSON text."""


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _remember(conv: Conversation) -> None:
    data = conv.__dict__.get("data")
    if data is not None:
        conv.__dict__[_STORED] = as_json(data)


def _flag(session: Session, candidates: Iterable[object]) -> None:
    for obj in candidates:
        if not isinstance(obj, Conversation) or obj in session.deleted:
            continue
        stored = obj.__dict__.get(_STORED)
        data = obj.__dict__.get("data")
        if stored is not None and data is not None and as_json(data) != stored:
            flag_modified(obj, "data")


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    _flag(session, list(session.dirty))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _flag(session, list(session.identity_map.values()))


@event.listens_for(Conversation, "load")
def _loaded(target: Conversation, _context: Any) -> None:
    _remember(target)


@event.listens_for(Conversation, "refresh")
def _refreshed(target: Conversation, _context: Any, attrs: Any) -> None:
    if attrs is None or "data" in attrs:  # a refresh of other columns keeps the copy
        _remember(target)


@event.listens_for(Conversation, "after_insert")
@event.listens_for(Conversation, "after_update")
def _written(_mapper: Any, _connection: Any, target: Conversation) -> None:
    _remember(target)
