"""The flow engine, driven without a bot or a database: notes are checked by id."""

from __future__ import annotations

import textwrap
from datetime import date

import pytest

from conversations import engine
from conversations.engine import Back, Media, Press, Skip, State, Text
from conversations.kinds.choice import DONE
from conversations.notes import Note, note
from conversations.templates import Template, load_library, load_template

TEMPLATE = load_template(
    textwrap.dedent("""
    id: sample
    version: 1
    title: Sample
    intro: Let's begin.
    params:
      count: {type: integer, default: 2, min: 1, max: 5}
    steps:
      - {id: feeling, kind: text, prompt: "What did you feel?", label: Feeling}
      - {id: before, kind: scale, prompt: "How strong was {feeling}?", min: 0, max: 100, step: 10}
      - id: traps
        kind: choice
        prompt: Any traps?
        multiple: true
        optional: true
        options:
          - {value: all_or_nothing, label: All-or-nothing}
          - {value: mind_reading, label: Mind reading}
          - {value: catastrophising, label: Catastrophising}
      - id: mood
        kind: choice
        prompt: Mood?
        options:
          - {value: all_or_nothing, label: All-or-nothing}
          - {value: mind_reading, label: Mind reading}
      - id: things
        kind: group
        repeat: "{count}"
        label: Good thing
        steps:
          - {id: what, kind: text, prompt: "Good thing {n} of {total}?"}
          - {id: why, kind: text, prompt: "Why did {what} happen?", optional: true}
    digest: "{feeling} {before} · {things}"
    review: false
    """)
)


@pytest.fixture
def flow() -> engine.Flow:
    return engine.compile_flow(TEMPLATE, {})


def run(flow: engine.Flow, *events: engine.Event) -> engine.Turn:
    turn = engine.begin(flow)
    for event in events:
        turn = engine.advance(flow, turn.state, event)
    return turn


def yaml(text: str) -> Template:
    return load_template(textwrap.dedent(text))


def test_groups_expand_by_setting() -> None:
    flow = engine.compile_flow(TEMPLATE, {"count": 3})
    keys = [s.key for s in flow.steps]
    assert keys[4:] == [f"things.{n}.{s}" for n in (1, 2, 3) for s in ("what", "why")]


def test_settings_and_tailoring_are_checked() -> None:
    with pytest.raises(engine.FlowError, match="between 1 and 5"):
        engine.resolve_params(TEMPLATE, {"count": 9})
    with pytest.raises(engine.FlowError, match="no setting called colour"):
        engine.resolve_params(TEMPLATE, {"colour": "red"})
    with pytest.raises(engine.FlowError, match="no question called nope"):
        engine.resolve_params(TEMPLATE, {"prompts": {"nope": "Hi"}})


def test_settings_a_newer_version_no_longer_takes_fall_back_to_its_defaults() -> None:
    given = {"count": 9, "colour": "red", "prompts": {"nope": "Hi"}, "instructions": "Gently"}
    assert engine.fit_params(TEMPLATE, given) == {"instructions": "Gently"}
    flow = engine.compile_flow(TEMPLATE, given)
    assert flow.intro.startswith("Gently")
    assert engine.compile_flow(TEMPLATE, {"count": 2}).params["count"] == 2


def test_tailoring_changes_wording_and_adds_instructions() -> None:
    flow = engine.compile_flow(
        TEMPLATE, {"instructions": "Think of Monday.", "prompts": {"feeling": "How was Monday?"}}
    )
    turn = engine.begin(flow)
    assert turn.says == ("Think of Monday.\n\nLet's begin.",)
    assert turn.question is not None and turn.question.text == "How was Monday?"


def test_begin_says_intro_and_first_question(flow: engine.Flow) -> None:
    turn = engine.begin(flow)
    assert turn.says == ("Let's begin.",)
    assert turn.question is not None
    assert (turn.question.number, turn.question.total) == (1, 8)
    assert turn.question.text == "What did you feel?"
    assert not turn.question.can_go_back
    assert turn.state.at == "feeling"


def test_prompt_uses_earlier_answer(flow: engine.Flow) -> None:
    turn = run(flow, Text("  sad  "))
    assert turn.question is not None
    assert turn.question.text == "How strong was sad?"
    assert [b.value for b in turn.question.buttons[0]] == ["0", "10", "20", "30", "40", "50"]


