"""The layered risk screen: what the bot does with a message, from clear risk to none.

::

    text ─► phrase rules (conversations/risk.py) ─► a match: clear risk
         └► no match ─► the model (conversations/risk_model.py), per run of sentences:
                ≥ alert threshold: clear risk (the full crisis answer, an alert)
                ≥ check-in threshold: a gentle check-in ("are you thinking of hurting
                  yourself?") and the way to /sos; no alert
                else, someone else's risk read by the model's second classifier: how to
                  help them, the same crisis lines; no alert about the writer
                else: nothing

Pure and deterministic, like its two readers.
"""

from __future__ import annotations

from conversations import risk, risk_model
from conversations.risk import Level, RiskFinding

MIN_WORDS = 4
"""Shorter messages, in words as written ("hello there", "nadie me escucha", "I've made it":
a button's words typed), are the rules' alone: too few words for the model to judge."""


def screen(text: str) -> RiskFinding | None:
    """What the layers find in `text`: a finding whose `level` is "risk", "check_in" or
    "other" (someone else at risk), or None."""
    found = risk.screen(text)
    if found is not None:
        return found  # a rule's match is never second-guessed by the model
    read = risk.read(text) if text and text.strip() else []
    if _words(read) < MIN_WORDS:
        return None  # too short for the model: the rules alone
    models = risk_model.models()
    lines = [line for _, line in read]
    best, at = _best(models.risk, lines)
    if best >= models.check_in:
        level: Level = "risk" if best >= models.alert else "check_in"
        return RiskFinding(
            excerpt=risk.excerpt(_likeliest(models.risk, read, at)),
            imminent=False,
            language=risk.language_of(text),
            rule="model",
            level=level,
        )
    other, where = _best(models.other, lines)
    if other >= models.other_at:
        return RiskFinding(
            excerpt=risk.excerpt(_likeliest(models.other, read, where)),
            imminent=False,
            language=risk.language_of(text),
            rule="model",
            level="other",
        )
    return None


def _words(read: list[tuple[str, str]]) -> int:
    """Words as written ("I've made it" is three, though read as "i have made it")."""
    return sum(len(original.split()) for original, _ in read)


def _best(model: risk_model.Model, lines: list[str]) -> tuple[float, int]:
    """The highest score of any window of the message, and where that window starts."""
    best, at = 0.0, 0
    for start, window in risk_model.windows(lines):
        score = model.probability(window)
        if score > best:
            best, at = score, start
    return best, at


def _likeliest(model: risk_model.Model, read: list[tuple[str, str]], start: int) -> str:
    """The sentence of the window starting at `start` that the model scores highest."""
    window = read[start : start + 3] if len(read) > 3 else read
    return max(window, key=lambda pair: model.probability(pair[1]))[0]
