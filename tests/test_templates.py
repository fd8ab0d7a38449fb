"""Loading and validating homework templates, and the built-in library."""

from __future__ import annotations

import importlib.resources
import textwrap
from pathlib import Path

import pytest

from conversations.engine import compile_flow, digest_line
from conversations.templates import (
    MAX_ANSWER_LENGTH,
    Template,
    TemplateError,
    find_template,
    load_library,
    load_template,
    load_template_file,
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


# The built-in library.
def test_builtins_load_with_their_steps() -> None:
    library = load_library()
    assert {"thought_record", "gratitude"} <= set(library)
    record = library["thought_record"]
    assert [(s.id, s.kind) for s in record.steps] == [
        ("situation", "text"),
        ("emotion", "text"),
        ("emotion_before", "scale"),
        ("thoughts", "text"),
        ("hot_thought", "text"),
        ("evidence_for", "text"),
        ("evidence_against", "text"),
        ("thinking_traps", "choice"),
        ("balanced_thought", "text"),
        ("belief", "scale"),
        ("emotion_after", "scale"),
    ]
    traps = record.steps[7]
    assert traps.optional and traps.multiple and len(traps.options) == 11
    assert "{emotion}" in record.steps[-1].prompt
    assert (record.steps[2].min, record.steps[2].max, record.steps[2].step) == (0, 100, 10)
    assert all(step.label for step in record.steps)

    gratitude = library["gratitude"]
    (group,) = gratitude.steps
    assert (group.id, group.kind, group.repeat) == ("good_things", "group", "{count}")
    assert [(s.id, s.kind, s.optional) for s in group.steps] == [
        ("what", "text", False),
        ("why", "text", True),
    ]
    (count,) = gratitude.params
    assert (count.name, count.type, count.default, count.min, count.max) == (
        "count",
        "integer",
        3,
        1,
        10,
    )


def test_every_builtin_compiles_with_its_defaults() -> None:
    for template in load_library().values():
        flow = compile_flow(template)
        assert flow.steps, template.id
        assert template.source_file.endswith(".yaml")


def test_thought_record_digest_reads_as_the_product_describes() -> None:
    flow = compile_flow(load_library()["thought_record"])
    answers: dict[str, str | int | list[str]] = {
        "situation": "Meeting",
        "balanced_thought": "One slip is not failure",
        "emotion": "anxious",
        "emotion_before": 80,
        "emotion_after": 40,
    }
    assert digest_line(flow, answers) == "Meeting → One slip is not failure, anxious 80 → 40"


def test_gratitude_count_sets_the_rounds() -> None:
    flow = compile_flow(load_library()["gratitude"], {"count": 2})
    assert [s.key for s in flow.steps] == [
        "good_things.1.what",
        "good_things.1.why",
        "good_things.2.what",
        "good_things.2.why",
    ]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("thought_record", "thought_record"),
        ("Thought Record", "thought_record"),
        ("thought-record", "thought_record"),
        ("  THOUGHTS ", "thought_record"),
        ("tr", "thought_record"),
        ("gratitude", "gratitude"),
        ("Gratitude entry", "gratitude"),
        ("three good things", "gratitude"),
        ("Three-Good-Things", "gratitude"),
    ],
)
def test_find_template_by_id_title_or_name(typed: str, expected: str) -> None:
    found = find_template(load_library(), typed)
    assert found is not None
    assert found.id == expected


@pytest.mark.parametrize("typed", ["", "   ", "journal of doom", "thought"])
def test_find_template_unknown_names(typed: str) -> None:
    assert find_template(load_library(), typed) is None


def test_find_template_prefers_an_id_over_another_templates_name() -> None:
    mood = load_template(yaml_text(HEADER + "  - {id: a, kind: text, prompt: Hi}\n"))
    other = load_template(
        yaml_text("""
        id: other
        version: 1
        title: Other
        names: [mine]
        steps:
          - {id: a, kind: text, prompt: Hi}
        """)
    )
    library: dict[str, Template] = {"other": other, "mine": mood}
    assert find_template(library, "mine") is mood


