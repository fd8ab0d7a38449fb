"""A pause: the rest is asked later (a behavioural experiment's review after it is done).

The conversation stops here with a kind word (the prompt); the bot reminds the client when
the follow-up is due, like any homework, and the next step is asked then.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from conversations.fields import Identifier
from conversations.kinds.base import Kind, StepBase
from conversations.notes import N_, Unreadable

_PARAM = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def _days(value: int | str) -> int | str:
    if isinstance(value, int):
        if not 1 <= value <= 60:
            raise Unreadable(N_("must be from 1 to 60 days"))
        return value
    if not _PARAM.fullmatch(value.strip()):
        raise Unreadable(
            N_('must be a number of days or a setting in quotes, like "{{{name}}}"'), name="days"
        )
    return value.strip()


class FollowUpStep(StepBase):
    kind: Literal["follow_up"]
    after_days: Annotated[int | str, AfterValidator(_days)] | None = None
    """Come back this many days later."""
    after_step: Identifier | None = None
    """Or come back the day after the day a date step's answer names."""
    days_later: int = Field(1, ge=0, le=14)
    """With after_step: how many days after that day (0: the same day, in the evening)."""

    @model_validator(mode="after")
    def _one_way(self) -> FollowUpStep:
        if (self.after_days is None) == (self.after_step is None):
            raise Unreadable(N_("needs after_days (a number of days) or after_step (a date step)"))
        return self


class FollowUpKind(Kind[FollowUpStep]):
    name = "follow_up"
    model = FollowUpStep
    asks = False
