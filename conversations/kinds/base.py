"""What every step kind shares: its template fields, and the questions the engine asks it.

A kind is one class: its pydantic model (the fields a template may give it), how it reads
typed text, button presses and media, its buttons, its hint, how its answer reads back,
and what else to check in a template. The engine and the renderer ask the kind; they never
test which kind a step is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import model_validator

from conversations.choosing import plain as plain
from conversations.conditions import Condition
from conversations.fields import Identifier, Short, Strict, Text
from conversations.notes import N_, Note, Unreadable, note
from conversations.yamldoc import Said

Answer = str | int | float | bool | list[str] | dict[str, str]
"""A stored answer: JSON, so it is saved as it is."""

MAX_ANSWER_LENGTH = 2048
"""The longest answer a step may allow: Telegram apps cut longer messages into parts."""
DEFAULT_MAX_LENGTH = 2000
RESERVED_IDS = frozenset({"n", "total", "end"})
StepId = Identifier


class Route(Strict):
    """Where to go after a step: to `goto` (a later step, or `end`) when `when` holds."""

    when: Condition | None = None
    goto: StepId


class StepBase(Strict):
    """The fields every step has."""

    needs_prompt: ClassVar[bool] = True

    id: StepId
    kind: str
    label: Short = ""
    """A short name in summaries and digests (default: the id, spaced)."""
    prompt: Text = ""
    optional: bool = False
    when: Condition | None = None
    """Ask this step only when the condition on earlier answers holds."""
    next: list[Route] | StepId | None = None
    """Where to go after this step; the default is the next step."""

    @model_validator(mode="after")
    def _prompt_given(self) -> StepBase:
        if self.needs_prompt and not self.prompt:
            raise Unreadable(N_("needs a prompt: what the client is asked"))
        return self

    @property
    def shown_label(self) -> str:
        """The label, or the id made readable."""
        return self.label or self.id.replace("_", " ").capitalize()

    @property
    def routes(self) -> tuple[Route, ...]:
        """`next` as routes, a plain step id being an unconditional one."""
        if self.next is None:
            return ()
        if isinstance(self.next, str):
            return (Route(goto=self.next),)
        return tuple(self.next)


@dataclass(frozen=True)
class Button:
    """An answer button: what it says (template words, or a note) and the value it sends."""

    label: str | Note
    value: str


Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Media:
    """Something sent that is not text: a photo (with its Telegram file), a sticker..."""

    kind: str
    file_id: str = ""
    unique_id: str = ""


@dataclass(frozen=True)
class Env:
    """What reading an answer may need beyond the text: the person's local date."""

    today: date | None = None


# What reading an input gave.
@dataclass(frozen=True)
class Accept:
    value: Answer


@dataclass(frozen=True)
class Refuse:
    note: Note
    split: bool = False
    """It may be the first part of a message Telegram cut in two."""


@dataclass(frozen=True)
class Select:
    """A multiple choice toggled: the question stays, with this selection."""

    selection: tuple[str, ...]


@dataclass(frozen=True)
class Confirm:
    """A multiple choice's Done."""


Outcome = Accept | Refuse | Select | Confirm

S = TypeVar("S", bound=StepBase)


class Kind(Generic[S]):
    """One kind of step. Subclasses set `name` and `model` and override what they need."""

    name: ClassVar[str]
    model: ClassVar[type[StepBase]]
    asks: ClassVar[bool] = True
    """False for steps that say something and move on (a follow-up's pause)."""
    needs: ClassVar[str] = "needs_text"
    """The note that says what this kind needs, for "I can't use a photo here"."""
    expands: ClassVar[bool] = False
    """True for groups, whose steps the engine repeats in place of the group."""

    def parse_text(self, step: S, text: str, env: Env) -> Outcome:
        """Typed text as an answer, or why not."""
        return Refuse(note("wrong_kind", what="message", need=self.needs))

    def parse_press(self, step: S, value: str, selection: tuple[str, ...], env: Env) -> Outcome:
        """A button press as an answer (by default, read like the same text typed)."""
        return self.parse_text(step, value, env)

    def parse_media(self, step: S, media: Media, env: Env) -> Outcome:
        """A photo, sticker, voice note...: not an answer unless the kind takes one."""
        return Refuse(note("wrong_kind", what=media.kind, need=self.needs))

    def buttons(self, step: S, selection: tuple[str, ...]) -> Rows:
        """The answer buttons, if any."""
        return ()

    def hint(self, step: S) -> Note | None:
        """A line under the question on how to answer."""
        return None

    def answer_text(self, step: S, answer: Answer) -> str:
        """The answer as words, for summaries and digests."""
        if isinstance(answer, list):
            return ", ".join(answer)
        if isinstance(answer, dict):
            return answer.get("text", "")
        return str(answer)

    def points(self, step: S, answer: Answer) -> int | None:
        """What the answer counts towards a score, when the kind can be scored."""
        return None

    def number(self, step: S, answer: Answer) -> float | None:
        """The answer as a number, for conditions like at_least."""
        return None

    def option_values(self, step: S) -> frozenset[str] | None:
        """The values an `is` or `includes` condition may name (None: any)."""
        return None

    def check(self, step: S) -> list[tuple[tuple[str | int, ...], Said]]:
        """Problems within one step beyond its fields' types: (path inside it, what is
        wrong: a catalog text and its fields)."""
        return []

    def initial_selection(self, answer: Answer | None) -> tuple[str, ...]:
        """The selection to start from when an answer is changed."""
        return ()


def rows_of(buttons: Sequence[Button], per_row: int) -> Rows:
    """Buttons laid out `per_row` to a row."""
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def values_of(data: Mapping[str, Any], name: str) -> Any:
    """A field of a raw mapping (for validators reading other fields)."""
    return data.get(name)
