"""/assign's words: quotes group a setting's value only; measures keep their wording."""

from __future__ import annotations

import pytest

from bot.therapist import split_assign, tailoring
from conversations import engine
from conversations.templates import load_library

LIBRARY = load_library()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("O'Brien gratitude daily 20:00", ["O'Brien", "gratitude", "daily", "20:00"]),
        ("O’Brien gratitude daily 20:00", ["O’Brien", "gratitude", "daily", "20:00"]),
        (
            "robin reading daily 20:00 title=“Mind over mood” link=https://x.example/a=b",
            [
                "robin",
                "reading",
                "daily",
                "20:00",
                "title=Mind over mood",
                "link=https://x.example/a=b",
            ],
        ),
        ("robin reading title='Mind over mood'", ["robin", "reading", "title=Mind over mood"]),
        ("robin reading prompt.q1=‘Hi there’", ["robin", "reading", "prompt.q1=Hi there"]),
        ('robin reading title="Mind over', None),
        ('"Mary Jane" journal daily 20:00', ["Mary Jane", "journal", "daily", "20:00"]),
        (
            "robin journal daily 20:00 instructions='Don't worry' count=3",
            ["robin", "journal", "daily", "20:00", "instructions=Don't worry", "count=3"],
        ),
    ],
)
def test_assign_words(text: str, words: list[str] | None) -> None:
    assert split_assign(text) == words


def test_a_measure_keeps_its_published_wording() -> None:
    said = tailoring(LIBRARY["phq9"], ["prompt.q9=Do you ever feel sad?"])
    assert isinstance(said, str) and "keep their published wording" in said
    with pytest.raises(engine.FlowError):
        engine.resolve_params(LIBRARY["gad7"], {"prompts": {"q1": "Nervous?"}})
    # Instructions before it are still fine.
    assert tailoring(LIBRARY["phq9"], ["instructions=Take your time"]) == {
        "instructions": "Take your time"
    }
