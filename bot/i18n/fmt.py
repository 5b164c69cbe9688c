"""Dates, times and numbers in the practitioner's language and time zone, through Babel."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def date_long(moment: datetime, language: str, timezone: str) -> str:
    """ "14 september 2026" / "September 14, 2026"."""
    return format_date(local(moment, timezone), format="long", locale=language)


def datetime_medium(moment: datetime, language: str, timezone: str) -> str:
    """ "dinsdag 3 december om 09:00" style: weekday, day, month and time."""
    pattern = "EEEE d MMMM 'om' HH:mm" if language == "nl" else "EEEE, MMMM d 'at' h:mm a"
    return format_datetime(local(moment, timezone), pattern, locale=language)


def number(value: int | float, language: str) -> str:
    return format_decimal(value, locale=language)
