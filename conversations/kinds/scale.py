"""A number from a short range, with a button for each value (or every `step`)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from conversations.fields import Short
from conversations.kinds.base import (
    Accept,
    Answer,
    Button,
    Env,
    Kind,
    Outcome,
    Refuse,
    Rows,
    StepBase,
    rows_of,
)
from conversations.notes import N_, Note, Unreadable, note

MAX_SPAN = 100
MAX_BUTTONS = 11
MAX_VALUE = 100_000
_NUMBER = re.compile(
    r"^\s*(?:(?:about|around|maybe|like|un|una|unos|unas|como|quizas|quizás)\s+)?"
    r"(-?\d{1,6})\s*(?:%|(?:/|de|out of)\s*(\d{1,6}))?\s*$",
    re.IGNORECASE,
)
"""A number, as people write it on a scale: "7", "about 7", "un 6", "6/10", "60%"."""


class ScaleStep(StepBase):
    kind: Literal["scale"]
    min: int = Field(0, ge=-MAX_VALUE, le=MAX_VALUE)
    max: int = Field(10, ge=-MAX_VALUE, le=MAX_VALUE)
    step: int = Field(1, ge=1, validate_default=True)
    min_label: Short = ""
    max_label: Short = ""

    @field_validator("max")
    @classmethod
    def _range(cls, high: int, info: ValidationInfo) -> int:
        low = info.data.get("min")
        if low is None:
            return high
        if high <= low:
            raise Unreadable(N_("must be greater than min ({low})"), low=low)
        if high - low > MAX_SPAN:
            raise Unreadable(
                N_("is {span} above min ({low}); a scale spans at most {most}"),
                span=high - low,
                low=low,
                most=MAX_SPAN,
            )
        return high

    @field_validator("step")
    @classmethod
    def _buttons(cls, step: int, info: ValidationInfo) -> int:
        low, high = info.data.get("min"), info.data.get("max")
        if low is None or high is None:
            return step
        count = len(values_between(low, high, step))
        if count > MAX_BUTTONS:
            smallest = -(-(high - low) // (MAX_BUTTONS - 1))
            raise Unreadable(
                N_(
                    "{step} makes {count} buttons; at most {most} fit, so use a step of {least} "
                    "or more"
                ),
                step=step,
                count=count,
                most=MAX_BUTTONS,
                least=smallest,
            )
        return step


def values_between(low: int, high: int, step: int) -> list[int]:
    """A button every `step` from `low`, and one for `high` itself."""
    values = list(range(low, high + 1, step))
    if values[-1] != high:
        values.append(high)
    return values


def button_values(step: ScaleStep) -> list[int]:
    """The values a scale step shows as buttons."""
    return values_between(step.min, step.max, step.step)


class ScaleKind(Kind[ScaleStep]):
    name = "scale"
    model = ScaleStep
    needs = "needs_number"

    def parse_text(self, step: ScaleStep, text: str, env: Env) -> Outcome:
        match = _NUMBER.match(text)
        out_of = match.group(2) if match is not None else None
        if (
            match is None
            or not step.min <= int(match.group(1)) <= step.max
            or (out_of is not None and int(out_of) != step.max)  # "6/10" on a 0-10 scale only
        ):
            return Refuse(note("need_scale", min=step.min, max=step.max))
        return Accept(int(match.group(1)))

    def buttons(self, step: ScaleStep, selection: tuple[str, ...]) -> Rows:
        values = button_values(step)
        per_row = 6 if len(values) > 6 else len(values)
        return rows_of([Button(str(v), str(v)) for v in values], per_row)

    def hint(self, step: ScaleStep) -> Note:
        return note(
            "hint_scale",
            min=step.min,
            max=step.max,
            min_label=step.min_label,
            max_label=step.max_label,
        )

    def number(self, step: ScaleStep, answer: Answer) -> float | None:
        return float(answer) if isinstance(answer, int) else None

    def points(self, step: ScaleStep, answer: Answer) -> int | None:
        return answer if isinstance(answer, int) and not isinstance(answer, bool) else None
