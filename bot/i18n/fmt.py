"""Dates in the practitioner's language and time zone, through Babel."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def date_long(moment: datetime, language: str, timezone: str) -> str:
    """ "14 september 2026" / "September 14, 2026"."""
    return format_date(local(moment, timezone), format="long", locale=language)
