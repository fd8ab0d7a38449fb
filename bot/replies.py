"""The neutral reply model: what a handler says, drawn by the Telegram renderer or the console.

No handler imports Telegram's keyboard types: they build a `Keyboard` of `Choice`s (a label
and the data a press sends back), and the renderer turns it into inline buttons, or into
numbered choices in the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
