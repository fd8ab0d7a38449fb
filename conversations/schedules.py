"""Homework schedules: what a therapist types, what a client reads, and when reminders fall due.

A schedule is a local wall time (and the days it applies to) in the client's own time
zone. It is turned into UTC instants only here, with ``zoneinfo``:

* a local time that does not exist (spring-forward gap) fires at the first valid instant
  after the gap, shifted by the gap (02:30 in a one-hour gap fires at 03:30);
* a local time that happens twice (autumn fold) fires once, at the first instant.

Typed forms (case-insensitive, extra spaces and an ``at`` are fine)::

    daily 20:00                        Daily
    weekdays 20:00 / weekends 09:00    Weekly
    mon,wed,fri 20:00 / mon-fri 20:00  Weekly
    every 3 days 20:00                 EveryNDays (starts today, or "from YYYY-MM-DD")
    once 2026-12-01 09:30              Once
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeAlias, assert_never
from zoneinfo import ZoneInfo

from conversations.notes import N_, Unreadable

MAX_INTERVAL_DAYS = 365
"""The longest gap ``every N days`` accepts."""

_MAX_INPUT_LENGTH = 200

_DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_ABBREVIATIONS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
WEEKDAYS: frozenset[int] = frozenset(range(5))
WEEKENDS: frozenset[int] = frozenset({5, 6})

# DST transitions move an occurrence by hours, and a few historic ones (Pacific/Apia
# skipping 2011-12-30) by a whole day, so searches look this far past the obvious day.
_SLACK = timedelta(days=2)


def _check_wall_time(at: time) -> None:
    if at.tzinfo is not None:
        raise ValueError("a schedule's time is a local wall time and must be naive")
    if at.second or at.microsecond:
        raise ValueError("a schedule's time is whole minutes")


@dataclass(frozen=True)
class Daily:
    """Every day at a local time."""

    at: time

    def __post_init__(self) -> None:
        _check_wall_time(self.at)


@dataclass(frozen=True)
class Weekly:
    """On some days of the week (0 = Monday) at a local time."""

    days: frozenset[int]
    at: time

    def __post_init__(self) -> None:
        _check_wall_time(self.at)
        object.__setattr__(self, "days", frozenset(self.days))
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("weekly days are a non-empty set of 0 (Monday) to 6 (Sunday)")


@dataclass(frozen=True)
class EveryNDays:
    """Every ``n`` days at a local time, the first time on ``start`` (a local date)."""

    n: int
    at: time
    start: date

    def __post_init__(self) -> None:
        _check_wall_time(self.at)
        # n == 1 is Daily; keeping one spelling per schedule keeps parse(format(s)) == s.
        if not 2 <= self.n <= MAX_INTERVAL_DAYS:
            raise ValueError(f"every N days needs 2 <= N <= {MAX_INTERVAL_DAYS}")


@dataclass(frozen=True)
class Once:
    """A single local date and time."""

    on: date
    at: time

    def __post_init__(self) -> None:
        _check_wall_time(self.at)


Schedule: TypeAlias = Daily | Weekly | EveryNDays | Once


class ScheduleError(Unreadable):
    """A typed schedule that could not be read; the message is written for the therapist."""


# ---------------------------------------------------------------------------- parsing

_WORD = re.compile(r"[^\s,]+")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_TWELVE_HOUR = re.compile(r"(\d{1,2})(?:[:.](\d{2}))? ?(am|pm|a\.m\.?|p\.m\.?)?")
_EXAMPLE_TIME = re.compile(r"\d{2}:\d{2}$")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_OTHER_DATE = re.compile(r"\d+[-/]\d+([-/]\d+)?|\d{1,2}\.\d{1,2}\.\d{2,4}")
_FILLERS = frozenset({"at", "on"})
_START_WORDS = frozenset({"from", "starting", "start"})
_DAY_SEPARATORS = frozenset({"and", "&", "+"})
_ALL_FORMS = (
    "daily 20:00, weekdays 20:00, mon,wed,fri 20:00, every 3 days 20:00 or once 2026-12-01 09:30"
)
_ONCE_EXAMPLE = "once 2026-12-01 09:30"


def _day_words() -> dict[str, frozenset[int]]:
    words: dict[str, frozenset[int]] = {}
    for index, name in enumerate(_DAY_NAMES):
        lower = name.lower()
        for word in (lower, lower + "s", lower[:3], lower[:2]):
            words[word] = frozenset({index})
    for word, index in (("tues", 1), ("weds", 2), ("thur", 3), ("thurs", 3)):
        words[word] = frozenset({index})
    words.update(weekday=WEEKDAYS, weekdays=WEEKDAYS, weekend=WEEKENDS, weekends=WEEKENDS)
    return words


_DAY_WORDS = _day_words()


_SPANISH_DAYS = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")
_SPANISH: dict[tuple[str, ...], tuple[str, ...]] = {
    ("todos", "los", "dias"): ("daily",),
    ("cada", "dia"): ("daily",),
    ("a", "diario"): ("daily",),
    ("diario",): ("daily",),
    ("diariamente",): ("daily",),
    ("una", "vez"): ("once",),
    ("entre", "semana"): ("weekdays",),
    ("dias", "laborables"): ("weekdays",),
    ("fines", "de", "semana"): ("weekends",),
    ("fin", "de", "semana"): ("weekend",),
    ("dia", "por", "medio"): ("every", "other", "day"),
    ("cada", "otro", "dia"): ("every", "other", "day"),
    ("cada", "dos", "dias"): ("every", "2", "days"),
    ("cada", "dos", "semanas"): ("every", "2", "weeks"),
    ("todos", "los"): (),
    ("de",): (),
    ("cada",): ("every",),
    ("dias",): ("days",),
    ("dia",): ("day",),
    ("semanas",): ("weeks",),
    ("semana",): ("week",),
    ("desde",): ("from",),
    ("a", "las"): ("at",),
    ("a", "la"): ("at",),
    ("el",): (),
    ("los",): (),
    ("y",): ("and",),
    **{
        (spanish,): (english.lower(),)
        for names in (_SPANISH_DAYS, tuple(day[:3] for day in _SPANISH_DAYS))
        for spanish, english in zip(names, _DAY_NAMES, strict=True)
    },
    ("sabados",): ("saturday",),
    ("domingos",): ("sunday",),
}
"""A schedule typed in Spanish, word by word into the English the parser reads ("a diario
20:00", "lun, mié y vie a las 19:00", "cada 3 días desde 2026-12-01", "una vez el
2026-12-01 a las 09:30"). None of these words is English, so both read alike."""
_LONGEST = max(len(phrase) for phrase in _SPANISH)


def _from_spanish(words: list[str]) -> list[str]:
    """The words with any Spanish schedule words put in English (accents ignored)."""
    plain = [word.translate(_UNACCENT) for word in words]
    read: list[str] = []
    index = 0
    while index < len(plain):
        first, *rest = plain[index : index + 3]
        if rest[:1] == ["a"] and len(rest) == 2 and _is_day(first) and _is_day(rest[1]):
            read.append(f"{_SPANISH[(first,)][0]}-{_SPANISH[(rest[1],)][0]}")  # "lunes a viernes"
            index += 3
            continue
        for size in range(min(_LONGEST, len(plain) - index), 0, -1):
            english = _SPANISH.get(tuple(plain[index : index + size]))
            if english is not None:
                read += english
                index += size
                break
        else:
            first, dash, last = plain[index].partition("-")
            ends = (_SPANISH.get((first,)), _SPANISH.get((last,)))
            if dash and all(end is not None and len(end) == 1 for end in ends):
                read.append("-".join(end[0] for end in ends if end))  # "lun-vie"
            else:
                read.append(words[index])
            index += 1
    return read


_UNACCENT = str.maketrans("áéíóú", "aeiou")


def _is_day(word: str) -> bool:
    english = _SPANISH.get((word,))
    return english is not None and len(english) == 1 and english[0] in _DAY_WORDS


@dataclass
class _Details:
    """The time and dates found after a schedule's kind."""

    at: time | None = None
    on: date | None = None
    start: date | None = None


def parse_schedule(text: str, *, today: date | None = None) -> Schedule:
    """Read a typed schedule such as ``daily 20:00``; raise ScheduleError saying what is expected.

    ``today`` (the client's local date) is where ``every N days`` starts when no
    ``from YYYY-MM-DD`` is typed; parsing such a schedule without it is a programming
    error (plain ValueError). A ``once`` in the past parses: ``next_occurrence`` says None.
    """
    shown = _quote(text)
    if len(text) > _MAX_INPUT_LENGTH:
        raise ScheduleError(
            N_("That schedule is too long. Please type one like {forms}."), forms=_ALL_FORMS
        )
    words = _from_spanish(_WORD.findall(text.casefold()))
    if words and words[0] == "on":
        words = words[1:]
    if not words:
        raise ScheduleError(N_("Please type a schedule, like {forms}."), forms=_ALL_FORMS)

    head, rest = words[0], words[1:]
    if head in ("daily", "everyday"):
        return _parse_daily(rest, shown)
    if head == "once":
        return _parse_once(rest, shown)
    if head == "every":
        return _parse_every(rest, shown, today)
    if _days_in(head) is not None:
        return _parse_weekly(words, shown)
    raise ScheduleError(
        N_("I didn't understand “{word}” in {shown}. Please type a schedule like {forms}."),
        word=_clip(head),
        shown=shown,
        forms=_ALL_FORMS,
    )


def _parse_daily(words: list[str], shown: str) -> Daily:
    example = "daily 20:00"
    return Daily(_require_time(_read_details(words, shown, example), shown, example))


def _parse_once(words: list[str], shown: str) -> Once:
    details = _read_details(words, shown, _ONCE_EXAMPLE, takes_date=True)
    if details.on is None:
        raise ScheduleError(
            N_("I need a date for {shown}. Please use YYYY-MM-DD, like {once}."),
            shown=shown,
            once=_ONCE_EXAMPLE,
        )
    if details.at is None:
        raise ScheduleError(
            N_("I need a time for {shown}. Please use 24-hour HH:MM, like {once}."),
            shown=shown,
            once=_ONCE_EXAMPLE,
        )
    return Once(details.on, details.at)


def _parse_every(words: list[str], shown: str, today: date | None) -> Schedule:
    """Read what follows ``every``: ``day``, ``other day``, ``N days``, ``N weeks`` or days."""
    if words[:1] == ["day"]:
        return _parse_daily(words[1:], shown)
    if words[:2] == ["other", "day"]:
        n, rest = 2, words[2:]
    elif words and words[0].isdecimal():
        count, unit = int(words[0]), words[1] if len(words) > 1 else ""
        if unit not in ("day", "days", "week", "weeks"):
            raise ScheduleError(
                N_(
                    "I didn't catch how often {shown} is. Please say it in days, like every 3 "
                    "days 20:00."
                ),
                shown=shown,
            )
        n, rest = count * (7 if unit.startswith("week") else 1), words[2:]
    elif words and _days_in(words[0]) is not None:
        return _parse_weekly(words, shown)
    else:
        raise ScheduleError(
            N_(
                "I didn't catch how often {shown} is. Please type it like every 3 days 20:00, "
                "every day 20:00 or every monday 20:00."
            ),
            shown=shown,
        )

    if n < 1 or n > MAX_INTERVAL_DAYS:
        raise ScheduleError(
            N_("Please choose between 1 and {most} days for {shown}, like every 3 days 20:00."),
            most=MAX_INTERVAL_DAYS,
            shown=shown,
        )
    example = "daily 20:00" if n == 1 else f"every {n} days 20:00"
    details = _read_details(rest, shown, example, takes_start=n > 1)
    at = _require_time(details, shown, example)
    if n == 1:
        return Daily(at)
    start = details.start or today
    if start is None:
        raise ValueError("parse_schedule needs today= to start an 'every N days' schedule")
    return EveryNDays(n, at, start)


def _parse_weekly(words: list[str], shown: str) -> Weekly:
    days: frozenset[int] = frozenset()
    index = 0
    while index < len(words):
        word = words[index]
        found = _days_in(word)
        if found is not None:
            days |= found
        elif word not in _DAY_SEPARATORS:
            break
        index += 1
    example = f"{_days_code(days)} 20:00"
    return Weekly(days, _require_time(_read_details(words[index:], shown, example), shown, example))


def _days_in(word: str) -> frozenset[int] | None:
    """The weekdays a word names (``mon``, ``weekdays``, ``mon-fri``), or None."""
    if word in _DAY_WORDS:
        return _DAY_WORDS[word]
    first, dash, last = word.partition("-")
    if dash and first in _DAY_WORDS and last in _DAY_WORDS:
        start, end = _DAY_WORDS[first], _DAY_WORDS[last]
        if len(start) == 1 and len(end) == 1:
            (begin,), (finish,) = start, end
            return frozenset((begin + step) % 7 for step in range((finish - begin) % 7 + 1))
    return None


def _read_details(
    words: list[str],
    shown: str,
    example: str,
    *,
    takes_date: bool = False,
    takes_start: bool = False,
) -> _Details:
    """Read the time, the date and a start date, in any order, refusing anything else."""
    details = _Details()
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word in _FILLERS:
            continue
        if word in _START_WORDS:
            if not takes_start:
                raise ScheduleError(
                    N_("{shown} doesn't take a start date. Please type it like {example}."),
                    shown=shown,
                    example=example,
                )
            while index < len(words) and words[index] in _FILLERS:
                index += 1
            if index == len(words) or not _looks_like_date(words[index]):
                raise ScheduleError(
                    N_(
                        "I need a date after “{word}” in {shown}. Please use YYYY-MM-DD, like "
                        "{example} from 2026-12-01."
                    ),
                    word=word,
                    shown=shown,
                    example=example,
                )
            details.start = _parse_date(words[index], shown, f"{example} from 2026-12-01")
            index += 1
        elif _looks_like_date(word):
            if takes_date and details.on is None:
                details.on = _parse_date(word, shown, example)
            elif takes_date:
                raise ScheduleError(
                    N_("{shown} has more than one date. Please type one, like {example}."),
                    shown=shown,
                    example=example,
                )
            else:
                raise ScheduleError(
                    N_(
                        "{shown} has a date, but a repeating reminder doesn't need one. Please "
                        "type it like {example}, or for a single day like {once}."
                    ),
                    shown=shown,
                    example=example,
                    once=_ONCE_EXAMPLE,
                )
        elif word[0].isdigit() or word in ("am", "pm"):
            following = words[index] if index < len(words) else ""
            if following in ("am", "pm", "a.m.", "p.m."):
                word, index = f"{word} {following}", index + 1
            if details.at is not None:
                raise ScheduleError(
                    N_("{shown} has more than one time. Please type one, like {example}."),
                    shown=shown,
                    example=example,
                )
            details.at = _parse_time(word, shown, example)
        else:
            raise ScheduleError(
                N_("I didn't understand “{word}” in {shown}. Please type it like {example}."),
                word=_clip(word),
                shown=shown,
                example=example,
            )
    return details


def _require_time(details: _Details, shown: str, example: str) -> time:
    if details.at is None:
        raise ScheduleError(
            N_("I need a time for {shown}. Please use 24-hour HH:MM, like {example}."),
            shown=shown,
            example=example,
        )
    return details.at


def _parse_time(word: str, shown: str, example: str) -> time:
    match = _TIME.fullmatch(word)
    if match is not None:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    else:
        twelve = _TWELVE_HOUR.fullmatch(word)
        if twelve is not None and twelve[3] is not None:
            hour, minute = int(twelve[1]), int(twelve[2] or 0)
            if 1 <= hour <= 12 and minute < 60:
                hour = hour % 12 + (12 if twelve[3].startswith("p") else 0)
                suggestion = _EXAMPLE_TIME.sub(f"{hour:02d}:{minute:02d}", example)
                raise ScheduleError(
                    N_("Please use the 24-hour clock in {shown}: for {word}, type {suggestion}."),
                    shown=shown,
                    word=word,
                    suggestion=suggestion,
                )
    raise ScheduleError(
        N_("I didn't catch the time in {shown}. Please use 24-hour HH:MM, like {example}."),
        shown=shown,
        example=example,
    )


def _looks_like_date(word: str) -> bool:
    return _ISO_DATE.fullmatch(word) is not None or _OTHER_DATE.fullmatch(word) is not None


def _parse_date(word: str, shown: str, example: str) -> date:
    match = _ISO_DATE.fullmatch(word)
    if match is not None:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise ScheduleError(
        N_("I didn't catch the date in {shown}. Please use YYYY-MM-DD, like {example}."),
        shown=shown,
        example=example,
    )


def _quote(text: str) -> str:
    return f"“{_clip(' '.join(text.split()))}”"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------- showing


def format_schedule(schedule: Schedule) -> str:
    """The canonical typed form, which ``parse_schedule`` reads back to the same schedule."""
    match schedule:
        case Daily(at=at):
            return f"daily {_hhmm(at)}"
        case Weekly(days=days, at=at):
            return f"{_days_code(days)} {_hhmm(at)}"
        case EveryNDays(n=n, at=at, start=start):
            return f"every {n} days {_hhmm(at)} from {start.isoformat()}"
        case Once(on=on, at=at):
            return f"once {on.isoformat()} {_hhmm(at)}"
        case _:
            assert_never(schedule)


def describe_schedule(schedule: Schedule) -> str:
    """A phrase for people: ``daily at 20:00``, ``once on Tue 1 Dec 2026 at 09:30``."""
    match schedule:
        case Daily(at=at):
            return f"daily at {_hhmm(at)}"
        case Weekly(days=days, at=at):
            return f"{_describe_days(days)} at {_hhmm(at)}"
        case EveryNDays(n=n, at=at, start=start):
            return f"every {n} days at {_hhmm(at)}, starting {_describe_date(start)}"
        case Once(on=on, at=at):
            return f"once on {_describe_date(on)} at {_hhmm(at)}"
        case _:
            assert_never(schedule)


def _hhmm(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def _days_code(days: frozenset[int]) -> str:
    if days == WEEKDAYS:
        return "weekdays"
    if days == WEEKENDS:
        return "weekends"
    return ",".join(_DAY_ABBREVIATIONS[day].lower() for day in sorted(days))


def _describe_days(days: frozenset[int]) -> str:
    if days == WEEKDAYS:
        return "on weekdays"
    if days == WEEKENDS:
        return "on weekends"
    if len(days) == 7:
        return "every day"
    if len(days) == 1:
        (day,) = days
        return f"every {_DAY_NAMES[day]}"
    names = [_DAY_ABBREVIATIONS[day] for day in sorted(days)]
    return f"on {', '.join(names[:-1])} and {names[-1]}"


def _describe_date(day: date) -> str:
    weekday, month = _DAY_ABBREVIATIONS[day.weekday()], _MONTH_ABBREVIATIONS[day.month - 1]
    return f"{weekday} {day.day} {month} {day.year}"


# ---------------------------------------------------------------------------- timing


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date at ``moment`` in ``zone``."""
    return _as_utc(moment, "moment").astimezone(zone).date()


def next_occurrence(schedule: Schedule, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first occurrence strictly after ``after``, in UTC; None when there is none."""
    after = _as_utc(after, "after")
    best: datetime | None = None
    best_day = date.min
    for day in _days_from(schedule, local_date(after, zone) - _SLACK):
        if best is not None and day - best_day > _SLACK:
            break
        instant = _instant(day, schedule.at, zone)
        if instant is not None and instant > after and (best is None or instant < best):
            best, best_day = instant, day
    return best


def latest_occurrence_at_or_before(
    schedule: Schedule, zone: ZoneInfo, moment: datetime
) -> datetime | None:
    """The most recent occurrence at or before ``moment``, in UTC; None when there is none.

    Used to catch up after downtime: one late reminder, not one per missed day.
    """
    moment = _as_utc(moment, "moment")
    best: datetime | None = None
    best_day = date.max
    for day in _days_back_from(schedule, local_date(moment, zone) + _SLACK):
        if best is not None and best_day - day > _SLACK:
            break
        instant = _instant(day, schedule.at, zone)
        if instant is not None and instant <= moment and (best is None or instant > best):
            best, best_day = instant, day
    return best


def _as_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall time; gaps shift forward, folds take the first.

    ``fold=0`` does exactly that (PEP 495): in a gap it applies the offset from before
    the gap, in a fold it picks the earlier instant.
    """
    try:
        return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)
    except OverflowError:
        return None


def _days_from(schedule: Schedule, first: date) -> Iterator[date]:
    """The local dates the schedule falls on, from ``first`` onwards, in order."""
    try:
        match schedule:
            case Once(on=on):
                if on >= first:
                    yield on
            case EveryNDays(n=n, start=start):
                day = max(first, start)
                day += timedelta(days=-(day - start).days % n)
                while True:
                    yield day
                    day += timedelta(days=n)
            case Daily() | Weekly():
                day = first
                while True:
                    if _falls_on(schedule, day):
                        yield day
                    day += timedelta(days=1)
            case _:
                assert_never(schedule)
    except OverflowError:
        return


def _days_back_from(schedule: Schedule, last: date) -> Iterator[date]:
    """The local dates the schedule falls on, from ``last`` backwards, in order."""
    try:
        match schedule:
            case Once(on=on):
                if on <= last:
                    yield on
            case EveryNDays(n=n, start=start):
                if last < start:
                    return
                day = last - timedelta(days=(last - start).days % n)
                while day >= start:
                    yield day
                    day -= timedelta(days=n)
            case Daily() | Weekly():
                day = last
                while True:
                    if _falls_on(schedule, day):
                        yield day
                    day -= timedelta(days=1)
            case _:
                assert_never(schedule)
    except OverflowError:
        return


def _falls_on(schedule: Daily | Weekly, day: date) -> bool:
    return isinstance(schedule, Daily) or day.weekday() in schedule.days
