"""Loading and validating homework templates (typed models, checks by line), and the library."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conversations.engine import compile_flow, digest_line
from conversations.kinds import KINDS
from conversations.kinds.base import Answer
from conversations.templates import (
    Template,
    TemplateError,
    find_template,
    load_library,
    load_template,
    load_template_file,
    template_schema,
)


def yaml_text(text: str) -> str:
    """Dedented YAML whose first line is line 1."""
    return textwrap.dedent(text).lstrip("\n")


def problems(text: str) -> list[str]:
    """Every problem reported for a template, as the text a therapist reads."""
    with pytest.raises(TemplateError) as caught:
        load_template(yaml_text(text), filename="mine.yaml")
    assert caught.value.filename == "mine.yaml"
    return [str(problem) for problem in caught.value.problems]


HEADER = """
id: mine
version: 1
title: Mine
steps:
"""
"""Lines 1-4 of most examples below; the first step starts on line 5."""


def step_problems(steps: str, extra: str = "") -> list[str]:
    """Problems of a template whose steps (indented two spaces) start on line 5."""
    return problems(HEADER + textwrap.indent(yaml_text(steps), "  ") + yaml_text(extra))


def loaded(steps: str, extra: str = "") -> Template:
    return load_template(HEADER + textwrap.indent(yaml_text(steps), "  ") + yaml_text(extra))


# The built-in library.
def test_builtins_load_and_compile_with_their_defaults() -> None:
    library = load_library()
    assert {"thought_record", "gratitude"} <= set(library)
    for template in library.values():
        flow = compile_flow(template)
        assert flow.steps, template.id
        assert template.source.startswith("#"), "built-ins cite their sources at the top"


def test_thought_record_digest_reads_as_the_product_describes() -> None:
    flow = compile_flow(load_library()["thought_record"])
    answers: dict[str, Answer] = {
        "situation": "Meeting with my manager",
        "emotion": "anxious",
        "emotion_before": 80,
        "balanced_thought": "One meeting is not my whole job",
        "emotion_after": 40,
    }
    assert digest_line(flow, answers) == (
        "Meeting with my manager → One meeting is not my whole job, anxious 80 → 40"
    )


def test_gratitude_count_sets_the_rounds() -> None:
    template = load_library()["gratitude"]
    assert len(compile_flow(template).steps) == 6
    assert len(compile_flow(template, {"count": 5}).steps) == 10


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Thought record", "thought_record"),
        ("thought-record", "thought_record"),
        ("3 good things", "gratitude"),
        ("GRATITUDE", "gratitude"),
    ],
)
def test_find_template_by_id_title_or_name(typed: str, expected: str) -> None:
    template = find_template(load_library(), typed)
    assert template is not None and template.id == expected


def test_a_valid_template_keeps_what_was_written() -> None:
    template = load_template(
        yaml_text("""
        id: mood
        version: 2
        title: "  Mood check  "
        names: [mood, feelings]
        intro: Hello {who}, {{just}} braces.
        params:
          who: {type: text, default: friend, label: Name}
        steps:
          - id: mood
            kind: scale
            prompt: "  How is your mood?  "
            max: 10
            min_label: low
          - id: why
            kind: text
            optional: yes
            max_length: 300
            prompt: Why {mood}?
        digest: "{mood} {why}"
        """),
        filename="mood.yaml",
    )
    assert template.title.strip() == "Mood check"
    assert template.names == ["mood", "feelings"]
    assert template.source_file == "mood.yaml"
    mood, why = template.steps
    assert mood.prompt == "How is your mood?"
    assert (mood.min, mood.max, mood.step, mood.min_label) == (0, 10, 1, "low")
    assert (why.optional, why.max_length) == (True, 300)
    assert template.params["who"].default == "friend"


# The shape of a template, checked by its typed models.
def test_unknown_fields_name_what_is_allowed() -> None:
    found = problems("""
        id: mine
        version: 1
        title: Mine
        colour: blue
        params:
          count: {type: integer, default: 1, maximum: 5}
        steps:
          - id: a
            kind: text
            prompt: Hi
            hint: wrong
          - id: b
            kind: choice
            prompt: Pick
            options:
              - {value: x, label: X, colour: red}
              - {value: y, label: Y}
        """)
    assert found[0].startswith("line 4, colour: unknown field; a template may have id, ")
    assert found[1] == (
        "line 6, params.count.maximum: unknown field; a setting may have type, min, max, "
        "default, label"
    )
    assert found[2].startswith("line 11, steps[0].hint: unknown field; a text step may have id")
    assert "max_length" in found[2]
    assert found[3] == (
        "line 16, steps[1].options[0].colour: unknown field; an option may have value, label, "
        "points"
    )


def test_required_fields() -> None:
    found = problems("""
        names: [x]
        steps:
          - kind: text
            prompt: Hi
          - id: b
            prompt: Hi
          - id: c
            kind: scale
        """)
    assert "line 1, id: is required" in found
    assert "line 1, version: is required" in found
    assert "line 1, title: is required" in found
    assert "line 3, steps[0].id: is required" in found
    assert "line 5, steps[1].kind: is required" in found
    assert "line 7, steps[2]: needs a prompt: what the client is asked" in found


def test_a_template_with_nothing_to_ask() -> None:
    assert problems("id: a\nversion: 1\ntitle: A\nsteps: []\n") == [
        "line 4, steps: needs at least 1"
    ]


def test_wrong_types_are_explained() -> None:
    found = problems("""
        id: mine
        version: two
        title: no
        steps:
          - id: a
            kind: text
            prompt: Hi
            optional: maybe
        """)
    assert "line 2, version: must be a whole number" in found
    assert any(p.startswith("line 3, title: must be text; put it in quotes") for p in found)
    assert "line 8, steps[0].optional: must be true or false" in found


def test_ids_are_checked_once_and_for_all() -> None:
    found = step_problems("- {id: Bad-Id, kind: text, prompt: Hi}")
    assert found[0].startswith("line 5, steps[0].id: “Bad-Id” is not a valid id")
    found = step_problems("""
        - {id: a, kind: text, prompt: Hi}
        - {id: a, kind: text, prompt: Again}
        - {id: end, kind: text, prompt: Hi}
        """)
    assert found == [
        "line 6, steps[1].id: “a” is already the id of another step",
        "line 7, steps[2].id: “end” is kept for the template language",
    ]


def test_an_unknown_kind_names_the_kinds() -> None:
    found = step_problems("- {id: a, kind: dance, prompt: Hi}")
    tags = ", ".join(KINDS)
    assert found == [f"line 5, steps[0].kind: must be one of {tags}, not “dance”"]


def test_kind_fields_are_checked_where_they_are_written() -> None:
    found = step_problems("""
        - id: a
          kind: scale
          prompt: How much?
          min: 12
          max: 0
        - id: b
          kind: scale
          prompt: How much?
          max: 100
        - id: c
          kind: choice
          prompt: Pick
          options:
            - {value: x, label: Same}
            - {value: y, label: same}
        - id: d
          kind: info
          prompt: Read this
          link: not a link
        """)
    assert "line 9, steps[0].max: must be greater than min (12)" in found
    assert any(p.startswith("line 10, steps[1].step: 1 makes 101 buttons") for p in found)
    assert any(p.startswith("line 17, steps[2].options:") and "used by two" in p for p in found)
    assert any(p.startswith("line 23, steps[3].link: must be a web address") for p in found)


def test_groups_repeat_by_a_setting_and_cannot_nest() -> None:
    found = problems("""
        id: mine
        version: 1
        title: Mine
        params:
          count: {type: integer, default: 3}
        steps:
          - id: things
            kind: group
            repeat: "{count}"
            steps:
              - {id: what, kind: text, prompt: "Thing {n} of {total}"}
          - id: nested
            kind: group
            steps:
              - {id: inner, kind: group, steps: [{id: x, kind: text, prompt: Hi}]}
        """)
    assert any("line 15" in p and "kind" in p for p in found)
    found = problems("""
        id: mine
        version: 1
        title: Mine
        params:
          count: {type: integer, default: 3}
        steps:
          - id: things
            kind: group
            repeat: "{count}"
            steps:
              - {id: what, kind: text, prompt: "Thing {n} of {total}"}
        """)
    assert found == [
        "line 9, steps[0].repeat: {count} needs min and max from 1 to 20 to be a repeat count"
    ]


def test_placeholders_name_earlier_answers_and_settings_only() -> None:
    found = step_problems("""
        - {id: a, kind: text, prompt: "Before {b}, {a}, {zz}, {n}, and {"}
        - {id: b, kind: text, prompt: Hi}
        """)
    assert "line 5, steps[0].prompt: {b} comes later, so it has no answer yet" in found
    assert "line 5, steps[0].prompt: {a} is this step's own answer, which is not known yet" in found
    assert "line 5, steps[0].prompt: {zz} is not a setting or a step id" in found
    assert "line 5, steps[0].prompt: {n} only works in the prompts of a group's steps" in found


# Conditions, routes and the steps they may reach.
def test_conditions_ask_about_earlier_answers_of_the_right_kind() -> None:
    found = step_problems("""
        - {id: done, kind: yes_no, prompt: "Did you?"}
        - {id: mood, kind: scale, prompt: "Mood?", max: 10}
        - {id: traps, kind: choice, prompt: "Traps?", multiple: true,
           options: [{value: x, label: X}, {value: y, label: Y}]}
        - {id: a, kind: text, prompt: "Why not?", when: {step: done, is: no}}
        - {id: b, kind: text, prompt: Hm, when: {step: later, is: yes}}
        - {id: c, kind: text, prompt: Hm, when: {step: done, at_least: 3}}
        - {id: d, kind: text, prompt: Hm, when: {step: traps, includes: z}}
        - {id: later, kind: yes_no, prompt: "Later?"}
        """)
    assert not any("steps[3]" in p for p in found)
    assert (
        "line 10, steps[4].when: later is not asked before this, so it has no answer yet" in found
    )
    assert any(
        p.startswith("line 11, steps[5].when: at_least needs a step answered") for p in found
    )
    assert "line 12, steps[6].when: traps has no option “z”" in found
    found = step_problems("- {id: e, kind: text, prompt: Hm, when: {step: e, is: a, at_most: 2}}")
    assert found[0].startswith("line 5, steps[0].when: needs exactly one test")


def test_routes_go_forward_and_every_step_can_be_reached() -> None:
    found = step_problems("""
        - {id: a, kind: yes_no, prompt: "Did you?",
           next: [{when: {step: a, is: yes}, goto: c}, {goto: d}]}
        - {id: b, kind: text, prompt: Never asked}
        - {id: c, kind: text, prompt: Hi, next: a}
        - {id: d, kind: text, prompt: Hi, next: nowhere}
        """)
    assert "line 7, steps[1]: b can never be reached: a step before it always goes past it" in found
    assert "line 8, steps[2].next: goes back to a; next may only go forward" in found
    assert "line 9, steps[3].next: goes to nowhere, which is not a step outside a group" in found


def test_a_measure_scores_items_with_points() -> None:
    found = step_problems(
        """
        - {id: q1, kind: choice, prompt: One, options: [{value: a, label: A, points: 0},
           {value: b, label: B}]}
        - {id: q2, kind: text, prompt: Two}
        """,
        """
        score:
          name: Test
          items: [q1, q2, q3]
          bands: [{max: 3, label: Low}, {max: 1, label: High}]
          alerts: [{step: q4, at_least: 1, reason: Four}]
        """,
    )
    assert any(p.startswith("line 8, score.bands") or "bands must rise" in p for p in found)


def test_follow_ups_need_a_date_step_before_them_and_steps_after() -> None:
    found = step_problems("""
        - {id: when, kind: text, prompt: "When?"}
        - {id: back, kind: follow_up, prompt: See you then, after_step: when}
        """)
    assert "line 6, steps[1].after_step: when is not a date step" in found
    assert "line 6, steps[1]: a follow-up needs steps after it to ask when it is due" in found


def test_translations_name_steps_and_options_that_exist() -> None:
    found = step_problems(
        "- {id: pick, kind: choice, prompt: Pick, options: [{value: a, label: A}, "
        "{value: b, label: B}]}\n",
        """
        translations:
          es:
            title: Mío
            steps:
              pick: {prompt: Elige, options: {a: Á, c: C}}
              nope: {prompt: Nada}
        """,
    )
    assert "line 10, translations.es.steps.pick.options.c: pick has no option “c”" in found
    assert "line 11, translations.es.steps.nope: nope is not a step in this template" in found


def test_a_translation_is_used_for_that_language() -> None:
    template = loaded(
        "- {id: pick, kind: choice, prompt: Pick, options: [{value: a, label: A}, "
        "{value: b, label: B}]}\n",
        """
        translations:
          es:
            title: Mío
            steps:
              pick: {prompt: Elige, options: {a: Á}}
        """,
    )
    flow = compile_flow(template, language="es")
    assert flow.title == "Mío"
    assert flow.steps[0].spec.prompt == "Elige"
    assert [o.label for o in flow.steps[0].spec.options] == ["Á", "B"]  # type: ignore[attr-defined]
    assert compile_flow(template, language="de").title == "Mine"


# YAML itself.
def test_yaml_syntax_errors_name_their_line() -> None:
    found = problems("id: a\nversion: 1\ntitle: A: B\nsteps: []\n")
    assert found[0].startswith("line 3: YAML syntax:")


def test_tabs_and_tags_and_aliases_are_refused_kindly() -> None:
    assert "indent with spaces" in problems("id: a\nsteps:\n\t- x\n")[0]
    assert "is not allowed" in problems("id: !!python/object:os.system a\n")[0]
    found = problems("id: &x a\nversion: 1\ntitle: *x\nsteps: []\n")
    assert any("aliases" in p for p in found)


def test_too_large_a_template_is_refused() -> None:
    with pytest.raises(TemplateError, match="at most 100 kB"):
        load_template("#" * 100_001)


def test_load_template_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_bytes(
        b"id: mine\nversion: 1\ntitle: Mine\nsteps:\n  - {id: a, kind: text, prompt: \xff}\n"
    )
    with pytest.raises(TemplateError, match="not UTF-8"):
        load_template_file(path)


def test_the_json_schema_describes_every_kind() -> None:
    schema = template_schema()
    text = json.dumps(schema)
    for kind in KINDS:
        assert f'"{kind}"' in text
    assert schema["title"] == "Homework template"
    assert "steps" in schema["required"]


def test_tests_that_could_never_hold_are_refused() -> None:
    found = step_problems("""
        - {id: traps, kind: choice, prompt: "Traps?", multiple: true,
           options: [{value: x, label: X}, {value: y, label: Y}]}
        - {id: feel, kind: choice, prompt: "Feel?", options: [{value: ok, label: OK},
           {value: low, label: Low}]}
        - {id: a, kind: text, prompt: Hm, when: {step: traps, is: x}}
        - {id: b, kind: text, prompt: Hm, when: {step: feel, at_least: 1}}
        """)
    assert any("traps is a multiple choice; test it with includes" in p for p in found)
    assert any("at_least needs points on every option of feel" in p for p in found)


def test_scored_items_are_always_asked() -> None:
    found = step_problems(
        """
        - {id: q1, kind: choice, prompt: One, optional: true,
           options: [{value: a, label: A, points: 0}, {value: b, label: B, points: 1}]}
        """,
        """
        score:
          name: Test
          items: [q1]
          bands: [{max: 1, label: Low}]
        """,
    )
    assert any("q1 is scored, so it can't be optional" in p for p in found)


def test_translated_prompts_use_the_same_placeholders() -> None:
    found = step_problems(
        """
        - {id: name, kind: text, prompt: "Who?"}
        - {id: why, kind: text, prompt: "Why {name}?"}
        """,
        """
        translations:
          es:
            intro: "Hola {name}"
            steps:
              why: {prompt: "¿Por qué {nmae}? {"}
        """,
    )
    assert any("translations.es.steps.why.prompt: {nmae}" in p for p in found)
    assert any("translations.es.steps.why.prompt: has a lone “{”" in p for p in found)
    assert any("translations.es.intro: {name} cannot be used" in p for p in found)


LATER_RULES = """
id: older
version: 1
title: Older
steps:
  - {id: a, kind: yes_no, prompt: "A?"}
  - id: g
    kind: group
    when: {step: a, is: yes}
    steps:
      - {id: x, kind: text, prompt: X}
