"""The risk screen's second layer: normalised text, the shipped model, the layers' levels.

The shipped weights (conversations/risk_model.json) must score as scikit-learn does: the
model is trained again here from the same corpus, exactly as bench/train_risk_model.py
trains it, and both are compared line by line.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from bench import train_risk_model as trainer
from conversations import risk_model, screening
from conversations.textnorm import normalise


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("i want to k\u200bill myself", "i want to kill myself"),  # a zero-width space
        ("i want to kіll mysеlf", "i want to kill myself"),  # Cyrillic і and е
        ("ɪ ᴡᴀɴᴛ ᴛᴏ ᴅɪᴇ", "i want to die"),  # small capitals
        ("ｅｎｄ ｉｔ", "end it"),  # full width
        ("KΙLL MYSELF", "KILL MYSELF"),  # a capital Greek iota, not a small l
        ("commit suІcІde", "commit suIcIde"),  # capital Cyrillic І inside a small word
        ("so\u00adlo quiero morir", "solo quiero morir"),  # a soft hyphen
    ],
)
def test_disguised_letters_are_read_as_plain_ones(typed: str, read: str) -> None:
    assert normalise(typed) == read


@pytest.mark.parametrize(
    "kept",
    ["plain ASCII, kept as it is: kіll? no, kill", "привет, как дела", "me quiero morír, niño"],
)
def test_other_scripts_and_accents_stay_and_ascii_is_never_rewritten(kept: str) -> None:
    words = kept.split()
    assert all(a == b for a, b in zip(words, normalise(kept).split(), strict=True) if a.isascii())
    if kept.startswith("привет") or kept.startswith("me"):
        assert normalise(kept) == kept


def test_the_screen_reads_through_disguises() -> None:
    for typed in ("i want to k\u200bill myself", "i want to kіll mysеlf", "ɪ ᴡᴀɴᴛ ᴛᴏ ᴅɪᴇ"):
        found = screening.screen(typed)
        assert found is not None and found.level == "risk", typed


def test_the_shipped_weights_score_as_scikit_learn_does() -> None:
    lines = [x for path in trainer.training_files() for x in trainer.read_file(path)]
    pipeline = trainer.fit(lines, {"+", "+!"}, trainer.C_RISK)
    shipped = risk_model.models().risk
    sample = lines[::15]
    expected = pipeline.predict_proba([trainer.token_line(x.text) for x in sample])[:, 1]
    for line, want in zip(sample, expected, strict=True):
        got = shipped.probability(trainer.token_line(line.text))
        assert math.isclose(got, float(want), abs_tol=1e-4), line.source


def test_the_someone_else_model_is_the_one_trained_too() -> None:
    lines = [
        x
        for p in trainer.training_files()
        if p.parent.name == "train"
        for x in trainer.read_file(p)
    ]
    pipeline = trainer.fit(lines, {"o"}, trainer.C_OTHER)
    shipped = risk_model.models().other
    sample = lines[::25]
    expected = pipeline.predict_proba([trainer.token_line(x.text) for x in sample])[:, 1]
    for line, want in zip(sample, expected, strict=True):
        assert math.isclose(
            shipped.probability(trainer.token_line(line.text)), float(want), abs_tol=1e-4
        )


def test_the_thresholds_shipped_are_the_trainers_and_in_order() -> None:
    raw = json.loads(risk_model.WEIGHTS.read_text(encoding="utf-8"))
    assert raw["thresholds"] == trainer.THRESHOLDS
    models = risk_model.models()
    assert 0 < models.check_in < models.alert < 1 and 0 < models.other_at < 1


def test_no_frozen_line_is_trained_on() -> None:
    assert all(path.parent.name != "frozen" for path in trainer.training_files())


def test_levels_of_the_layered_screen() -> None:
    clear = screening.screen("I have the pills ready and I'm doing it tonight")
    assert clear is not None and clear.level == "risk" and clear.imminent
    other = screening.screen("my friend told me she wants to kill herself, what do I do?")
    assert other is not None and other.level == "other"
    assert screening.screen("hello there") is None  # too short for the model
    assert screening.screen("I made pasta and watched a film with my sister tonight") is None


def test_an_unscored_line_is_the_intercepts_probability() -> None:
    model = risk_model.Model("x", 0.5, {})
    assert math.isclose(model.probability("nothing known"), 1 / (1 + math.exp(-0.5)))


def test_windows_cover_a_long_message_in_runs_of_three() -> None:
    assert list(risk_model.windows(["a", "b"])) == [(0, "a b")]
    assert list(risk_model.windows(["a", "b", "c", "d"])) == [(0, "a b c"), (1, "b c d")]


def test_a_spanish_message_on_a_shared_words_rule_is_answered_in_spanish() -> None:
    found = screening.screen("me quiero suicidar")
    assert found is not None and found.level == "risk" and found.language == "es"


def test_short_lines_are_at_most_a_check_in_for_the_model() -> None:
    for line in ("They think I'm useless", "Quiero dejar de fumar"):
        found = screening.screen(line)
        assert found is None or found.level == "check_in", line


def with_risk_model(monkeypatch: pytest.MonkeyPatch, intercept: float) -> None:
    """The shipped models with a risk model that scores every line the same: low (the
    model hears no risk) or high."""
    shipped = risk_model.models()
    fixed = dataclasses.replace(shipped, risk=risk_model.Model("fixed", intercept, {}))
    monkeypatch.setattr(risk_model, "models", lambda: fixed)


def test_a_rule_that_matched_only_someone_elses_risk_is_how_to_help(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_risk_model(monkeypatch, -6.0)  # whatever the model says
    quiet = risk_model.models()
    monkeypatch.setattr(
        risk_model,
        "models",
        lambda: dataclasses.replace(quiet, other=risk_model.Model("quiet", -6.0, {})),
    )
    found = screening.screen("my brother took an overdose 20 minutes ago what do I do")
    assert found is not None and found.level == "other" and found.rule != "model"
    assert screening.screen("I had an overdose of sugar today lol") is None
    # The writer's own risk beside someone else's is the writer's.
    found = screening.screen("my brother took an overdose and I want to kill myself too")
    assert found is not None and found.level == "risk"
