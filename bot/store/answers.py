"""A conversation's answers are written when they changed, also when changed in place.

Flows change `Conversation.data` in place (`set:` values, actions that note an id in
`turn.data`), and SQLAlchemy does not see a change inside a JSON value. Writing the
answers on every step would see it, at the cost of encrypting and writing them when
nothing changed (most button presses). So each conversation remembers its answers as last
read or written, and `flag_changed` marks those that differ just before a turn commits,
wherever in the turn they were changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
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


def flag_changed(session: AsyncSession) -> None:
    """Mark for writing the answers of every conversation in `session` that differ from
    what was last read or written."""
    _flag(session.sync_session, session.identity_map.values())


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