def test_duplicate_ids_in_the_library_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = HEADER.replace("title: Mine", "title: One") + "  - {id: a, kind: text, prompt: Hi}\n"
    (tmp_path / "a.yaml").write_text(yaml_text(one), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(yaml_text(one), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a template", encoding="utf-8")
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(TemplateError) as caught:
        load_library()
    assert caught.value.filename == "conversations/library/b.yaml"
    assert "“mine” is already the id of conversations/library/a.yaml" in str(caught.value)


def test_a_broken_builtin_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken.yaml").write_text("id: broken\n", encoding="utf-8")
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(TemplateError, match=r"broken\.yaml"):
        load_library()


# What a loaded template keeps.
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
            min: 0
            max: 10
            min_label: low
          - id: why
            kind: text
            optional: yes
            max_length: 300
            prompt: Why {mood}?
          - id: pick
            kind: choice
            prompt: Pick one
            label: Picked
            options:
              - {value: a, label: A}
              - {value: b, label: B}
        digest: "{mood} {why} {pick}"
        """),
        filename="mood.yaml",
    )
    assert template.title == "Mood check"
    assert template.names == ("mood", "feelings")
    assert template.source_file == "mood.yaml"
    mood, why, pick = template.steps
    assert mood.prompt == "How is your mood?"
    assert (mood.min, mood.max, mood.step, mood.min_label, mood.label) == (0, 10, 1, "low", "")
    assert mood.line == 9
    assert (why.optional, why.max_length) == (True, 300)
    assert pick.label == "Picked"
    assert [o.value for o in pick.options] == ["a", "b"]
    assert template.params[0].default == "friend"


# One test per family of rules.
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
    assert found == [
        "line 4, colour: unknown field; a template may have id, version, title, names, "
        "description, intro, outro, params, steps, digest",
        "line 6, params.count.maximum: unknown field; a setting may have type, default, min, "
        "max, label",
        "line 11, steps[0].hint: unknown field; a text step may have id, kind, prompt, label, "
        "optional, max_length",
        "line 16, steps[1].options[0].colour: unknown field; an option may have value, label",
    ]


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
          - id: d
            kind: text
            prompt: "   "
        """)
    assert found == [
        "line 1, id: is required",
        "line 1, version: is required",
        "line 1, title: is required",
        "line 3, steps[0].id: is required",
        "line 5, steps[1].kind: is required",
        "line 7, steps[2].prompt: is required",
        "line 11, steps[3].prompt: is empty",
    ]


def test_missing_steps() -> None:
    assert problems("id: a\nversion: 1\ntitle: A\n") == ["line 1, steps: is required"]


@pytest.mark.parametrize("steps", ["steps: []", "steps:"])
def test_a_template_with_nothing_to_ask(steps: str) -> None:
    found = problems(f"id: a\nversion: 1\ntitle: A\n{steps}\n")
    assert found == ["line 4, steps: has nothing to ask; add at least one step"]


def test_wrong_types_explain_yaml_surprises() -> None:
    found = problems("""
        id: mine
        version: "2"
        title: no
        names: thoughts
        steps:
          - id: a
            kind: text
            prompt: 42
            optional: "yes"
          - id: b
            kind: scale
            prompt: [how, much]
            min: 1.5
            max: "10"
          - id: c
            kind: text
            prompt: {c}
            max_length: on
          - id: d
            kind: text
            prompt:
            label: 2024-01-01
        """)
    assert found == [
        'line 2, version: must be a whole number; remove the quotes around "2"',
        'line 3, title: must be text; put it in quotes: "no"',
        "line 4, names: must be a list, like [thought record, thoughts]",
        'line 8, steps[0].prompt: must be text; put it in quotes: "42"',
        "line 9, steps[0].optional: must be true or false, without quotes",
        'line 12, steps[1].prompt: must be text, not a list (text that starts with "[" needs '
        "quotes)",
        "line 13, steps[1].min: must be a whole number, not 1.5",
        'line 14, steps[1].max: must be a whole number; remove the quotes around "10"',
        'line 17, steps[2].prompt: must be text, not a set of fields (text that starts with "{" '
        "needs quotes)",
        "line 18, steps[2].max_length: must be a whole number, not on (read as yes/no)",
        "line 21, steps[3].prompt: has no value",
        'line 22, steps[3].label: must be text; put it in quotes: "2024-01-01"',
    ]


def test_id_formats() -> None:
    found = problems("""
        id: Thought-Record
        version: 1
        title: T
        params:
          Count: {type: integer, default: 1}
        steps:
          - id: 1st
            kind: text
            prompt: Hi
          - id: a_very_long_step_identifier_that_goes_on_and_on
            kind: text
            prompt: Hi
        """)
    rule = "use lower-case letters, digits and _, starting with a letter, at most 40 characters"
    assert found == [
        f"line 1, id: “Thought-Record” is not a valid id: {rule}",
        f"line 5, params.Count: is not a valid setting name: {rule}",
        f"line 7, steps[0].id: “1st” is not a valid step id: {rule}",
        "line 10, steps[1].id: “a_very_long_step_identifier_that_goes_on_and_on” is not a "
        f"valid step id: {rule}",
    ]


@pytest.mark.parametrize("version", ["0", "-3"])
def test_version_must_be_positive(version: str) -> None:
    found = problems(
        f"id: a\nversion: {version}\ntitle: A\nsteps:\n  - {{id: a, kind: text, prompt: Hi}}\n"
    )
    assert found == ["line 2, version: must be 1 or more"]


def test_duplicate_step_ids_anywhere() -> None:
    found = step_problems("""
        - {id: what, kind: text, prompt: Hi}
        - id: things
          kind: group
          steps:
            - {id: what, kind: text, prompt: Hi}
            - {id: things, kind: text, prompt: Hi}
        """)
    assert found == [
        "line 9, steps[1].steps[0].id: “what” is already used on line 5",
        "line 10, steps[1].steps[1].id: “things” is already used on line 6",
    ]


def test_duplicate_keys_are_refused() -> None:
    found = step_problems("""
        - id: a
          kind: text
          prompt: Hi
          prompt: Hello
        """)
    assert found == ["line 8, steps[0].prompt: appears twice (also on line 7)"]


def test_unknown_kind() -> None:
    found = step_problems("""
        - id: a
          kind: slider
          prompt: Hi
        """)
    assert found == [
        "line 6, steps[0].kind: must be one of text, scale, choice, group, not “slider”"
    ]


def test_fields_that_belong_to_another_kind() -> None:
    found = step_problems("""
        - id: a
          kind: text
          prompt: Hi
          options: [{value: x, label: X}, {value: y, label: Y}]
        - id: b
          kind: choice
          prompt: Pick
          min: 0
          options: [{value: x, label: X}, {value: y, label: Y}]
        - id: c
          kind: scale
          prompt: Rate
          max_length: 10
        """)
    assert found == [
        "line 8, steps[0].options: is not used by a text step (only by choice steps)",
        "line 12, steps[1].min: is not used by a choice step (only by scale steps)",
        "line 17, steps[2].max_length: is not used by a scale step (only by text steps)",
    ]


def test_scale_ranges() -> None:
    found = step_problems("""
        - {id: a, kind: scale, prompt: Rate, min: 100, max: 100}
        - {id: b, kind: scale, prompt: Rate, min: 0, max: 200, step: 20}
        - {id: c, kind: scale, prompt: Rate, min: 0, max: 100}
        - {id: d, kind: scale, prompt: Rate, min: 0, max: 10, step: 0}
        - {id: e, kind: scale, prompt: Rate, max: -5}
        - {id: f, kind: scale, prompt: Rate, min: 1, max: 5, min_label: ""}
        - {id: g, kind: scale, prompt: Rate, min: 0, max: 100, step: 10}
        - {id: h, kind: scale, prompt: Rate, min: 1, max: 7, step: 4}
        """)
    assert found == [
        "line 5, steps[0].max: must be greater than min (100)",
        "line 6, steps[1].max: is 200 above min (0); a scale may span at most 100",
        "line 7, steps[2].step: 1 makes 101 buttons; at most 11 fit, so use a step of 10 or more",
        "line 8, steps[3].step: must be 1 or more",
        "line 9, steps[4].max: must be greater than min (0)",
    ]


def test_text_max_length() -> None:
    found = step_problems(f"""
        - {{id: a, kind: text, prompt: Hi, max_length: 0}}
        - {{id: b, kind: text, prompt: Hi, max_length: {MAX_ANSWER_LENGTH + 1}}}
        - {{id: c, kind: text, prompt: Hi, max_length: {MAX_ANSWER_LENGTH}}}
        """)
    assert found == [
        f"line 5, steps[0].max_length: must be from 1 to {MAX_ANSWER_LENGTH}",
        f"line 6, steps[1].max_length: must be from 1 to {MAX_ANSWER_LENGTH}",
    ]


def test_choice_options() -> None:
    many = ", ".join(f"{{value: v{i}, label: L{i}}}" for i in range(21))
    found = step_problems(f"""
        - id: a
          kind: choice
          prompt: Pick
          options: [{{value: only, label: Only}}]
        - id: b
          kind: choice
          prompt: Pick
          multiple: true
          options:
            - {{value: Sad, label: Sad}}
            - {{value: calm, label: ""}}
            - {{value: calm, label: Calm}}
            - {{value: happy, label: calm}}
            - {{value: done, label: Finished}}
            - {{value: long, label: {"x" * 41}}}
            - {{label: Nothing}}
        - {{id: c, kind: choice, prompt: Pick, options: [{many}]}}
        - {{id: d, kind: choice, prompt: Pick}}
        """)
    assert found == [
        "line 8, steps[0].options: has 1; a choice needs 2 to 20 options",
        "line 14, steps[1].options[0].value: “Sad” is not a valid value: use 1 to 30 "
        "lower-case letters, digits and _",
        "line 15, steps[1].options[1].label: is empty",
        "line 16, steps[1].options[2].value: “calm” is already used on line 15",
        "line 17, steps[1].options[3].label: “calm” is already used on line 16",
        "line 18, steps[1].options[4].value: “done” is kept for the Done button; pick another",
        "line 19, steps[1].options[5].label: is 41 characters long; a button fits 40",
        "line 20, steps[1].options[6].value: is required",
        "line 21, steps[2].options: has 21; a choice needs 2 to 20 options",
        "line 22, steps[3].options: is required",
    ]


def test_groups() -> None:
    found = problems("""
        id: mine
        version: 1
        title: Mine
        params:
          count: {type: integer, default: 3, min: 1, max: 10}
          words: {type: text, default: hi}
          wide: {type: integer, default: 3, min: 0, max: 50}
        steps:
          - id: a
            kind: group
            repeat: 21
            steps: [{id: a1, kind: text, prompt: Hi}]
          - id: b
            kind: group
            repeat: {count}
            optional: true
            prompt: Hello
            steps: [{id: b1, kind: text, prompt: Hi}]
          - id: c
            kind: group
            repeat: "{words}"
            steps: []
          - id: d
            kind: group
            repeat: "{wide}"
            steps:
              - id: d1
                kind: group
                steps: [{id: d2, kind: text, prompt: Hi}]
          - id: e
            kind: group
            repeat: "{missing}"
            steps: [{id: e1, kind: text, prompt: Hi}]
          - id: f
            kind: group
            repeat: "{count}"
            steps: [{id: f1, kind: text, prompt: Hi}]
        """)
    assert found == [
        "line 11, steps[0].repeat: must be from 1 to 20",
        'line 15, steps[1].repeat: must be a whole number or a setting in quotes, like "{count}"',
        "line 16, steps[1].optional: a group cannot be optional; make its steps optional instead",
        "line 17, steps[1].prompt: a group has no prompt; its steps ask the questions",
        "line 21, steps[2].repeat: {words} must be an integer setting",
        "line 22, steps[2].steps: needs at least one step",
        "line 25, steps[3].repeat: {wide} needs min and max from 1 to 20 to be a repeat count",
        "line 28, steps[3].steps[0].kind: a group cannot be inside another group",
        "line 32, steps[4].repeat: {missing} is not a setting; add it under params",
    ]


def test_params() -> None:
    found = problems("""
        id: mine
        version: 1
        title: Mine
        params:
          a: {type: number, default: 1}
          b: {type: integer}
          c: {type: integer, default: "3"}
          d: {type: integer, default: 11, min: 1, max: 10}
          e: {type: text, default: hi, max: 3}
          f: {type: integer, default: 5, min: 6, max: 2}
          g: 3
          n: {type: integer, default: 1}
          h: {type: text, default: 7}
          ok: {type: text, default: fine}
        steps:
          - {id: ok, kind: text, prompt: Hi}
        """)
    assert found == [
        "line 5, params.a.type: must be integer or text, not “number”",
        "line 6, params.b.default: is required",
        'line 7, params.c.default: must be a whole number; remove the quotes around "3"',
        "line 8, params.d.default: must be between min and max (1 to 10)",
        "line 9, params.e.max: only integer settings have min and max",
        "line 10, params.f.max: is below min (6)",
        "line 11, params.g: must be a set of fields, like {type: integer, default: 3}",
        "line 12, params.n: “n” is kept for the round inside a group",
        'line 13, params.h.default: must be text; put it in quotes: "7"',
        "line 14, params.ok: is also a step id (line 16); placeholders need one meaning",
    ]


def test_placeholders_in_prompts() -> None:
    found = problems("""
        id: mine
        version: 1
        title: Mine
        params:
          count: {type: integer, default: 2, min: 1, max: 5}
        intro: "Hi {first}, {count} today."
        outro: "Thanks for {first}, not {things}."
        steps:
          - id: first
            kind: text
            prompt: "{first} {second} {count} {n} {{fine}} {Bad} {what}"
          - id: things
            kind: group
            repeat: "{count}"
            steps:
              - {id: what, kind: text, prompt: "{n} of {total}: {first} {why} {things}"}
              - {id: why, kind: text, prompt: "Why {what}? Then {second}. {oops"}
          - id: second
            kind: text
            prompt: "After {first} and {why}"
        digest: "{first} {things} {count} {what} {nope}"
        """)
    assert found == [
        "line 6, intro: {first} cannot be used: the intro comes before any answers",
        "line 7, outro: {things} is a group; only the digest can use a whole group",
        "line 11, steps[0].prompt: {first} is this step's own answer, which is not known yet",
        "line 11, steps[0].prompt: {second} comes later, so it has no answer yet",
        "line 11, steps[0].prompt: {n} only works in the prompts of a group's steps",
        "line 11, steps[0].prompt: {Bad} is not a placeholder: names are lower-case letters, "
        "digits and _ (write {{ and }} for braces)",
        "line 11, steps[0].prompt: {what} is inside the group things; only that group's steps "
        "can use it",
        "line 16, steps[1].steps[0].prompt: {why} comes later, so it has no answer yet",
        "line 16, steps[1].steps[0].prompt: {things} is a group; only the digest can use a "
        "whole group",
        "line 17, steps[1].steps[1].prompt: {second} comes later, so it has no answer yet",
        "line 17, steps[1].steps[1].prompt: has a lone “{”; write {{ for a brace",
        "line 20, steps[2].prompt: {why} is inside the group things; only that group's steps "
        "can use it",
        "line 21, digest: {what} is inside the group things; use {things} for all its answers",
        "line 21, digest: {nope} is not a setting or a step id",
    ]


def test_several_problems_are_all_reported_in_line_order() -> None:
    found = problems("""
        id: mine
        version: 0
        title: Mine
        steps:
          - {id: a, kind: scale, prompt: Rate, min: 5, max: 1}
          - {id: a, kind: text, prompt: Hi, max_length: 0}
          - {id: c, kind: choice, prompt: Pick, options: []}
        digest: "{zzz}"
        """)
    assert found == [
        "line 2, version: must be 1 or more",
        "line 5, steps[0].max: must be greater than min (5)",
        "line 6, steps[1].id: “a” is already used on line 5",
        "line 6, steps[1].max_length: must be from 1 to 2048",
        "line 7, steps[2].options: has 0; a choice needs 2 to 20 options",
        "line 8, digest: {zzz} is not a setting or a step id",
    ]


# Reading the file itself.
def test_yaml_syntax_error_names_its_line() -> None:
    found = step_problems("""
        - id: a
          kind: text
          prompt: Note: what happened?
        """)
    assert found == [
        "line 7: YAML syntax: mapping values are not allowed here; put text that contains “: ” "
        "in quotes"
    ]


def test_unclosed_quote_names_where_it_starts() -> None:
    found = problems('id: a\ntitle: "unclosed\nversion: 1\n')
    assert found == [
        "line 4: YAML syntax: found unexpected end of stream (while scanning a quoted scalar "
        "that starts on line 2)"
    ]


def test_tabs_are_explained() -> None:
    (found,) = problems("id: a\n\tversion: 1\n")
    assert found.startswith("line 2: YAML syntax: found character '\\t'")
    assert found.endswith("indent with spaces, not tabs")


@pytest.mark.parametrize(
    "text",
    ["- id: a\n- id: b\n", "just words\n", "42\n"],
)
def test_a_document_that_is_not_a_mapping_is_refused(text: str) -> None:
    assert problems(text) == [
        "line 1: a template must be a set of fields (id, version, title, steps, ...)"
    ]


def test_an_empty_document_is_refused() -> None:
    assert problems("# nothing here\n") == ["file: is empty"]


def test_several_documents_are_refused() -> None:
    (found,) = problems("id: a\n---\nid: b\n")
    assert found.startswith("line 2: YAML syntax:")


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/object/apply:os.system [echo hi]", "!!python/object/apply:os.system"),
        ("!!python/name:os.system ''", "!!python/name:os.system"),
        ("!!binary aGk=", "!!binary"),
        ("!custom x", "!custom"),
    ],
)
def test_unsafe_or_unknown_tags_are_refused(value: str, tag: str) -> None:
    found = step_problems(f"- {{id: a, kind: text, prompt: {value}}}\n")
    assert found == [f"line 5, steps[0].prompt: the tag {tag} is not allowed"]


