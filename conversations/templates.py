"""The homework template language: what a template file says, and loading it safely.

A template is YAML read with a safe loader. Every problem found while loading names
the line and the field, so a therapist can fix a file without reading code.

Language, version 1 (see ``conversations/library/*.yaml`` for real examples)::

    id: gratitude                # lower-case letters, digits, underscores
    version: 1
    title: Gratitude entry       # shown to the client
    names: [three good things]   # more names a therapist may type in /assign
    description: ...             # one line for the therapist
    intro: ...                   # said before the first question
    outro: ...                   # said after the summary
    params:                      # values an assignment may tailor
      count: {type: integer, default: 3, min: 1, max: 10, label: How many}
    steps:
      - id: situation
        kind: text               # text | scale | choice | group
        prompt: What happened?   # may use {param} and {earlier_step_id}
        label: Situation         # short name in summaries and digests
        optional: false
      - id: intensity
        kind: scale
        min: 0
        max: 100
        step: 10                 # one button every 10; any whole number is accepted typed
      - id: traps
        kind: choice
        multiple: true
        options:
          - {value: all_or_nothing, label: All-or-nothing thinking}
      - id: good_things
        kind: group              # its steps are asked `repeat` times
        repeat: "{count}"
        steps: [...]             # inside: {n} is the round, {total} the rounds
    digest: "{situation} → {balanced}"   # one line for the therapist's digest
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

StepKind = Literal["text", "scale", "choice", "group"]
ParamType = Literal["integer", "text"]

DEFAULT_MAX_LENGTH = 2000
"""Longest free-text answer kept, in characters, unless a step says otherwise."""

MAX_MAX_LENGTH = 3500
"""A step may allow up to this many characters; more would not fit a Telegram message."""


@dataclass(frozen=True)
class Option:
    """One choice of a `choice` step: a stable value and the label people see."""

    value: str
    label: str


@dataclass(frozen=True)
class StepTemplate:
    """One step of a template as written; a `group` step holds steps of its own."""

    id: str
    kind: StepKind
    prompt: str = ""
    label: str = ""
    optional: bool = False
    max_length: int = DEFAULT_MAX_LENGTH
    min: int = 0
    max: int = 10
    step: int = 1
    min_label: str = ""
    max_label: str = ""
    options: tuple[Option, ...] = ()
    multiple: bool = False
    repeat: int | str = 1
    steps: tuple[StepTemplate, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Param:
    """A value a therapist may set per assignment, with its default and bounds."""

    name: str
    type: ParamType
    default: int | str
    min: int | None = None
    max: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Template:
    """A validated homework template."""

    id: str
    version: int
    title: str
    steps: tuple[StepTemplate, ...]
    names: tuple[str, ...] = ()
    description: str = ""
    intro: str = ""
    outro: str = ""
    params: tuple[Param, ...] = ()
    digest: str = ""
    source_file: str = ""


@dataclass(frozen=True)
class TemplateProblem:
    """One problem in a template file, located by line and field path."""

    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class TemplateError(Exception):
    """A template that cannot be used; `problems` lists every problem found."""

    filename: str
    problems: list[TemplateProblem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.filename}: {len(self.problems)} problem(s)"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)
