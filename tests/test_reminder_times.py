"""Quiet hours, snoozes and downtime: the pure timing rules behind reminders."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from conversations.reminders import (
    QuietHours,
    QuietHoursError,
    covered_by_schedule,
    due_times_between,
    evening_offered,
    outside_quiet,
    parse_quiet_hours,
    quiet_hours_of,
    snooze_until,
)
from conversations.schedules import Daily, parse_schedule

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Berlin wall time in 2026, as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize(
    ("typed", "start", "end"),
    [
        ("22:00-08:00", time(22), time(8)),
        ("22 - 8", time(22), time(8)),
        ("10pm to 7am", time(22), time(7)),
        ("12am-6:30am", time(0), time(6, 30)),
        ("13.00–14.30", time(13), time(14, 30)),
        ("from 11pm until 7am", time(23), time(7)),
        ("de 23 a 8", time(23), time(8)),
        ("desde las 22:30 hasta las 7", time(22, 30), time(7)),
        ("entre 23 y 7", time(23), time(7)),
    ],
)
def test_quiet_hours_are_read_in_many_spellings(typed: str, start: time, end: time) -> None:
    assert parse_quiet_hours(typed) == QuietHours(start, end)


@pytest.mark.parametrize("typed", ["", "sometime", "22:00", "25:00-08:00", "13pm-2", "8-8"])
def test_quiet_hours_that_cannot_be_read_say_why(typed: str) -> None:
    with pytest.raises(QuietHoursError):
        parse_quiet_hours(typed)


def test_quiet_hours_across_midnight_hold_and_end() -> None:
    quiet = QuietHours(time(22), time(8))
    assert quiet.holds(at(21, 23), BERLIN) and quiet.holds(at(22, 7, 59), BERLIN)
    assert not quiet.holds(at(22, 8), BERLIN) and not quiet.holds(at(21, 21, 59), BERLIN)
    assert outside_quiet(at(21, 23), BERLIN, quiet) == at(22, 8)  # ends tomorrow morning
    assert outside_quiet(at(22, 6), BERLIN, quiet) == at(22, 8)  # ends this morning
    assert outside_quiet(at(22, 12), BERLIN, quiet) == at(22, 12)  # not quiet: unchanged
    assert outside_quiet(at(22, 12), BERLIN, None) == at(22, 12)
    daytime = QuietHours(time(13), time(14))
    assert outside_quiet(at(22, 13, 30), BERLIN, daytime) == at(22, 14)
    assert quiet_hours_of("22:00", "08:00") == quiet
    assert quiet_hours_of(None, "08:00") is None and quiet_hours_of("x", "y") is None


def test_snoozes() -> None:
    due = at(22, 8)
    assert snooze_until("hour", now=at(22, 8, 5), due_at=due, zone=BERLIN) == at(22, 9, 5)
    assert snooze_until("evening", now=at(22, 8, 5), due_at=due, zone=BERLIN) == at(22, 19)
    # After 18:30 "this evening" is an hour on, and is no longer offered.
    assert not evening_offered(at(22, 18, 45), BERLIN)
    assert snooze_until("evening", now=at(22, 18, 45), due_at=due, zone=BERLIN) == at(22, 19, 45)
    assert snooze_until("tomorrow", now=at(22, 8, 5), due_at=due, zone=BERLIN) == at(23, 8)
    # Across the autumn clock change the wall time is kept, not the hours.
    autumn = at(24, 8, month=10)
    assert snooze_until("tomorrow", now=autumn, due_at=autumn, zone=BERLIN) == at(25, 8, month=10)


def test_a_snooze_near_the_next_regular_reminder_is_covered() -> None:
    daily = Daily(time(20))
    assert covered_by_schedule(at(22, 19), daily, BERLIN, now=at(22, 8))
    assert not covered_by_schedule(at(22, 9), daily, BERLIN, now=at(22, 8))
    weekly = parse_schedule("mon 20:00")
    assert not covered_by_schedule(at(23, 8), weekly, BERLIN, now=at(22, 8))


def test_downtime_records_each_due_time_it_missed() -> None:
    daily = Daily(time(8))
    times = due_times_between(daily, BERLIN, at(21, 8), at(24, 8))
    assert times == [at(21, 8), at(22, 8), at(23, 8), at(24, 8)]
    # A next time that is not one of the schedule's (postponed after an error) is not one.
    assert due_times_between(daily, BERLIN, at(21, 9), at(22, 8)) == [at(22, 8)]
    long = due_times_between(daily, BERLIN, at(1, 8, month=1), at(24, 8))
    assert len(long) == 60 and long[-1] == at(24, 8)
    assert due_times_between(daily, BERLIN, at(24, 8), at(24, 8)) == [at(24, 8)]
