"""Times for reminders: typed Dutch or English into UTC, quick buttons, and back into words.

Parsing is `dateparser`'s (Dutch and English only, dates from the future, day before
month), with a thin layer of Dutch habits it does not know in front of it: "vanmiddag",
"morgenochtend", "9 uur", "9u", "over een week", "volgende week maandag". It runs on the
practitioner's wall clock: dateparser gets the local time as a naive value and gives one
back, and `zoneinfo` turns that into a moment, so 09:00 stays 09:00 on both sides of a
daylight-saving change. dateparser is imported on first use (about 0.1 s, and the first
parse about as much again), so starting the bot does not pay for it.

Three readings are the bot's own, for what a practitioner between two visits means: a time
without a colon is a time ("di 1430" is 14:30, not the year 1430); in the daytime an hour
from 1 to 7 is the afternoon ("2 uur" is 14:00, not 02:00 at night) unless the text says
morning or night, or writes it as 24 hours ("02:00", "2am"); and a bare time that already
passed today is tomorrow's (`When.tomorrow`, so the confirmation can say so).

Every moment a practitioner chooses, typed or pressed, passes `check_reach`: after now and at
most a year ahead (up to and including the same date next year, local). A year beyond what
`datetime` holds (10000) is refused the same way, never raised as an OverflowError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from bot.errors import ArgumentError, NetwerkcoachError
from bot.i18n import N_

Reason = Literal["past", "ambiguous", "unknown", "too_far"]

DEFAULT_TIME = time(9, 0)
"""A date without a time means this hour, local."""
AFTERNOON, EVENING = time(14, 0), time(19, 0)
DAYTIME = (time(7, 0), time(22, 0))
"""While the local clock is in this range, an hour from 1 to 7 means the afternoon."""
AFTERNOON_HOURS = range(1, 8)

PROBLEMS: dict[str, str] = {
    "past": N_("That moment has already passed. Try for example “tomorrow 9:00” or “Tue 14:30”."),
    "ambiguous": N_(
        "I am not sure which day or time you mean. Write a day and a time, for example "
        "“tomorrow 9:00”, “Tue 14:30” or “12-1 10:00” (day first)."
    ),
    "unknown": N_(
        "I could not read a date in that. Try for example “tomorrow 9:00”, “Tue 14:30”, "
        "“12-1 10:00” (day first) or “in 3 days”."
    ),
    "too_far": N_(
        "That is too far ahead: a reminder can be at most a year away, {date} at the latest. "
        "Choose an earlier moment."
    ),
}
"""What to tell the practitioner for each `WhenError.reason` (English msgids)."""


class WhenError(NetwerkcoachError, ValueError):
    """A moment that cannot be used; `reason` is `past`, `ambiguous`, `unknown` or
    `too_far`, and `PROBLEMS[reason]` explains it. `last_day` is the latest day allowed
    (`too_far` only), said by `values`."""

    def __init__(self, reason: Reason, last_day: date | None = None) -> None:
        super().__init__(reason)
        self.reason: Reason = reason
        self.last_day = last_day

    @property
    def msgid(self) -> str:
        return PROBLEMS[self.reason]

    def values(self, language: str) -> dict[str, str]:
        """The placeholders of `msgid`: `{date}`, the latest day, in `language` (Babel)."""
        if self.last_day is None:
            return {}
        return {"date": format_date(self.last_day, "d MMMM y", locale=language)}


def last_day(now: datetime, zone: str) -> date:
    """The latest day a reminder may be set for: today a year on, local (a 29 February
    gives 28 February)."""
    today = now.astimezone(ZoneInfo(zone)).date()
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


def check_reach(moment: datetime, *, now: datetime, zone: str) -> datetime:
    """`moment` (UTC) if it is after `now` and no later than `last_day`; a naive `moment` is
    the wall clock in `zone`. Raises `WhenError` `past` or `too_far`. Only comparisons come
    before the range is known, so year 1 or 9999 in any zone cannot overflow."""
    tz = ZoneInfo(zone)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    last = last_day(now, zone)
    if moment >= at_local(last + timedelta(days=1), time(0), zone):
        raise WhenError("too_far", last)
    if moment <= now:
        raise WhenError("past")
    return moment.astimezone(UTC)


def in_reach(moment: datetime, *, now: datetime, zone: str) -> bool:
    """Whether `check_reach` accepts `moment`: for quick choices, offered only then."""
    try:
        check_reach(moment, now=now, zone=zone)
    except WhenError:
        return False
    return True


_WEEKDAYS = {
    "ma": 0, "maandag": 0, "mon": 0, "monday": 0,
    "di": 1, "dinsdag": 1, "tue": 1, "tuesday": 1,
    "wo": 2, "woensdag": 2, "wed": 2, "wednesday": 2,
    "do": 3, "donderdag": 3, "thu": 3, "thursday": 3,
    "vr": 4, "vrijdag": 4, "fri": 4, "friday": 4,
    "za": 5, "zaterdag": 5, "sat": 5, "saturday": 5,
    "zo": 6, "zondag": 6, "sun": 6, "sunday": 6,
}  # fmt: skip
_NUMBERS = {
    "een": 1, "één": 1, "a": 1, "an": 1, "one": 1, "twee": 2, "two": 2, "drie": 3,
    "three": 3, "vier": 4, "four": 4, "vijf": 5, "five": 5, "zes": 6, "six": 6,
    "zeven": 7, "seven": 7, "acht": 8, "eight": 8, "negen": 9, "nine": 9, "tien": 10,
    "ten": 10, "twaalf": 12, "twelve": 12,
}  # fmt: skip
_DAY_PARTS = [
    # (words, the day, the hour when no time is typed, whether "8" means 20:00)
    (r"morgen\s*ochtend|tomorrow morning", "morgen", 9, False),
    (r"morgen\s*middag|tomorrow afternoon", "morgen", 14, True),
    (r"morgen\s*avond|tomorrow evening|tomorrow night", "morgen", 19, True),
    (r"vanochtend|vanmorgen|this morning", "vandaag", 9, False),
    (r"vanmiddag|this afternoon", "vandaag", 14, True),
    (r"vanavond|this evening|tonight", "vandaag", 19, True),
]
_CLOCK = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])")
_AM_PM = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?(?!\w)")
_HALF = re.compile(r"\bhalf\s+(\d{1,2})\b")  # Dutch "half 10" is 9:30
_QUARTER = re.compile(r"\bkwart\s+(over|voor)\s+(\d{1,2})\b")
_DAY_MONTH = re.compile(r"(?<![\d\-/])\d{1,2}[-/]\d{1,2}(?![\d\-/])")
"""A day and month without a year ("29-11"): the next one is meant, unless it just went."""
JUST_WENT = timedelta(days=300)
_WEEKDAY_WORDS = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_NEXT_WEEK_DAY = re.compile(rf"\b(?:volgende|komende|next) week\s+({_WEEKDAY_WORDS})\b")
_NEXT_DAY = re.compile(rf"\b(?:volgende|komende|next)\s+({_WEEKDAY_WORDS})\b")
_COUNT = re.compile(r"\b(over|in)\s+(" + "|".join(_NUMBERS) + r")\b")
_HOUR_WORD = re.compile(r"(?<!over )(?<!in )(?<![\d:.])(\d{1,2})\s*(?:uur|u)\b")
_DOT_TIME = re.compile(r"(?<![\d.\-/])(\d{1,2})\.(\d{2})(?![\d.\-/])")
_HAS_TIME = re.compile(
    r"\d{1,2}:\d{2}|\b\d{1,2}\s*(?:am|pm)\b|\b(?:uur|uren|minuut|minuten|min|hours?|minutes?|nu|now)\b"
)
_BARE_NUMBER = re.compile(r"\d{1,4}")
_UNITS = (
    "min|minuut|minuten|minute|minutes|dag|dagen|day|days|week|weken|weeks|maand|maanden|"
    "month|months|jaar|jaren|year|years"
)
_HHMM = re.compile(
    rf"(?<![\d\-/.:])(?<!over )(?<!in )([01]\d|2[0-3])([0-5]\d)(?![\d\-/.:])(?!\s*(?:{_UNITS})\b)"
)
"""A time without a colon: "1430", "0930" (not a count, a date or part of one)."""
_MONTH = re.compile(r"\b(?:jan|feb|mrt|maa|apr|mei|may|jun|jul|aug|sep|okt|oct|nov|dec)[a-z]*\b")
"""A month named: a four-digit number near it is a year ("1 januari 2027")."""
_CLOCK_UUR = re.compile(r"(\d:\d{2})\s*(?:uur|u)\b")
_MORNING_OR_NIGHT = re.compile(
    r"ochtend|\bmorgens\b|morning|nacht|night|\d\s*a\.?m\b|"
    r"(?<![\d:.\-/])0\d(?=[:.]\d|\d\d(?!\d)|\s*u\b|\s*uur\b)"
)
"""Words or a way of writing that say an early hour is meant as typed: "morgenochtend",
"'s nachts", "2am", "02:00", "0200"."""
_UNIT_DAYS = {
    "min": 1 / 1440, "minuut": 1 / 1440, "minuten": 1 / 1440, "minute": 1 / 1440,
    "minutes": 1 / 1440, "uur": 1 / 24, "uren": 1 / 24, "hour": 1 / 24, "hours": 1 / 24,
    "dag": 1, "dagen": 1, "day": 1, "days": 1, "week": 7, "weken": 7, "weeks": 7,
    "maand": 31, "maanden": 31, "month": 31, "months": 31,
    "jaar": 366, "jaren": 366, "year": 366, "years": 366,
}  # fmt: skip
_COUNT_AHEAD = re.compile(r"\b(?:over|in)\s+(\d+)\s*(" + "|".join(_UNIT_DAYS) + r")\b")
_HUGE_YEAR = re.compile(r"(?:\d{1,2}[-/.]\d{1,2}[-/.]|\d{1,2}\s+[a-z]+\s+)\d{5,}\b|\b\d{5,}[-/.]\d")
"""A date in year 10000 or later ("1-1-10000", "1 januari 10000", "10000-1-1")."""


def _normalise(text: str, today: date) -> str:
    """The Dutch (and English) habits dateparser does not read, as text it does."""
    text = " ".join(text.lower().replace("’", "'").split())
    text = re.sub(r"\b(?:om|at|rond|around)\b", " ", text)
    text = re.sub(r"'s\s*(?:ochtends|morgens|nachts)\b", " ", text)  # as typed: see below
    if ":" not in text:
        text = _DOT_TIME.sub(r"\1:\2", text)
    if ":" not in text and not _MONTH.search(text) and not _BARE_NUMBER.fullmatch(text.strip()):
        text = _HHMM.sub(r"\1:\2", text, count=1)
    text = _HOUR_WORD.sub(r"\1:00", text)
    text = _CLOCK_UUR.sub(r"\1", text)
    text = _AM_PM.sub(
        lambda m: f"{int(m.group(1)) % 12 + (12 if m.group(3) == 'p' else 0)}:{m.group(2) or '00'}",
        text,
    )
    text = _HALF.sub(lambda m: f"{(int(m.group(1)) - 1) % 24}:30", text)
    text = _QUARTER.sub(
        lambda m: (
            f"{m.group(2)}:15" if m.group(1) == "over" else f"{(int(m.group(2)) - 1) % 24}:45"
        ),
        text,
    )
    for pattern, day, hour, afternoon in _DAY_PARTS:
        part = re.compile(rf"\b(?:{pattern})\b")
        if not part.search(text):
            continue
        clock = _CLOCK.search(text)
        if clock is None:
            text = part.sub(f"{day} {hour}:00", text)
            continue
        text = part.sub(day, text)
        typed = int(clock.group(1))
        if afternoon and 1 <= typed < 12:  # "vanavond 8:00" is 20:00
            text = _CLOCK.sub(f"{typed + 12}:{clock.group(2)}", text, count=1)

    def next_week(match: re.Match[str]) -> str:
        monday = today + timedelta(days=7 - today.weekday())
        day = monday + timedelta(days=_WEEKDAYS[match.group(1)])
        return f"{day.day}-{day.month}-{day.year}"

    text = _NEXT_WEEK_DAY.sub(next_week, text)
    text = _NEXT_DAY.sub(lambda m: m.group(1), text)
    text = re.sub(r"\b(?:volgende|komende) week\b", "over 1 week", text)
    text = _COUNT.sub(lambda m: f"{m.group(1)} {_NUMBERS[m.group(2)]}", text)
    return " ".join(text.split())


def _dateparser_parse(text: str, base: datetime) -> datetime | None:
    import dateparser  # lazy: see the module docstring

    settings: Any = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base,
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    result: datetime | None = dateparser.parse(text, languages=["nl", "en"], settings=settings)
    return result


def _beyond_calendar(cleaned: str) -> bool:
    """Whether text dateparser could not read names a moment past what `datetime` holds
    ("over 8000 jaar", "1-1-10000"): that is too far ahead, not unreadable."""
    count = _COUNT_AHEAD.search(cleaned)
    if count is not None and int(count.group(1)) * _UNIT_DAYS[count.group(2)] > 366:
        return True
    return _HUGE_YEAR.search(cleaned) is not None


def warm_up() -> None:
    """Import dateparser and load its Dutch and English data (about 0.25 s of CPU), so the
    first typed moment does not stall the bot; run on a worker thread at start."""
    _dateparser_parse("morgen 9:00", datetime(2026, 1, 1))


@dataclass(frozen=True)
class When:
    """A typed moment as read (`read_when`)."""

    moment: datetime
    """Aware, UTC."""
    tomorrow: bool = False
    """Only a time was typed, and it had already passed today: this is tomorrow's."""