@pytest.mark.parametrize("typed", ["very", "101", "-1"])
def test_bad_scale_input_asks_again_and_keeps_answers(flow: engine.Flow, typed: str) -> None:
    turn = run(flow, Text("sad"), Text(typed))
    assert turn.says == (note("need_scale", min=0, max=100),)
    assert turn.question is not None and turn.question.position == 1
    assert turn.state.answers == {"feeling": "sad"}


def test_scale_accepts_typed_and_pressed_numbers(flow: engine.Flow) -> None:
    assert run(flow, Text("sad"), Text("73%")).state.answers["before"] == 73
    assert run(flow, Text("sad"), Press(1, "40")).state.answers["before"] == 40


def test_stale_button_is_refused(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Press(1, "40"))
    assert turn.says == (note("earlier_button"),)
    assert turn.state.answers["before"] == 70
    assert turn.state.at == "traps"


def test_too_long_and_empty_text(flow: engine.Flow) -> None:
    turn = run(flow, Text("x" * 5000))
    assert turn.says == (note("too_long", length=5000, limit=2000),)
    assert turn.state.at == "feeling" and turn.state.answers == {}
    assert run(flow, Text("   ")).says == (note("empty_text"),)


def test_media_is_explained_where_words_are_asked(flow: engine.Flow) -> None:
    turn = run(flow, Media("sticker"))
    assert turn.says == (note("wrong_kind", what="sticker", need="needs_text"),)
    assert turn.state.at == "feeling"


def test_multiple_choice_toggles_then_done(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Press(2, "mind_reading"), Press(2, "all_or_nothing"))
    assert turn.state.selection == ("all_or_nothing", "mind_reading")
    assert turn.question is not None
    assert turn.question.buttons[0][0].label == "✓ 1. All-or-nothing"
    turn = engine.advance(flow, turn.state, Press(2, "mind_reading"))
    assert turn.state.selection == ("all_or_nothing",)
    turn = engine.advance(flow, turn.state, Press(2, DONE))
    assert turn.state.answers["traps"] == ["all_or_nothing"]
    assert turn.state.at == "mood"


def test_multiple_choice_typed(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Text("3, mind reading"))
    assert turn.state.answers["traps"] == ["mind_reading", "catastrophising"]
    bad = run(flow, Text("sad"), Text("70"), Text("1, purple"))
    assert bad.says[0] == note(
        "unmatched_option",
        part="purple",
        options="1. All-or-nothing; 2. Mind reading; 3. Catastrophising",
    )


def test_single_choice_by_number_or_label(flow: engine.Flow) -> None:
    base = (Text("sad"), Text("70"), Skip())
    assert run(flow, *base, Text("2")).state.answers["mood"] == "mind_reading"
    assert run(flow, *base, Text("all-or-nothing")).state.answers["mood"] == "all_or_nothing"
    assert run(flow, *base, Text("7")).state.at == "mood"


def test_skip_only_optional(flow: engine.Flow) -> None:
    turn = run(flow, Skip())
    assert turn.says == (note("cannot_skip"),)
    turn = run(flow, Text("sad"), Text("70"), Skip())
    assert turn.state.at == "mood" and "traps" not in turn.state.answers


def test_back_shows_previous_answer_and_replaces_it(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Back())
    assert turn.question is not None and turn.question.position == 1
    assert turn.question.previous == "70"
    turn = engine.advance(flow, turn.state, Text("30"))
    assert turn.state.answers["before"] == 30 and turn.state.at == "traps"
    assert run(flow, Back()).says == (note("first_question"),)


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
    assert engine.digest_line(flow, turn.state.answers) == "sad 70 · a walk — sunny; tea with Sam"
    assert engine.advance(flow, turn.state, Text("more")).state.phase == "done"


def test_group_prompt_uses_round_and_sibling(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Skip(), Text("1"), Text("a walk"))
    assert turn.question is not None and turn.question.text == "Why did a walk happen?"
    turn = engine.advance(flow, turn.state, Skip())
    assert turn.question is not None and turn.question.text == "Good thing 2 of 2?"


def test_state_round_trips_through_json_and_reads_the_first_engines(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Press(2, "mind_reading"))
    assert State.from_json(turn.state.to_json()) == turn.state
    old = {"position": 2, "answers": {"feeling": "sad", "before": 70}, "trail": [0, 1]}
    moved = State.from_json(old, flow)
    assert (moved.at, moved.trail, moved.phase) == ("traps", ("feeling", "before"), "asking")
    with pytest.raises(ValueError, match="damaged"):
        State.from_json({"position": "x"}, flow)


