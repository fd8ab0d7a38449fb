"""The risk screen's second reader: a small linear model over word and letter n-grams.

The phrase rules (`conversations/risk.py`) are precise but only know what they were written
from. This model, trained on the labelled corpus in ``tests/risk_corpus/`` by
``bench/train_risk_model.py`` (scikit-learn's TF-IDF and logistic regression, a development
tool only), reads the same normalised, respelt tokens and scores how much a message sounds
like its writer's own risk. Only its weights ship, as JSON beside this module: nothing is
downloaded, and scoring is a dictionary lookup per n-gram (tens of microseconds a message).
``tests/test_risk_model.py`` checks that these scores equal scikit-learn's.

Pure: text in, a probability out.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WEIGHTS = Path(__file__).with_name("risk_model.json")

WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (3, 5)


def analyse(line: str) -> list[str]:
    """The n-grams of one token line (see :func:`conversations.risk.read`): words and word
    pairs (``w:``), and letter runs of 3 to 5 inside each word padded with spaces (``c:``)."""
    words = line.split()
    grams = [f"w:{w}" for w in words]
    grams += [f"w:{a} {b}" for a, b in itertools.pairwise(words)]
    low, high = CHAR_NGRAMS
    for word in words:
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) < n:
                break
            grams += [f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1)]
    return grams


@dataclass(frozen=True)
class Model:
    """One binary classifier: per n-gram its inverse document frequency and weight."""

    name: str
    intercept: float
    features: dict[str, tuple[float, float]]

    def probability(self, line: str) -> float:
        """scikit-learn's ``predict_proba`` for the positive class, for one token line."""
        dot = norm = 0.0
        for gram, count in Counter(analyse(line)).items():
            known = self.features.get(gram)
            if known is None:
                continue
            idf, weight = known
            value = (1.0 + math.log(count)) * idf  # sublinear tf, as trained
            norm += value * value
            dot += value * weight
        margin = self.intercept + (dot / math.sqrt(norm) if norm else 0.0)
        return 1.0 / (1.0 + math.exp(-margin))


@dataclass(frozen=True)
class Models:
    """The shipped classifiers and the thresholds chosen when they were trained."""

    risk: Model
    """The writer's own risk against everything else."""
    other: Model
    """Someone else at risk (a friend, a child) against everything else."""
    alert: float
    """A risk probability at or above this is clear risk: the full crisis answer and alert."""
    check_in: float
    """Between this and `alert`: a gentle check-in, no alert."""
    other_at: float
    """An `other` probability at or above this is read as someone else at risk."""


def _model(name: str, raw: dict[str, object]) -> Model:
    features = raw["features"]
    assert isinstance(features, dict)
    intercept = raw["intercept"]
    assert isinstance(intercept, float)
    return Model(name, intercept, {g: (float(i), float(w)) for g, (i, w) in features.items()})


@functools.cache
def models() -> Models:
    """The shipped weights, read once."""
    raw = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    thresholds = raw["thresholds"]
    return Models(
        risk=_model("risk", raw["risk"]),
        other=_model("other", raw["other"]),
        alert=float(thresholds["alert"]),
        check_in=float(thresholds["check_in"]),
        other_at=float(thresholds["other"]),
    )


def windows(lines: list[str], size: int = 3) -> Iterator[tuple[int, str]]:
    """The message as the model reads it: whole when short, else runs of `size` sentences
    (a long journal entry is not read as one blur); each with its first sentence's index."""
    if len(lines) <= size:
        yield 0, " ".join(lines)
        return
    for start in range(len(lines) - size + 1):
        yield start, " ".join(lines[start : start + size])
