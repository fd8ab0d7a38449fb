"""A photo the client sends (a drawing, a collage); kept encrypted and shown to the therapist."""

from __future__ import annotations

from typing import Literal

from conversations.kinds.base import (
    Accept,
    Answer,
    Env,
    Kind,
    Media,
    Outcome,
    Refuse,
    StepBase,
)
from conversations.notes import Note, note

PHOTO_TEXT = "(a photo)"


class PhotoStep(StepBase):
    kind: Literal["photo"]
    allow_text: bool = False
    """May the client describe it in words instead?"""


class PhotoKind(Kind[PhotoStep]):
    name = "photo"
    model = PhotoStep
    needs = "needs_photo"

    def parse_media(self, step: PhotoStep, media: Media, env: Env) -> Outcome:
        if media.kind != "photo" or not media.file_id:
            return Refuse(note("wrong_kind", what=media.kind, need=self.needs))
        return Accept({"photo": media.file_id, "unique": media.unique_id})

    def parse_text(self, step: PhotoStep, text: str, env: Env) -> Outcome:
        cleaned = text.strip()
        if step.allow_text and cleaned:
            return Accept({"text": cleaned[:2000]})
        return Refuse(note("need_photo"))

    def hint(self, step: PhotoStep) -> Note:
        return note("hint_photo_or_text" if step.allow_text else "hint_photo")

    def answer_text(self, step: PhotoStep, answer: Answer) -> str:
        if isinstance(answer, dict) and "photo" in answer:
            return PHOTO_TEXT
        return super().answer_text(step, answer)