def test_a_long_message_cut_into_parts_keeps_neither_part(flow: engine.Flow) -> None:
    turn = run(flow, Text("x" * 3701, sent_at=1000.0))
    assert turn.state.split_at == 1000.0
    tail = engine.advance(flow, turn.state, Text("y" * 37, sent_at=1000.0))
    assert tail.state.answers == {} and tail.says == (note("rest_of_long"),)
    later = engine.advance(flow, tail.state, Text("sad", sent_at=1060.0))
    assert later.state.answers == {"feeling": "sad"} and later.state.split_at is None


def test_a_short_answer_typed_seconds_after_a_refused_long_message_is_an_answer(
    flow: engine.Flow,
) -> None:
    # Handled three seconds after it was sent (a busy moment): parts sent before then are
    # the rest of it, however short; words sent after the refusal are an answer.
    turn = run(flow, Text("x" * 3701, sent_at=1000.0, received_at=1003.0))
    part = engine.advance(flow, turn.state, Text("y", sent_at=1002.0))
    assert part.state.answers == {} and part.says == (note("rest_of_long"),)
    soon = engine.advance(flow, turn.state, Text("sad", sent_at=1006.0))
    assert soon.state.answers == {"feeling": "sad"}


def test_a_retry_sent_later_is_an_answer_even_if_handled_at_once(flow: engine.Flow) -> None:
    turn = run(flow, Text("x" * 2100, sent_at=100.0), Text("sad", sent_at=160.0))
    assert turn.state.answers == {"feeling": "sad"}


def test_option_labels_with_and_or_quotes_can_be_typed() -> None:
    flow = engine.compile_flow(load_library()["thought_record"], {})
    at = next(s for s in flow.steps if getattr(s.spec, "multiple", False))
    state = State(at=at.key, answers={})
    whole = engine.advance(flow, state, Text("personalising and blame"))
    assert whole.state.answers[at.key] == ["personalising"]
    typed = engine.advance(flow, state, Text('"should" statements, mind reading'))
    assert engine.answer_text(at, typed.state.answers[at.key]) == (
        "Mind reading, “Should” statements"
    )


# Conditions, routes, review, follow-ups, measures: what engine version 2 brings.
BRANCHY = yaml("""
    id: branchy
    version: 1
    title: Branchy
    steps:
      - {id: did_it, kind: yes_no, prompt: "Did you do it?",
         next: [{when: {step: did_it, is: no}, goto: why_not}]}
      - {id: how, kind: scale, prompt: "How did it go?", max: 10}
      - {id: proud, kind: text, prompt: "What are you proud of?", when: {step: how, at_least: 7},
         next: end}
      - {id: why_not, kind: text, prompt: "What got in the way?"}
    """)


def test_a_route_and_a_condition_choose_the_path() -> None:
    flow = engine.compile_flow(BRANCHY)
    no = run(flow, Text("no"))
    assert no.state.at == "why_not"
    yes_low = run(flow, Text("yes"), Text("3"))
    assert yes_low.state.at == "why_not"  # proud is asked only at 7 or more
    yes_high = run(flow, Text("y"), Press(1, "9"))
    assert yes_high.state.at == "proud"
    done = engine.advance(flow, yes_high.state, Text("I went"))
    assert done.review is not None  # `next: end` skips why_not


def test_review_saves_or_changes_an_answer() -> None:
    flow = engine.compile_flow(BRANCHY)
    turn = run(flow, Text("no"), Text("too tired"))
    assert turn.review is not None and turn.state.phase == "review"
    assert turn.review.lines == (("Did it", "No"), ("Why not", "too tired"))
    choosing = engine.advance(flow, turn.state, Text("change"))
    assert choosing.says == () and choosing.review is not None and choosing.review.choosing
    editing = engine.advance(flow, choosing.state, Text("2"))
    assert editing.question is not None and editing.question.previous == "too tired"
    assert editing.question.from_review  # /back keeps it as it was (not "changes the last")
    by_label = engine.advance(flow, choosing.state, Text("why not"))
    assert by_label.question is not None and by_label.question.previous == "too tired"
    by_button_words = engine.advance(flow, choosing.state, Text("1. did it"))
    assert by_button_words.question is not None and by_button_words.state.at == "did_it"
    unknown = engine.advance(flow, choosing.state, Text("the weather"))
    assert unknown.review is not None and unknown.review.choosing
    back = engine.advance(flow, editing.state, Text("the rain"))
    assert back.says == (note("review_changed"),) and back.review is not None
    saved = engine.advance(flow, back.state, Press(flow.review_position, "save"))
    assert saved.finished and dict(saved.summary)["Why not"] == "the rain"


