"""A number typed in, with an optional unit: hours slept, glasses of water."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from conversations.fields import Short
from conversations.kinds.base import Accept, Answer, Env, Kind, Outcome, Refuse, StepBase
from conversations.notes import N_, Note, Unreadable, note

LIMIT = 1_000_000_000
_NUMBER = re.compile(r"^\s*(-?\d{1,10}(?:[.,]\d{1,4})?)\s*([^\d\s]*)\s*$")


class NumberStep(StepBase):
    kind: Literal["number"]
    min: float = Field(0, ge=-LIMIT, le=LIMIT)
    max: float = Field(1000, ge=-LIMIT, le=LIMIT)
    decimals: int = Field(0, ge=0, le=2)
    unit: Short = ""

    @field_validator("max")
    @classmethod
    def _range(cls, high: float, info: ValidationInfo) -> float:
        low = info.data.get("min")
        if low is not None and high <= low:
            raise Unreadable(N_("must be greater than min ({low})"), low=f"{low:g}")
        return high


class NumberKind(Kind[NumberStep]):
    name = "number"
    model = NumberStep
    needs = "needs_number"

    def parse_text(self, step: NumberStep, text: str, env: Env) -> Outcome:
        match = _NUMBER.match(text.strip().lower())
        if match is None:
            return Refuse(self._need(step))
        value = round(float(match.group(1).replace(",", ".")), step.decimals)
        if not step.min <= value <= step.max:
            return Refuse(self._need(step, "need_number_range"))
        return Accept(int(value) if step.decimals == 0 else value)

    def _need(self, step: NumberStep, which: str = "need_number") -> Note:
        return note(which, min=f"{step.min:g}", max=f"{step.max:g}", unit=step.unit)

    def hint(self, step: NumberStep) -> Note:
        return note("hint_number", min=f"{step.min:g}", max=f"{step.max:g}", unit=step.unit)

    def answer_text(self, step: NumberStep, answer: Answer) -> str:
        shown = f"{float(answer):g}" if isinstance(answer, int | float) else str(answer)
        return f"{shown} {step.unit}".strip()

    def number(self, step: NumberStep, answer: Answer) -> float | None:
        return float(answer) if isinstance(answer, int | float) else None

    def points(self, step: NumberStep, answer: Answer) -> int | None:
        return int(answer) if isinstance(answer, int) and not isinstance(answer, bool) else None
