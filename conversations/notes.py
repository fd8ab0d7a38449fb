"""What the engine says, as message ids with parameters; bot/ words them for the person.

The engine never composes a sentence a client reads (template text aside, which is data of
its own): it returns a `Note`, and the renderer looks the id up in its catalog, in the
person's language. A test checks every id here has words in every catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

Param = str | int | float


@dataclass(frozen=True)
class Note:
    """One thing to say: a message id and its parameters."""

    id: str
    params: Mapping[str, Param] = field(default_factory=dict)


def N_(message: str) -> str:
    """Mark English text said to people for the catalogs (bot/ translates it where said)."""
    return message


class Unreadable(ValueError):
    """Typed text that could not be read. `message` is the English said to the person, with
    `{typed}` where their words go and other `{fields}`; the bot looks it up in their
    language (`str()` is the English)."""

    def __init__(self, message: str, typed: str = "", **fields: str | int) -> None:
        self.message = message
        self.typed = typed
        self.fields = fields
        super().__init__(message.format(typed=typed, **fields))


Words = Callable[..., str]
"""Words a message in the person's language: t(english, **fields) -> text."""


def english(message: str, /, **params: object) -> str:
    """The code's own English, its fields filled: the default `Words`."""
    return message.format(**params) if params else message


@dataclass(frozen=True)
class Wording:
    """How to word things for one person: their language's texts, and their dates."""

    t: Words = english
    day_time: Callable[[datetime], str] = field(
        default=lambda moment: moment.strftime("%a %d %b %H:%M")
    )
    """A moment in the person's language: "Tue 24 Nov 12:00"."""
    weekday_time: Callable[[datetime], str] = field(
        default=lambda moment: moment.strftime("%a %H:%M")
    )
    """A moment this week: "Tue 12:00"."""
    day: Callable[[date], str] = field(default=lambda day: day.strftime("%a %d %b"))
    """A day, as a day answer is shown back: "Fri 04 Dec"."""


def note(id: str, **params: Param) -> Note:
    """A note; the id must be one of NOTE_IDS (checked by the catalog test)."""
    return Note(id, params)


NOTE_IDS: frozenset[str] = frozenset(
    {
        # Refusals: what was wrong with an answer, and what would be right.
        "empty_text",
        "too_long",
        "rest_of_long",
        "need_scale",
        "need_number",
        "need_number_range",
        "choose_from",
        "unmatched_option",
        "pick_at_least_one",
        "cannot_skip",
        "wrong_kind",
        "earlier_button",
        "first_question",
        "before_follow_up",
        "need_yes_no",
        "need_time",
        "need_date",
        "date_in_past",
        "need_duration",
        "duration_range",
        "need_photo",
        "continue_when_ready",
        # Hints under a question.
        "hint_scale",
        "hint_choice",
        "hint_multi",
        "hint_yes_no",
        "hint_number",
        "hint_time",
        "hint_date",
        "hint_duration",
        "hint_photo",
        "hint_photo_or_text",
        "hint_info",
        # Review before saving.
        "review",
        "review_pick",
        "review_changed",
        # What kind of input a question needs (for wrong_kind).
        "needs_text",
        "needs_number",
        "needs_choice",
        "needs_yes_no",
        "needs_photo",
        "needs_time",
        "needs_date",
        "needs_duration",
        "needs_continue",
        # Buttons the engine labels itself.
        "button_save",
        "button_change",
        "button_done",
        "button_continue",
        "button_yes",
        "button_no",
        "button_skip",
        "button_keep",
    }
)


def in_sentence(title: str) -> str:
    """A title inside a sentence: in lower case, but for words with an abbreviation in
    capitals (PHQ-9, GAD-7, CBT-I): "Start thought record", "Start PHQ-9 mood
    questionnaire", "el cuestionario de ansiedad GAD-7", "self-compassion check-in"."""

    def written(word: str) -> str:
        capitals = (sum(c.isupper() for c in part) for part in word.split("-"))
        return word if any(count > 1 for count in capitals) else word.lower()

    return " ".join(written(word) for word in title.split(" "))
