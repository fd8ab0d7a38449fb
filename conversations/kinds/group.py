"""A group of steps asked `repeat` times (three good things, each with why)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from conversations.kinds.base import Kind, StepBase
from conversations.notes import N_, Unreadable

if TYPE_CHECKING:
    from conversations.kinds import InnerStep

MAX_REPEAT = 20
_PARAM = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def _repeat(value: int | str) -> int | str:
    if isinstance(value, int):
        if not 1 <= value <= MAX_REPEAT:
            raise Unreadable(N_("must be from 1 to {most}"), most=MAX_REPEAT)
        return value
    if not _PARAM.fullmatch(value.strip()):
        raise Unreadable(
            N_('must be a whole number or a setting in quotes, like "{{{name}}}"'), name="count"
        )
    return value.strip()


class GroupStep(StepBase):
    needs_prompt: ClassVar[bool] = False
    kind: Literal["group"]
    repeat: Annotated[int | str, AfterValidator(_repeat)] = 1
    steps: list[InnerStep] = Field(min_length=1)


class GroupKind(Kind[GroupStep]):
    name = "group"
    model = GroupStep
    expands = True

    @staticmethod
    def setting(step: GroupStep) -> str | None:
        """The setting the repeat count comes from, if it is one."""
        if isinstance(step.repeat, int):
            return None
        match = _PARAM.fullmatch(step.repeat)
        return match.group(1) if match else None