def test_changing_an_answer_that_opens_new_steps_asks_them() -> None:
    flow = engine.compile_flow(BRANCHY)
    turn = run(flow, Text("no"), Text("too tired"), Text("change"), Text("1"), Text("yes"))
    assert turn.state.at == "how" and turn.question is not None


FOLLOWING = yaml("""
    id: experiment
    version: 1
    title: Experiment
    review: false
    steps:
      - {id: belief, kind: text, prompt: "What do you believe?"}
      - {id: day, kind: date, prompt: "When will you test it?"}
      - {id: wait, kind: follow_up, prompt: Good luck! I'll check back after., after_step: day}
      - {id: outcome, kind: text, prompt: "What happened?"}
    """)


def test_a_follow_up_waits_for_its_day_then_goes_on() -> None:
    flow = engine.compile_flow(FOLLOWING)
    today = date(2026, 11, 21)
    turn = run(flow, Text("They'll laugh"), Text("tomorrow", today=today))
    assert turn.state.phase == "waiting" and turn.state.at == "wait"
    assert turn.waiting == engine.FollowUp(day="2026-11-23")
    assert turn.says == ("Good luck! I'll check back after.",)
    assert engine.advance(flow, turn.state, Text("early")).state.phase == "waiting"
    resumed = engine.resume(flow, turn.state)
    assert resumed.question is not None and resumed.question.text == "What happened?"
    assert run(flow, Text("x"), Text("yesterday", today=today)).says == (note("need_date"),)


PHQ = yaml("""
    id: mini_measure
    version: 1
    title: Mini measure
    review: false
    steps:
      - id: one
        kind: choice
        prompt: One
        options:
          - {value: a, label: Not at all, points: 0}
          - {value: b, label: Several days, points: 1}
      - id: two
        kind: choice
        prompt: Two
        options:
          - {value: a, label: Not at all, points: 0}
          - {value: b, label: Several days, points: 1}
    score:
      name: Mini
      items: [one, two]
      bands: [{max: 0, label: None}, {max: 2, label: Some}]
      alerts: [{step: two, at_least: 1, reason: Item two}]
    """)


def test_a_measure_scores_and_an_item_raises_a_flag_at_once() -> None:
    flow = engine.compile_flow(PHQ)
    first = run(flow, Text("1"))
    assert first.effects == ()
    second = engine.advance(flow, first.state, Text("1"))
    assert engine.RaiseFlag(reason="Item two", excerpt="Two: Several days") in second.effects
    assert engine.Scored(name="Mini", total=2, band="Some") in second.effects


def test_a_photo_is_kept_and_words_are_refused_where_a_photo_is_asked() -> None:
    flow = engine.compile_flow(
        yaml("""
        id: art
        version: 1
        title: Art
        review: false
        steps:
          - {id: picture, kind: photo, prompt: Send a photo of it}
        """)
    )
    assert run(flow, Text("here")).says == (note("need_photo"),)
    turn = run(flow, Media("photo", file_id="abc", unique_id="u1"))
    assert engine.KeepPhoto(key="picture", file_id="abc") in turn.effects
    assert turn.summary == (("Picture", "(a photo)"),)


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("20", 20), ("20 min", 20), ("20 minutes", 20), ("1h", 60), ("1 h 30", 90),
     ("1h 30m", 90), ("1.5 hours", 90), ("1:30", 90), ("2 horas y 10 minutos", 130),
     ("media hora", 30), ("un cuarto de hora", 15), ("una hora y media", 90),
     ("2 horas y media", 150), ("half an hour", 30), ("an hour", 60), ("unos 45 minutos", 45),
     ("un rato", None)],
)  # fmt: skip
def test_durations_as_people_write_them(typed: str, minutes: int | None) -> None:
    from conversations.kinds.duration import parse_minutes

    assert parse_minutes(typed) == minutes


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("19:30", "19:30"), ("7pm", "19:00"), ("7.30 am", "07:30"), ("12am", "00:00"),
     ("25:00", None), ("soon", None)],
)  # fmt: skip
def test_times_as_people_write_them(typed: str, expected: str | None) -> None:
    from conversations.kinds.time_of_day import parse_time

    assert parse_time(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("today", date(2026, 11, 21)), ("tomorrow", date(2026, 11, 22)),
     ("mañana", date(2026, 11, 22)), ("friday", date(2026, 11, 27)),
     ("in 3 days", date(2026, 11, 24)), ("2026-12-05", date(2026, 12, 5)), ("whenever", None)],
)  # fmt: skip
def test_days_as_people_write_them(typed: str, expected: date | None) -> None:
    from conversations.kinds.date import parse_day

    assert parse_day(typed, date(2026, 11, 21)) == expected  # a Saturday