def parse_when(text: str, *, now: datetime, language: str, zone: str) -> datetime:
    """The moment (aware, UTC) meant by `text`: `read_when(...).moment`."""
    return read_when(text, now=now, language=language, zone=zone).moment


def _in_the_afternoon(cleaned: str, typed: str, local_now: datetime) -> str:
    """`cleaned` with an hour from 1 to 7 moved to the afternoon, in the daytime, unless
    the practitioner said morning or night or wrote it as 24 hours (see the module)."""
    clock = _CLOCK.search(cleaned)
    if (
        clock is None
        or int(clock.group(1)) not in AFTERNOON_HOURS
        or not DAYTIME[0] <= local_now.time() < DAYTIME[1]
        or _MORNING_OR_NIGHT.search(typed)
        or any(re.search(rf"\b(?:{words})\b", typed) for words, *_ in _DAY_PARTS)
    ):
        return cleaned
    later = f"{int(clock.group(1)) + 12}:{clock.group(2)}"
    return cleaned[: clock.start()] + later + cleaned[clock.end() :]


def read_when(text: str, *, now: datetime, language: str, zone: str) -> When:
    """The moment meant by `text`, typed by a practitioner in time zone `zone`. A date
    without a time means 09:00 there; a time without a day means today, or tomorrow once
    it has passed today.

    Raises `WhenError`: `past` for a moment not after `now`, `too_far` for one more than a
    year ahead (`check_reach`), `ambiguous` for a bare number ("9") and `unknown` for
    anything without a readable date. `language` is the practitioner's, but both Dutch and
    English are read whichever it is.
    """
    del language  # both languages are always read: English words in Dutch chats are common
    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz)
    cleaned = _normalise(text, local_now.date())
    if not cleaned:
        raise WhenError("unknown")
    if _BARE_NUMBER.fullmatch(cleaned):
        raise WhenError("ambiguous")
    clock = _CLOCK.search(cleaned)
    typed = (int(clock.group(1)), int(clock.group(2))) if clock else None
    if typed is not None and (typed[0] > 23 or typed[1] > 59):
        raise WhenError("unknown")  # "25:00"
    cleaned = _in_the_afternoon(cleaned, " ".join(text.lower().split()), local_now)
    clock = _CLOCK.search(cleaned)
    if clock is not None and clock.group() == cleaned:  # only a time: the coming one
        wall = local_now.replace(tzinfo=None)
        today = datetime.combine(wall.date(), time(int(clock.group(1)), int(clock.group(2))))
        if today <= wall:
            return When(check_reach(today + timedelta(days=1), now=now, zone=zone), True)
        return When(check_reach(today, now=now, zone=zone))
    typed = (int(clock.group(1)), int(clock.group(2))) if clock else None
    found = _dateparser_parse(cleaned, local_now.replace(tzinfo=None))
    if found is None:
        if _beyond_calendar(cleaned):
            raise WhenError("too_far", last_day(now, zone))
        raise WhenError("unknown")
    if typed is not None and found.tzinfo is None and (found.hour, found.minute) != typed:
        raise WhenError("unknown")  # the typed time did not survive the reading
    if _DAY_MONTH.search(cleaned) and found - local_now.replace(tzinfo=None) > JUST_WENT:
        raise WhenError("past")  # "29-11" typed on 30 November: not next year's
    if found.tzinfo is None and not _HAS_TIME.search(cleaned):
        found = datetime.combine(found.date(), DEFAULT_TIME)
    return When(check_reach(found, now=now, zone=zone))  # aware if the text named a zone


