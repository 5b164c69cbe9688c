"""Column types for what families' data is made of.

Every column that holds a label, a name or free text uses `SensitiveText` or
`SensitiveJSON`. They seal values with the installation's data key on the way in and open
them on the way out (`bot.store.crypto`), so models and queries never see ciphertext and
never need to know about it.

Sealing is randomised (the same label gives a different token every time), so SQL cannot
compare these columns with a value: `where(Case.label == "x")` would silently never match.
Such comparisons raise `SealedComparisonError` (a TypeError) instead; compare in Python
after loading the rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import operators
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.types import TypeDecorator

from bot.errors import NetwerkcoachError
from bot.store.crypto import seal, unseal

_NOT_IN_SQL = frozenset(
    {
        operators.eq,
        operators.ne,
        operators.lt,
        operators.le,
        operators.gt,
        operators.ge,
        operators.in_op,
        operators.not_in_op,
        operators.between_op,
        operators.not_between_op,
        operators.like_op,
        operators.not_like_op,
        operators.ilike_op,
        operators.not_ilike_op,
        operators.contains_op,
        operators.not_contains_op,
        operators.startswith_op,
        operators.not_startswith_op,
        operators.endswith_op,
        operators.not_endswith_op,
        operators.icontains_op,
        operators.istartswith_op,
        operators.iendswith_op,
        operators.regexp_match_op,
        operators.not_regexp_match_op,
    }
)


class SealedComparisonError(NetwerkcoachError, TypeError):
    """SQL was asked to compare a sealed column with a value, which can never match."""


class _SealedComparator(Text.Comparator[str]):
    """Lets `IS NULL` tests through and refuses comparing sealed values with a value."""

    def operate(self, op: OperatorType, *other: Any, **kwargs: Any) -> Any:
        is_null_test = op in (operators.eq, operators.ne) and other and other[0] is None
        if op in _NOT_IN_SQL and not is_null_test:
            raise SealedComparisonError(
                f"{self.expr} is encrypted: SQL cannot compare it ({op.__name__}). "
                "Load the rows and compare in Python."
            )
        return super().operate(op, *other, **kwargs)


class SensitiveText(TypeDecorator[str]):
    """Text written by or about a family (labels, names, notes), sealed at rest."""

    impl: type[String] = Text
    cache_ok = True
    comparator_factory = _SealedComparator

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else unseal(value)


class SensitiveString(SensitiveText):
    """`SensitiveText` in a column of bounded length, `SensitiveString(512)`: a `VARCHAR`
    that must hold the sealed value, about 100 characters more than the plain one. For a
    column that was a `String` before it held a secret (`Meta.value`)."""

    impl = String
    cache_ok = True


class SensitiveJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object that may hold family data (a conversation's answers so far), sealed
    as one value at rest."""

    impl = Text
    cache_ok = True
    comparator_factory = _SealedComparator

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return seal(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True))

    def process_result_value(self, value: str | None, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        loaded: dict[str, Any] = json.loads(unseal(value))
        return loaded


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and always read back time-zone aware.

    PostgreSQL keeps the zone; SQLite stores the wall-clock digits only and hands back a
    naive value, which `astimezone()` would take for the server's local time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)
