"""Typed times for reminders: Dutch and English read into the right moment, bad ones
refused with a reason, presets and words back, 09:00 kept across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import PROJECT_ROOT
from bot.i18n import Catalogs
from bot.reminders.when import (
    WhenError,
    check_reach,
    clock_text,
    days_later,
    in_reach,
    last_day,
    minutes_of,
    parse_when,
    presets,
    read_when,
    say_short,
    say_when,
    weeks_later,
)

ZONE = "Europe/Amsterdam"
CATALOGS = Catalogs(PROJECT_ROOT / "locales")
AMS = ZoneInfo(ZONE)
# Monday 30 November 2026, 10:15 in Amsterdam.
NOW = datetime(2026, 11, 30, 10, 15, tzinfo=AMS).astimezone(UTC)


def local(text: str, *, now: datetime = NOW, language: str = "nl") -> datetime:
    return parse_when(text, now=now, language=language, zone=ZONE).astimezone(AMS)


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("morgen 9:00", at(12, 1, 9)),
        ("Morgen 09:00", at(12, 1, 9)),
        ("morgen om 9 uur", at(12, 1, 9)),
        ("morgen 9u", at(12, 1, 9)),
        ("morgenochtend", at(12, 1, 9)),
        ("di 14:30", at(12, 1, 14, 30)),
        ("dinsdag 14:30", at(12, 1, 14, 30)),
        ("vrijdag 15.30", at(12, 4, 15, 30)),
        ("zo 10:00", at(12, 6, 10)),
        ("12-1 10:00", at(1, 12, 10, year=2027)),
        ("1-12 9:00", at(12, 1, 9)),
        ("3 december", at(12, 3, 9)),
        ("12 januari", at(1, 12, 9, year=2027)),
        ("over 3 dagen", at(12, 3, 9)),
        ("over een week", at(12, 7, 9)),
        ("over twee weken", at(12, 14, 9)),
        ("over 2 uur", at(11, 30, 12, 15)),
        ("vanmiddag", at(11, 30, 14)),
        ("vanavond", at(11, 30, 19)),
        ("overmorgen", at(12, 2, 9)),
        ("volgende week maandag 9:00", at(12, 7, 9)),
        ("volgende week woensdag", at(12, 9, 9)),
        ("maandag", at(12, 7, 9)),
        # A part of the day with a time: the time counts, read in that part of the day.
        ("vanavond 20:00", at(11, 30, 20)),
        ("vanavond 8 uur", at(11, 30, 20)),
        ("vanmiddag 15:00", at(11, 30, 15)),
        ("morgenavond 19:00", at(12, 1, 19)),
        ("morgenochtend 8:30", at(12, 1, 8, 30)),
        ("morgen half 10", at(12, 1, 9, 30)),
        ("di kwart voor 3", at(12, 1, 14, 45)),  # in the afternoon: see below
    ],
)
def test_dutch_times_are_read_on_the_practitioners_clock(text: str, expected: datetime) -> None:
    assert local(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 9:00", at(12, 1, 9)),
        ("tomorrow 9am", at(12, 1, 9)),
        ("tue 2:30pm", at(12, 1, 14, 30)),
        ("Tuesday 14:30", at(12, 1, 14, 30)),
        ("in 3 days", at(12, 3, 9)),
        ("in two weeks", at(12, 14, 9)),
        ("this afternoon", at(11, 30, 14)),
        ("day after tomorrow", at(12, 2, 9)),
        ("next week monday 9:00", at(12, 7, 9)),
        ("tonight 9pm", at(11, 30, 21)),
    ],
)
def test_english_times_are_read_too(text: str, expected: datetime) -> None:
    assert local(text, language="en") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("9", "ambiguous"),
        ("12", "ambiguous"),
        ("gisteren 9:00", "past"),
        ("1-1-2020 9:00", "past"),
        ("31-2 9:00", "unknown"),
        ("morgen 25:00", "unknown"),  # not a time: never read as "now, tomorrow"
        ("29-11 10:00", "past"),  # yesterday, not silently a year later
        ("blah", "unknown"),
        ("", "unknown"),
        ("   ", "unknown"),
        ("zo snel mogelijk", "unknown"),
    ],
)
def test_past_ambiguous_and_unreadable_times_are_refused_with_a_reason(
    text: str, reason: str
) -> None:
    with pytest.raises(WhenError) as refused:
        local(text)
    assert refused.value.reason == reason
    # Every refusal shows an example that the practitioner can read and copy, in Dutch
    # examples for Dutch and English ones for English.
    assert "tomorrow 9:00" in refused.value.msgid
    assert "morgen 9:00" in CATALOGS.get("nl").gettext(refused.value.msgid)


FAR = {
    "nl": "Dat is te ver weg: een herinnering kan hooguit een jaar vooruit, uiterlijk "
    "30 november 2027. Kies een eerder moment.",
    "en": "That is too far ahead: a reminder can be at most a year away, 30 November 2027 "
    "at the latest. Choose an earlier moment.",
}
"""The refusal of a moment too far ahead, as read on 30 November 2026."""


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31 23:59",
        "1-1-3000 9:00",
        "over 5000 jaar",
        "in 5000 years",
        "1-12-2027 0:00",  # the first minute after the last day
        "1-12-2027",
        "over 366 dagen",
        "in 53 weeks",
        "over 13 maanden",
        # Beyond the year 9999 that `datetime` holds: still too far, not unreadable.
        "1-1-10000 9:00",
        "31 december 12345",
        "over 8000 jaar",
        "in 99999999999999999999 days",
    ],
)
def test_a_moment_more_than_a_year_ahead_is_refused_with_the_last_day(
    text: str, language: str
) -> None:
    with pytest.raises(WhenError) as refused:
        local(text, language=language)
    assert refused.value.reason == "too_far"
    said = CATALOGS.get(language).gettext(refused.value.msgid)
    assert said.format(**refused.value.values(language)) == FAR[language]


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30-11-2027 23:59", at(11, 30, 23, 59, year=2027)),  # the last minute allowed
        ("30-11-2027", at(11, 30, 9, year=2027)),
        ("over een jaar", at(11, 30, 9, year=2027)),
        ("in a year", at(11, 30, 9, year=2027)),
        ("over 52 weken", at(11, 29, 9, year=2027)),
        ("over 365 dagen", at(11, 30, 9, year=2027)),
    ],
)
def test_a_moment_up_to_a_year_ahead_is_accepted(
    text: str, expected: datetime, language: str
) -> None:
    assert local(text, language=language) == expected


def test_the_last_day_is_a_year_on_and_a_leap_day_gives_28_february() -> None:
    assert last_day(NOW, ZONE) == date(2027, 11, 30)
    # Just after midnight in Amsterdam it is still the day before in UTC: the local day counts.
    new_year = datetime(2027, 1, 1, 0, 30, tzinfo=AMS).astimezone(UTC)
    assert last_day(new_year, ZONE) == date(2028, 1, 1)
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=AMS).astimezone(UTC)
    assert last_day(leap, ZONE) == date(2029, 2, 28)


def test_a_pressed_moment_is_checked_the_same_way() -> None:
    """`check_reach` is what a button's moment goes through (`pick_when`)."""
    last_minute = at(11, 30, 23, 59, year=2027).astimezone(UTC)
    assert check_reach(last_minute, now=NOW, zone=ZONE) == last_minute
    assert in_reach(last_minute, now=NOW, zone=ZONE)
    for beyond in (at(12, 1, 0, year=2027), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)):
        assert not in_reach(beyond, now=NOW, zone=ZONE)
        with pytest.raises(WhenError) as refused:
            check_reach(beyond, now=NOW, zone=ZONE)
        assert refused.value.reason == "too_far"
        assert refused.value.last_day == date(2027, 11, 30)
    with pytest.raises(WhenError) as refused:
        check_reach(NOW, now=NOW, zone=ZONE)
    assert refused.value.reason == "past" and refused.value.values("nl") == {}


