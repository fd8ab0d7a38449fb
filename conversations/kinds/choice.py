"""One option, or several, from a list: buttons, or typed as numbers or the option's words."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from conversations.choosing import Picked, fold, match_choice
from conversations.fields import Strict
from conversations.kinds.base import (
    Accept,
    Answer,
    Button,
    Confirm,
    Env,
    Kind,
    Outcome,
    Refuse,
    Rows,
    Select,
    StepBase,
    rows_of,
)
from conversations.notes import N_, Note, Unreadable, note

DONE = "done"
"""Button value that confirms a multiple choice."""
MAX_LABEL = 40
_VALUE = re.compile(r"[a-z0-9_]{1,30}")
_SEPARATORS = re.compile(r"\s*(?:,|;|\band\b|\by\b|\n)\s*", re.IGNORECASE)
_DONE_WORDS = frozenset({DONE, "that's all", "thats all", "finished", "listo", "ya"})
_NONE_WORDS = frozenset({"none", "none of them", "none of these", "ninguna", "ninguno", "nada"})
"""None of the options: at a several-answer question, those tapped (if any) are the answer,
and an optional one is passed."""


def _value(value: str) -> str:
    if not _VALUE.fullmatch(value):
        raise Unreadable(
            N_("“{value}” is not a valid value: use 1 to 30 lower-case letters, digits and _"),
            value=value[:40],
        )
    return value


def _label(label: str) -> str:
    label = label.strip()
    if not label:
        raise Unreadable(N_("is empty"))
    if len(label) > MAX_LABEL:
        raise Unreadable(
            N_("is {length} characters long; a button fits {most}"),
            length=len(label),
            most=MAX_LABEL,
        )
    return label


class Option(Strict):
    """One choice: a stable value, the label people see, and points if it is scored."""

    value: Annotated[str, AfterValidator(_value)]
    label: Annotated[str, AfterValidator(_label)]
    points: int | None = Field(None, ge=-1000, le=1000)


class ChoiceStep(StepBase):
    kind: Literal["choice"]
    options: list[Option] = Field(min_length=2, max_length=20)
    multiple: bool = False

    @model_validator(mode="after")
    def _done_kept(self) -> ChoiceStep:
        if self.multiple and any(option.value == DONE for option in self.options):
            raise Unreadable(N_("the value “done” is kept for the Done button; pick another"))
        return self

    @field_validator("options")
    @classmethod
    def _distinct(cls, options: list[Option]) -> list[Option]:
        values = [o.value for o in options]
        labels = [o.label.casefold() for o in options]
        for index, option in enumerate(options):
            if values.index(option.value) != index:
                raise Unreadable(
                    N_("the value “{value}” is used by two options"), value=option.value
                )
            if labels.index(option.label.casefold()) != index:
                raise Unreadable(
                    N_("the label “{label}” is used by two options"), label=option.label
                )
        return options


class ChoiceKind(Kind[ChoiceStep]):
    name = "choice"
    model = ChoiceStep
    needs = "needs_choice"

    def parse_text(self, step: ChoiceStep, text: str, env: Env) -> Outcome:
        cleaned = text.strip()
        if not step.multiple:
            option = find_option(step, cleaned)
            return Refuse(self._choose(step)) if option is None else Accept(option.value)
        whole = find_option(step, cleaned, close=False)
        if whole is not None:  # a label may itself contain "and" or a comma, or be "None"
            return Accept([whole.value])
        if cleaned.casefold() in _DONE_WORDS or fold(cleaned) in _NONE_WORDS:
            return Confirm()
        picked: list[str] = []
        for part in _SEPARATORS.split(cleaned):
            if not part:
                continue
            option = find_option(step, part)
            if option is None:
                return Refuse(note("unmatched_option", part=part[:40], options=self._listed(step)))
            if option.value not in picked:
                picked.append(option.value)
        if not picked:
            return Refuse(self._choose(step))
        return Accept([o.value for o in step.options if o.value in picked])

    def parse_press(
        self, step: ChoiceStep, value: str, selection: tuple[str, ...], env: Env
    ) -> Outcome:
        if step.multiple and value == DONE:
            return Confirm()
        option = next((o for o in step.options if o.value == value), None)
        if option is None:
            return Refuse(note("earlier_button"))
        if not step.multiple:
            return Accept(option.value)
        chosen = set(selection) ^ {option.value}
        return Select(tuple(o.value for o in step.options if o.value in chosen))

    def buttons(self, step: ChoiceStep, selection: tuple[str, ...]) -> Rows:
        # Numbered, so the hint "type their numbers" can be followed without the buttons.
        numbered = [
            (f"{n}. {o.label}", o) for n, o in zip(numbers(step), step.options, strict=True)
        ]
        if not step.multiple:
            return rows_of([Button(label, o.value) for label, o in numbered], 2)
        marked = [
            Button(("✓ " if o.value in selection else "") + label, o.value) for label, o in numbered
        ]
        return (*rows_of(marked, 2), (Button(note("button_done"), DONE),))

    def hint(self, step: ChoiceStep) -> Note:
        return note("hint_multi" if step.multiple else "hint_choice")

    def answer_text(self, step: ChoiceStep, answer: Answer) -> str:
        labels = {o.value: o.label for o in step.options}
        if isinstance(answer, list):
            return ", ".join(labels.get(v, v) for v in answer)
        return labels.get(str(answer), str(answer))

    def points(self, step: ChoiceStep, answer: Answer) -> int | None:
        values = answer if isinstance(answer, list) else [str(answer)]
        scored = [o.points for o in step.options if o.value in values and o.points is not None]
        return sum(scored) if scored else None

    def number(self, step: ChoiceStep, answer: Answer) -> float | None:
        found = self.points(step, answer)
        return None if found is None else float(found)

    def option_values(self, step: ChoiceStep) -> frozenset[str]:
        return frozenset(o.value for o in step.options)

    def initial_selection(self, answer: Answer | None) -> tuple[str, ...]:
        return tuple(answer) if isinstance(answer, list) else ()

    def _choose(self, step: ChoiceStep) -> Note:
        return note("choose_from", many=int(step.multiple), options=self._listed(step))

    def _listed(self, step: ChoiceStep) -> str:
        return "; ".join(
            f"{n}. {o.label}" for n, o in zip(numbers(step), step.options, strict=True)
        )


def numbers(step: ChoiceStep) -> list[int]:
    """The number shown before each option: its points on a scored one-answer question (as on
    the paper form of a measure: 0 Not at all ... 3 Nearly every day), else 1, 2, 3..."""
    points = [o.points for o in step.options]
    scored = all(p is not None and p >= 0 for p in points)
    if not step.multiple and scored and len(set(points)) == len(points):
        return [int(p) for p in points if p is not None]
    return list(range(1, len(step.options) + 1))


def find_option(step: ChoiceStep, typed: str, *, close: bool = True) -> Option | None:
    """The option typed: its number, its label or its value, in any case or punctuation,
    or (`close`) clearly closer to one label than to any other (accents or a small typo)."""
    wanted = fold(typed)
    if wanted.isdecimal():
        by_number = dict(zip(numbers(step), step.options, strict=True))
        if int(wanted) in by_number:
            return by_number[int(wanted)]
    for option in step.options:
        # Accents aside too: "ningun dia" is "Ningún día", even on a measure.
        if wanted in {fold(option.label), fold(option.value)}:
            return option
    if wanted.isdecimal() or not close or any(option.points is not None for option in step.options):
        # A number that is no option's is not "close" to one; nor is a measure's answer,
        # whose points must be what the person meant (an item-9 answer raises an alert).
        return None
    found = match_choice(typed, [option.label for option in step.options])
    return step.options[found.index] if isinstance(found, Picked) else None
