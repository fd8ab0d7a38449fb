"""Schedules: typed forms, their descriptions, and when they fall due in a client's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.schedules import (
    WEEKDAYS,
    WEEKENDS,
    Daily,
    EveryNDays,
    Once,
    Schedule,
    ScheduleError,
    Weekly,
    describe_schedule,
    format_schedule,
    latest_occurrence_at_or_before,
    local_date,
    next_occurrence,
    parse_schedule,
)

BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
TODAY = date(2026, 5, 1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# ---------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily 20:00", Daily(time(20, 0))),
        ("daily 8:05", Daily(time(8, 5))),
        ("daily at 20:00", Daily(time(20, 0))),
        ("  DAILY   At  20:00 ", Daily(time(20, 0))),
        ("daily 00:00", Daily(time(0, 0))),
        ("daily 23:59", Daily(time(23, 59))),
        ("daily 7.30", Daily(time(7, 30))),
        ("every day 06:00", Daily(time(6, 0))),
        ("every 1 day 06:00", Daily(time(6, 0))),
        ("once 2026-12-01 09:30", Once(date(2026, 12, 1), time(9, 30))),
        ("Once on 2026-12-01 at 9:30", Once(date(2026, 12, 1), time(9, 30))),
        ("weekdays 20:00", Weekly(WEEKDAYS, time(20, 0))),
        ("on weekends at 10:00", Weekly(WEEKENDS, time(10, 0))),
        ("mon,wed,fri 20:00", Weekly(frozenset({0, 2, 4}), time(20, 0))),
        ("Mon, Wed and Fri at 20:00", Weekly(frozenset({0, 2, 4}), time(20, 0))),
        ("tuesday thursday 18:15", Weekly(frozenset({1, 3}), time(18, 15))),
        ("mon-fri 09:00", Weekly(WEEKDAYS, time(9, 0))),
        ("fri-mon 09:00", Weekly(frozenset({4, 5, 6, 0}), time(9, 0))),
        ("every sunday 19:00", Weekly(frozenset({6}), time(19, 0))),
        ("every 3 days 20:00", EveryNDays(3, time(20, 0), TODAY)),
        ("every other day 21:00", EveryNDays(2, time(21, 0), TODAY)),
        ("every 2 weeks 10:00", EveryNDays(14, time(10, 0), TODAY)),
        (
            "every 3 days at 20:00 from 2026-12-01",
            EveryNDays(3, time(20, 0), date(2026, 12, 1)),
        ),
    ],
)
def test_parse_accepts(text: str, expected: Schedule) -> None:
    assert parse_schedule(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "hints"),
    [
        ("daily 25:00", ["time", "“daily 25:00”", "24-hour HH:MM", "daily 20:00"]),
        ("daily 24:00", ["time", "24-hour HH:MM"]),
        ("daily 20:60", ["time", "24-hour HH:MM"]),
        ("daily 20", ["time", "HH:MM"]),
        ("daily 7pm", ["24-hour clock", "daily 19:00"]),
        ("daily 7 pm", ["24-hour clock", "daily 19:00"]),
        ("weekdays 12:30am", ["24-hour clock", "weekdays 00:30"]),
        ("daily", ["need a time", "daily 20:00"]),
        ("daily 20:00 21:00", ["more than one time"]),
        ("daily 2026-12-01 20:00", ["doesn't need", "once 2026-12-01 09:30"]),
        ("once 2026-02-30 09:30", ["date", "YYYY-MM-DD", "once 2026-12-01 09:30"]),
        ("once 01/12/2026 09:30", ["date", "YYYY-MM-DD"]),
        ("once 09:30", ["need a date", "YYYY-MM-DD"]),
        ("once 2026-12-01", ["need a time", "HH:MM"]),
        ("once 2026-12-01 2026-12-02 09:30", ["more than one date"]),
        ("hourly 20:00", ["“hourly”", "daily 20:00", "once 2026-12-01 09:30"]),
        ("daily 20:00 tomorrow", ["“tomorrow”", "daily 20:00"]),
        ("every 3 fortnights 20:00", ["how often", "every 3 days 20:00"]),
        ("every 0 days 20:00", ["between 1 and 365"]),
        ("every 400 days 20:00", ["between 1 and 365"]),
        ("every 3 days 20:00 from", ["date after “from”", "YYYY-MM-DD"]),
        ("mon,wed 20:00 from 2026-12-01", ["doesn't take a start date", "mon,wed 20:00"]),
        ("", ["Please type a schedule", "daily 20:00"]),
        ("   ", ["Please type a schedule"]),
        ("daily 20:00 " + "x" * 300, ["too long"]),
    ],
)
def test_parse_rejects_with_what_is_expected(text: str, hints: list[str]) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text, today=TODAY)
    message = str(caught.value)
    for hint in hints:
        assert hint in message
    assert message.endswith(".")


def test_schedule_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_schedule("daily 99:99")


def test_every_n_days_needs_a_start() -> None:
    with pytest.raises(ValueError, match="today="):
        parse_schedule("every 3 days 20:00")
    assert parse_schedule("every 3 days 20:00 from 2026-12-01") == EveryNDays(
        3, time(20, 0), date(2026, 12, 1)
    )


def test_schedules_reject_bad_values() -> None:
    with pytest.raises(ValueError):
        Daily(time(20, 0, 30))
    with pytest.raises(ValueError):
        Daily(time(20, 0, tzinfo=UTC))
    with pytest.raises(ValueError):
        Weekly(frozenset(), time(20, 0))
    with pytest.raises(ValueError):
        Weekly(frozenset({7}), time(20, 0))
    with pytest.raises(ValueError):
        EveryNDays(1, time(20, 0), TODAY)


# ---------------------------------------------------------------------------- showing

SCHEDULES: list[tuple[Schedule, str, str]] = [
    (Daily(time(20, 0)), "daily 20:00", "daily at 20:00"),
    (Daily(time(8, 5)), "daily 08:05", "daily at 08:05"),
    (
        Once(date(2026, 12, 1), time(9, 30)),
        "once 2026-12-01 09:30",
        "once on Tue 1 Dec 2026 at 09:30",
    ),
    (Weekly(WEEKDAYS, time(20, 0)), "weekdays 20:00", "on weekdays at 20:00"),
    (Weekly(WEEKENDS, time(9, 0)), "weekends 09:00", "on weekends at 09:00"),
    (
        Weekly(frozenset({4, 0, 2}), time(20, 0)),
        "mon,wed,fri 20:00",
        "on Mon, Wed and Fri at 20:00",
    ),
    (Weekly(frozenset({3}), time(7, 0)), "thu 07:00", "every Thursday at 07:00"),
    (
        Weekly(frozenset(range(7)), time(7, 0)),
        "mon,tue,wed,thu,fri,sat,sun 07:00",
        "every day at 07:00",
    ),
    (
        EveryNDays(3, time(20, 0), date(2026, 12, 1)),
        "every 3 days 20:00 from 2026-12-01",
        "every 3 days at 20:00, starting Tue 1 Dec 2026",
    ),
]


@pytest.mark.parametrize(("schedule", "typed", "described"), SCHEDULES)
def test_format_and_describe(schedule: Schedule, typed: str, described: str) -> None:
    assert format_schedule(schedule) == typed
    assert describe_schedule(schedule) == described


@pytest.mark.parametrize(("schedule", "typed", "described"), SCHEDULES)
def test_format_round_trips(schedule: Schedule, typed: str, described: str) -> None:
    assert parse_schedule(format_schedule(schedule)) == schedule


# ---------------------------------------------------------------------------- timing


def test_next_occurrence_later_today() -> None:
    # 12:00 in Berlin (CEST, UTC+2); 20:00 local is 18:00 UTC the same day.
    assert next_occurrence(Daily(time(20, 0)), BERLIN, utc(2026, 6, 5, 10, 0)) == utc(
        2026, 6, 5, 18, 0
    )


def test_next_occurrence_is_strictly_after() -> None:
    at_the_time = utc(2026, 6, 5, 18, 0)
    assert next_occurrence(Daily(time(20, 0)), BERLIN, at_the_time) == utc(2026, 6, 6, 18, 0)
    just_before = at_the_time - timedelta(microseconds=1)
    assert next_occurrence(Daily(time(20, 0)), BERLIN, just_before) == at_the_time


def test_next_occurrence_across_local_midnight() -> None:
    # 23:30 in Berlin: a 00:15 reminder is 45 minutes away, on the next local date.
    after = utc(2026, 6, 5, 21, 30)
    assert next_occurrence(Daily(time(0, 15)), BERLIN, after) == utc(2026, 6, 5, 22, 15)


def test_next_occurrence_los_angeles_crosses_utc_midnight() -> None:
    # 19:00 PDT on 31 May is 02:00 UTC on 1 June; 20:00 PDT is 03:00 UTC on 1 June.
    after = utc(2026, 6, 1, 2, 0)
    assert local_date(after, LOS_ANGELES) == date(2026, 5, 31)
    assert next_occurrence(Daily(time(20, 0)), LOS_ANGELES, after) == utc(2026, 6, 1, 3, 0)


def test_next_occurrence_sydney_is_ahead_of_utc() -> None:
    # 11:00 AEDT on 10 January; 08:00 on 11 January is 21:00 UTC on 10 January.
    after = utc(2026, 1, 10, 0, 0)
    assert next_occurrence(Daily(time(8, 0)), SYDNEY, after) == utc(2026, 1, 10, 21, 0)
    # In July Sydney is on AEST (UTC+10).
    assert next_occurrence(Daily(time(8, 0)), SYDNEY, utc(2026, 7, 10, 0, 0)) == utc(
        2026, 7, 10, 22, 0
    )


def test_next_occurrence_kolkata_half_hour_offset() -> None:
    # 09:00 IST is 03:30 UTC; exactly at it, the next one is tomorrow.
    schedule = Daily(time(9, 0))
    assert next_occurrence(schedule, KOLKATA, utc(2026, 5, 1, 3, 0)) == utc(2026, 5, 1, 3, 30)
    assert next_occurrence(schedule, KOLKATA, utc(2026, 5, 1, 3, 30)) == utc(2026, 5, 2, 3, 30)


def test_next_occurrence_accepts_any_aware_datetime() -> None:
    after = datetime(2026, 6, 5, 12, 0, tzinfo=BERLIN)
    result = next_occurrence(Daily(time(20, 0)), BERLIN, after)
    assert result == utc(2026, 6, 5, 18, 0)
    assert result is not None and result.tzinfo is UTC


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 6, 5, 12, 0)
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(Daily(time(20, 0)), BERLIN, naive)
    with pytest.raises(ValueError, match="aware"):
        latest_occurrence_at_or_before(Daily(time(20, 0)), BERLIN, naive)
    with pytest.raises(ValueError, match="aware"):
        local_date(naive, BERLIN)


def test_spring_forward_gap_fires_after_the_gap() -> None:
    # Berlin skips 02:00-03:00 on 29 March 2026; 02:30 fires at 03:30 CEST = 01:30 UTC.
    schedule = Daily(time(2, 30))
    gap_day = next_occurrence(schedule, BERLIN, utc(2026, 3, 28, 12, 0))
    assert gap_day == utc(2026, 3, 29, 1, 30)
    assert gap_day.astimezone(BERLIN).time() == time(3, 30)
    # The days around it are ordinary: 01:30 UTC (CET) before, 00:30 UTC (CEST) after.
    assert next_occurrence(schedule, BERLIN, utc(2026, 3, 27, 12, 0)) == utc(2026, 3, 28, 1, 30)
    assert next_occurrence(schedule, BERLIN, gap_day) == utc(2026, 3, 30, 0, 30)


def test_autumn_fold_fires_once_at_the_first_instant() -> None:
    # Berlin repeats 02:00-03:00 on 25 October 2026: 02:30 CEST (00:30 UTC), 02:30 CET (01:30 UTC).
    schedule = Daily(time(2, 30))
    first = next_occurrence(schedule, BERLIN, utc(2026, 10, 24, 12, 0))
    assert first == utc(2026, 10, 25, 0, 30)
    assert next_occurrence(schedule, BERLIN, first) == utc(2026, 10, 26, 1, 30)
    # Between the two 02:30s, the second one is not an occurrence either.
    assert next_occurrence(schedule, BERLIN, utc(2026, 10, 25, 1, 0)) == utc(2026, 10, 26, 1, 30)


def test_a_skipped_calendar_day_fires_once() -> None:
    # Samoa skipped 30 December 2011 (UTC-10 to UTC+14); 20:00 that "day" is 20:00 on the 31st.
    apia, schedule = ZoneInfo("Pacific/Apia"), Daily(time(20, 0))
    before = next_occurrence(schedule, apia, utc(2011, 12, 29, 12, 0))
    assert before == utc(2011, 12, 30, 6, 0)
    skipped = next_occurrence(schedule, apia, before)
    assert skipped == utc(2011, 12, 31, 6, 0)
    assert next_occurrence(schedule, apia, skipped) == utc(2012, 1, 1, 6, 0)


def test_fold_in_the_schedule_time_is_ignored() -> None:
    schedule = Daily(time(2, 30, fold=1))
    assert next_occurrence(schedule, BERLIN, utc(2026, 10, 24, 12, 0)) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize("at", [time(2, 30), time(3, 0), time(0, 0), time(20, 0)])
def test_a_daily_reminder_fires_once_a_day_through_a_year_of_dst(at: time) -> None:
    year_start, year_end = utc(2025, 12, 31, 23, 0), utc(2026, 12, 31, 23, 0)  # Berlin midnights
    days: list[date] = []
    moment = year_start - timedelta(microseconds=1)
    while True:
        upcoming = next_occurrence(Daily(at), BERLIN, moment)
        assert upcoming is not None and upcoming > moment
        if upcoming >= year_end:
            break
        days.append(local_date(upcoming, BERLIN))
        moment = upcoming
    assert days == [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]


def test_once_in_the_future_and_in_the_past() -> None:
    schedule = Once(date(2026, 12, 1), time(9, 30))
    # 09:30 CET is 08:30 UTC.
    assert next_occurrence(schedule, BERLIN, utc(2026, 11, 1)) == utc(2026, 12, 1, 8, 30)
    assert next_occurrence(schedule, BERLIN, utc(2026, 12, 1, 8, 30)) is None
    assert next_occurrence(schedule, BERLIN, utc(2027, 1, 1)) is None


def test_once_far_in_the_future() -> None:
    schedule = Once(date(2030, 1, 1), time(9, 0))
    assert next_occurrence(schedule, LOS_ANGELES, utc(2026, 1, 1)) == utc(2030, 1, 1, 17, 0)


def test_weekly_next_occurrence() -> None:
    schedule = Weekly(frozenset({0, 2, 4}), time(20, 0))
    # Friday 5 June 2026, 21:00 in Berlin: next is Monday 8 June.
    assert next_occurrence(schedule, BERLIN, utc(2026, 6, 5, 19, 0)) == utc(2026, 6, 8, 18, 0)
    # Monday 8 June, 12:00: later the same day.
    assert next_occurrence(schedule, BERLIN, utc(2026, 6, 8, 10, 0)) == utc(2026, 6, 8, 18, 0)
    weekdays = Weekly(WEEKDAYS, time(9, 0))
    # Saturday 6 June: next is Monday.
    assert next_occurrence(weekdays, BERLIN, utc(2026, 6, 6, 10, 0)) == utc(2026, 6, 8, 7, 0)


def test_every_n_days_next_occurrence() -> None:
    schedule = EveryNDays(3, time(20, 0), date(2026, 6, 10))
    # Before the start: the start itself.
    assert next_occurrence(schedule, BERLIN, utc(2026, 6, 1)) == utc(2026, 6, 10, 18, 0)
    assert next_occurrence(schedule, BERLIN, utc(2026, 6, 10, 18, 0)) == utc(2026, 6, 13, 18, 0)
    assert next_occurrence(schedule, BERLIN, utc(2026, 6, 11, 12, 0)) == utc(2026, 6, 13, 18, 0)


def test_latest_occurrence_at_or_before() -> None:
    schedule = Daily(time(20, 0))
    # 12:00 in Berlin: the latest was yesterday at 20:00 CEST.
    assert latest_occurrence_at_or_before(schedule, BERLIN, utc(2026, 6, 5, 10, 0)) == utc(
        2026, 6, 4, 18, 0
    )
    # Exactly at an occurrence counts.
    at = utc(2026, 6, 5, 18, 0)
    assert latest_occurrence_at_or_before(schedule, BERLIN, at) == at
    # After a week of downtime there is still just one, the latest.
    assert latest_occurrence_at_or_before(schedule, BERLIN, utc(2026, 6, 12, 19, 0)) == utc(
        2026, 6, 12, 18, 0
    )


def test_latest_occurrence_for_once_and_every_n_days() -> None:
    once = Once(date(2026, 12, 1), time(9, 30))
    assert latest_occurrence_at_or_before(once, BERLIN, utc(2026, 11, 30)) is None
    assert latest_occurrence_at_or_before(once, BERLIN, utc(2027, 1, 1)) == utc(2026, 12, 1, 8, 30)
    every = EveryNDays(3, time(20, 0), date(2026, 6, 10))
    assert latest_occurrence_at_or_before(every, BERLIN, utc(2026, 6, 10, 17, 0)) is None
    assert latest_occurrence_at_or_before(every, BERLIN, utc(2026, 6, 15, 12, 0)) == utc(
        2026, 6, 13, 18, 0
    )


def test_latest_occurrence_in_the_autumn_fold_is_the_first_instant() -> None:
    schedule = Daily(time(2, 30))
    # At the second 02:30 (CET), the latest occurrence is still the first one.
    assert latest_occurrence_at_or_before(schedule, BERLIN, utc(2026, 10, 25, 1, 30)) == utc(
        2026, 10, 25, 0, 30
    )


@pytest.mark.parametrize(
    "schedule",
    [
        Daily(time(2, 30)),
        Weekly(frozenset({1, 6}), time(2, 15)),
        EveryNDays(4, time(23, 45), date(2026, 1, 3)),
        Once(date(2026, 10, 25), time(2, 30)),
    ],
)
@pytest.mark.parametrize("zone", [BERLIN, LOS_ANGELES, SYDNEY, KOLKATA])
def test_next_and_latest_agree(schedule: Schedule, zone: ZoneInfo) -> None:
    """Between ``after`` and the next occurrence there is no other occurrence."""
    moment = utc(2026, 1, 1)
    while moment < utc(2027, 1, 1):
        upcoming = next_occurrence(schedule, zone, moment)
        if upcoming is None:
            assert isinstance(schedule, Once)
        else:
            assert upcoming > moment
            assert latest_occurrence_at_or_before(schedule, zone, upcoming) == upcoming
            previous = latest_occurrence_at_or_before(
                schedule, zone, upcoming - timedelta(microseconds=1)
            )
            assert previous is None or previous <= moment
        moment += timedelta(hours=7, minutes=13)


def test_local_date() -> None:
    assert local_date(utc(2026, 6, 1, 2, 0), LOS_ANGELES) == date(2026, 5, 31)
    assert local_date(utc(2026, 6, 1, 20, 0), SYDNEY) == date(2026, 6, 2)


def test_digits_that_are_not_numbers_are_refused_not_crashed() -> None:
    with pytest.raises(ScheduleError):
        parse_schedule("every ² days 20:00")


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("a diario 20:00", "daily 20:00"),
        ("Todos los días a las 20:00", "daily 20:00"),
        ("lun, mié y vie a las 19:00", "mon,wed,fri 19:00"),
        ("lun-vie 07:30", "weekdays 07:30"),
        ("lunes a viernes 07:30", "weekdays 07:30"),
        ("de martes a jueves 20:00", "tue,wed,thu 20:00"),
        ("todos los lunes a las 19:00", "mon 19:00"),
        ("cada dos semanas 20:00", "every 14 days 20:00 from 2026-11-29"),
        ("entre semana 08:15", "weekdays 08:15"),
        ("los sábados 10:00", "sat 10:00"),
        ("cada lunes 18:00", "mon 18:00"),
        ("cada 3 días desde 2026-12-01 20:00", "every 3 days 20:00 from 2026-12-01"),
        ("día por medio 21:00", "every 2 days 21:00 from 2026-11-29"),
        ("una vez el 2026-12-01 a las 09:30", "once 2026-12-01 09:30"),
    ],
)
def test_a_schedule_typed_in_spanish_reads_as_in_english(typed: str, read: str) -> None:
    assert format_schedule(parse_schedule(typed, today=date(2026, 11, 29))) == read


def test_a_spanish_word_that_is_no_schedule_is_still_refused() -> None:
    with pytest.raises(ScheduleError, match="mañanas"):
        parse_schedule("mañanas 20:00")
