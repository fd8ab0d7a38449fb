"""The flow engine, driven without a bot or a database."""

from __future__ import annotations

import pytest

from conversations import engine
from conversations.engine import Back, Other, Press, Skip, State, Text
from conversations.templates import Option, Param, StepTemplate, Template

TRAPS = (
    Option("all_or_nothing", "All-or-nothing"),
    Option("mind_reading", "Mind reading"),
    Option("catastrophising", "Catastrophising"),
)

TEMPLATE = Template(
    id="sample",
    version=1,
    title="Sample",
    intro="Let's begin.",
    params=(Param(name="count", type="integer", default=2, min=1, max=5),),
    steps=(
        StepTemplate(id="feeling", kind="text", prompt="What did you feel?", label="Feeling"),
        StepTemplate(
            id="before", kind="scale", prompt="How strong was {feeling}?", min=0, max=100, step=10
        ),
        StepTemplate(
            id="traps",
            kind="choice",
            prompt="Any traps?",
            options=TRAPS,
            multiple=True,
            optional=True,
        ),
        StepTemplate(id="mood", kind="choice", prompt="Mood?", options=TRAPS[:2]),
        StepTemplate(
            id="things",
            kind="group",
            repeat="{count}",
            label="Good thing",
            steps=(
                StepTemplate(id="what", kind="text", prompt="Good thing {n} of {total}?"),
                StepTemplate(id="why", kind="text", prompt="Why did {what} happen?", optional=True),
            ),
        ),
    ),
    digest="{feeling} {before} · {things}",
)


@pytest.fixture
def flow() -> engine.Flow:
    return engine.compile_flow(TEMPLATE, {})


def run(flow: engine.Flow, *events: engine.Event) -> engine.Turn:
    turn = engine.begin(flow)
    for event in events:
        turn = engine.advance(flow, turn.state, event)
    return turn


def test_groups_expand_by_parameter() -> None:
    flow = engine.compile_flow(TEMPLATE, {"count": 3})
    keys = [s.key for s in flow.steps]
    assert keys[4:] == [f"things.{n}.{s}" for n in (1, 2, 3) for s in ("what", "why")]


def test_parameters_are_checked() -> None:
    with pytest.raises(engine.FlowError, match="between 1 and 5"):
        engine.compile_flow(TEMPLATE, {"count": 9})
    with pytest.raises(engine.FlowError, match="no setting called colour"):
        engine.compile_flow(TEMPLATE, {"colour": "red"})


def test_begin_says_intro_and_first_question(flow: engine.Flow) -> None:
    turn = engine.begin(flow)
    assert turn.says == ("Let's begin.",)
    assert turn.question is not None
    assert (turn.question.number, turn.question.total) == (1, 8)
    assert turn.question.text == "What did you feel?"
    assert not turn.question.can_go_back


def test_prompt_uses_earlier_answer(flow: engine.Flow) -> None:
    turn = run(flow, Text("  sad  "))
    assert turn.question is not None
    assert turn.question.text == "How strong was sad?"
    assert [b.value for b in turn.question.buttons[0]] == ["0", "10", "20", "30", "40", "50"]


@pytest.mark.parametrize(
    ("typed", "notice"),
    [
        ("very", "I need a number from 0 to 100 here."),
        ("101", "I need a number from 0 to 100 here."),
        ("-1", "I need a number from 0 to 100 here."),
    ],
)
def test_bad_scale_input_asks_again_and_keeps_answers(
    flow: engine.Flow, typed: str, notice: str
) -> None:
    turn = run(flow, Text("sad"), Text(typed))
    assert turn.says == (notice,)
    assert turn.question is not None and turn.question.position == 1
    assert turn.state.answers == {"feeling": "sad"}


def test_scale_accepts_typed_and_pressed_numbers(flow: engine.Flow) -> None:
    assert run(flow, Text("sad"), Text("73%")).state.answers["before"] == 73
    assert run(flow, Text("sad"), Press(1, "40")).state.answers["before"] == 40