ABSURD = [
    "9999-12-31 23:59",
    "31-12-9999 23:59",
    "9999-12-31T23:59:59.999999",
    "1-1-0001 0:00",  # was an OverflowError: before year 1 in UTC
    "0001-01-01 00:00",
    "1 januari 0001 0:00",
    "1-1-" + "9" * 30,
    "over " + "9" * 30 + " dagen",
    "over 4000000000 minuten",
    "half " + "9" * 30,
    "9999-99-99",
    "0-0-0",
    "9" * 40,
    "\x00",
    "🙂",
]


@pytest.mark.parametrize("zone", [ZONE, "America/Los_Angeles", "Pacific/Kiritimati"])
@pytest.mark.parametrize("text", ABSURD)
def test_absurd_input_is_refused_and_never_crashes(text: str, zone: str) -> None:
    """Years 1 and 9999 in a zone far from UTC used to overflow when turned into UTC."""
    with pytest.raises(WhenError) as refused:
        parse_when(text, now=NOW, language="nl", zone=zone)
    assert refused.value.reason in ("past", "unknown", "too_far")


def test_vanmiddag_after_the_afternoon_is_past() -> None:
    evening = datetime(2026, 11, 30, 18, 0, tzinfo=AMS).astimezone(UTC)
    with pytest.raises(WhenError) as refused:
        local("vanmiddag", now=evening)
    assert refused.value.reason == "past"


