"""What the engine says, as message ids with parameters; bot/ words them for the person.

The engine never composes a sentence a client reads (template text aside, which is data of
its own): it returns a `Note`, and the renderer looks the id up in its catalog, in the
person's language. A test checks every id here has words in every catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Param = str | int | float


@dataclass(frozen=True)
class Note:
    """One thing to say: a message id and its parameters."""

    id: str
    params: Mapping[str, Param] = field(default_factory=dict)


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