def test_stale_button_is_refused(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Press(1, "40"))
    assert turn.says == ("That button belongs to an earlier question.",)
    assert turn.state.answers["before"] == 70
    assert turn.state.position == 2


def test_too_long_and_empty_text(flow: engine.Flow) -> None:
    turn = run(flow, Text("x" * 5000))
    assert "5,000 characters" in turn.says[0] and "2,000" in turn.says[0]
    assert turn.state.position == 0 and turn.state.answers == {}
    assert run(flow, Text("   ")).says == ("I didn't catch any words there.",)


def test_non_text_content_is_explained(flow: engine.Flow) -> None:
    turn = run(flow, Other("sticker"))
    assert turn.says == (
        "Thanks, but I can't use a sticker for this question. "
        "I need a few words typed as a message.",
    )
    assert turn.state.position == 0


def test_multiple_choice_toggles_then_done(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Press(2, "mind_reading"), Press(2, "all_or_nothing"))
    assert turn.state.selection == ("all_or_nothing", "mind_reading")
    assert turn.question is not None
    assert turn.question.buttons[0][0].label == "✓ 1. All-or-nothing"
    assert turn.question.buttons[0][1].label == "✓ 2. Mind reading"
    turn = engine.advance(flow, turn.state, Press(2, "mind_reading"))
    assert turn.state.selection == ("all_or_nothing",)
    turn = engine.advance(flow, turn.state, Press(2, engine.DONE))
    assert turn.state.answers["traps"] == ["all_or_nothing"]
    assert turn.state.position == 3


def test_multiple_choice_typed(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Text("3, mind reading"))
    assert turn.state.answers["traps"] == ["mind_reading", "catastrophising"]
    bad = run(flow, Text("sad"), Text("70"), Text("1, purple"))
    assert bad.says[0].startswith("I couldn't match “purple”.")
    assert "1. All-or-nothing; 2. Mind reading; 3. Catastrophising" in bad.says[0]


def test_single_choice_by_number_or_label(flow: engine.Flow) -> None:
    base = (Text("sad"), Text("70"), Skip())
    assert run(flow, *base, Text("2")).state.answers["mood"] == "mind_reading"
    assert run(flow, *base, Text("all-or-nothing")).state.answers["mood"] == "all_or_nothing"
    assert run(flow, *base, Text("7")).state.position == 3


def test_skip_only_optional(flow: engine.Flow) -> None:
    turn = run(flow, Skip())
    assert "can't be skipped" in turn.says[0]
    assert turn.state.position == 0
    turn = run(flow, Text("sad"), Text("70"), Skip())
    assert turn.state.position == 3 and "traps" not in turn.state.answers


def test_back_shows_previous_answer_and_replaces_it(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Back())
    assert turn.question is not None and turn.question.position == 1
    assert turn.question.previous == "70"
    turn = engine.advance(flow, turn.state, Text("30"))
    assert turn.state.answers["before"] == 30 and turn.state.position == 2
    first = run(flow, Back())
    assert first.says == ("This is the first question, so there is nothing to go back to.",)


def test_back_into_multiple_choice_restores_selection(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Text("1,2"), Back())
    assert turn.state.selection == ("all_or_nothing", "mind_reading")


def test_full_walk_summary_and_digest(flow: engine.Flow) -> None:
    turn = run(
        flow,
        Text("sad"),
        Text("70"),
        Skip(),
        Text("1"),
        Text("a walk"),
        Text("sunny"),
        Text("tea with Sam"),
        Skip(),
    )
    assert turn.finished
    assert turn.summary == (
        ("Feeling", "sad"),
        ("Before", "70"),
        ("Mood", "All-or-nothing"),
        ("What 1", "a walk"),
        ("Why 1", "sunny"),
        ("What 2", "tea with Sam"),
    )
    answers = turn.state.answers
    assert engine.digest_line(flow, answers) == "sad 70 · a walk — sunny; tea with Sam"
    # A finished flow stays finished.
    assert engine.advance(flow, turn.state, Text("more")).finished


