"""Dates in the practitioner's language and time zone, through Babel."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


DATE = "d MMMM y"
"""One date format in every language: "14 september 2026", "14 September 2026", as the
reminders write their dates ("Monday 21 December at 09:00"). Babel's "long" English
format, "September 14, 2026", stood beside those in the same chat."""


def date_long(moment: datetime, language: str, timezone: str) -> str:
    """ "14 september 2026" / "14 September 2026"."""
    return format_date(local(moment, timezone), DATE, locale=language)
