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

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Literal

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

StepKind = Literal["text", "scale", "choice", "group"]
ParamType = Literal["integer", "text"]

DEFAULT_MAX_LENGTH = 2000
"""Longest free-text answer kept, in characters, unless a step says otherwise."""

MAX_MAX_LENGTH = 3500
"""The longest text a template may hold in one field (a prompt, an intro)."""

MAX_ANSWER_LENGTH = 2048
"""A step may allow answers up to this long. Telegram apps cut a longer message into parts
(at the best break after the first 2,048 characters), so a longer answer could never arrive
whole."""
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
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class TemplateError(Exception):
    """A template that cannot be used; `problems` lists every problem found."""

    filename: str
    problems: list[TemplateProblem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.filename}: {len(self.problems)} problem(s)"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


# Loading and validating template files.
MAX_TEMPLATE_BYTES = 100_000
"""Larger files are refused before parsing; real templates are a few kilobytes."""

MAX_REPEAT = 20
MAX_SCALE_SPAN = 100
MAX_SCALE_BUTTONS = 11
MAX_SCALE_VALUE = 100_000
MIN_OPTIONS = 2
MAX_OPTIONS = 20
MAX_OPTION_LABEL = 40
MAX_SHORT_TEXT = 60
MAX_TITLE = 100
MAX_DIGEST = 500

STEP_KINDS: tuple[StepKind, ...] = ("text", "scale", "choice", "group")
PARAM_TYPES: tuple[ParamType, ...] = ("integer", "text")

_TEMPLATE_FIELDS = (
    "id",
    "version",
    "title",
    "names",
    "description",
    "intro",
    "outro",
    "params",
    "steps",
    "digest",
)
_STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("id", "kind", "prompt", "label", "optional", "max_length"),
    "scale": (
        "id",
        "kind",
        "prompt",
        "label",
        "optional",
        "min",
        "max",
        "step",
        "min_label",
        "max_label",
    ),
    "choice": ("id", "kind", "prompt", "label", "optional", "options", "multiple"),
    "group": ("id", "kind", "label", "repeat", "steps"),
}
_ANY_STEP_FIELDS = tuple(dict.fromkeys(f for fields in _STEP_FIELDS.values() for f in fields))
_PARAM_FIELDS = ("type", "default", "min", "max", "label")
_OPTION_FIELDS = ("value", "label")

_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
_OPTION_VALUE = re.compile(r"[a-z0-9_]{1,30}")
_REPEAT_PARAM = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
_PLACEHOLDER_NAME = re.compile(r"[a-z][a-z0-9_]*")
_BRACES = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_ROUND_NAMES = ("n", "total")
"""Placeholders a group's own steps get: the round and the number of rounds."""
_RESERVED_DONE = "done"
"""The engine's Done button sends this value, so a multiple choice cannot use it."""

_YAML_TAG_PREFIX = "tag:yaml.org,2002:"
_YAML_TAGS = {
    _YAML_TAG_PREFIX + name: name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
}


@dataclass(frozen=True)
class _Node:
    """A YAML value with where it was written: `line` is 1-based, `path` like `steps[2].max`."""

    path: str
    line: int
    tag: str
    """str, int, float, bool, null, timestamp, seq, map, or bad (already reported)."""
    raw: str = ""
    scalar: str | int | float | bool | None = None
    items: tuple[_Node, ...] = ()
    fields: Mapping[str, _Node] = field(default_factory=dict)


