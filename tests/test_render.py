"""Rendering engine output: HTML escaped, summaries within one message, notes in words."""

from __future__ import annotations

from bot.messages import ENGLISH, words
from bot.render import question_text, review_text, summary_text
from conversations import engine
from conversations.notes import NOTE_IDS, note
from conversations.templates import load_library


def test_every_note_has_english_words() -> None:
    assert set(ENGLISH) == set(NOTE_IDS)
    assert words(note("need_scale", min=0, max=10)) == "I need a number from 0 to 10 here."
    assert words(note("wrong_kind", what="sticker", need="needs_photo")) == (
        "Thanks, but I can't use a sticker for this question. I need a photo."
    )


def test_a_long_summary_fits_one_message() -> None:
    flow = engine.compile_flow(load_library()["gratitude"], {"count": 10})
    answers = {step.key: "x" * 2000 for step in flow.steps}
    text = summary_text(flow.title, engine.summarize(flow, answers), flow.outro, "en")
    assert len(text) < 4096


def test_answers_are_escaped() -> None:
    flow = engine.compile_flow(load_library()["thought_record"], {})
    turn = engine.begin(flow)
    turn = engine.advance(flow, turn.state, engine.Text("<b>boss</b> & me"))
    turn = engine.advance(flow, turn.state, engine.Back())
    assert turn.question is not None
    assert "&lt;b&gt;boss&lt;/b&gt; &amp; me" in question_text(flow.title, turn.question, "en")


def test_review_lists_answers_and_asks_to_save() -> None:
    flow = engine.compile_flow(load_library()["gratitude"], {"count": 1})
    turn = engine.begin(flow)
    for answer in ("<tea>", "warm"):
        turn = engine.advance(flow, turn.state, engine.Text(answer))
    assert turn.review is not None
    text = review_text(flow.title, turn.review, "en")
    assert "&lt;tea&gt;" in text and "Save it, or change an answer first." in text


def test_a_scale_hint_names_its_labels() -> None:
    flow = engine.compile_flow(load_library()["thought_record"], {})
    turn = engine.begin(flow)
    for answer in ("at work", "anxious"):
        turn = engine.advance(flow, turn.state, engine.Text(answer))
    assert turn.question is not None
    assert "Tap a number or type one from 0 (not at all) to 100 (as strong as it gets)." in (
        question_text(flow.title, turn.question, "en")
    )


def test_a_question_changed_from_the_review_says_what_back_does_there() -> None:
    from bot.render import question_text
    from conversations.engine import Question

    asked = Question(0, 2, 3, "text", "Why not?", None, can_go_back=True, from_review=True)
    shown = question_text("Plan", asked, "en")
    assert "/back keeps your answer as it was." in shown
    assert "/back changes your last answer" not in shown
