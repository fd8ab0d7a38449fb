"""A time of day: 19:30, 7pm, 7.30 am."""

from __future__ import annotations

import re
from typing import Literal

from conversations.kinds.base import Accept, Env, Kind, Outcome, Refuse, StepBase
from conversations.notes import Note, note

_TIME = re.compile(
    r"^\s*(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|h)?\s*$", re.IGNORECASE
)


def parse_time(text: str) -> str | None:
    """'HH:MM' on the 24-hour clock, or None."""
    match = _TIME.match(text)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower().replace(".", "")
    if suffix in {"am", "pm"}:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


class TimeStep(StepBase):
    kind: Literal["time"]


class TimeKind(Kind[TimeStep]):
    name = "time"
    model = TimeStep
    needs = "needs_time"

    def parse_text(self, step: TimeStep, text: str, env: Env) -> Outcome:
        found = parse_time(text)
        return Refuse(note("need_time")) if found is None else Accept(found)

    def hint(self, step: TimeStep) -> Note:
        return note("hint_time")
