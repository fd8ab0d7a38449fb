"""Yes or no: two buttons, or typed (yes, y, yeah, no, nope, sí...)."""

from __future__ import annotations

from typing import Literal

from conversations.choosing import fold
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
)
from conversations.notes import Note, note

_YES = frozenset(
    {"yes", "y", "yeah", "yep", "yup", "sure", "of course", "ok", "okay", "true", "1"}
    | {"si", "sip", "claro", "claro que si", "por supuesto", "vale", "de acuerdo"}
)
_SOFTENERS = frozenset(
    {"thanks", "thank you", "a little", "a bit", "of course", "sure"}
    | {"gracias", "un poco", "claro", "por supuesto", "la verdad"}
)
"""Words after a comma that leave a yes or no as it is."""
_NO = frozenset(
    {"no", "n", "nope", "nah", "not really", "no thanks", "false", "0"}
    | {"no gracias", "para nada", "todavia no", "aun no"}
)


class YesNoStep(StepBase):
    kind: Literal["yes_no"]
    yes_label: Short = ""
    no_label: Short = ""


class YesNoKind(Kind[YesNoStep]):
    name = "yes_no"
    model = YesNoStep
    needs = "needs_yes_no"

    def parse_text(self, step: YesNoStep, text: str, env: Env) -> Outcome:
        # The whole answer, accents aside, or a yes or no softened after a comma ("sí, un
        # poco", "no, gracias"); never a first word alone ("no sé", "no, bueno, un poco").
        first, comma, rest = text.partition(",")
        typed = fold(first) if comma and fold(rest) in _SOFTENERS else fold(text)
        if typed in _YES or (step.yes_label and typed == fold(step.yes_label)):
            return Accept(True)
        if typed in _NO or (step.no_label and typed == fold(step.no_label)):
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
