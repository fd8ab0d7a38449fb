"""The Columbia screen's order, skip rules and levels (conversations/columbia.py)."""

from __future__ import annotations

import pytest

from conversations.columbia import ASKED, QUESTIONS, WORDS, next_question, urgency


def test_questions_follow_the_published_order_and_skips() -> None:
    assert next_question({}) == "wish"
    assert next_question({"wish": False}) == "thoughts"
    # No to thoughts of killing oneself: straight to acts (3 to 5 are not asked).
    assert next_question({"wish": True, "thoughts": False}) == "acts"
    assert next_question({"wish": True, "thoughts": True}) == "method"
    every = dict.fromkeys(["wish", "thoughts", "method", "intent", "plan"], True)
    assert next_question(every) == "acts"
    assert next_question({**every, "acts": False}) is None
    assert next_question({**every, "acts": True}) == "recent"
    assert next_question({**every, "acts": True, "recent": False}) is None


@pytest.mark.parametrize(
    ("answers", "level", "high"),
    [
        ({"wish": False, "thoughts": False, "acts": False}, "none", False),
        ({"wish": True, "thoughts": False, "acts": False}, "thoughts", False),
        ({"wish": True, "thoughts": True, "method": False, "intent": False}, "thoughts", False),
        ({"thoughts": True, "method": True, "intent": False, "plan": False}, "method", False),
        ({"thoughts": True, "method": True, "intent": True, "plan": False}, "intent", True),
        ({"thoughts": True, "intent": False, "plan": True}, "plan", True),
        ({"thoughts": False, "acts": True, "recent": False}, "past_acts", False),
        ({"thoughts": False, "acts": True, "recent": True}, "recent_acts", True),
        # Method, intent and plan count only after a yes to thoughts (they are not asked).
        ({"thoughts": False, "plan": True, "acts": False}, "none", False),
    ],
)
def test_levels_from_the_answers(answers: dict[str, bool], level: str, high: bool) -> None:
    found = urgency(answers)
    assert (found.level, found.high) == (level, high)


def test_every_question_and_word_in_both_languages() -> None:
    for language in ("en", "es"):
        assert set(ASKED[language]) == set(QUESTIONS)
        assert set(WORDS[language]) == set(WORDS["en"])
