"""The neutral reply model: what a handler says, drawn by the Telegram renderer or the console.

No handler imports Telegram's keyboard types: they build a `Keyboard` of `Choice`s (a label
and the data a press sends back), and a `Renderer` shows it: inline buttons on Telegram
(bot/telegram_renderer.py), numbered choices in the terminal (bot/console.py). Files go the
same way, as an `Attachment`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class Choice:
    """One button: what it says, and what pressing it sends back."""

    label: str
    data: str


@dataclass(frozen=True)
class Keyboard:
    """Buttons under a message, in rows."""

    rows: tuple[tuple[Choice, ...], ...]

    @classmethod
    def of(cls, rows: Sequence[Sequence[tuple[str, str]]]) -> Keyboard:
        """A keyboard from rows of (label, data); empty rows are dropped."""
        return cls(tuple(tuple(Choice(label, data) for label, data in row) for row in rows if row))

    def choices(self) -> list[Choice]:
        """Every button, row by row."""
        return [choice for row in self.rows for choice in row]

    def without(self, data: str) -> Keyboard | None:
        """The same buttons less the one sending `data`; None when none are left."""
        kept = tuple(
            kept_row
            for row in self.rows
            if (kept_row := tuple(choice for choice in row if choice.data != data))
        )
        return Keyboard(kept) if kept else None

    def as_rows(self) -> list[list[list[str]]]:
        """Rows of [label, data], as the outbox stores them."""
        return [[[choice.label, choice.data] for choice in row] for row in self.rows]


@dataclass(frozen=True)
class Attachment:
    """A file sent to a person: a picture (a chart, a photo they sent) or a document (an
    export, the session-prep PDF), with a short caption."""

    kind: Literal["photo", "document"]
    data: bytes
    caption: str = ""
    filename: str = ""


class Renderer(Protocol):
    """Shows the neutral model to people: Telegram, or the terminal. A Telegram renderer
    raises Telegram's errors (a 429, a blocked chat), which the callers handle; the
    console never refuses."""

    async def say(
        self,
        chat_id: int,
        text: str,
        *,
        keyboard: Keyboard | None = None,
        html: bool = False,
        reply_to: int | None = None,
    ) -> int | None:
        """A message, with buttons under it when `keyboard` is given, in reply to message
        `reply_to` when given (sent anyway if that one is gone); the id of the message shown
        (answers written before it, with lower ids, did not answer it)."""

    async def attach(self, chat_id: int, attachment: Attachment) -> None:
        """A file, with its caption."""

    async def rebutton(self, chat_id: int, message_id: int, keyboard: Keyboard | None) -> None:
        """New buttons under a message already shown (None takes them away)."""

    async def acknowledge(self, press_id: str, notice: str | None, *, alert: bool = False) -> None:
        """A button press seen, with a short notice shown on it (`alert`: one to be closed)."""
