"""A day: today, tomorrow, a weekday, "in 3 days", or 2026-12-01 (in the client's calendar)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from conversations.kinds.base import Accept, Answer, Env, Kind, Outcome, Refuse, StepBase
from conversations.kinds.base import plain as plain_text
from conversations.notes import Note, note

_WEEKDAYS = {
    **{name: i for i, name in enumerate(["monday", "tuesday", "wednesday", "thursday"])},
    **{"friday": 4, "saturday": 5, "sunday": 6},
    **{name: i for i, name in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])},
    **{"lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5},
    "domingo": 6,
}
_IN_DAYS = re.compile(r"^(?:in|en) (\d{1,3}) (?:days?|dias?)$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_day(text: str, today: date | None) -> date | None:
    """The day meant, or None when it can't be read (or needs today and it is unknown)."""
    iso = _ISO.match(text.strip())
    if iso is not None:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
    if today is None:
        return None
    typed = _unaccent(plain_text(text)).removeprefix("next ").removeprefix("this ")
    typed = typed.removeprefix("el ").removeprefix("este ")
    if typed in {"today", "hoy"}:
        return today
    if typed in {"tomorrow", "manana"}:
        return today + timedelta(days=1)
    if typed in _WEEKDAYS:
        return today + timedelta(days=(_WEEKDAYS[typed] - today.weekday()) % 7)
    later = _IN_DAYS.match(typed)
    if later is not None:
        return today + timedelta(days=int(later.group(1)))
    return None


def _unaccent(text: str) -> str:
    return text.translate(str.maketrans("áéíóúñ", "aeioun"))


class DateStep(StepBase):
    kind: Literal["date"]
    not_past: bool = True


class DateKind(Kind[DateStep]):
    name = "date"
    model = DateStep
    needs = "needs_date"

    def parse_text(self, step: DateStep, text: str, env: Env) -> Outcome:
        day = parse_day(text, env.today)
        if day is None:
            return Refuse(note("need_date"))
        if step.not_past and env.today is not None and day < env.today:
            return Refuse(note("date_in_past"))
        return Accept(day.isoformat())

    def hint(self, step: DateStep) -> Note:
        return note("hint_date")

    def answer_text(self, step: DateStep, answer: Answer) -> str:
        try:
            return date.fromisoformat(str(answer)).strftime("%a %d %b")
        except ValueError:
            return str(answer)
