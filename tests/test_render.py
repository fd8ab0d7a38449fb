"""Rendering engine output as Telegram messages."""

from __future__ import annotations

from bot.render import answer_keyboard, parse_answer_data, question_text, summary_text
from conversations import engine
from conversations.engine import State
from conversations.templates import load_library


def test_summary_of_many_long_answers_fits_one_message() -> None:
    flow = engine.compile_flow(load_library()["gratitude"], {"count": 10})
    answers = {step.key: "w" * 2000 for step in flow.steps}
    turn = engine.ask(flow, State(position=len(flow.steps), answers=answers))
    text = summary_text(flow.title, turn, flow.outro)
    assert len(text) < 4096
    assert text.count("…") == 20


def test_question_html_escapes_what_people_wrote() -> None:
    flow = engine.compile_flow(load_library()["thought_record"], {})
    turn = engine.begin(flow)
    turn = engine.advance(flow, turn.state, engine.Text("<b>boss</b> & me"))
    turn = engine.advance(flow, turn.state, engine.Back())
    assert turn.question is not None
    text = question_text(flow.title, turn.question)
    assert "&lt;b&gt;boss&lt;/b&gt; &amp; me" in text


def test_answer_buttons_carry_only_conversation_tag_step_and_value() -> None:
    flow = engine.compile_flow(load_library()["thought_record"], {})
    turn = engine.advance(flow, engine.begin(flow).state, engine.Text("at work"))
    turn = engine.advance(flow, turn.state, engine.Text("anxious"))
    assert turn.question is not None
    keyboard = answer_keyboard(turn.question, "ab12cd34")
    assert keyboard is not None
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert data[0] == "q:ab12cd34:2:0" and data[-1] == "q:ab12cd34:2:100"
    assert all(len(str(d).encode()) <= 64 for d in data)
    assert parse_answer_data("q:ab12cd34:2:100") == ("ab12cd34", 2, "100")
    assert parse_answer_data("q:ab:x:1") is None and parse_answer_data("t:abc") is None
