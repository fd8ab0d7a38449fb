"""Free text: a few words or a paragraph."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from conversations.kinds.base import (
    DEFAULT_MAX_LENGTH,
    MAX_ANSWER_LENGTH,
    Accept,
    Env,
    Kind,
    Outcome,
    Refuse,
    StepBase,
)
from conversations.notes import note

SPLIT_SIZE = MAX_ANSWER_LENGTH + 1
"""A refused answer this long may be the first part of a message Telegram cut in two."""


class TextStep(StepBase):
    kind: Literal["text"]
    max_length: int = Field(DEFAULT_MAX_LENGTH, ge=1, le=MAX_ANSWER_LENGTH)


class TextKind(Kind[TextStep]):
    name = "text"
    model = TextStep
    needs = "needs_text"

    def parse_text(self, step: TextStep, text: str, env: Env) -> Outcome:
        cleaned = text.strip()
        if not cleaned:
            return Refuse(note("empty_text"))
        if len(cleaned) > step.max_length:
            return Refuse(
                note("too_long", length=len(cleaned), limit=step.max_length),
                split=len(cleaned) >= SPLIT_SIZE,
            )
        return Accept(cleaned)

    def parse_press(
        self, step: TextStep, value: str, selection: tuple[str, ...], env: Env
    ) -> Outcome:
        return Refuse(note("earlier_button"))