def at_local(day: date, clock: time, zone: str) -> datetime:
    """The moment (UTC) when the wall clock in `zone` shows `clock` on `day`."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def days_later(now: datetime, zone: str, days: int, clock: time = DEFAULT_TIME) -> datetime:
    """`clock` local, `days` calendar days after today in `zone` (DST-correct: the wall
    clock is kept, not the number of hours)."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return at_local(today + timedelta(days=days), clock, zone)


def weeks_later(now: datetime, zone: str, weeks: int) -> datetime:
    """09:00 local, `weeks` weeks after today: the check-ins after closing (2, 6, 12)."""
    return days_later(now, zone, 7 * weeks)


@dataclass(frozen=True)
class Preset:
    """A quick button for choosing a time. `label` is an English msgid to translate;
    `hint` is the moment in short words in the practitioner's language ("di 1 dec 09:00")."""

    key: str
    label: str
    due_at: datetime
    hint: str


PRESET_LABELS = {
    "hour": N_("In 1 hour"),
    "afternoon": N_("This afternoon 14:00"),
    "tomorrow": N_("Tomorrow 09:00"),
    "week": N_("In a week"),
    "two_weeks": N_("In two weeks"),
}
AFTERNOON_MARGIN = timedelta(minutes=30)
""""This afternoon" is offered only while 14:00 is at least this far ahead."""
SAME_DAY = frozenset({"hour", "afternoon"})
"""The choices for later today, for a reminder just before a meeting (between two visits)."""
HOUR = timedelta(hours=1)