CHAINED = yaml("""
    id: chained
    version: 1
    title: Chained
    steps:
      - {id: used, kind: yes_no, prompt: "Used any?"}
      - {id: which, kind: choice, prompt: "Which?", multiple: true,
         when: {step: used, is: yes},
         options: [{value: avoid, label: Avoiding}, {value: hold, label: Holding}]}
      - {id: why, kind: text, prompt: "Why avoid?", when: {step: which, includes: avoid}}
      - {id: last, kind: text, prompt: "Anything else?"}
    """)


def test_an_answer_only_a_left_branch_made_relevant_is_not_saved() -> None:
    flow = engine.compile_flow(CHAINED)
    turn = run(flow, Text("yes"), Text("avoid"), Text("because"), Text("end"))
    assert turn.review is not None
    for value in ("change", str(flow.index_of("used"))):
        turn = engine.advance(flow, turn.state, Press(flow.review_position, value))
    turn = engine.advance(flow, turn.state, Text("no"))
    assert turn.review is not None
    turn = engine.advance(flow, turn.state, Press(flow.review_position, "save"))
    assert dict(turn.state.answers) == {"used": False, "last": "end"}


def test_a_first_engine_state_past_a_follow_up_keeps_its_second_part() -> None:
    flow = engine.compile_flow(load_library()["behavioural_experiment"])
    answers = {
        "belief": "People will laugh",
        "belief_before": 80,
        "prediction": "Someone laughs",
        "plan": "Ask a question",
        "day": "2026-11-23",
        "outcome": "Nobody laughed",
    }
    # Stored before follow-ups joined the trail: the follow-up is not in it.
    trail = ["belief", "belief_before", "prediction", "plan", "problems", "day", "outcome"]
    stored = {"v": 2, "at": "learned", "phase": "asking", "answers": answers, "trail": trail}
    state = engine.State.from_json(stored)
    turn = engine.advance(flow, state, Text("One question is fine"))
    turn = engine.advance(flow, turn.state, Text("30"))
    assert turn.review is not None
    turn = engine.advance(flow, turn.state, Press(flow.review_position, "save"))
    assert turn.finished
    assert {"outcome", "learned", "belief_after", "belief"} <= set(turn.state.answers)


def test_a_sticker_at_an_info_step_goes_on_by_one_step_only() -> None:
    flow = engine.compile_flow(
        yaml("""
        id: infos
        version: 1
        title: Infos
        steps:
          - {id: read, kind: info, prompt: "Read this"}
          - {id: breathe, kind: info, prompt: "Breathe", pace: {inhale: 4, exhale: 6}}
          - {id: felt, kind: text, prompt: "How was it?"}
        """)
    )
    turn = engine.advance(flow, engine.begin(flow).state, Media("sticker"))
    assert turn.state.at == "breathe"
    assert [type(e).__name__ for e in turn.effects] == ["Breathe"]


def test_a_route_to_a_group_goes_to_its_first_question() -> None:
    flow = engine.compile_flow(
        yaml("""
        id: to_group
        version: 1
        title: To a group
        steps:
          - {id: ok, kind: yes_no, prompt: "Okay?", next: [{when: {step: ok, is: no}, goto: why}]}
          - {id: extra, kind: text, prompt: "Extra"}
          - id: why
            kind: group
            repeat: 2
            steps:
              - {id: reason, kind: text, prompt: "Reason {n}?"}
        """)
    )
    turn = run(flow, Text("no"))
    assert turn.state.at == "why.1.reason"


