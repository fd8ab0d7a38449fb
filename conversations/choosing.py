"""Typed text read as one of the choices offered as buttons (for any Telegram app, and for
screen readers): its number, its words, or close to them (case, accents, a small typo)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

SURE = 88
"""A score at least this high, with no rival close to it, is the choice meant."""
CLOSE = 70
"""Choices scoring at least this are offered back when none is clearly meant."""
MARGIN = 8
"""How far ahead of the next choice the best one must be to be taken without asking."""


@dataclass(frozen=True)
class Picked:
    """The choice meant: its index among the labels."""

    index: int


@dataclass(frozen=True)
class Unsure:
    """Close to more than one choice, or only roughly to one: ask which (indexes, best first)."""

    indexes: tuple[int, ...]


def plain(text: str) -> str:
    """Text as compared with an option: any case, quotes and punctuation, `_` as a space."""
    kept = "".join(c if c.isalnum() else " " for c in text.casefold())
    return " ".join(kept.split())


def fold(text: str) -> str:
    """Text as compared: any case, accents, quotes, punctuation and emoji set aside."""
    decomposed = unicodedata.normalize("NFKD", text)
    return plain("".join(c for c in decomposed if not unicodedata.combining(c)))


def match_choice(
    typed: str, labels: Sequence[str], *, close: bool = True
) -> Picked | Unsure | None:
    """Which of `labels` the person typed; None when it reads as none of them. Without
    `close`, only a number, the words of a label or its first words count (no typos)."""
    said = fold(typed)
    if not said or not labels:
        return None
    if said.isdecimal():
        number = int(said)
        return Picked(number - 1) if 1 <= number <= len(labels) else None
    folded = [fold(label) for label in labels]
    exact = [i for i, label in enumerate(folded) if label == said]
    if len(exact) == 1:
        return Picked(exact[0])
    # "yes" for "Yes, delete everything": the first words of exactly one label ("gad7" for
    # "GAD-7 anxiety questionnaire" too: its first words, written together).
    leading = [i for i, label in enumerate(folded) if _starts_with_words(label, said)]
    if not leading and " " not in said:
        leading = [i for i, label in enumerate(folded) if _first_words_joined(label, said)]
    if len(leading) == 1:
        return Picked(leading[0])
    if leading:
        return Unsure(tuple(leading))
    if not close:
        return None
    scores = sorted(
        ((_score(said, label), i) for i, label in enumerate(folded)),
        reverse=True,
    )
    best, index = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best >= SURE and best - runner_up >= MARGIN:
        return Picked(index)
    near = tuple(i for score, i in scores if score >= CLOSE)
    return Unsure(near) if near else None


def _starts_with_words(label: str, said: str) -> bool:
    return label == said or label.startswith(said + " ")


def _first_words_joined(label: str, said: str) -> bool:
    words = label.split(" ")
    return any("".join(words[:count]) == said for count in range(2, len(words) + 1))


def _score(said: str, label: str) -> float:
    # The whole label, or the label's words in any order (a typo forgiven by the ratio).
    whole = fuzz.ratio(said, label)
    words = fuzz.token_sort_ratio(said, label)
    # A typed part of a longer label ("morning" for "Morning pages"), only if not tiny; never
    # a label found inside longer typed words ("I cannot start now" is not "Start now").
    part = fuzz.partial_ratio(said, label) if 4 <= len(said) < len(label) else 0.0
    return max(whole, words, part * 0.95)