"""


def test_rules_added_later_refuse_uploads_but_not_stored_versions() -> None:
    with pytest.raises(TemplateError) as refused:
        load_template(LATER_RULES)
    assert "a group can't have when" in str(refused.value)
    assert load_template(LATER_RULES, strict=False).id == "older"


def test_a_problem_is_worded_in_the_therapists_language() -> None:
    from bot.i18n import wording

    text = (
        HEADER
        + """
  - id: pick
    kind: choice
    prompt: Pick one
    options: [hello, bye]
"""
    )
    with pytest.raises(TemplateError) as caught:
        load_template(yaml_text(text), filename="mine.yaml")
    english = [str(p) for p in caught.value.problems]
    spanish = [p.worded(wording("es").t) for p in caught.value.problems]
    assert any("must be a set of fields" in line for line in english)
    assert any("debe ser un conjunto de campos" in line for line in spanish)
    assert all(line.startswith("línea ") for line in spanish)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("version: 1", "version: 1000001"), "line 2, version: must be at most 1000000"),
        (("max: 10", "max: 10000000000"), "line 9, steps[0].max: 10000000000 is not a number"),
        (("max: 10", "max: .inf"), "line 9, steps[0].max: .inf is not a number I can use"),
    ],
)
def test_numbers_have_bounds_named_by_line(change: tuple[str, str], expected: str) -> None:
    text = (
        "id: mood\nversion: 1\ntitle: Mood\nsteps:\n"
        "  - id: mood\n    kind: scale\n    prompt: How is your mood?\n    min: 0\n    max: 10\n"
    ).replace(*change)
    with pytest.raises(TemplateError) as raised:
        load_template(text, filename="mood.yaml")
    assert any(str(p).startswith(expected) for p in raised.value.problems), raised.value.problems