def test_times_are_said_back_in_words_with_babel() -> None:
    moment = at(12, 3, 9).astimezone(UTC)
    assert say_when(moment, "nl", ZONE) == "donderdag 3 december om 09:00"
    assert say_when(moment, "en", ZONE) == "Thursday 3 December at 09:00"
    next_year = at(1, 12, 10, year=2027).astimezone(UTC)
    assert say_when(next_year, "nl", ZONE, now=NOW) == "dinsdag 12 januari 2027 om 10:00"
    assert say_short(moment, "nl", ZONE) == "do 3 dec 09:00"


def test_presets_offer_same_day_choices_only_while_they_are_ahead() -> None:
    """#16: "in 1 hour" and "this afternoon 14:00" for a reminder just before a meeting;
    every choice follows from the clock, so none is past."""
    morning = presets(NOW, ZONE, "nl")
    assert [p.key for p in morning] == ["hour", "afternoon", "tomorrow", "week", "two_weeks"]
    assert [p.due_at.astimezone(AMS) for p in morning] == [
        at(11, 30, 11, 15),
        at(11, 30, 14),
        at(12, 1, 9),
        at(12, 7, 9),
        at(12, 14, 9),
    ]
    assert morning[2].hint == "di 1 dec 09:00"
    late = datetime(2026, 11, 30, 13, 45, 30, tzinfo=AMS).astimezone(UTC)
    later = presets(late, ZONE, "en")
    assert [p.key for p in later] == ["hour", "tomorrow", "week", "two_weeks"]
    assert later[0].due_at.astimezone(AMS) == at(11, 30, 14, 45)  # to the minute
    night = datetime(2026, 11, 30, 23, 10, tzinfo=AMS).astimezone(UTC)
    assert [p.key for p in presets(night, ZONE, "nl")] == ["tomorrow", "week", "two_weeks"]
    for clock in (NOW, late, night):
        assert all(p.due_at > clock for p in presets(clock, ZONE, "nl"))


@pytest.mark.parametrize(
    ("now", "weeks", "expected_offset_hours"),
    [
        # Two weeks before the last Sunday of October (25 October 2026): summer → winter.
        (datetime(2026, 10, 20, 12, 0, tzinfo=AMS), 2, 1),
        # Before the last Sunday of March (28 March 2027): winter → summer.
        (datetime(2027, 3, 22, 12, 0, tzinfo=AMS), 2, 2),
    ],
)
def test_check_ins_stay_at_9_local_across_daylight_saving(
    now: datetime, weeks: int, expected_offset_hours: int
) -> None:
    due = weeks_later(now.astimezone(UTC), ZONE, weeks).astimezone(AMS)
    assert (due.hour, due.minute) == (9, 0)
    offset = due.utcoffset()
    assert offset is not None
    assert offset.total_seconds() == expected_offset_hours * 3600
    assert due.date() == now.date().fromordinal(now.date().toordinal() + 7 * weeks)