def test_typed_picks_join_the_tapped_ones_but_replace_an_earlier_answer(
    flow: engine.Flow,
) -> None:
    turn = run(flow, Text("sad"), Text("70"), Press(2, "mind_reading"), Text("3"))
    assert turn.state.answers["traps"] == ["mind_reading", "catastrophising"]
    again = engine.advance(flow, turn.state, engine.Back())
    assert again.state.selection == ("mind_reading", "catastrophising")
    changed = engine.advance(flow, again.state, Text("1"))
    assert changed.state.answers["traps"] == ["all_or_nothing"]


def test_a_near_miss_is_read_but_never_for_a_measure() -> None:
    phq9 = engine.compile_flow(load_library()["phq9"], {})
    step = next(s for s in phq9.steps if getattr(s.spec, "options", None))
    first = engine.begin(phq9)
    while first.question is not None and first.question.kind != "choice":
        first = engine.advance(phq9, first.state, Text("x"))
    assert step.spec.kind == "choice"
    turn = engine.advance(phq9, first.state, Text("nearly everyday"))
    assert step.key not in turn.state.answers  # asked again, not guessed


TYPED_BUTTONS = yaml("""
    id: typed_buttons
    version: 1
    title: Typed buttons
    steps:
      - {id: calm, kind: scale, prompt: "How calm?", min: -3, max: 3, optional: true}
      - id: went
        kind: yes_no
        prompt: "Did you go?"
        yes_label: "Sí, lo hice"
        no_label: "Not yet"
      - id: what
        kind: choice
        prompt: What helped?
        multiple: true
        options:
          - {value: walk, label: A walk}
          - {value: skip, label: Skip it}
      - {id: words, kind: text, prompt: "Anything else?", optional: true}
    review: false
    """)


def test_a_buttons_own_words_typed_press_it_but_never_an_option_of_several() -> None:
    flow = engine.compile_flow(TYPED_BUTTONS, {})
    notes = {"button_skip": "Skip", "button_done": "Done"}
    spanish = {"Skip": "Saltar", "Done": "Hecho"}

    def shown(label: str | Note) -> list[str]:
        english = label if isinstance(label, str) else notes[label.id]
        return [spanish.get(english, english), english]

    def typed(state: State, text: str) -> engine.Turn:
        return engine.advance(flow, state, Text(text), shown)

    start = engine.begin(flow).state
    # A number is the question's own answer, never a button: "2" is 2, not the "-2" button.
    assert typed(start, "2").state.answers["calm"] == 2
    assert typed(start, "-2").state.answers["calm"] == -2
    for words in (" SKIP! ", "saltar"):
        went = typed(start, words).state
        assert went.at == "went" and "calm" not in went.answers
    assert typed(start, "skip this one").state.at == "calm"  # asked again
    # A yes/no question's own labels, accents aside.
    assert typed(went, "si lo hice").state.answers["went"] is True
    assert typed(went, "not yet").state.answers["went"] is False
    several = typed(went, "yes").state
    # An option of several typed is a pick in a list, not a tap; the Done button's words
    # (in Spanish too) finish what was tapped.
    assert typed(several, "Skip it").state.answers["what"] == ["skip"]
    tapped = engine.advance(flow, several, Press(2, "walk")).state
    assert typed(tapped, "hecho").state.answers["what"] == ["walk"]
    # "skip", "saltar" or "omitir" alone is /skip, even where words are the answer...
    last = typed(tapped, "hecho").state
    for words in ("skip", "Omitir.", "saltar"):
        skipped = typed(last, words)
        assert skipped.finished and "words" not in skipped.state.answers
    assert typed(last, "saltar a la piscina").state.answers["words"] == "saltar a la piscina"
    # Where a question can't be skipped, it says so instead of keeping the word.
    assert run(flow, Skip(), Text("omitir")).says == (note("cannot_skip"),)
    # "atrás" alone is /back.
    assert typed(last, "Atrás").state.at == "what"