def test_group_prompt_uses_round_and_sibling(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Skip(), Text("1"), Text("a walk"))
    assert turn.question is not None
    assert turn.question.text == "Why did a walk happen?"
    turn = engine.advance(flow, turn.state, Skip())
    assert turn.question is not None and turn.question.text == "Good thing 2 of 2?"


def test_state_round_trips_through_json(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Press(2, "mind_reading"))
    restored = State.from_json(turn.state.to_json())
    assert restored == turn.state
    with pytest.raises(ValueError, match="damaged"):
        State.from_json({"position": "x"})


def test_digest_line_is_shortened(flow: engine.Flow) -> None:
    line = engine.digest_line(flow, {"feeling": "word " * 200, "before": 5}, limit=80)
    assert len(line) == 80 and line.endswith("…")


def test_interpolate_escapes_braces() -> None:
    assert engine.interpolate("{{x}} {a}", {"a": "1"}) == "{x} 1"


def test_a_long_message_cut_into_parts_keeps_neither_part(flow: engine.Flow) -> None:
    # Telegram Desktop cuts at the best break after 2,048 characters: parts vary in length.
    turn = run(flow, Text("x" * 3701, sent_at=1000.0))
    assert turn.state.split_at == 1000.0 and "longer than I can keep" in turn.says[0]
    tail = engine.advance(flow, turn.state, Text("y" * 37, sent_at=1000.0))
    assert tail.state.answers == {} and tail.state.position == 0
    assert tail.says[0].startswith("That was the rest of the long message")
    # A later, separate answer is taken as usual.
    later = engine.advance(flow, tail.state, Text("sad", sent_at=1060.0))
    assert later.state.answers == {"feeling": "sad"} and later.state.split_at is None


def test_three_parts_are_all_refused(flow: engine.Flow) -> None:
    turn = run(flow, Text("x" * 4096, sent_at=5.0), Text("y" * 4096, sent_at=5.0))
    turn = engine.advance(flow, turn.state, Text("z" * 100, sent_at=6.0))
    assert turn.state.answers == {} and "rest of the long message" in turn.says[0]


def test_a_retry_sent_later_is_an_answer_even_if_handled_at_once(flow: engine.Flow) -> None:
    # After downtime both arrive together, but Telegram's dates tell them apart.
    turn = run(flow, Text("x" * 2100, sent_at=100.0), Text("sad", sent_at=160.0))
    assert turn.state.answers == {"feeling": "sad"}


def test_a_short_refusal_does_not_swallow_the_next_answer() -> None:
    short = engine.compile_flow(
        Template(
            id="short",
            version=1,
            title="Short",
            steps=(StepTemplate(id="word", kind="text", prompt="One word?", max_length=10),),
        )
    )
    turn = run(short, Text("x" * 50, sent_at=1.0))
    assert turn.state.split_at is None
    assert engine.advance(short, turn.state, Text("calm", sent_at=1.0)).state.answers == {
        "word": "calm"
    }


def test_option_labels_with_and_or_quotes_can_be_typed() -> None:
    from conversations.templates import load_library

    flow = engine.compile_flow(load_library()["thought_record"], {})
    traps = next(i for i, s in enumerate(flow.steps) if s.multiple)
    state = State(position=traps)
    step = flow.steps[traps]
    blame = next(o.value for o in step.options if o.label == "Personalising and blame")
    whole = engine.advance(flow, state, Text("personalising and blame"))
    assert whole.state.answers[step.key] == [blame]
    typed = engine.advance(flow, state, Text('"should" statements, mind reading'))
    assert typed.state.position == traps + 1
    labels = engine.answer_text(flow.steps[traps], typed.state.answers[flow.steps[traps].key])
    assert labels == "Mind reading, “Should” statements"
