"""Something to read, a link, or a paced breathing exercise; the client taps to go on."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from conversations.fields import Short, Strict
from conversations.kinds.base import (
    Accept,
    Answer,
    Button,
    Env,
    Kind,
    Media,
    Outcome,
    Rows,
    StepBase,
)
from conversations.notes import N_, Note, Unreadable, note

CONTINUE = "ok"


def _link(value: str) -> str:
    value = value.strip()
    if not value.startswith(("https://", "http://")) or " " in value:
        raise Unreadable(N_("must be a web address starting with https://"))
    return value


class Pace(Strict):
    """A paced breathing exercise: seconds in, held, out; and how many rounds."""

    inhale: int = Field(4, ge=1, le=10)
    hold: int = Field(0, ge=0, le=10)
    exhale: int = Field(6, ge=1, le=15)
    rounds: int = Field(5, ge=1, le=20)


class InfoStep(StepBase):
    kind: Literal["info"]
    link: Annotated[str, AfterValidator(_link)] | None = None
    button: Short = ""
    pace: Pace | None = None


class InfoKind(Kind[InfoStep]):
    name = "info"
    model = InfoStep
    needs = "needs_continue"

    def parse_text(self, step: InfoStep, text: str, env: Env) -> Outcome:
        return Accept(True)  # anything typed means "go on"

    def parse_press(
        self, step: InfoStep, value: str, selection: tuple[str, ...], env: Env
    ) -> Outcome:
        return Accept(True)

    def parse_media(self, step: InfoStep, media: Media, env: Env) -> Outcome:
        return Accept(True)

    def buttons(self, step: InfoStep, selection: tuple[str, ...]) -> Rows:
        return ((Button(step.button or note("button_continue"), CONTINUE),),)

    def hint(self, step: InfoStep) -> Note:
        return note("hint_info", button=step.button)

    def answer_text(self, step: InfoStep, answer: Answer) -> str:
        return ""  # nothing was answered: summaries and digests leave it out
