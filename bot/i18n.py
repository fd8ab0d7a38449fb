"""Every person's language: the message catalogs and how to pick one.

The words people read are written in English in the code, marked for the catalogs with
`tr(language, "…")` (or `ctx.t("…")` in a handler) and `N_("…")` where a text is only
named, to be translated later. Babel extracts them into `bot/locale/messages.pot`; each
language's `.po` holds its translations and ships compiled (`.mo`), read here with the
standard library. See docs/translating.md for the commands.
"""

from __future__ import annotations

import gettext
import logging
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_datetime,
    get_day_names,
    get_timezone,
    get_timezone_location,
)

from conversations.notes import N_, Wording, in_sentence
from conversations.schedules import (
    WEEKDAYS,
    WEEKENDS,
    Daily,
    EveryNDays,
    Once,
    Schedule,
    Weekly,
    describe_schedule,
)
from conversations.timezones import zone_label

Language = Literal["en", "es"]
LANGUAGES: tuple[Language, ...] = ("en", "es")
LANGUAGE_NAMES: dict[Language, str] = {"en": "English", "es": "Español"}
__all__ = ["LANGUAGES", "N_", "Language", "in_sentence", "moment", "schedule_words", "tr"]
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"
log = logging.getLogger(__name__)


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language`; English, the code's own words, needs none."""
    if language not in LANGUAGES or language == "en":
        return gettext.NullTranslations()
    try:
        with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as file:
            return gettext.GNUTranslations(file)
    except OSError:  # a broken install: English is kinder than a failure (a test guards it)
        log.error("the compiled catalog for %s is missing; speaking English", language)
        return gettext.NullTranslations()


def tr(language: str, message: str, /, **params: object) -> str:
    """`message` in `language`, its `{name}` fields filled from `params`."""
    text = catalog(language).gettext(message)
    if language == "es" and params:
        text = _one_oclock(text, params)
    return text.format(**params) if params else text


def _one_oclock(text: str, params: dict[str, object]) -> str:
    """Spanish says "a la 01:30" but "a las 13:30": one o'clock is singular. Only the
    catalog's own words change, never a value filled in (a client's words stay theirs)."""
    for name, value in params.items():
        if isinstance(value, str) and _ONE.fullmatch(value):
            field = re.escape("{" + name + "}")
            text = re.sub(rf"\b([Aa]|[Dd]esde|[Hh]asta) las ({field})", r"\1 la \2", text)
    return text


_ONE = re.compile(r"0?1:\d\d")


def language_from_code(code: str | None) -> Language:
    """The language we speak to someone whose Telegram is set to `code` (es-MX → es)."""
    base = (code or "").replace("_", "-").split("-")[0].lower()
    return "es" if base == "es" else "en"


def pick_language(text: str) -> Language | None:
    """A language named in typed text ("Spanish", "español", "es"), if one is."""
    typed = text.strip().lower().rstrip(".!")
    for language, names in _NAMES.items():
        if typed in names:
            return language
    return None


_NAMES: dict[Language, frozenset[str]] = {
    "en": frozenset({"en", "english", "inglés", "ingles"}),
    "es": frozenset({"es", "spanish", "español", "espanol", "castellano"}),
}


def moment(when: datetime, language: str, pattern: str = "EEE d MMM HH:mm") -> str:
    """A date and time in `language` (Babel's CLDR pattern: "vie 4 dic 19:30")."""
    return format_datetime(when, pattern, tzinfo=when.tzinfo, locale=language)


def schedule_words(schedule: Schedule, language: str) -> str:
    """A schedule for people in `language`: "daily at 20:00", "a diario a las 20:00"."""
    if language not in LANGUAGES or language == "en":
        return describe_schedule(schedule)
    clock = schedule.at.strftime("%H:%M")
    match schedule:
        case Daily():
            return tr(language, "daily at {time}", time=clock)
        case Weekly(days=days):
            return tr(language, "{days} at {time}", days=_days_words(days, language), time=clock)
        case EveryNDays(n=n, start=start):
            return tr(
                language,
                "every {n} days at {time}, starting {day}",
                n=n,
                time=clock,
                day=format_date(start, "EEE d MMM y", locale=language),
            )
        case Once(on=on):
            return tr(
                language,
                "once on {day} at {time}",
                day=format_date(on, "EEE d MMM y", locale=language),
                time=clock,
            )
    return describe_schedule(schedule)


def _days_words(days: frozenset[int], language: str) -> str:
    if days == WEEKDAYS:
        return tr(language, "on weekdays")
    if days == WEEKENDS:
        return tr(language, "on weekends")
    if len(days) == 7:
        return tr(language, "every day")
    if len(days) == 1:
        (day,) = days
        return tr(language, "every {day}", day=get_day_names("wide", locale=language)[day])
    names = [get_day_names("abbreviated", locale=language)[day] for day in sorted(days)]
    return tr(language, "on {days} and {last}", days=", ".join(names[:-1]), last=names[-1])


def wording(language: str) -> Wording:
    """How to word things for someone who reads `language` (texts and dates)."""
    if language not in LANGUAGES or language == "en":
        return Wording()

    def t(message: str, /, **params: object) -> str:
        return tr(language, message, **params)

    return Wording(
        t=t,
        day_time=lambda when: moment(when, language),
        weekday_time=lambda when: moment(when, language, "EEE HH:mm"),
        day=lambda day: format_date(day, "EEE d MMM", locale=language),
    )


def day_names(language: str, width: Literal["abbreviated", "wide"] = "abbreviated") -> list[str]:
    """Monday to Sunday in `language` ("Mon"…, or "lun"… in Spanish)."""
    names = get_day_names(width, locale=language)
    return [str(names[day]) for day in range(7)]


def language_name(language: str) -> str:
    """A language's name as said in a sentence in that language ("español", "English")."""
    return str(Locale.parse(language).get_display_name(language))


def zone_name(zone: ZoneInfo, language: str) -> str:
    """A time zone as people call it, in `language`: "Berlin" or "Berlín", "New York" or
    "Nueva York", "UTC", "UTC-5" (Babel's city names; the English ones are the zone's)."""
    label = zone_label(zone)
    if language == "en" or not zone.key or "/" not in zone.key or label.startswith("UTC"):
        return label
    try:
        return str(get_timezone_location(get_timezone(zone.key), locale=language, return_city=True))
    except (LookupError, ValueError):
        return label
