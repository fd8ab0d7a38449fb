"""The layered risk screen: what the bot does with a message, from clear risk to none.

::

    text ─► phrase rules (conversations/risk.py) ─► a match: clear risk (someone else's when
                                                     the model is all but sure it is)
         └► no match ─► the model (conversations/risk_model.py), per run of sentences:
                ≥ alert threshold, in eight words or more: clear risk (the full crisis
                  answer, an alert)
                ≥ check-in threshold: a gentle check-in ("are you thinking of hurting
                  yourself?") and the way to /sos; no alert
                else, someone else's risk read by the model's second classifier: how to
                  help them, the same crisis lines; no alert about the writer
                else: nothing

Pure and deterministic, like its two readers.
"""

from __future__ import annotations

from dataclasses import replace

from conversations import risk, risk_model
from conversations.risk import Level, RiskFinding

MIN_WORDS = 4
"""Shorter messages, in words as written ("hello there", "nadie me escucha", "I've made it":
a button's words typed), are the rules' alone: too few words for the model to judge."""


SURE_WORDS = 8
"""Below this many words (as written) the model's word is at most a check-in: on a short
line ("Quiero dejar de fumar", "They think I'm useless") it is surest when most wrong."""
OTHERS, NOT_OWN = 0.95, 0.3
"""A rule's match is read as someone else's only when the model is this sure it is, and
scores the writer's own risk below NOT_OWN."""


def screen(text: str) -> RiskFinding | None:
    """What the layers find in `text`: a finding whose `level` is "risk", "check_in" or
    "other" (someone else at risk), or None."""
    found, read, others = risk.screen_read(text)
    if found is not None:
        if risk.language_of(read) == "es":
            found = replace(found, language="es")  # "me quiero suicidar": a shared word's rule
        return _someone_elses(found, read) or found
    if _words(read) < MIN_WORDS:
        return _rules_others(others, read)  # too short for the model: the rules alone
    models = risk_model.models()
    lines = [line for _, line in read]
    best, at = _best(models.risk, lines)
    if best >= models.check_in:
        sure = best >= models.alert and _words(read) >= SURE_WORDS
        level: Level = "risk" if sure else "check_in"
        return RiskFinding(
            excerpt=risk.excerpt(_likeliest(models.risk, read, at)),
            imminent=False,
            language=risk.language_of(read),
            rule="model",
            level=level,
        )
    other, where = _best(models.other, lines)
    if other >= models.other_at:
        # Someone else named beside the writer's own ("mi mejor amiga no sabe que me
        # lastimo", "my mom found out about my suicide plan"): asked about gently.
        own = any(risk.names_the_writer(line) for line in lines)
        return RiskFinding(
            excerpt=risk.excerpt(_likeliest(models.other, read, where)),
            imminent=False,
            language=risk.language_of(read),
            rule="model",
            level="check_in" if own else "other",
        )
    return _rules_others(others, read)


def _rules_others(rule: str | None, read: list[tuple[str, str]]) -> RiskFinding | None:
    """A rule matched only someone else's risk ("my brother took an overdose 20 minutes
    ago, what do I do?") and nothing of the writer's own: how to help them."""
    if rule is None:
        return None
    return RiskFinding(
        excerpt=risk.excerpt(read[0][0]) if read else "",
        imminent=False,
        language=risk.language_of(read),
        rule=rule,
        level="other",
    )


def _someone_elses(found: RiskFinding, read: list[tuple[str, str]]) -> RiskFinding | None:
    """A rule's match in words the model is all but sure are about someone else at risk
    ("my brother said he wants to end it all, what should I do?"), which it finds nothing
    of the writer's own risk in: read as someone else's. Never one that names a plan, a
    time or a means."""
    if found.imminent or _words(read) < MIN_WORDS:
        return None
    if any(
        risk.names_the_writer(line)
        for original, line in read
        if risk.excerpt(original) == found.excerpt
    ):
        return None  # "mi amiga se corta y yo también me corto": the writer's too
    models = risk_model.models()
    lines = [line for _, line in read]
    if _best(models.other, lines)[0] < OTHERS or _best(models.risk, lines)[0] >= NOT_OWN:
        return None
    return replace(found, level="other")


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
