"""Time zones as people type them: a city, an IANA zone name, or UTC.

Only names from ``zoneinfo.available_timezones()`` are ever opened, so typed text never
reaches the file system. Fixed offsets (``UTC+2``) and abbreviations (``EST``) are refused
with a hint to type a city, because they do not follow daylight saving time and reminders
would drift by an hour for half the year.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from conversations.notes import N_, Unreadable

MAX_INPUT_LENGTH = 64

COMMON_ZONES: tuple[str, ...] = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Toronto",
    "Australia/Sydney",
    "Asia/Kolkata",
)
"""A short list for buttons; everyone else types a city."""

_CITY_REGIONS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)
# Legacy state names under a real region that read oddly as cities ("west" → Perth).
_NOT_CITIES = frozenset(
    {
        "Australia/LHI",
        "Australia/North",
        "Australia/South",
        "Australia/West",
        "Australia/Yancowinna",
    }
)
# Placeholders rather than places.
_NOT_ZONES = frozenset({"Factory", "localtime"})

# Big cities that have no zone of their own, and a canonical pick where the sorted
# order would choose a legacy link (Asia/Istanbul before Europe/Istanbul).
_CITY_ALIASES = {
    # Spanish names of cities whose zones are named in English.
    "ciudad de mexico": "America/Mexico_City",
    "cdmx": "America/Mexico_City",
    "mexico df": "America/Mexico_City",
    "nueva york": "America/New_York",
    "londres": "Europe/London",
    "roma": "Europe/Rome",
    "lisboa": "Europe/Lisbon",
    "sevilla": "Europe/Madrid",
    "bilbao": "Europe/Madrid",
    "malaga": "Europe/Madrid",
    "quito": "America/Guayaquil",
    "tenerife": "Atlantic/Canary",
    "las palmas": "Atlantic/Canary",
    "istanbul": "Europe/Istanbul",
    "washington": "America/New_York",
    "washington dc": "America/New_York",
    "boston": "America/New_York",
    "philadelphia": "America/New_York",
    "atlanta": "America/New_York",
    "miami": "America/New_York",
    "montreal": "America/Toronto",
    "ottawa": "America/Toronto",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "rio de janeiro": "America/Sao_Paulo",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "barcelona": "Europe/Madrid",
    "milan": "Europe/Rome",
    "geneva": "Europe/Zurich",
    "edinburgh": "Europe/London",
    "manchester": "Europe/London",
    "saint petersburg": "Europe/Moscow",
    "st petersburg": "Europe/Moscow",
    "tel aviv": "Asia/Jerusalem",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
    "osaka": "Asia/Tokyo",
    "canberra": "Australia/Sydney",
    "wellington": "Pacific/Auckland",
    "cape town": "Africa/Johannesburg",
}

_UTC_WORDS = frozenset({"utc", "gmt", "z", "zulu", "uct", "universal", "greenwich", "gmt0"})
# Abbreviations people mean as "Eastern time" etc.; IANA's EST and MST are fixed offsets.
_ABBREVIATIONS = frozenset(
    {"est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt", "akst", "akdt"}
    | {"bst", "ist", "cest", "eest", "aest", "aedt", "acst", "awst"}
)
_OFFSET = re.compile(r"(?:utc|gmt)? ?[+\-−] ?(\d{1,2})(?::?(\d{2}))?")
_ETC_OFFSET = re.compile(r"Etc/GMT([+-])(\d{1,2})")
_FORMS = N_("Please type your city, like Berlin or New York, or a zone name like Europe/Berlin.")


class TimeZoneError(Unreadable):
    """A typed time zone that could not be found; the message is written for the person."""


@dataclass(frozen=True)
class _ZoneIndex:
    by_name: dict[str, str]
    by_city: dict[str, str]


def parse_time_zone(text: str) -> ZoneInfo:
    """Find the zone for a city (``new york``), an IANA name (``europe/berlin``) or ``UTC``."""
    if len(text) > MAX_INPUT_LENGTH:
        raise TimeZoneError(
            N_(
                "That is longer than any time zone name. Please type your city, like Berlin or "
                "New York, or a zone name like Europe/Berlin."
            )
        )
    typed = " ".join(text.split())
    if not typed:
        raise TimeZoneError(_FORMS)
    key = _fold(typed)

    if key in _UTC_WORDS:
        return ZoneInfo("UTC")
    offset = _OFFSET.fullmatch(key)
    if offset is not None:
        if int(offset[1]) == 0 and int(offset[2] or 0) == 0:
            return ZoneInfo("UTC")
        raise TimeZoneError(
            N_(
                "A fixed offset like “{typed}” doesn't change for daylight saving time, so "
                "reminders could be an hour off for half the year. "
                "Please type your city instead, like Berlin or New York."
            ),
            typed,
        )
    if key in _ABBREVIATIONS:
        raise TimeZoneError(
            N_(
                "“{typed}” can mean different places and doesn't say whether daylight saving "
                "time applies. Please type your city instead, like New York or London."
            ),
            typed,
        )

    index = _zone_index()
    for candidate in (key, key.partition(",")[0].strip()):
        name = index.by_name.get(candidate) or index.by_city.get(_compact(candidate))
        if name is not None:
            return ZoneInfo(name)
    raise TimeZoneError(
        N_(
            "I couldn't find a time zone for “{typed}”. Please type your city, like Berlin or "
            "New York, or a zone name like Europe/Berlin."
        ),
        typed,
    )


def zone_label(zone: ZoneInfo) -> str:
    """A short name for people: ``Berlin``, ``New York``, ``UTC``."""
    key = zone.key
    if not key:
        return str(zone)
    last = key.rsplit("/", 1)[-1]
    if last.casefold() in _UTC_WORDS | {"gmt+0", "gmt-0"}:
        return "UTC"
    offset = _ETC_OFFSET.fullmatch(key)
    if offset is not None:
        # POSIX signs are inverted: Etc/GMT+5 is five hours behind UTC.
        return f"UTC{'-' if offset[1] == '+' else '+'}{int(offset[2])}"
    region = key.partition("/")[0]
    return (last if region in _CITY_REGIONS else key).replace("_", " ")


@functools.cache
def _zone_index() -> _ZoneIndex:
    by_name: dict[str, str] = {}
    by_city: dict[str, str] = {}
    for name in sorted(available_timezones() - _NOT_ZONES):
        by_name.setdefault(_fold(name), name)
        region, _, rest = name.partition("/")
        if region in _CITY_REGIONS and rest and name not in _NOT_CITIES:
            by_city.setdefault(_compact(_fold(rest.rsplit("/", 1)[-1])), name)
    by_city.update((_compact(city), name) for city, name in _CITY_ALIASES.items())
    return _ZoneIndex(by_name=by_name, by_city=by_city)


def _fold(text: str) -> str:
    """Compare names loosely: no case, accents, underscores, hyphens or spaces around ``/``."""
    decomposed = unicodedata.normalize("NFKD", text.replace("−", "-"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    plain = re.sub(r"\s*/\s*", "/", plain)
    # Keep a sign's hyphen ("utc-5", "Etc/GMT-5") but read other hyphens as spaces.
    plain = re.sub(r"(?<=[a-z])[_-](?=[a-z])|_", " ", plain)
    return " ".join(plain.split())


def _compact(city: str) -> str:
    """Match cities without spaces or punctuation: ``St. John's`` finds America/St_Johns."""
    return re.sub(r"[\W_]", "", city)


def country_of_zone(name: str) -> str | None:
    """The ISO 3166 country a zone belongs to (``Europe/Berlin`` → ``DE``), if it has one.

    Read from the tz database's own ``zone.tab`` (shipped in the ``tzdata`` package), with
    its links followed, so ``US/Eastern`` is the United States too.
    """
    countries, links = _zone_countries()
    # A zone listed under its own country wins over where its link points: since 2022 the
    # tz database links whole countries' zones to a neighbour's (Europe/Oslo to Berlin).
    return countries.get(name) or countries.get(links.get(name, ""))


@functools.cache
def _zone_countries() -> tuple[dict[str, str], dict[str, str]]:
    folder = resources.files("tzdata") / "zoneinfo"
    countries: dict[str, str] = {}
    for line in (folder / "zone.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_ = line.split("\t")
            countries[zone] = code
    links: dict[str, str] = {}
    for line in (folder / "tzdata.zi").read_text(encoding="utf-8").splitlines():
        if line.startswith("L "):
            _, target, link = line.split()
            links[link] = target
    # A link may point at another link's target only through it; follow to the end.
    for link, target in list(links.items()):
        seen = {link}
        while target in links and target not in seen:
            seen.add(target)
            target = links[target]
        links[link] = target
    return countries, links