def _child_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Reader:
    """Turns composed YAML nodes into `_Node`s, refusing tags, aliases and odd keys."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        self.problems = problems
        self.seen: set[int] = set()
        self.constructor = SafeConstructor()

    def read(self, node: Node, path: str, line: int) -> _Node:
        if id(node) in self.seen:
            return self.bad(path, line, "aliases (*name) are not supported; write the value out")
        self.seen.add(id(node))
        tag = _YAML_TAGS.get(node.tag)
        if tag is None:
            shown = node.tag.replace(_YAML_TAG_PREFIX, "!!")
            return self.bad(path, line, f"the tag {shown} is not allowed")
        if isinstance(node, MappingNode):
            return self.mapping(node, path, line)
        if isinstance(node, SequenceNode):
            items = tuple(
                self.read(item, f"{path}[{index}]", _line(item, line))
                for index, item in enumerate(node.value)
            )
            return _Node(path=path, line=line, tag="seq", items=items)
        if not isinstance(node, ScalarNode):
            return self.bad(path, line, "cannot be read")
        return self.scalar(node, tag, path, line)

    def mapping(self, node: MappingNode, path: str, line: int) -> _Node:
        fields: dict[str, _Node] = {}
        for key, value in node.value:
            key_line = _line(key, line)
            if not isinstance(key, ScalarNode) or key.tag != _YAML_TAG_PREFIX + "str":
                shown = f"“{key.value}”" if isinstance(key, ScalarNode) else "this"
                self.problem(key_line, path, f"{shown} cannot be a field name; use plain words")
                continue
            name = str(key.value)
            child_path = _child_path(path, name)
            if name in fields:
                self.problem(
                    key_line, child_path, f"appears twice (also on line {fields[name].line})"
                )
                continue
            fields[name] = self.read(value, child_path, key_line)
        return _Node(path=path, line=line, tag="map", fields=fields)

    def scalar(self, node: ScalarNode, tag: str, path: str, line: int) -> _Node:
        raw = str(node.value)
        value: str | int | float | bool | None = raw
        try:
            if tag == "int":
                value = self.constructor.construct_yaml_int(node)
            elif tag == "float":
                value = self.constructor.construct_yaml_float(node)
            elif tag == "bool":
                value = self.constructor.construct_yaml_bool(node)
            elif tag == "null":
                value = None
        except ValueError:
            return self.bad(path, line, f"cannot read the number {raw[:20]}")
        return _Node(path=path, line=line, tag=tag, raw=raw, scalar=value)

    def bad(self, path: str, line: int, message: str) -> _Node:
        self.problem(line, path, message)
        return _Node(path=path, line=line, tag="bad")

    def problem(self, line: int | None, path: str, message: str) -> None:
        self.problems.append(TemplateProblem(line, path, message))


def _line(node: Node, fallback: int) -> int:
    mark = node.start_mark
    return mark.line + 1 if mark is not None else fallback


_Place = Literal["prompt", "intro", "outro", "digest"]


@dataclass
class _Pending:
    """A text with placeholders, checked once every step and setting is known."""

    text: str
    line: int
    path: str
    place: _Place
    allowed: frozenset[str] = frozenset()
    own_id: str = ""
    group: str = ""


class _Checker:
    """Validates a read template, collecting every problem rather than stopping at the first."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        self.problems = problems
        self.step_lines: dict[str, int] = {}
        self.top_ids: list[str] = []
        self.group_ids: set[str] = set()
        self.inner_ids: dict[str, str] = {}
        """Step id inside a group to that group's id."""
        self.params: dict[str, Param] = {}
        self.param_names: set[str] = set()
        self.param_nodes: dict[str, _Node] = {}
        self.pending: list[_Pending] = []

    # Reporting.
    def problem(self, line: int | None, path: str, message: str) -> None:
        self.problems.append(TemplateProblem(line, path, message))

    def missing(self, parent: _Node, name: str) -> None:
        self.problem(parent.line, _child_path(parent.path, name), "is required")

    # Fields of a mapping.
    def known_fields(self, node: _Node, allowed: Sequence[str], what: str) -> None:
        for name, child in node.fields.items():
            if name not in allowed:
                self.problem(
                    child.line, child.path, f"unknown field; {what} may have {', '.join(allowed)}"
                )

    def text(self, parent: _Node, name: str, *, limit: int, required: bool = False) -> str | None:
        """A text field, stripped; None when absent or wrong (the problem is recorded)."""
        node = parent.fields.get(name)
        if node is None:
            if required:
                self.missing(parent, name)
            return None
        value = self.text_value(node, limit=limit)
        if value == "" and required:
            self.problem(node.line, node.path, "is empty")
            return None
        return value

    def text_value(self, node: _Node, *, limit: int) -> str | None:
        if node.tag == "bad":
            return None
        if node.tag != "str" or not isinstance(node.scalar, str):
            self.problem(node.line, node.path, _not_text(node))
            return None
        value = node.scalar.strip()
        if len(value) > limit:
            self.problem(
                node.line, node.path, f"is {len(value):,} characters long; at most {limit:,} fit"
            )
            return None
        return value

    def integer(self, parent: _Node, name: str, *, required: bool = False) -> int | None:
        node = parent.fields.get(name)
        if node is None:
            if required:
                self.missing(parent, name)
            return None
        return self.integer_value(node)

    def integer_value(self, node: _Node) -> int | None:
        if node.tag == "bad":
            return None
        if node.tag == "int" and isinstance(node.scalar, int):
            return node.scalar
        self.problem(node.line, node.path, _not_integer(node))
        return None

    def boolean(self, parent: _Node, name: str) -> bool | None:
        node = parent.fields.get(name)
        if node is None or node.tag == "bad":
            return None
        if node.tag == "bool" and isinstance(node.scalar, bool):
            return node.scalar
        if node.tag == "str":
            self.problem(node.line, node.path, "must be true or false, without quotes")
        else:
            self.problem(node.line, node.path, f"must be true or false, not {_kind_of(node)}")
        return None

    def sequence(self, node: _Node, example: str) -> tuple[_Node, ...] | None:
        if node.tag == "bad":
            return None
        if node.tag == "null":
            return ()
        if node.tag != "seq":
            self.problem(node.line, node.path, f"must be a list, like {example}")
            return None
        return node.items

    def mapping(self, node: _Node, message: str) -> bool:
        if node.tag == "map":
            return True
        if node.tag != "bad":
            self.problem(node.line, node.path, message)
        return False

    def identifier(self, node: _Node | None, what: str) -> str | None:
        if node is None:
            return None
        value = self.text_value(node, limit=1000)
        if value is None:
            return None
        if not _ID.fullmatch(value):
            self.problem(
                node.line,
                node.path,
                f"“{value[:50]}” is not a valid {what}: use lower-case letters, digits and _, "
                "starting with a letter, at most 40 characters",
            )
            return None
        return value

    # The template.
    def template(self, root: _Node, filename: str) -> Template | None:
        if not self.mapping(
            root, "a template must be a set of fields (id, version, title, steps, ...)"
        ):
            return None
        self.known_fields(root, _TEMPLATE_FIELDS, "a template")
        template_id = self.identifier(root.fields.get("id"), "id")
        if "id" not in root.fields:
            self.missing(root, "id")
        version = self.integer(root, "version", required=True)
        if version is not None and version < 1:
            self.problem(root.fields["version"].line, "version", "must be 1 or more")
        title = self.text(root, "title", limit=MAX_TITLE, required=True)
        names = self.names(root)
        description = self.text(root, "description", limit=MAX_MAX_LENGTH)
        intro = self.text(root, "intro", limit=MAX_MAX_LENGTH)
        outro = self.text(root, "outro", limit=MAX_MAX_LENGTH)
        digest = self.text(root, "digest", limit=MAX_DIGEST)
        params = self.param_list(root)
        steps = self.step_list(root)
        params_names = frozenset(self.param_names)
        if intro:
            self.later(root, "intro", intro, "intro", params_names)
        if outro:
            self.later(root, "outro", outro, "outro", params_names | set(self.top_ids))
        if digest:
            allowed = params_names | set(self.top_ids) | self.group_ids
            self.later(root, "digest", digest, "digest", allowed)
        self.check_params_against_steps()
        for pending in self.pending:
            self.placeholders(pending)
        if self.problems or template_id is None or version is None or title is None:
            return None
        return Template(
            id=template_id,
            version=version,
            title=title,
            steps=steps,
            names=names,
            description=description or "",
            intro=intro or "",
            outro=outro or "",
            params=params,
            digest=digest or "",
            source_file=filename,
        )

    def names(self, root: _Node) -> tuple[str, ...]:
        node = root.fields.get("names")
        items = self.sequence(node, "[thought record, thoughts]") if node else ()
        names: list[str] = []
        for item in items or ():
            name = self.text_value(item, limit=MAX_SHORT_TEXT)
            if name == "":
                self.problem(item.line, item.path, "is empty")
            elif name is not None:
                names.append(name)
        return tuple(names)

    def later(
        self, root: _Node, name: str, text: str, place: _Place, allowed: frozenset[str]
    ) -> None:
        node = root.fields[name]
        self.pending.append(_Pending(text, node.line, node.path, place, allowed))

    # Settings an assignment may tailor.
    def param_list(self, root: _Node) -> tuple[Param, ...]:
        node = root.fields.get("params")
        if node is None or node.tag == "null":
            return ()
        if not self.mapping(node, "must be a set of settings, like count: {type: integer, ...}"):
            return ()
        params: list[Param] = []
        # Every declared name counts for placeholders, so one bad setting is one problem.
        self.param_names.update(node.fields)
        for name, spec in node.fields.items():
            param = self.param(name, spec)
            if param is not None:
                params.append(param)
                self.params[name] = param
                self.param_nodes[name] = spec
        return tuple(params)

    def param(self, name: str, node: _Node) -> Param | None:
        if not _ID.fullmatch(name):
            self.problem(
                node.line,
                node.path,
                "is not a valid setting name: use lower-case letters, digits and _, "
                "starting with a letter, at most 40 characters",
            )
        elif name in _ROUND_NAMES:
            self.problem(node.line, node.path, f"“{name}” is kept for the round inside a group")
        if not self.mapping(node, "must be a set of fields, like {type: integer, default: 3}"):
            return None
        self.known_fields(node, _PARAM_FIELDS, "a setting")
        kind = self.text(node, "type", limit=MAX_SHORT_TEXT, required=True)
        label = self.text(node, "label", limit=MAX_SHORT_TEXT) or ""
        if kind is not None and kind not in PARAM_TYPES:
            self.problem(
                node.fields["type"].line,
                _child_path(node.path, "type"),
                f"must be integer or text, not “{kind}”",
            )
            return None
        default_node = node.fields.get("default")
        if default_node is None:
            self.missing(node, "default")
        if kind is None:
            return None
        if kind == "text":
            for bound in ("min", "max"):
                if bound in node.fields:
                    self.problem(
                        node.fields[bound].line,
                        node.fields[bound].path,
                        "only integer settings have min and max",
                    )
            text = self.text_value(default_node, limit=MAX_MAX_LENGTH) if default_node else None
            if text is None:
                return None
            return Param(name=name, type="text", default=text, label=label)
        low = self.integer(node, "min")
        high = self.integer(node, "max")
        if low is not None and high is not None and high < low:
            self.problem(node.fields["max"].line, node.fields["max"].path, f"is below min ({low})")
            return None
        if default_node is None:
            return None
        default = self.integer_value(default_node)
        if default is None:
            return None
        if (low is not None and default < low) or (high is not None and default > high):
            self.problem(
                default_node.line,
                default_node.path,
                f"must be between min and max ({_range_text(low, high)})",
            )
            return None
        return Param(name=name, type="integer", default=default, min=low, max=high, label=label)

    def check_params_against_steps(self) -> None:
        for name, node in self.param_nodes.items():
            if name in self.step_lines:
                self.problem(
                    node.line,
                    node.path,
                    f"is also a step id (line {self.step_lines[name]}); "
                    "placeholders need one meaning",
                )

    # Steps.
    def step_list(self, root: _Node) -> tuple[StepTemplate, ...]:
        node = root.fields.get("steps")
        if node is None:
            self.missing(root, "steps")
            return ()
        items = self.sequence(node, "[{id: situation, kind: text, prompt: ...}]")
        if items is None:
            return ()
        if not items:
            self.problem(node.line, node.path, "has nothing to ask; add at least one step")
            return ()
        steps: list[StepTemplate] = []
        for item in items:
            step = self.step(item, group="", earlier=frozenset(self.top_ids))
            if step is not None:
                steps.append(step)
        return tuple(steps)

    def step(self, node: _Node, *, group: str, earlier: frozenset[str]) -> StepTemplate | None:
        if not self.mapping(node, "must be a step with id, kind and prompt"):
            return None
        kind = self.step_kind(node)
        if kind == "group" and group:
            kind_node = node.fields["kind"]
            self.problem(kind_node.line, kind_node.path, "a group cannot be inside another group")
            return None
        allowed = _STEP_FIELDS.get(kind or "", _ANY_STEP_FIELDS)
        for name, child in node.fields.items():
            if name not in _ANY_STEP_FIELDS:
                what = f"a {kind} step" if kind else "a step"
                self.problem(
                    child.line, child.path, f"unknown field; {what} may have {', '.join(allowed)}"
                )
            elif name not in allowed:
                self.problem(child.line, child.path, _misplaced(name, kind or ""))
        step_id = self.step_id(node, group, is_group=kind == "group")
        label = self.text(node, "label", limit=MAX_SHORT_TEXT) or ""
        if kind == "group":
            return self.group(node, step_id, label)
        # Without a known kind the step may have been meant as a group, so a missing
        # prompt would only repeat the kind's problem.
        prompt = self.text(node, "prompt", limit=MAX_MAX_LENGTH, required=kind is not None)
        if prompt:
            prompt_node = node.fields["prompt"]
            names = frozenset(self.param_names) | earlier
            if group:
                names |= frozenset(_ROUND_NAMES)
            self.pending.append(
                _Pending(
                    prompt,
                    prompt_node.line,
                    prompt_node.path,
                    "prompt",
                    names,
                    own_id=step_id or "",
                    group=group,
                )
            )
        optional = self.boolean(node, "optional")
        base = StepTemplate(
            id=step_id or "",
            kind="text",
            prompt=prompt or "",
            label=label,
            optional=bool(optional),
            line=node.line,
        )
        if kind == "text":
            return replace(base, max_length=self.max_length(node))
        if kind == "scale":
            return self.scale(node, base)
        if kind == "choice":
            return self.choice(node, base)
        return None

    def step_kind(self, node: _Node) -> StepKind | None:
        kind = self.text(node, "kind", limit=MAX_SHORT_TEXT, required=True)
        if kind is None:
            return None
        for known in STEP_KINDS:
            if kind == known:
                return known
        kind_node = node.fields["kind"]
        self.problem(
            kind_node.line,
            kind_node.path,
            f"must be one of {', '.join(STEP_KINDS)}, not “{kind[:40]}”",
        )
        return None

    def step_id(self, node: _Node, group: str, *, is_group: bool) -> str | None:
        id_node = node.fields.get("id")
        if id_node is None:
            self.missing(node, "id")
            return None
        step_id = self.identifier(id_node, "step id")
        if step_id is None:
            return None
        if step_id in _ROUND_NAMES:
            self.problem(
                id_node.line, id_node.path, f"“{step_id}” is kept for the round inside a group"
            )
            return None
        if step_id in self.step_lines:
            self.problem(
                id_node.line,
                id_node.path,
                f"“{step_id}” is already used on line {self.step_lines[step_id]}",
            )
            return None
        self.step_lines[step_id] = id_node.line
        if group:
            self.inner_ids[step_id] = group
        elif is_group:
            self.group_ids.add(step_id)
        else:
            self.top_ids.append(step_id)
        return step_id

    def max_length(self, node: _Node) -> int:
        value = self.integer(node, "max_length")
        if value is None:
            return DEFAULT_MAX_LENGTH
        if not 1 <= value <= MAX_ANSWER_LENGTH:
            where = node.fields["max_length"]
            self.problem(where.line, where.path, f"must be from 1 to {MAX_ANSWER_LENGTH}")
            return DEFAULT_MAX_LENGTH
        return value

    def scale(self, node: _Node, base: StepTemplate) -> StepTemplate | None:
        defaults = StepTemplate(id="", kind="scale")
        low = self.integer(node, "min")
        high = self.integer(node, "max")
        step = self.integer(node, "step")
        min_label = self.text(node, "min_label", limit=MAX_OPTION_LABEL) or ""
        max_label = self.text(node, "max_label", limit=MAX_OPTION_LABEL) or ""
        ok = low is not None or "min" not in node.fields
        ok = ok and (high is not None or "max" not in node.fields)
        ok = ok and (step is not None or "step" not in node.fields)
        low = defaults.min if low is None else low
        high = defaults.max if high is None else high
        step = defaults.step if step is None else step

        def where(name: str) -> tuple[int, str]:
            found = node.fields.get(name)
            return (found.line if found else node.line, _child_path(node.path, name))

        for name, value in (("min", low), ("max", high)):
            if abs(value) > MAX_SCALE_VALUE:
                self.problem(
                    *where(name), f"must be between {-MAX_SCALE_VALUE} and {MAX_SCALE_VALUE}"
                )
                ok = False
        if not ok:
            return None
        if high <= low:
            self.problem(*where("max"), f"must be greater than min ({low})")
            return None
        if high - low > MAX_SCALE_SPAN:
            self.problem(
                *where("max"),
                f"is {high - low} above min ({low}); a scale may span at most {MAX_SCALE_SPAN}",
            )
            return None
        if step < 1:
            self.problem(*where("step"), "must be 1 or more")
            return None
        buttons = _scale_buttons(low, high, step)
        if buttons > MAX_SCALE_BUTTONS:
            smallest = -(-(high - low) // (MAX_SCALE_BUTTONS - 1))
            self.problem(
                *where("step"),
                f"{step} makes {buttons} buttons; at most {MAX_SCALE_BUTTONS} fit, "
                f"so use a step of {smallest} or more",
            )
            return None
        return replace(
            base,
            kind="scale",
            min=low,
            max=high,
            step=step,
            min_label=min_label,
            max_label=max_label,
        )

    def choice(self, node: _Node, base: StepTemplate) -> StepTemplate | None:
        multiple = bool(self.boolean(node, "multiple"))
        options_node = node.fields.get("options")
        if options_node is None:
            self.missing(node, "options")
            return None
        items = self.sequence(options_node, "[{value: yes, label: Yes}, ...]")
        if items is None:
            return None
        if not MIN_OPTIONS <= len(items) <= MAX_OPTIONS:
            self.problem(
                options_node.line,
                options_node.path,
                f"has {len(items)}; a choice needs {MIN_OPTIONS} to {MAX_OPTIONS} options",
            )
        options: list[Option] = []
        values: dict[str, int] = {}
        labels: dict[str, int] = {}
        for item in items:
            option = self.option(item, multiple, values, labels)
            if option is not None:
                options.append(option)
        return replace(base, kind="choice", options=tuple(options), multiple=multiple)

    def option(
        self, node: _Node, multiple: bool, values: dict[str, int], labels: dict[str, int]
    ) -> Option | None:
        if not self.mapping(node, "must be an option like {value: sad, label: Sad}"):
            return None
        self.known_fields(node, _OPTION_FIELDS, "an option")
        value = self.text(node, "value", limit=1000, required=True)
        label = self.text(node, "label", limit=1000, required=True)
        if value is not None:
            where = node.fields["value"]
            if not _OPTION_VALUE.fullmatch(value):
                self.problem(
                    where.line,
                    where.path,
                    f"“{value[:40]}” is not a valid value: use 1 to 30 lower-case letters, "
                    "digits and _",
                )
                value = None
            elif value in values:
                self.problem(
                    where.line, where.path, f"“{value}” is already used on line {values[value]}"
                )
                value = None
            elif multiple and value == _RESERVED_DONE:
                self.problem(
                    where.line, where.path, "“done” is kept for the Done button; pick another"
                )
                value = None
            else:
                values[value] = where.line
        if label is not None:
            where = node.fields["label"]
            folded = label.casefold()
            if len(label) > MAX_OPTION_LABEL:
                self.problem(
                    where.line,
                    where.path,
                    f"is {len(label)} characters long; a button fits {MAX_OPTION_LABEL}",
                )
                label = None
            elif folded in labels:
                self.problem(
                    where.line, where.path, f"“{label}” is already used on line {labels[folded]}"
                )
                label = None
            else:
                labels[folded] = where.line
        if value is None or label is None:
            return None
        return Option(value=value, label=label)

    def group(self, node: _Node, group_id: str | None, label: str) -> StepTemplate | None:
        repeat = self.repeat(node)
        steps_node = node.fields.get("steps")
        if steps_node is None:
            self.missing(node, "steps")
            return None
        items = self.sequence(steps_node, "[{id: what, kind: text, prompt: ...}]")
        if items is None:
            return None
        if not items:
            self.problem(steps_node.line, steps_node.path, "needs at least one step")
            return None
        outer = frozenset(self.top_ids)
        group = group_id or "?"
        steps: list[StepTemplate] = []
        for item in items:
            siblings = {name for name, owner in self.inner_ids.items() if owner == group}
            step = self.step(item, group=group, earlier=outer | siblings)
            if step is not None:
                steps.append(step)
        if group_id is None or repeat is None:
            return None
        return StepTemplate(
            id=group_id,
            kind="group",
            label=label,
            repeat=repeat,
            steps=tuple(steps),
            line=node.line,
        )

    def repeat(self, node: _Node) -> int | str | None:
        found = node.fields.get("repeat")
        if found is None or found.tag == "bad":
            return 1 if found is None else None
        if found.tag == "int" and isinstance(found.scalar, int):
            if not 1 <= found.scalar <= MAX_REPEAT:
                self.problem(found.line, found.path, f"must be from 1 to {MAX_REPEAT}")
                return None
            return found.scalar
        text = found.scalar.strip() if isinstance(found.scalar, str) else ""
        match = _REPEAT_PARAM.fullmatch(text) if found.tag == "str" else None
        if match is None:
            self.problem(
                found.line,
                found.path,
                'must be a whole number or a setting in quotes, like "{count}"',
            )
            return None
        param = self.params.get(match.group(1))
        if param is None:
            if match.group(1) not in self.param_names:
                self.problem(
                    found.line, found.path, f"{text} is not a setting; add it under params"
                )
            return None
        if param.type != "integer":
            self.problem(found.line, found.path, f"{text} must be an integer setting")
            return None
        if param.min is None or param.max is None or param.min < 1 or param.max > MAX_REPEAT:
            self.problem(
                found.line,
                found.path,
                f"{text} needs min and max from 1 to {MAX_REPEAT} to be a repeat count",
            )
            return None
        return text

    # Placeholders.
    def placeholders(self, pending: _Pending) -> None:
        reported: set[str] = set()
        for match in _BRACES.finditer(pending.text):
            token = match.group(0)
            if token in ("{{", "}}"):
                continue
            name = match.group(1)
            if name is None:
                message = f"has a lone “{token}”; write {token * 2} for a brace"
            elif not _PLACEHOLDER_NAME.fullmatch(name):
                message = (
                    f"{token[:40]} is not a placeholder: names are lower-case letters, digits "
                    "and _ (write {{ and }} for braces)"
                )
            elif name in pending.allowed:
                continue
            else:
                message = f"{token} {self.why_not(name, pending)}"
            if message not in reported:
                reported.add(message)
                self.problem(pending.line, pending.path, message)

    def why_not(self, name: str, pending: _Pending) -> str:
        if name in _ROUND_NAMES:
            return "only works in the prompts of a group's steps"
        known = name in self.step_lines or name in self.group_ids
        if pending.place == "intro" and known:
            return "cannot be used: the intro comes before any answers"
        if name == pending.own_id:
            return "is this step's own answer, which is not known yet"
        inner_group = self.inner_ids.get(name)
        if inner_group is not None and pending.place == "digest":
            return f"is inside the group {inner_group}; use {{{inner_group}}} for all its answers"
        if inner_group is not None and inner_group != pending.group:
            return f"is inside the group {inner_group}; only that group's steps can use it"
        if pending.place in ("prompt", "outro") and name in self.group_ids:
            return "is a group; only the digest can use a whole group"
        if pending.place == "prompt" and known:
            return "comes later, so it has no answer yet"
        return "is not a setting or a step id"


def _scale_buttons(low: int, high: int, step: int) -> int:
    """How many buttons the engine shows: every `step` from min, and max itself."""
    count = len(range(low, high + 1, step))
    return count if (high - low) % step == 0 else count + 1


def _range_text(low: int | None, high: int | None) -> str:
    if low is None:
        return f"at most {high}"
    if high is None:
        return f"at least {low}"
    return f"{low} to {high}"


def _kind_of(node: _Node) -> str:
    return {
        "map": "a set of fields",
        "seq": "a list",
        "null": "empty",
        "bool": f"{node.raw} (read as yes/no)",
        "timestamp": f"{node.raw} (read as a date)",
        "int": node.raw,
        "float": node.raw,
    }.get(node.tag, f"“{node.raw[:40]}”")


def _not_text(node: _Node) -> str:
    if node.tag == "null":
        return "has no value"
    if node.tag in ("int", "float", "bool", "timestamp"):
        return f'must be text; put it in quotes: "{node.raw}"'
    if node.tag == "map":
        return 'must be text, not a set of fields (text that starts with "{" needs quotes)'
    return 'must be text, not a list (text that starts with "[" needs quotes)'


def _not_integer(node: _Node) -> str:
    if node.tag == "null":
        return "has no value"
    if node.tag == "str" and isinstance(node.scalar, str) and node.scalar.strip().isdigit():
        return f'must be a whole number; remove the quotes around "{node.scalar.strip()}"'
    return f"must be a whole number, not {_kind_of(node)}"


def _misplaced(name: str, kind: str) -> str:
    if kind == "group" and name == "optional":
        return "a group cannot be optional; make its steps optional instead"
    if kind == "group" and name == "prompt":
        return "a group has no prompt; its steps ask the questions"
    owners = [k for k, fields in _STEP_FIELDS.items() if name in fields]
    return f"is not used by a {kind} step (only by {' and '.join(owners)} steps)"


def _syntax_problem(error: yaml.YAMLError, text: str) -> TemplateProblem:
    """A YAML syntax error as one problem, on the line where the parser stopped."""
    line: int | None = None
    message = str(error)
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = error.problem or error.context or "cannot be read"
        if error.context and error.problem:
            message = f"{error.problem} ({error.context}"
            start = error.context_mark
            if start is not None and line is not None and start.line + 1 != line:
                message += f" that starts on line {start.line + 1}"
            message += ")"
    elif isinstance(error, ReaderError):
        line = text.count("\n", 0, error.position) + 1
        message = "has a character that is not allowed in a template"
    if "mapping values are not allowed" in message:
        message += "; put text that contains “: ” in quotes"
    elif "'\\t'" in message:
        message += "; indent with spaces, not tabs"
    return TemplateProblem(line, "", f"YAML syntax: {message}")


def load_template(text: str, *, filename: str = "<template>") -> Template:
    """Parse and validate a template; raise TemplateError listing every problem found."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_TEMPLATE_BYTES:
        raise TemplateError(
            filename,
            [TemplateProblem(None, "", f"is {size:,} bytes; a template may be at most 100 kB")],
        )
    problems: list[TemplateProblem] = []
    try:
        composed = yaml.compose(text, Loader=yaml.SafeLoader)
        if composed is None:
            raise TemplateError(filename, [TemplateProblem(None, "", "is empty")])
        root = _Reader(problems).read(composed, "", _line(composed, 1))
    except yaml.YAMLError as error:
        raise TemplateError(filename, [_syntax_problem(error, text)]) from None
    except RecursionError:
        problem = TemplateProblem(None, "", "is nested too deeply to read")
        raise TemplateError(filename, [problem]) from None
    template = _Checker(problems).template(root, filename)
    if template is None or problems:
        problems.sort(key=lambda p: p.line or 0)
        raise TemplateError(filename, problems)
    return template


def load_template_file(path: str | os.PathLike[str]) -> Template:
    """Load a template file; OSError (missing, unreadable) is left to the caller."""
    filename = os.fspath(path)
    with open(filename, "rb") as handle:
        data = handle.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        problem = TemplateProblem(None, "", "is larger than 100 kB, the most a template may be")
        raise TemplateError(filename, [problem])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problem = TemplateProblem(line, "", "is not UTF-8 text; save the file as UTF-8")
        raise TemplateError(filename, [problem]) from None
    return load_template(text, filename=filename)


def load_library() -> dict[str, Template]:
    """Every built-in template, by id; a broken built-in raises TemplateError."""
    folder = resources.files("conversations.library")
    library: dict[str, Template] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".yaml") or not entry.is_file():
            continue
        filename = f"conversations/library/{entry.name}"
        template = load_template(entry.read_text(encoding="utf-8"), filename=filename)
        earlier = library.get(template.id)
        if earlier is not None:
            problem = TemplateProblem(
                None, "id", f"“{template.id}” is already the id of {earlier.source_file}"
            )
            raise TemplateError(filename, [problem])
        library[template.id] = template
    if not library:
        problem = TemplateProblem(None, "", "no built-in templates were found")
        raise TemplateError("conversations/library", [problem])
    return library


def find_template(library: Mapping[str, Template], name: str) -> Template | None:
    """The template a typed name means: its id (with _, - or spaces), title or another name."""
    wanted = _name_key(name)
    if not wanted:
        return None
    # Ids win over titles and titles over other names, so one template's nickname
    # cannot hide another template.
    spellings: tuple[Callable[[Template], Sequence[str]], ...] = (
        lambda t: (t.id,),
        lambda t: (t.title,),
        lambda t: t.names,
    )
    for spelled in spellings:
        for template in library.values():
            if any(_name_key(candidate) == wanted for candidate in spelled(template)):
                return template
    return None


def _name_key(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").casefold().split())
