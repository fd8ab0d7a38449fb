"""Conditions on earlier answers: "ask this only if ...", "go to ... when ...".

Written in a template as a small mapping, one form each::

    {step: did_it, is: yes}            the answer is this value (yes/no, an option, a number)
    {step: did_it, is_not: yes}
    {step: suds_peak, at_least: 70}    a number or scale answer
    {step: suds_peak, at_most: 30}
    {step: traps, includes: mind_reading}   a multiple choice picked this option
    {step: belief, answered: true}     answered (or skipped, with false)
    {all: [...]}, {any: [...]}, {not: {...}}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field, model_validator

from conversations.fields import Identifier, Strict
from conversations.notes import N_, Unreadable

Scalar = bool | int | float | str
Lookup = Callable[[str], Any]
"""An earlier answer by step id (None when not answered)."""

_COMPARISONS = ("is_", "is_not", "at_least", "at_most", "includes", "answered")
_COMBINED = ("all_", "any_", "not_")


class Condition(Strict):
    """One condition (see the module's documentation for its forms)."""

    step: Identifier | None = None
    is_: Scalar | None = Field(None, alias="is")
    is_not: Scalar | None = None
    at_least: float | None = None
    at_most: float | None = None
    includes: str | None = None
    answered: bool | None = None
    all_: list[Condition] | None = Field(None, alias="all", min_length=1)
    any_: list[Condition] | None = Field(None, alias="any", min_length=1)
    not_: Condition | None = Field(None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        given = [name for name in (*_COMPARISONS, *_COMBINED) if getattr(self, name) is not None]
        shown = [name.rstrip("_") for name in given]
        if len(given) != 1:
            if not shown:
                raise Unreadable(
                    N_(
                        "needs exactly one test: is, is_not, at_least, at_most, includes, "
                        "answered, all, any or not (found none)"
                    )
                )
            raise Unreadable(
                N_(
                    "needs exactly one test: is, is_not, at_least, at_most, includes, "
                    "answered, all, any or not (found {found})"
                ),
                found=", ".join(shown),
            )
        if given[0] in _COMPARISONS and self.step is None:
            raise Unreadable(
                N_("{test} needs the step whose answer it tests: step: ..."), test=shown[0]
            )
        if given[0] in _COMBINED and self.step is not None:
            raise Unreadable(
                N_("{test} combines conditions; put step inside each of them"), test=shown[0]
            )
        return self

    @property
    def test(self) -> str:
        """Which form this is: is, is_not, at_least, ... all, any, not."""
        for name in (*_COMPARISONS, *_COMBINED):
            if getattr(self, name) is not None:
                return name.rstrip("_")
        raise AssertionError("validated conditions have one form")

    def steps(self) -> list[Identifier]:
        """Every step this condition reads."""
        if self.step is not None:
            return [self.step]
        inner = self.all_ or self.any_ or ([self.not_] if self.not_ else [])
        return [step for condition in inner for step in condition.steps()]

    def holds(self, lookup: Lookup, number: Callable[[str, Any], float | None]) -> bool:
        """True when the answers satisfy it; `number` reads an answer as a number."""
        if self.all_ is not None:
            return all(c.holds(lookup, number) for c in self.all_)
        if self.any_ is not None:
            return any(c.holds(lookup, number) for c in self.any_)
        if self.not_ is not None:
            return not self.not_.holds(lookup, number)
        assert self.step is not None
        answer = lookup(self.step)
        if self.answered is not None:
            return (answer is not None) == self.answered
        if answer is None:
            return False
        if self.is_ is not None:
            return _same(answer, self.is_)
        if self.is_not is not None:
            return not _same(answer, self.is_not)
        if self.includes is not None:
            return isinstance(answer, list) and self.includes in answer
        value = number(self.step, answer)
        if value is None:
            return False
        if self.at_least is not None:
            return value >= self.at_least
        return self.at_most is not None and value <= self.at_most


def _same(answer: Any, wanted: Scalar) -> bool:
    if isinstance(wanted, bool) or isinstance(answer, bool):
        return answer is wanted
    if isinstance(wanted, int | float) and isinstance(answer, int | float):
        return float(answer) == float(wanted)
    return str(answer) == str(wanted)
