"""Trends in a client's homework, for charts: measure scores with their bands, mood, and
distress, as plain data (drawing is bot/charts.py's job) and one plain sentence.

A chart spec is JSON-ready, so it can wait in the outbox (encrypted) and be drawn only when
it is sent, outside any database transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from conversations.engine import Flow
from conversations.kinds.base import Answer
from conversations.kinds.scale import ScaleStep
from conversations.notes import N_, Words, english

TRENDS: dict[str, str] = {
    "mood": N_("Mood"),
    "suds_peak": N_("Peak distress (SUDS)"),
    "emotion_after": N_("Emotion after a thought record"),
    "stress_after": N_("Stress after practice"),
}
"""Scale answers worth a trend line, by the step's id in the built-in templates."""
MAX_PANELS = 4
MAX_POINTS = 200
"""The latest points a chart shows of one series (a payload stays small)."""


@dataclass(frozen=True)
class Done:
    """One finished entry, as trends need it."""

    flow: Flow
    answers: Mapping[str, Answer]
    completed_at: datetime
    scores: Mapping[str, Any] | None = None


@dataclass
class Series:
    """One line on a chart: a name, its scale, and (when, value) points oldest first."""

    name: str
    low: float
    high: float
    points: list[tuple[datetime, float]]
    bands: list[tuple[float, str]]
    """A measure's bands: (top score, label), rising."""

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "low": self.low,
            "high": self.high,
            "points": [[when.isoformat(), value] for when, value in self.points[-MAX_POINTS:]],
            "bands": [[top, label] for top, label in self.bands],
        }


def trends(done: Sequence[Done]) -> list[Series]:
    """The series a set of entries holds: each measure's totals, then mood and distress."""
    found: dict[str, Series] = {}
    for item in sorted(done, key=lambda d: d.completed_at):
        score = item.flow.score
        total = (item.scores or {}).get("total")
        if score is not None and isinstance(total, int | float):
            series = found.setdefault(
                score.name,
                Series(
                    score.name,
                    0,
                    score.bands[-1].max,
                    [],
                    [(band.max, band.label) for band in score.bands],
                ),
            )
            series.points.append((item.completed_at, float(total)))
        for step in item.flow.steps:
            name = TRENDS.get(step.local_id)
            value = item.answers.get(step.key)
            if name is None or step.group or not isinstance(step.spec, ScaleStep):
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                series = found.setdefault(name, Series(name, step.spec.min, step.spec.max, [], []))
                series.points.append((item.completed_at, float(value)))
    return list(found.values())[:MAX_PANELS]


def chart_spec(
    title: str, series: Sequence[Series], zone: str, *, t: Words = english, language: str = "en"
) -> dict[str, Any] | None:
    """What to draw, or None when there is nothing to show a trend of (fewer than two
    points in every series). Trend names are worded by `t`; dates are drawn in `language`."""
    shown = [s for s in series if len(s.points) >= 2]
    if not shown:
        return None
    lines = [
        {
            **s.spec(),
            "name": t(s.name) if s.name in _NAMES else s.name,
            "bands": [[top, _band(label, t)] for top, label in s.bands],
        }
        for s in shown
    ]
    return {"title": title, "zone": zone, "language": language, "series": lines}


_NAMES = frozenset(TRENDS.values())


def _band(label: str, t: Words) -> str:
    """A measure's band in the reader's language where the catalog has it ("minimal")."""
    worded = t(label.lower())
    return label if worded == label.lower() else worded[:1].upper() + worded[1:]


def progress_sentence(
    done_days: Sequence[date],
    mood: Series | None,
    *,
    today: date,
    weeks: int = 4,
    zone: ZoneInfo | None = None,
    t: Words = english,
) -> str:
    """One plain, kind sentence about the client's last few weeks (`t` words it in the
    client's language)."""
    start = today - timedelta(weeks=weeks)
    recent = sorted({d for d in done_days if start < d <= today})
    if not recent:
        return t(
            "There's nothing from the last few weeks to show yet; once you've done a few "
            "pieces of homework, I can show you how things are going."
        )
    longest = run = 1
    for earlier_day, day in itertools.pairwise(recent):
        run = run + 1 if day - earlier_day == timedelta(days=1) else 1
        longest = max(longest, run)
    sentence = (
        t("In the last {weeks} weeks you did homework on one day", weeks=weeks)
        if len(recent) == 1
        else t(
            "In the last {weeks} weeks you did homework on {count} days",
            weeks=weeks,
            count=len(recent),
        )
    )
    sentence += t(", {longest} days in a row at most", longest=longest) if longest > 1 else ""
    if mood is not None:

        def local_day(when: datetime) -> date:
            return when.astimezone(zone).date() if zone is not None else when.date()

        now = [v for when, v in mood.points if start < local_day(when) <= today]
        before = [v for when, v in mood.points if local_day(when) <= start]
        if now:
            average = round(sum(now) / len(now))
            high = format(mood.high, "g")
            sentence += t(
                ", and your mood averaged {average} out of {high}", average=average, high=high
            )
            if before:
                earlier = round(sum(before) / len(before))
                if earlier > average:
                    sentence += t(" (down from {earlier})", earlier=earlier)
                elif earlier < average:
                    sentence += t(" (up from {earlier})", earlier=earlier)
    return sentence + "."
