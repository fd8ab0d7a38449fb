"""Trends for charts: which series a client's entries hold, the chart drawn as a real PNG,
and the one plain sentence /progress says."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta

from bot.charts import render
from conversations.engine import compile_flow
from conversations.templates import load_library
from conversations.trends import Done, Series, chart_spec, progress_sentence, trends

LIBRARY = load_library()
PHQ9 = compile_flow(LIBRARY["phq9"])
JOURNAL = compile_flow(LIBRARY["journal"])
DAY = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header, checking it is one."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def journal(day: int, mood: int) -> Done:
    return Done(JOURNAL, {"entry": "fine", "mood": mood}, DAY + timedelta(days=day))


def phq9(day: int, total: int, band: str) -> Done:
    return Done(
        PHQ9, {}, DAY + timedelta(days=day), {"name": "PHQ-9", "total": total, "band": band}
    )


def test_measures_come_with_their_bands_and_mood_follows() -> None:
    found = trends([journal(2, 4), phq9(0, 14, "Moderate"), journal(1, 6), phq9(7, 9, "Mild")])
    assert [s.name for s in found] == ["PHQ-9", "Mood"]
    measure, mood = found
    assert [v for _, v in measure.points] == [14, 9]
    assert measure.bands[0] == (4, "Minimal") and measure.high == 27
    assert [v for _, v in mood.points] == [6, 4] and (mood.low, mood.high) == (0, 10)


def test_nothing_to_chart_without_two_points() -> None:
    assert chart_spec("t", trends([journal(0, 5), phq9(0, 3, "Minimal")]), "UTC") is None
    assert chart_spec("t", trends([]), "UTC") is None


def test_the_chart_is_a_real_image_a_phone_shows_well() -> None:
    spec = chart_spec(
        "Robin: the last 90 days",
        trends([phq9(0, 14, "Moderate"), phq9(7, 9, "Mild"), journal(1, 6), journal(3, 7)]),
        "Europe/Berlin",
    )
    assert spec is not None
    width, height = png_size(render(spec))
    assert 800 <= width <= 1100 and 500 <= height <= 1400


def test_the_progress_sentence_is_plain_and_kind() -> None:
    today = date(2026, 11, 29)
    days = [today - timedelta(days=n) for n in (0, 1, 2, 5)]
    mood = Series("Mood", 0, 10, [], [])
    mood.points = [
        (datetime(2026, 10, 20, tzinfo=UTC), 4.0),
        (datetime(2026, 11, 28, tzinfo=UTC), 7.0),
    ]
    said = progress_sentence(days, mood, today=today)
    assert said == (
        "In the last 4 weeks you did homework on 4 days, 3 days in a row at most, "
        "and your mood averaged 7 out of 10 (up from 4)."
    )
    assert "once you've done a few" in progress_sentence([], None, today=today)
    assert progress_sentence([today], None, today=today) == (
        "In the last 4 weeks you did homework on one day."
    )


def test_a_chart_for_a_spanish_reader_is_worded_and_dated_in_spanish() -> None:
    from bot.i18n import wording

    spanish = compile_flow(LIBRARY["phq9"], language="es", wording=wording("es"))
    scored = [{"name": "PHQ-9", "total": total} for total in (14, 9)]
    done = [Done(spanish, {}, DAY + timedelta(days=7 * i), s) for i, s in enumerate(scored)]
    done += [journal(1, 6), journal(3, 7)]
    spec = chart_spec("Cómo vas", trends(done), "Europe/Madrid", t=wording("es").t, language="es")
    assert spec is not None and spec["language"] == "es"
    names = [line["name"] for line in spec["series"]]
    assert names == ["PHQ-9", "Ánimo"]
    assert spec["series"][0]["bands"][0][1] == "Mínima"  # the measure's bands in Spanish
    english = chart_spec("How it's going", trends(done), "Europe/Madrid")
    assert english is not None and english["series"][0]["bands"][0][1] == "Minimal"
    width, _ = png_size(render(spec))
    assert width > 800
