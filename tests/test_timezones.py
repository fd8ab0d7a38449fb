"""Time zones as people type them."""

from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

import pytest

from conversations.timezones import (
    COMMON_ZONES,
    MAX_INPUT_LENGTH,
    TimeZoneError,
    parse_time_zone,
    zone_label,
)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("  EUROPE / BERLIN ", "Europe/Berlin"),
        ("america/new york", "America/New_York"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("América/São Paulo", "America/Sao_Paulo"),
        ("Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("NEW   YORK", "America/New_York"),
        ("los angeles", "America/Los_Angeles"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Zürich", "Europe/Zurich"),
        ("port au prince", "America/Port-au-Prince"),
        ("St. John's", "America/St_Johns"),
        ("Berlin, Germany", "Europe/Berlin"),
        ("kolkata", "Asia/Kolkata"),
        ("Mumbai", "Asia/Kolkata"),
        ("san francisco", "America/Los_Angeles"),
        # A city in several regions: the canonical zone, not a legacy link.
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("Indianapolis", "America/Indiana/Indianapolis"),
        ("Istanbul", "Europe/Istanbul"),
        # Legacy names are still accepted when typed in full.
        ("US/Eastern", "US/Eastern"),
        ("Etc/GMT+5", "Etc/GMT+5"),
        ("CET", "CET"),
    ],
)
def test_parse_time_zone_accepts(text: str, key: str) -> None:
    assert parse_time_zone(text) == ZoneInfo(key)


@pytest.mark.parametrize("text", ["UTC", "utc", "GMT", "Z", "z", "Zulu", "UTC+0", "GMT-00:00"])
def test_parse_time_zone_utc(text: str) -> None:
    assert parse_time_zone(text) == ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("text", "hints"),
    [
        ("", ["city", "Berlin", "Europe/Berlin"]),
        ("   ", ["city", "Europe/Berlin"]),
        ("x" * (MAX_INPUT_LENGTH + 1), ["longer", "city"]),
        ("Atlantis", ["“Atlantis”", "city", "Europe/Berlin"]),
        ("Eastern", ["“Eastern”", "city"]),  # only US/Eastern, not a city
        ("UTC+2", ["“UTC+2”", "daylight saving", "city"]),
        ("gmt - 5", ["daylight saving", "city"]),
        ("+05:30", ["daylight saving", "city"]),
        ("EST", ["“EST”", "daylight saving", "city"]),
        ("pst", ["daylight saving", "city"]),
        ("Factory", ["city"]),
        ("localtime", ["city"]),
        ("../../etc/passwd", ["city"]),
        ("west", ["city"]),  # Australia/West is legacy, not a city
    ],
)
def test_parse_time_zone_rejects_with_a_hint(text: str, hints: list[str]) -> None:
    with pytest.raises(TimeZoneError) as caught:
        parse_time_zone(text)
    message = str(caught.value)
    for hint in hints:
        assert hint in message


def test_time_zone_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_time_zone("nowhere at all")


def test_every_canonical_zone_name_parses_to_itself() -> None:
    # EST and MST are fixed offsets that people type meaning Eastern or Mountain time.
    for name in available_timezones() - {"Factory", "localtime", "EST", "MST"}:
        assert parse_time_zone(name).key in (name, "UTC"), name
        assert parse_time_zone(name.lower()).key in (name, "UTC"), name


def test_common_zones() -> None:
    assert 1 <= len(COMMON_ZONES) <= 10
    assert len(set(COMMON_ZONES)) == len(COMMON_ZONES)
    assert "UTC" in COMMON_ZONES
    for name in COMMON_ZONES:
        assert name in available_timezones()


@pytest.mark.parametrize("name", COMMON_ZONES)
def test_labels_of_common_zones_parse_back(name: str) -> None:
    zone = ZoneInfo(name)
    assert parse_time_zone(zone_label(zone)) == zone


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("Europe/Berlin", "Berlin"),
        ("America/New_York", "New York"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires"),
        ("UTC", "UTC"),
        ("Etc/UTC", "UTC"),
        ("GMT", "UTC"),
        ("Etc/GMT+5", "UTC-5"),
        ("Etc/GMT-14", "UTC+14"),
        ("US/Eastern", "US/Eastern"),
    ],
)
def test_zone_label(key: str, label: str) -> None:
    assert zone_label(ZoneInfo(key)) == label
