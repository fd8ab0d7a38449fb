"""When a reminder goes out: quiet hours, snoozes and the grace window after downtime.

Pure functions on aware datetimes and a client's zone; the ticker and the buttons call them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from conversations.notes import N_, Unreadable
from conversations.schedules import Schedule, next_occurrence

SNOOZES = ("hour", "evening", "tomorrow")
EVENING = time(19, 0)
"""“This evening” means 19:00 on the client's clock..."""
EVENING_CUTOFF = time(18, 30)
"""...offered until 18:30; after that it is simply an hour later."""
COVERED = timedelta(hours=1)
"""A snoozed reminder is not sent when the next regular one comes within this of it."""
MAX_RECORDED = 60
"""At most this many due times missed during downtime are recorded one by one."""


class QuietHoursError(Unreadable):
    """Quiet hours that can't be read; the message says what would be right."""


@dataclass(frozen=True)
class QuietHours:
    """A daily window, on the client's clock, in which reminders wait (may cross midnight)."""

    start: time
    end: time

    def holds(self, moment: datetime, zone: ZoneInfo) -> bool:
        """True when `moment` falls inside the window."""
        local = moment.astimezone(zone).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """When the window that holds `moment` ends (UTC)."""
        local = moment.astimezone(zone)
        day = local.date()
        if self.start >= self.end and local.time().replace(tzinfo=None) >= self.start:
            day += timedelta(days=1)  # the window crosses midnight: it ends tomorrow
        end = datetime.combine(day, self.end, tzinfo=zone)
        # A wall time skipped by a clock change: fold forward to the first real minute.
        return end.astimezone(UTC) if end.astimezone(UTC) > moment else moment

    def describe(self) -> str:
        """“22:00–08:00”."""
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def parse_quiet_hours(text: str) -> QuietHours:
    """“22:00-08:00”, “22-8”, “10pm to 7am”, “de 23 a 8”: two times; QuietHoursError
    otherwise."""
    cleaned = re.sub(r"\b(?:las|la)\s+(?=\d)", "", text.strip().lower())
    cleaned = re.sub(r"^(?:from|de|desde|entre)\s+", "", cleaned)
    cleaned = re.sub(r"\s+(?:to|until|till|a|hasta|y)\s+", "-", cleaned)
    cleaned = cleaned.replace("–", "-").replace("—", "-")
    parts = [p.strip() for p in cleaned.split("-")]
    if len(parts) != 2 or not all(parts):
        raise QuietHoursError(
            N_("Please send two times, like 22:00-08:00 (from when, until when).")
        )
    start, end = (_clock(p) for p in parts)
    if start == end:
        raise QuietHoursError(
            N_("Those two times are the same; quiet hours need a start and an end.")
        )
    return QuietHours(start, end)


def _clock(word: str) -> time:
    pm = word.endswith("pm")
    am = word.endswith("am")
    word = word.removesuffix("pm").removesuffix("am").strip()
    hours, _, minutes = word.replace(".", ":").partition(":")
    if not hours.isdecimal() or (minutes and not minutes.isdecimal()):
        raise QuietHoursError(
            N_("I couldn't read “{typed}” as a time. Try 22:00-08:00."), word[:20]
        )
    hour, minute = int(hours), int(minutes or 0)
    if am or pm:
        if not 1 <= hour <= 12:
            raise QuietHoursError(N_("“{typed}” is not a time on a 12-hour clock."), word[:20])
        hour = hour % 12 + (12 if pm else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise QuietHoursError(N_("“{typed}” is not a time of day. Try 22:00-08:00."), word[:20])
    return time(hour, minute)


def quiet_hours_of(start: str | None, end: str | None) -> QuietHours | None:
    """The stored window ("HH:MM" strings), or None when there is none."""
    if not start or not end:
        return None
    try:
        return QuietHours(time.fromisoformat(start), time.fromisoformat(end))
    except ValueError:
        return None


def outside_quiet(moment: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """`moment`, or the end of the quiet hours it falls in."""
    if quiet is None or not quiet.holds(moment, zone):
        return moment
    return quiet.end_after(moment, zone)


def evening_offered(now: datetime, zone: ZoneInfo) -> bool:
    """True while “this evening” is still ahead on the client's clock."""
    return now.astimezone(zone).time().replace(tzinfo=None) < EVENING_CUTOFF


def snooze_until(choice: str, *, now: datetime, due_at: datetime, zone: ZoneInfo) -> datetime:
    """When a snoozed reminder comes back: an hour on; 19:00 today (an hour on once that has
    passed); or tomorrow at the time it was due."""
    if choice == "evening" and evening_offered(now, zone):
        local = now.astimezone(zone)
        return datetime.combine(local.date(), EVENING, tzinfo=zone).astimezone(UTC)
    if choice == "tomorrow":
        local_due = due_at.astimezone(zone)
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        moment = datetime.combine(tomorrow, local_due.time().replace(tzinfo=None), tzinfo=zone)
        return moment.astimezone(UTC)
    return now + timedelta(hours=1)


def covered_by_schedule(
    target: datetime, schedule: Schedule, zone: ZoneInfo, now: datetime
) -> bool:
    """True when the next regular reminder comes before, or soon after, `target`: then a
    snoozed one would only be a second reminder for the same thing."""
    upcoming = next_occurrence(schedule, zone, now)
    return upcoming is not None and upcoming <= target + COVERED


def due_times_between(
    schedule: Schedule, zone: ZoneInfo, first: datetime, last: datetime
) -> list[datetime]:
    """The schedule's due times from `first` up to `last`, ending with `last` itself (at
    most MAX_RECORDED, the latest kept), for recording what downtime missed."""
    times: list[datetime] = []
    moment = next_occurrence(schedule, zone, first - timedelta(microseconds=1))
    while moment is not None and moment < last and len(times) < 10_000:
        times.append(moment)
        moment = next_occurrence(schedule, zone, moment)
    times.append(last)
    return times[-MAX_RECORDED:]
