"""The template guide's worked example is a real template: it loads, walks and translates."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from conversations import engine
from conversations.engine import Press, Text
from conversations.templates import load_template

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "templates.md"


def worked_example() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## A complete example", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_the_worked_example_loads_and_walks_both_ways() -> None:
    template = load_template(worked_example(), filename="docs/templates.md")
    flow = engine.compile_flow(template, {"target": 7})
    turn = engine.begin(flow)
    turn = engine.advance(flow, turn.state, Text("23:30"))
    assert turn.question is not None and "about 7" in turn.question.text
    turn = engine.advance(flow, turn.state, Text("6.5"))
    rested = engine.advance(flow, turn.state, Text("yes"))
    assert rested.question is not None and rested.question.text == "What do you think helped?"
    tired = engine.advance(flow, turn.state, Text("no", today=date(2026, 11, 21)))
    assert tired.question is not None
    picked = engine.advance(flow, tired.state, Press(tired.question.position, "other"))
    done = engine.advance(flow, picked.state, Press(tired.question.position, "done"))
    assert done.question is not None and done.question.text == "What else got in the way?"
    end = engine.advance(flow, done.state, Text("a dog barking"))
    assert end.review is not None  # `next: end`: "what helped" is not asked
    assert engine.digest_line(flow, end.state.answers) == (
        "bed 23:30, 6.5 hours, rested No; Something else a dog barking"
    )
    # A bad night for another reason ends there too: "what helped" is never asked of it.
    screens = engine.advance(flow, tired.state, Press(tired.question.position, "screens"))
    closed = engine.advance(flow, screens.state, Press(tired.question.position, "done"))
    assert closed.question is None and closed.review is not None


def test_the_worked_example_speaks_spanish_for_spanish_speakers() -> None:
    template = load_template(worked_example())
    flow = engine.compile_flow(template, language="es")
    assert flow.title == "Diario de sueño"
    turn = engine.begin(flow)
    assert turn.question is not None and turn.question.text == "¿A qué hora te acostaste?"


def test_every_yaml_snippet_in_the_guide_is_valid_yaml() -> None:
    import yaml

    for block in re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S):
        yaml.safe_load(block)