def test_tomorrow_across_the_october_change_is_9_local_not_24_hours_later() -> None:
    saturday = datetime(2026, 10, 24, 9, 0, tzinfo=AMS).astimezone(UTC)
    sunday = days_later(saturday, ZONE, 1)
    assert sunday.astimezone(AMS).hour == 9
    assert (sunday - saturday).total_seconds() == 25 * 3600
    assert local("morgen 9:00", now=saturday) == datetime(2026, 10, 25, 9, 0, tzinfo=AMS)


def test_quiet_hours_clock_conversions() -> None:
    assert minutes_of("21:00") == 1260
    assert minutes_of("8.30") == 510
    assert clock_text(480) == "08:00"
    for bad in ("25:00", "8", "x", "12:7"):
        with pytest.raises(ValueError):
            minutes_of(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("di 1430", at(12, 1, 14, 30)),
        ("dinsdag 0930", at(12, 1, 9, 30)),
        ("morgen 1400", at(12, 1, 14)),
        ("12-1 1000", at(1, 12, 10, year=2027)),
        ("1 januari 2027", at(1, 1, 9, year=2027)),  # a year stays a year
        ("over 1000 minuten", at(12, 1, 2, 55)),  # a count stays a count
    ],
)
def test_a_time_typed_without_a_colon_is_a_time(text: str, expected: datetime) -> None:
    assert local(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 uur", at(11, 30, 14)),
        ("om 2 uur", at(11, 30, 14)),
        ("3:30", at(11, 30, 15, 30)),
        ("morgen 2 uur", at(12, 1, 14)),
        ("di 7u", at(12, 1, 19)),
        ("vr half 4", at(12, 4, 15, 30)),
        # Said to be the morning or the night, or written as 24 hours: kept as typed.
        ("morgen 2am", at(12, 1, 2)),
        ("morgen 02:00", at(12, 1, 2)),
        ("morgenochtend 7 uur", at(12, 1, 7)),
        ("morgen 7 uur 's ochtends", at(12, 1, 7)),
        ("morgen 8 uur", at(12, 1, 8)),
    ],
)
def test_in_the_daytime_an_hour_from_1_to_7_is_the_afternoon(text: str, expected: datetime) -> None:
    assert local(text) == expected


def test_at_night_an_hour_from_1_to_7_is_read_as_typed() -> None:
    late = datetime(2026, 11, 30, 23, 30, tzinfo=AMS).astimezone(UTC)
    assert local("2 uur", now=late) == at(12, 1, 2)


@pytest.mark.parametrize(
    ("text", "expected", "tomorrow"),
    [
        ("9:00", at(12, 1, 9), True),  # today, an hour ago: tomorrow, and said so
        ("9 uur", at(12, 1, 9), True),
        ("10:15", at(12, 1, 10, 15), True),  # now is not ahead either
        ("2 uur", at(11, 30, 14), False),
        ("14:30", at(11, 30, 14, 30), False),
        ("morgen 9:00", at(12, 1, 9), False),  # a day was typed: nothing moved
    ],
)
def test_a_bare_time_already_past_today_is_tomorrow(
    text: str, expected: datetime, tomorrow: bool
) -> None:
    reading = read_when(text, now=NOW, language="nl", zone=ZONE)
    assert reading.moment.astimezone(AMS) == expected
    assert reading.tomorrow is tomorrow
    afternoon = datetime(2026, 11, 30, 15, 0, tzinfo=AMS).astimezone(UTC)
    later = read_when("2 uur", now=afternoon, language="nl", zone=ZONE)
    assert (later.moment.astimezone(AMS), later.tomorrow) == (at(12, 1, 14), True)
