"""Drawing a chart spec (conversations/trends.py) as a PNG a phone shows well.

matplotlib is imported only here and only when a chart is drawn, with its non-interactive
Agg canvas and no pyplot (no global state), so drawing can run in a worker thread.
"""

from __future__ import annotations

import io
import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

BAND_COLOURS = ("#e8f5e9", "#fffde7", "#fff3e0", "#fbe9e7", "#ffebee")
"""Band shading from the lowest (lightest green) to the highest (light red)."""
LINE = "#1565c0"


def render(spec: dict[str, Any]) -> bytes:
    """The chart as PNG bytes: one panel per series, measures shaded by their bands."""
    from matplotlib.dates import DayLocator, num2date
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    series = spec["series"]
    zone = ZoneInfo(spec.get("zone") or "UTC")
    language = str(spec.get("language") or "en")
    moments = [datetime.fromisoformat(at) for line in series for at, _ in line["points"]]
    span = (max(moments) - min(moments)).days if moments else 0

    def day(x: float, _position: int) -> str:  # "30 Nov", "30 nov": the reader's language
        when = num2date(x, tz=zone)  # type: ignore[no-untyped-call]
        return format_date(when, "d MMM", locale=language)

    figure = Figure(figsize=(6.4, 1.2 + 2.1 * len(series)), dpi=150, layout="constrained")
    axes = figure.subplots(len(series), 1, sharex=True, squeeze=False)[:, 0]
    figure.suptitle(spec.get("title", ""), fontsize=12)
    for ax, line in zip(axes, series, strict=True):
        when = [datetime.fromisoformat(at).astimezone(zone) for at, _ in line["points"]]
        values = [value for _, value in line["points"]]
        low, high = float(line["low"]), float(line["high"])
        bottom = low
        for index, (top, label) in enumerate(line["bands"]):
            ax.axhspan(bottom, top, color=BAND_COLOURS[index % len(BAND_COLOURS)], zorder=0)
            ax.text(
                1.01,
                (bottom + top) / 2,
                label,
                transform=ax.get_yaxis_transform(),
                fontsize=7,
                va="center",
                color="#555555",
            )
            bottom = top
        ax.plot(when, values, marker="o", color=LINE, linewidth=2, markersize=4, zorder=2)
        ax.set_ylim(low, high)
        ax.set_title(line["name"], fontsize=10, loc="left")
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.tick_params(labelsize=8)
        # A tick a day at most (about five in all): what is charted is days, not hours.
        days = DayLocator(interval=max(1, math.ceil(span / 5)), tz=zone)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(days)
        ax.xaxis.set_major_formatter(FuncFormatter(day))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
