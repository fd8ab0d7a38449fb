"""Engine output into Telegram messages and keyboards."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.i18n import tr
from bot.messages import words
from bot.replies import Keyboard
from conversations.engine import Question, Review
from conversations.kinds.base import Rows
from conversations.notes import note

ANSWER_PREFIX = "q:"
TOKEN_PREFIX = "t:"


def buttons(rows: Sequence[Sequence[tuple[str, str]]]) -> Keyboard:
    """A keyboard from rows of (label, callback data)."""
    return Keyboard.of(rows)


def keyboard(rows: Rows, marker: str, position: int, language: str) -> Keyboard | None:
    """Answer buttons: which conversation (`marker`), which step, which answer.

    Nothing in them names stored data; a press counts only for the presser's own open
    conversation, and only if the marker and step still match it.
    """
    if not rows:
        return None
    prefix = f"{ANSWER_PREFIX}{marker}:{position}:"
    return buttons([[(words(b.label, language), prefix + b.value) for b in row] for row in rows])


def answer_keyboard(question: Question, marker: str, language: str) -> Keyboard | None:
    """The question's answer buttons."""
    return keyboard(question.buttons, marker, question.position, language)


def parse_answer_data(data: str) -> tuple[str, int, str] | None:
    """(marker, position, value) from an answer button's data, or None if it is not one."""
    if not data.startswith(ANSWER_PREFIX):
        return None
    marker, _, rest = data[len(ANSWER_PREFIX) :].partition(":")
    position, _, value = rest.partition(":")
    if not marker or not (position.isascii() and position.isdigit()) or not value:
        return None
    return marker, int(position), value


def question_text(title: str, question: Question, language: str) -> str:
    """The question as HTML: where we are, the prompt, and how to answer."""
    where = tr(language, "{number} of {total}", number=question.number, total=question.total)
    lines = [f"<b>{escape(title)}</b> · {where}", ""]
    lines.append(escape(question.text))
    if question.link:
        lines += ["", escape(question.link)]
    if question.previous:
        before = tr(language, "Before, you answered:")
        lines += ["", f"{escape(before)} <i>{escape(question.previous)}</i>"]
    notes = []
    if question.hint is not None:
        notes.append(words(question.hint, language))
    if question.optional:
        notes.append(tr(language, "This one is optional: /skip to pass it."))
    if question.from_review:
        notes.append(tr(language, "/back keeps your answer as it was."))
    elif question.can_go_back:
        notes.append(tr(language, "/back changes your last answer."))
    if notes:
        lines += ["", f"<i>{escape(' '.join(notes))}</i>"]
    return "\n".join(lines)


def answer_lines(lines: Sequence[tuple[str, str]]) -> list[str]:
    # Keep the whole list inside one Telegram message, however many answers there are.
    room = max(60, min(300, 3000 // max(len(lines), 1)))
    shown = []
    for label, answer in lines:
        short = answer if len(answer) <= room else answer[: room - 1] + "…"
        shown.append(f"• <b>{escape(label)}</b>: {escape(short)}")
    return shown


def review_text(title: str, review: Review, language: str) -> str:
    """The answers for a last look, before they are saved."""
    first = "review_pick" if review.choosing else "review"
    lines = [f"<b>{escape(title)}</b>", "", *answer_lines(review.lines), ""]
    lines.append(escape(words(note(first), language)))
    return "\n".join(lines)


def summary_text(title: str, summary: Sequence[tuple[str, str]], outro: str, language: str) -> str:
    """The end of a conversation: every answer in short, then a kind word."""
    done = tr(language, "{title}: done.", title=escape(title))
    wrote = tr(language, "Here is what you wrote:")
    lines = [f"<b>{done}</b> {escape(wrote)}", ""]
    lines += answer_lines(summary) or [escape(tr(language, "(every step was skipped)"))]
    thanks = tr(language, "Thank you for taking the time. It is saved for your therapist.")
    lines += ["", escape(outro or thanks)]
    return "\n".join(lines)
