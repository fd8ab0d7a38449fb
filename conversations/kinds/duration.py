"""How long something took: 20, 20 min, 1h 30m, 1.5 hours, 1:30 (stored in minutes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from conversations.kinds.base import Accept, Answer, Env, Kind, Outcome, Refuse, StepBase
from conversations.notes import N_, Note, Unreadable, note

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_UNITS = (
    "minutes", "minutos", "minute", "minuto", "horas", "hours", "hora", "hour",
    "mins", "min", "hrs", "hr", "h", "m",
)  # fmt: skip
_PARTS = re.compile(r"(\d+(?:[.,]\d+)?)\s*(" + "|".join(_UNITS) + r")?\b")
"""Longest units first, so "min" is not read as "m" and "in"."""


def _and_a_half(hours: re.Match[str]) -> str:
    return f"{int(hours.group(1)) * 60 + 30} min"


_SAID: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\b(\d+)\s*(?:horas?|hours?|h)\s+(?:y|and)\s+(?:media|a half)\b"), _and_a_half),
    (re.compile(r"\b(?:una|an|one)\s+(?:hora|hour)\s+(?:y|and)\s+(?:media|a half)\b"), "90 min"),
    (re.compile(r"\b(?:media hora|half an hour|half hour)\b"), "30 min"),
    (re.compile(r"\b(?:un\s+)?cuarto de hora\b|\ba quarter of an hour\b"), "15 min"),
    (re.compile(r"\b(?:una hora|an hour|one hour)\b"), "60 min"),
    (re.compile(r"^(?:about|around|unos|unas|como)\s+"), ""),
]
"""Lengths said in words ("media hora", "an hour and a half", "2 horas y media")."""


def parse_minutes(text: str) -> int | None:
    """Minutes from how people write a length of time, or None."""
    typed = text.strip().lower()
    for said, minutes in _SAID:
        typed = said.sub(minutes, typed)
    clock = _CLOCK.match(typed)
    if clock is not None:
        return int(clock.group(1)) * 60 + int(clock.group(2))
    rest = re.sub(r"\b(?:and|y)\b", "", _PARTS.sub("", typed)).strip(" ,")
    parts = _PARTS.findall(typed)
    if not parts or rest:
        return None
    total = 0.0
    for amount, unit in parts:
        value = float(amount.replace(",", "."))
        total += value * 60 if unit.startswith("h") else value
    return round(total)


class DurationStep(StepBase):
    kind: Literal["duration"]
    min: int = Field(0, ge=0, le=24 * 60)
    max: int = Field(24 * 60, ge=1, le=7 * 24 * 60)

    @field_validator("max")
    @classmethod
    def _range(cls, high: int, info: ValidationInfo) -> int:
        low = info.data.get("min")
        if low is not None and high <= low:
            raise Unreadable(N_("must be greater than min ({low})"), low=low)
        return high


class DurationKind(Kind[DurationStep]):
    name = "duration"
    model = DurationStep
    needs = "needs_duration"

    def parse_text(self, step: DurationStep, text: str, env: Env) -> Outcome:
        minutes = parse_minutes(text)
        if minutes is None:
            return Refuse(note("need_duration"))
        if not step.min <= minutes <= step.max:
            return Refuse(note("duration_range", min=step.min, max=step.max))
        return Accept(minutes)

    def hint(self, step: DurationStep) -> Note:
        return note("hint_duration")

    def answer_text(self, step: DurationStep, answer: Answer) -> str:
        if not isinstance(answer, int):
            return str(answer)
        hours, minutes = divmod(answer, 60)
        if hours and minutes:
            return f"{hours} h {minutes} min"
        return f"{hours} h" if hours else f"{minutes} min"

    def number(self, step: DurationStep, answer: Answer) -> float | None:
        return float(answer) if isinstance(answer, int) else None

    def points(self, step: DurationStep, answer: Answer) -> int | None:
        return answer if isinstance(answer, int) and not isinstance(answer, bool) else None