def test_aliases_are_refused() -> None:
    found = step_problems("""
        - {id: a, kind: text, prompt: &hi Hello}
        - {id: b, kind: text, prompt: *hi}
        """)
    assert found == [
        "line 6, steps[1].prompt: aliases (*name) are not supported; write the value out"
    ]


def test_keys_that_yaml_reads_as_yes_no_are_refused() -> None:
    found = step_problems("- {id: a, kind: text, prompt: Hi, yes: 1}\n")
    assert found == ["line 5, steps[0]: “yes” cannot be a field name; use plain words"]


def test_too_large_a_template_is_refused() -> None:
    text = "id: a\n" + "# padding\n" * 11_000
    with pytest.raises(TemplateError) as caught:
        load_template(text)
    assert [str(p) for p in caught.value.problems] == [
        "file: is 110,006 bytes; a template may be at most 100 kB"
    ]


def test_deep_nesting_is_refused_not_crashed() -> None:
    assert problems("[" * 5000 + "]" * 5000) == ["file: is nested too deeply to read"]


def test_load_template_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml_text(HEADER + "  - {id: a, kind: text, prompt: Hi}\n"), encoding="utf-8")
    assert load_template_file(good).source_file == str(good)

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml_text(HEADER + "  - {id: a, kind: text}\n"), encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template_file(bad)
    assert caught.value.filename == str(bad)
    assert [str(p) for p in caught.value.problems] == ["line 5, steps[0].prompt: is required"]

    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"id: a\ntitle: caf\xe9\n")
    with pytest.raises(TemplateError) as caught:
        load_template_file(latin)
    assert [str(p) for p in caught.value.problems] == [
        "line 2: is not UTF-8 text; save the file as UTF-8"
    ]

    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"#" * 100_001)
    with pytest.raises(TemplateError, match="larger than 100 kB"):
        load_template_file(huge)