def presets(now: datetime, zone: str, language: str) -> list[Preset]:
    """The quick buttons, in order: in 1 hour (to the minute), this afternoon 14:00 (only
    while it is still ahead), tomorrow 09:00, in a week and in two weeks (09:00 on that
    day). Each follows from `now`, so none is ever past; an hour from now late in the
    evening is tomorrow, and then not offered (it is not the same day any more)."""
    moments: list[tuple[str, datetime]] = []
    hour = (now + HOUR).replace(second=0, microsecond=0)
    if hour.astimezone(ZoneInfo(zone)).date() == now.astimezone(ZoneInfo(zone)).date():
        moments.append(("hour", hour))
    afternoon = days_later(now, zone, 0, AFTERNOON)
    if afternoon - now >= AFTERNOON_MARGIN:
        moments.append(("afternoon", afternoon))
    moments += [
        ("tomorrow", days_later(now, zone, 1)),
        ("week", days_later(now, zone, 7)),
        ("two_weeks", days_later(now, zone, 14)),
    ]
    return [
        Preset(key, PRESET_LABELS[key], moment, say_short(moment, language, zone))
        for key, moment in moments
    ]


def say_when(moment: datetime, language: str, zone: str, *, now: datetime | None = None) -> str:
    """ "dinsdag 3 december om 09:00" / "Tuesday 3 December at 09:00"; with the year when it
    is not the year of `now`."""
    local = moment.astimezone(ZoneInfo(zone))
    year = " y" if now is not None and now.astimezone(ZoneInfo(zone)).year != local.year else ""
    at = "'om'" if language == "nl" else "'at'"
    return format_datetime(local, f"EEEE d MMMM{year} {at} HH:mm", locale=language)


def say_short(moment: datetime, language: str, zone: str) -> str:
    """ "di 3 dec 09:00" / "Tue 3 Dec 09:00", for buttons and lists."""
    local = moment.astimezone(ZoneInfo(zone))
    text = format_datetime(local, "EEE d MMM HH:mm", locale=language)
    return text.replace(".", "")


def minutes_of(clock: str) -> int:
    """ "21:30" → 1290 (minutes after midnight), for the quiet hours; ValueError if not a
    time of day."""
    hours, sep, minutes = clock.strip().replace(".", ":").partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ArgumentError(f"not a time of day: {clock!r}")
    value = int(hours) * 60 + int(minutes)
    if int(hours) > 23 or int(minutes) > 59:
        raise ArgumentError(f"not a time of day: {clock!r}")
    return value


def clock_text(minutes: int) -> str:
    """1290 → "21:30"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
