"""Every built-in homework, walked to the end; random events never crash or lose an answer;
the measures score exactly as their published manuals say."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations import engine
from conversations.engine import Back, Media, Press, Skip, Text
from conversations.kinds.base import Button
from conversations.notes import note
from conversations.templates import load_library

LIBRARY = load_library()
TODAY = date(2026, 11, 21)
PRODUCT_KINDS = {
    "thought_record", "gratitude", "journal", "mindfulness_log", "behavioural_experiment",
    "exposure_log", "reading", "communication", "goal_steps", "self_compassion", "creative",
    "mood_monitoring", "affirmations", "phq9", "gad7", "safety_plan",
}  # fmt: skip


def test_the_library_holds_every_kind_of_homework_in_the_product() -> None:
    assert set(LIBRARY) == PRODUCT_KINDS


def answer_for(flow: engine.Flow, turn: engine.Turn) -> list[engine.Event]:
    """Plausible answers to whatever the turn shows (a multiple choice: a pick, then Done)."""
    if turn.review is not None:
        return [Press(flow.review_position, "save")]
    question = turn.question
    assert question is not None
    step = flow.steps[question.position]
    kind = step.spec.kind
    if kind == "photo":
        return [Media("photo", file_id="file-1", unique_id="u-1")]
    typed = {
        "text": "Some words",
        "number": "7",
        "time": "19:30",
        "date": "tomorrow",
        "duration": "20 min",
        "yes_no": "yes",
    }
    if kind in typed:
        return [Text(typed[kind], today=TODAY)]
    first: Button = question.buttons[0][0]
    if kind == "choice" and getattr(step.spec, "multiple", False):
        return [Press(question.position, first.value), Press(question.position, "done")]
    return [Press(question.position, first.value)]


def walk(flow: engine.Flow) -> tuple[engine.Turn, list[engine.Turn]]:
    turns = [engine.begin(flow)]
    for _ in range(200):
        turn = turns[-1]
        if turn.finished:
            return turn, turns
        if turn.waiting is not None:
            turns.append(engine.resume(flow, turn.state))
            continue
        for event in answer_for(flow, turn):
            turns.append(engine.advance(flow, turns[-1].state, event))
        refused = turns[-1].question == turn.question and turns[-1].says
        assert not refused, (flow.template_id, turns[-1].says)
    raise AssertionError(f"{flow.template_id} did not finish")


@pytest.mark.parametrize("template_id", sorted(PRODUCT_KINDS))
def test_every_builtin_walks_to_the_end(template_id: str) -> None:
    flow = engine.compile_flow(LIBRARY[template_id])
    last, turns = walk(flow)
    assert last.finished and last.summary
    assert engine.digest_line(flow, last.state.answers).strip(" .,:;()·→-")
    assert all(t.says is not None for t in turns)


def test_mood_check_takes_five_taps() -> None:
    flow = engine.compile_flow(LIBRARY["mood_monitoring"])
    turn = engine.begin(flow)
    taps = 0
    while not turn.finished:
        assert turn.question is not None
        values = [b.value for row in turn.question.buttons for b in row]
        value = "6" if "6" in values else ("done" if "done" in values else engine.SKIP)
        turn = engine.advance(flow, turn.state, Press(turn.question.position, value))
        taps += 1
    assert taps == 5


def test_a_follow_up_part_waits_then_asks_the_rest() -> None:
    flow = engine.compile_flow(LIBRARY["behavioural_experiment"])
    turn = engine.begin(flow)
    while turn.waiting is None:
        for event in answer_for(flow, turn):
            turn = engine.advance(flow, turn.state, event)
    assert turn.waiting == engine.FollowUp(day="2026-11-23")  # the day after tomorrow's test
    resumed = engine.resume(flow, turn.state)
    assert resumed.question is not None and "What actually happened?" in resumed.question.text


def test_paced_breathing_is_an_effect_when_chosen() -> None:
    flow = engine.compile_flow(LIBRARY["mindfulness_log"])
    yes = engine.advance(flow, engine.begin(flow).state, Text("yes"))
    assert engine.Breathe(inhale=4, hold=2, exhale=6, rounds=5) in yes.effects
    no = engine.advance(flow, engine.begin(flow).state, Text("no"))
    assert not no.effects and no.question is not None and "practice" in no.question.text


# The measures, against their published tables.
def measure_total(template_id: str, points: list[int]) -> engine.Turn:
    flow = engine.compile_flow(LIBRARY[template_id])
    turn = engine.begin(flow)
    for value in points:
        assert turn.question is not None
        turn = engine.advance(flow, turn.state, Text(str(value)))  # numbered 0-3, as scored
    turn = engine.advance(flow, turn.state, Skip())  # the difficulty question is optional
    return engine.advance(flow, turn.state, Text("save"))


PHQ9_BANDS = [
    (0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
    (14, "Moderate"), (15, "Moderately severe"), (19, "Moderately severe"), (20, "Severe"),
    (27, "Severe"),
]  # fmt: skip
GAD7_BANDS = [
    (0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
    (14, "Moderate"), (15, "Severe"), (21, "Severe"),
]  # fmt: skip


def spread(total: int, items: int) -> list[int]:
    """Answers (0-3 each) adding up to `total`, item 9 kept at 0 where possible."""
    points = []
    for _ in range(items):
        value = min(3, total)
        points.append(value)
        total -= value
    return points


@pytest.mark.parametrize(("total", "band"), PHQ9_BANDS)
def test_phq9_totals_and_bands(total: int, band: str) -> None:
    turn = measure_total("phq9", spread(total, 9))
    assert turn.finished
    assert engine.Scored(name="PHQ-9", total=total, band=band) in turn.effects


@pytest.mark.parametrize(("total", "band"), GAD7_BANDS)
def test_gad7_totals_and_bands(total: int, band: str) -> None:
    turn = measure_total("gad7", spread(total, 7))
    assert engine.Scored(name="GAD-7", total=total, band=band) in turn.effects


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_item_9_above_0_raises_a_flag_whatever_the_total(item9: int) -> None:
    flow = engine.compile_flow(LIBRARY["phq9"])
    turn = engine.begin(flow)
    for _ in range(8):
        turn = engine.advance(flow, turn.state, Text("0"))  # "Not at all": total 0 so far
    turn = engine.advance(flow, turn.state, Text(str(item9)))
    flags = [e for e in turn.effects if isinstance(e, engine.RaiseFlag)]
    assert len(flags) == 1 and flags[0].reason == "PHQ-9 item 9"


def test_scored_options_are_numbered_by_their_points() -> None:
    flow = engine.compile_flow(LIBRARY["phq9"])
    turn = engine.begin(flow)
    assert turn.question is not None
    labels = [b.label for row in turn.question.buttons for b in row]
    assert labels[:4] == [
        "0. Not at all", "1. Several days", "2. More than half the days", "3. Nearly every day"
    ]  # fmt: skip
    turn = engine.advance(flow, turn.state, Text("1"))
    assert turn.state.answers["q1"] == "several_days"
    refused = engine.advance(flow, turn.state, Text("4"))
    assert refused.state.at == "q2" and refused.says


def test_phq9_item_9_at_0_raises_nothing_even_at_the_highest_other_scores() -> None:
    flow = engine.compile_flow(LIBRARY["phq9"])
    turn = engine.begin(flow)
    effects: list[engine.Effect] = []
    for typed in ["3"] * 8 + ["0"]:  # nearly every day, then item 9: not at all
        turn = engine.advance(flow, turn.state, Text(typed))
        effects += turn.effects
    assert not any(isinstance(e, engine.RaiseFlag) for e in effects)


def test_the_pfizer_attribution_is_kept() -> None:
    for template_id in ("phq9", "gad7"):
        source = LIBRARY[template_id].source
        assert "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke" in source
        assert "with an educational grant from Pfizer Inc." in source


# Random events: the engine never crashes, never loses a stored answer.
EVENTS = st.one_of(
    st.builds(Text, st.text(max_size=40), st.none(), st.just(TODAY)),
    st.builds(Text, st.sampled_from(["1", "2", "3", "yes", "no", "10", "save", "change", "done"])),
    st.builds(
        Press,
        st.integers(-1, 40),
        st.sampled_from(["1", "2", "yes", "no", "save", "change", "done", "-skip", "ok"]),
    ),
    st.builds(Media, st.sampled_from(["photo", "sticker", "voice"]), st.just("f"), st.just("u")),
    st.just(Skip()),
    st.just(Back()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template_id=st.sampled_from(sorted(PRODUCT_KINDS)), events=st.lists(EVENTS, max_size=40))
def test_random_events_never_crash_or_lose_an_answer(
    template_id: str, events: list[engine.Event]
) -> None:
    flow = engine.compile_flow(LIBRARY[template_id])
    turn = engine.begin(flow)
    for event in events:
        before = turn.state
        if turn.waiting is not None:
            turn = engine.resume(flow, before)
            continue
        turn = engine.advance(flow, before, event)
        after = turn.state
        # Only the question being answered may change; every other answer stays as it was.
        for key, value in before.answers.items():
            if key != before.at:
                assert after.answers.get(key) == value, (key, event)
        # What is stored can always be read back.
        assert engine.State.from_json(after.to_json(), flow) == after
        assert (
            turn.question is not None
            or turn.review is not None
            or turn.finished
            or (turn.waiting is not None)
        )
        if turn.finished:
            # What is saved is what the review showed: the answers on the path taken.
            assert dict(turn.state.answers) == engine.on_path(flow, turn.state)
            shown = dict(turn.summary or ())
            assert shown == dict(engine.summarize(flow, turn.state.answers))
            break


def test_answers_on_a_branch_left_by_a_change_are_not_saved() -> None:
    flow = engine.compile_flow(LIBRARY["exposure_log"])
    turn = engine.begin(flow)
    for typed in ["The lift at work", "40", "80", "30", "20 minutes", "yes", "Held my phone", "-"]:
        turn = engine.advance(flow, turn.state, Text(typed, today=TODAY))
    assert turn.review is not None
    assert ("Which", "Held my phone") in turn.review.lines
    turn = engine.advance(flow, turn.state, Press(flow.review_position, "change"))
    safety = flow.steps[flow.index_of("safety") or 0]
    turn = engine.advance(flow, turn.state, Press(flow.review_position, str(safety.index)))
    turn = engine.advance(flow, turn.state, Text("no"))
    assert turn.review is not None
    assert "Held my phone" not in str(turn.review.lines)
    turn = engine.advance(flow, turn.state, Press(flow.review_position, "save"))
    assert turn.finished
    assert "which" not in turn.state.answers
    assert "Held my phone" not in engine.digest_line(flow, turn.state.answers)
    # Changed back before saving, the earlier words come back with it.
    turn = engine.begin(flow)
    for typed in ["The lift at work", "40", "80", "30", "20 minutes", "yes", "Held my phone", "-"]:
        turn = engine.advance(flow, turn.state, Text(typed, today=TODAY))
    for value in ("change", str(safety.index)):
        turn = engine.advance(flow, turn.state, Press(flow.review_position, value))
    turn = engine.advance(flow, turn.state, Text("no"))
    for value in ("change", str(safety.index)):
        turn = engine.advance(flow, turn.state, Press(flow.review_position, value))
    turn = engine.advance(flow, turn.state, Text("yes"))
    assert turn.review is not None
    assert ("Which", "Held my phone") in turn.review.lines


def test_back_after_a_follow_up_does_not_plan_the_first_part_again() -> None:
    flow = engine.compile_flow(LIBRARY["behavioural_experiment"])
    turn = engine.begin(flow)
    events: list[engine.Event] = [
        Text("People will laugh if I ask a question"),
        Text("80"),
        Text("Someone will laugh"),
        Text("Ask one question on Monday"),
        Skip(),
        Text("monday", today=TODAY),
    ]
    for event in events:
        turn = engine.advance(flow, turn.state, event)
    assert turn.waiting is not None
    turn = engine.resume(flow, turn.state)
    assert turn.question is not None and turn.state.at == "outcome"
    turn = engine.advance(flow, turn.state, Back())
    assert turn.waiting is None and turn.state.phase == "asking"
    assert turn.state.at == "outcome"
    assert "before_follow_up" in str(turn.says)
    # Saved, the first part and the second are both there.
    for typed in ["Nobody laughed", "One question is fine", "30"]:
        turn = engine.advance(flow, turn.state, Text(typed))
    turn = engine.advance(flow, turn.state, Press(flow.review_position, "save"))
    assert turn.finished
    assert {"belief", "day", "outcome", "belief_after"} <= set(turn.state.answers)


def test_changing_an_answer_can_be_left_as_it_was() -> None:
    flow = engine.compile_flow(LIBRARY["exposure_log"])
    turn = engine.begin(flow)
    for typed in ["The lift at work", "40", "80", "30", "20 minutes", "no", "-"]:
        turn = engine.advance(flow, turn.state, Text(typed, today=TODAY))
    assert turn.review is not None
    before = turn.review.lines
    situation = flow.steps[flow.index_of("situation") or 0]
    for value in ("change", str(situation.index)):
        turn = engine.advance(flow, turn.state, Press(flow.review_position, value))
    assert turn.question is not None
    labels = [b.label for row in turn.question.buttons for b in row]
    assert note("button_keep") in labels
    kept = engine.advance(flow, turn.state, Press(turn.question.position, engine.KEEP))
    assert kept.review is not None and kept.review.lines == before
    back = engine.advance(flow, turn.state, Back())  # /back while changing: the review again
    assert back.review is not None and back.review.lines == before