def test_a_buttons_words_in_the_rest_of_a_long_message_are_not_a_press() -> None:
    flow = engine.compile_flow(TYPED_BUTTONS, {})
    last = run(flow, Skip(), Text("yes"), Text("a walk")).state
    assert last.at == "words"
    refused = engine.advance(flow, last, Text("x" * 5000, sent_at=100.0, received_at=100.5))
    rest = engine.advance(flow, refused.state, Text("Skip", sent_at=100.0), lambda _: ["Skip"])
    assert rest.says == (note("rest_of_long"),) and "words" not in rest.state.answers


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("sí, un poco", True),
        ("Claro", True),
        ("sip", True),
        ("no, gracias", False),
        ("No gracias", False),
        ("todavía no", False),
        ("no sé", None),  # not a no: asked again
        ("no, sí lo hice", None),
        ("sí, pero no", None),
        ("no, bueno, un poco", None),
    ],
)
def test_yes_and_no_as_people_say_them(typed: str, answer: bool | None) -> None:
    flow = engine.compile_flow(TYPED_BUTTONS, {})
    went = run(flow, Skip()).state
    turn = engine.advance(flow, went, Text(typed))
    assert turn.state.answers.get("went") is answer


def test_a_measures_answer_typed_without_its_accents_is_read() -> None:
    phq9 = engine.compile_flow(load_library()["phq9"], {}, language="es")
    first = engine.begin(phq9)
    while first.question is not None and first.question.kind != "choice":
        first = engine.advance(phq9, first.state, Text("x"))
    assert first.question is not None
    key = phq9.steps[first.question.position].key
    assert engine.advance(phq9, first.state, Text("ningun dia")).state.answers[key] == "not_at_all"
    turn = engine.advance(phq9, first.state, Text("casi todos los dias"))
    assert turn.state.answers[key] == "nearly_every_day"


def test_none_of_the_options_passes_an_optional_several_answer_question(flow: engine.Flow) -> None:
    turn = run(flow, Text("sad"), Text("70"), Text("ninguna"))
    assert turn.state.at == "mood" and "traps" not in turn.state.answers


@pytest.mark.parametrize(
    ("typed", "answer"),
    [("7", 7), ("about 7", 7), ("un 6", 6), ("6/10", 6), ("6 de 10", 6), ("70%", None),
     ("6/100", None), ("between 6 and 7", None)],
)  # fmt: skip
def test_a_scale_answer_as_people_write_it(typed: str, answer: int | None) -> None:
    scale = engine.compile_flow(
        yaml("""
        id: scaled
        version: 1
        title: Scaled
        steps:
          - {id: mood, kind: scale, prompt: "Mood?", min: 0, max: 10}
        review: false
        """),
        {},
    )
    turn = engine.advance(scale, engine.begin(scale).state, Text(typed))
    assert turn.state.answers.get("mood") == answer


NEGATIVE_AND_NAMED = yaml("""
    id: review_cases
    version: 1
    title: Review cases
    steps:
      - {id: calm, kind: scale, prompt: "How calm?", min: -3, max: 3, optional: true}
      - id: where
        kind: choice
        prompt: Where did it hurt?
        options:
          - {value: back, label: Back pain}
          - {value: skipped, label: Skip breakfast}
      - id: helped
        kind: choice
        prompt: What helped?
        multiple: true
        options:
          - {value: walk, label: A walk}
          - {value: none, label: None of these}
      - {id: body, kind: text, prompt: "What did you notice in your body?"}
    review: false
    """)


@pytest.mark.parametrize("typed", ["+2", "2.", "2!", "(2)", "“2”"])
def test_a_scale_number_never_turns_into_a_negative_button(typed: str) -> None:
    flow = engine.compile_flow(NEGATIVE_AND_NAMED, {})
    turn = engine.advance(flow, engine.begin(flow).state, Text(typed), lambda label: [str(label)])
    assert turn.state.answers.get("calm") in (2, None)  # read as 2, or asked again


def test_skip_and_back_words_never_take_an_options_words_or_a_real_answer() -> None:
    flow = engine.compile_flow(NEGATIVE_AND_NAMED, {})
    where = run(flow, Skip()).state
    assert engine.advance(flow, where, Text("skip")).state.answers["where"] == "skipped"
    assert engine.advance(flow, where, Text("back")).state.answers["where"] == "back"
    helped = engine.advance(flow, where, Text("back")).state
    assert engine.advance(flow, helped, Text("None of these")).state.answers["helped"] == ["none"]
    body = engine.advance(flow, helped, Text("a walk")).state
    assert engine.advance(flow, body, Text("back")).state.answers["body"] == "back"
