"""The safety plan's steps as /plan and a crisis reply show them: in the plan's order, each
with its heading and the client's own words, steps left empty left out."""

from __future__ import annotations

import re
from html import unescape

import pytest

from bot.i18n import tr, wording
from bot.plan import OWN_STEPS, PLAN, STEPS, plan_steps, plan_text
from conversations import engine
from conversations.engine import Press, Skip, Text
from conversations.kinds.base import Answer
from conversations.kinds.text import TextStep
from conversations.templates import load_library

TEMPLATE = load_library()[PLAN]
WORDS: dict[str, Answer] = {
    "warning_signs": "I stop answering messages",
    "coping": "A hot shower, then music",
    "distraction": "The library on Elm Fake Street",
    "people": "Sam Fakename, 555-0100",
    "professionals": "Dr Fake Therapist, 555-0199",
    "safer": "Give my car keys to Sam",
    "reasons": "My cat Biscuit",
}


def flow(language: str = "en") -> engine.Flow:
    return engine.compile_flow(TEMPLATE, {}, language=language, wording=wording(language))


def test_the_template_has_the_steps_the_plan_reads_in_the_order_of_stanley_and_brown() -> None:
    assert [step.key for step in flow().steps] == list(STEPS)
    assert STEPS[1:5] == OWN_STEPS
    assert all(step.spec.kind == "text" for step in flow().steps)


def test_every_step_is_shown_in_the_plans_order_with_its_heading() -> None:
    backwards = dict(reversed(list(WORDS.items())))
    shown = plan_steps(flow(), backwards)
    assert shown == [
        ("My warning signs", "I stop answering messages"),
        ("Things I can do on my own", "A hot shower, then music"),
        ("People and places that take my mind off things", "The library on Elm Fake Street"),
        ("People I can ask for help", "Sam Fakename, 555-0100"),
        ("Professionals and crisis lines", "Dr Fake Therapist, 555-0199"),
        ("Making my surroundings safer", "Give my car keys to Sam"),
        ("My reasons for living", "My cat Biscuit"),
    ]


def test_steps_left_empty_are_left_out() -> None:
    some = {k: v for k, v in WORDS.items() if k not in ("distraction", "safer")}
    shown = [heading for heading, _ in plan_steps(flow(), some)]
    assert shown == [
        "My warning signs",
        "Things I can do on my own",
        "People I can ask for help",
        "Professionals and crisis lines",
        "My reasons for living",
    ]
    assert plan_steps(flow(), {}) == []


def test_own_steps_are_steps_two_to_five_in_order() -> None:
    shown = plan_steps(flow(), WORDS, only=OWN_STEPS)
    assert [words for _, words in shown] == [
        "A hot shower, then music",
        "The library on Elm Fake Street",
        "Sam Fakename, 555-0100",
        "Dr Fake Therapist, 555-0199",
    ]
    without_people = {k: v for k, v in WORDS.items() if k != "people"}
    assert "People I can ask for help" not in dict(
        plan_steps(flow(), without_people, only=OWN_STEPS)
    )


def test_headings_are_in_the_clients_language_and_their_words_stay_theirs() -> None:
    shown = plan_steps(flow("es"), WORDS, only=OWN_STEPS)
    assert [heading for heading, _ in shown] == [
        "Lo que puedo hacer por mi cuenta",
        "Personas y lugares que me distraen",
        "Personas a las que puedo pedir ayuda",
        "Profesionales y líneas de crisis",
    ]
    assert shown[0][1] == "A hot shower, then music"


def test_a_plan_walked_with_skips_keeps_only_what_was_written() -> None:
    plan = flow()
    turn = engine.begin(plan)
    events: list[engine.Event] = [
        Text("I stop answering messages"),
        Text("A hot shower"),
        Skip(),
        Text("Sam Fakename, 555-0100"),
        Skip(),
        Skip(),
        Text("My cat Biscuit"),
    ]
    for event in events:
        turn = engine.advance(plan, turn.state, event)
    assert turn.review is not None
    turn = engine.advance(plan, turn.state, Press(plan.review_position, "save"))
    assert turn.finished
    assert [h for h, _ in plan_steps(plan, turn.state.answers)] == [
        "My warning signs",
        "Things I can do on my own",
        "People I can ask for help",
        "My reasons for living",
    ]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_longest_plan_fits_in_one_telegram_message(language: str) -> None:
    plan = flow(language)
    limits = {s.key: s.spec.max_length for s in plan.steps if isinstance(s.spec, TextStep)}
    assert len(limits) == len(STEPS) and max(limits.values()) <= 500
    longest: dict[str, Answer] = {key: ("é&<" * limit)[:limit] for key, limit in limits.items()}
    heading = tr(language, "Your {title}, saved {day}:", title=plan.title, day="mié 30 sept")
    footer = tr(
        language,
        "/sos shows crisis lines any time. Your therapist can help you go over your plan "
        "and change it.",
    )
    html = plan_text(heading, plan_steps(plan, longest), footer)
    assert len(unescape(re.sub(r"<[^>]+>", "", html))) <= 4096
    assert html.count("<b>") == len(STEPS) + 1
    assert "&lt;" in html and "<<" not in html  # their words are escaped, never markup
