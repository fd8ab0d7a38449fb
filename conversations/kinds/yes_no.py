"""Yes or no: two buttons, or typed (yes, y, yeah, no, nope, sí...)."""

from __future__ import annotations

from typing import Literal

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
    plain,
)
from conversations.notes import Note, note

_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "true", "si", "sí", "1"})
_NO = frozenset({"no", "n", "nope", "nah", "not really", "false", "0"})


class YesNoStep(StepBase):
    kind: Literal["yes_no"]
    yes_label: Short = ""
    no_label: Short = ""


class YesNoKind(Kind[YesNoStep]):
    name = "yes_no"
    model = YesNoStep
    needs = "needs_yes_no"

    def parse_text(self, step: YesNoStep, text: str, env: Env) -> Outcome:
        typed = plain(text)
        if typed in _YES or (step.yes_label and typed == plain(step.yes_label)):
            return Accept(True)
        if typed in _NO or (step.no_label and typed == plain(step.no_label)):
            return Accept(False)
        return Refuse(note("need_yes_no", yes=step.yes_label, no=step.no_label))

    def parse_press(
        self, step: YesNoStep, value: str, selection: tuple[str, ...], env: Env
    ) -> Outcome:
        if value in {"yes", "no"}:
            return Accept(value == "yes")
        return Refuse(note("earlier_button"))

    def buttons(self, step: YesNoStep, selection: tuple[str, ...]) -> Rows:
        return (
            (
                Button(step.yes_label or note("button_yes"), "yes"),
                Button(step.no_label or note("button_no"), "no"),
            ),
        )

    def hint(self, step: YesNoStep) -> Note:
        return note("hint_yes_no", yes=step.yes_label, no=step.no_label)

    def answer_text(self, step: YesNoStep, answer: Answer) -> str:
        if answer is True:
            return step.yes_label or "Yes"
        return step.no_label or "No"

    def points(self, step: YesNoStep, answer: Answer) -> int | None:
        return 1 if answer is True else 0
