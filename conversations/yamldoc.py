"""YAML files people write (operators, therapists) read into typed models, errors by line.

The file is read with PyYAML's safe composer, turned into plain values while noting the
line of every field, and validated by a pydantic model; each validation error is reported
at the line of the field it concerns, in plain words.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from conversations.notes import N_, Unreadable, Words, english

Model = TypeVar("Model", bound=BaseModel)
Path = tuple[str | int, ...]

_TAG_PREFIX = "tag:yaml.org,2002:"
MAX_DEPTH = 24
"""Lists and fields inside each other at most this deep (a template needs about eight)."""
MAX_NUMBER = 10**9
"""No number in a file people write is larger than this, or smaller than its negative."""
_PLAIN_TAGS = {"str", "int", "float", "bool", "null", "timestamp", "seq", "map"}


Fill = tuple[tuple[str, str | int], ...]
"""A message's fields, as (name, value) pairs (a problem stays hashable)."""


@dataclass(frozen=True)
class Problem:
    """One problem in a file, located by line and field path. `message` is a catalog text
    (English, `{name}` fields filled from `fields`), so a therapist reads it in their
    language (`worded`); `str()` is the English, for operators and logs."""

    line: int | None
    field: str
    message: str
    fields: Fill = ()

    def worded(self, t: Words = english) -> str:
        """The problem in the language `t` words in."""
        problem = t(self.message, **dict(self.fields))
        if self.line is None:
            if self.field:
                return t("file, {field}: {problem}", field=self.field, problem=problem)
            return t("file: {problem}", problem=problem)
        if self.field:
            return t(
                "line {line}, {field}: {problem}", line=self.line, field=self.field, problem=problem
            )
        return t("line {line}: {problem}", line=self.line, problem=problem)

    def __str__(self) -> str:
        return self.worded()


def problem(line: int | None, field: str, message: str, **fields: str | int) -> Problem:
    """A problem whose message has fields."""
    return Problem(line, field, message, tuple(fields.items()))


@dataclass
class DocumentError(Exception):
    """A file that cannot be used; `problems` lists every problem found."""

    filename: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.filename}: {len(self.problems)} problem(s)"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


def field_path(path: Path) -> str:
    """`countries.US.lines[0].name` from ("countries", "US", "lines", 0, "name")."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else part
    return text


class _Reader:
    """Plain values from composed YAML nodes, with the line of every path."""

    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []
        self.constructor = SafeConstructor()
        self.seen: set[int] = set()

    def read(self, node: Node, path: Path) -> Any:
        line = node.start_mark.line + 1 if node.start_mark is not None else 0
        self.lines.setdefault(path, line)
        if id(node) in self.seen:
            self.problem(line, path, N_("aliases (*name) are not supported; write the value out"))
            return None
        self.seen.add(id(node))
        tag = node.tag.removeprefix(_TAG_PREFIX)
        if tag not in _PLAIN_TAGS:
            self.problem(line, path, N_("the tag {tag} is not allowed"), tag=node.tag)
            return None
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.read(item, (*path, index)) for index, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, OverflowError):
            self.problem(
                line, path, N_("cannot read the value {value}"), value=str(node.value)[:30]
            )
            return None
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and not -MAX_NUMBER <= value <= MAX_NUMBER:  # also infinity, not-a-number
            self.problem(
                line,
                path,
                N_("{value} is not a number I can use; keep numbers within ±{most}"),
                value=str(node.value)[:30],
                most=MAX_NUMBER,
            )
            return None
        return value

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1 if key.start_mark is not None else 0
            if not isinstance(key, ScalarNode) or key.tag != _TAG_PREFIX + "str":
                if isinstance(key, ScalarNode):
                    self.problem(
                        line,
                        path,
                        N_("“{key}” cannot be a field name; use plain words"),
                        key=str(key.value)[:40],
                    )
                else:
                    self.problem(line, path, N_("this cannot be a field name; use plain words"))
                continue
            name = str(key.value)
            if name in values:
                self.problem(line, (*path, name), N_("appears twice"))
                continue
            self.lines[(*path, name)] = line
            values[name] = self.read(value, (*path, name))
        return values

    def problem(self, line: int | None, path: Path, message: str, **fields: str | int) -> None:
        self.problems.append(problem(line, field_path(path), message, **fields))

    def line_of(self, path: Path) -> int | None:
        """The line of the nearest field written in the file on the way to `path`."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


_FRIENDLY = {
    "missing": N_("is required"),
    "extra_forbidden": N_("is not a field here (check its spelling and indentation)"),
    "string_type": N_("must be text"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "dict_type": N_("must be a set of fields (name: value lines)"),
    "model_type": N_("must be a set of fields (name: value lines)"),
    "model_attributes_type": N_("must be a set of fields (name: value lines)"),
    "list_type": N_("must be a list (lines starting with “- ”)"),
    "date_type": N_("must be a date like 2026-11-29"),
    "date_from_datetime_parsing": N_("must be a date like 2026-11-29"),
    "union_tag_not_found": N_("is required"),
}


def _message(error: Any) -> tuple[str, dict[str, str | int]]:
    """A pydantic error as a catalog text and its fields."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "string_type" and isinstance(error.get("input"), bool | int | float):
        return N_("must be text; put it in quotes (YAML reads it as a number or yes/no)"), {}
    if kind in _FRIENDLY:
        return _FRIENDLY[kind], {}
    if kind == "union_tag_invalid":
        tags = str(context.get("expected_tags", "")).replace("'", "")
        tag = str(context.get("tag", ""))[:40]
        return N_("must be one of {tags}, not “{tag}”"), {"tags": tags, "tag": tag}
    if kind == "literal_error":
        return N_("must be {expected}"), {"expected": _choices(context.get("expected", ""))}
    if kind in {"greater_than_equal", "greater_than"}:
        return N_("must be at least {least}"), {"least": str(context.get("ge", context.get("gt")))}
    if kind in {"less_than_equal", "less_than"}:
        return N_("must be at most {most}"), {"most": str(context.get("le", context.get("lt")))}
    if kind == "string_too_long":
        most = int(context.get("max_length") or 0)
        return N_("is too long; at most {most} characters fit"), {"most": most}
    if kind == "too_short":
        return N_("needs at least {least}"), {"least": int(context.get("min_length") or 0)}
    if kind == "too_long":
        return N_("may have at most {most}"), {"most": int(context.get("max_length") or 0)}
    cause = context.get("error")
    if isinstance(cause, Unreadable):  # a validator's own words, with their fields
        return cause.message, dict(cause.fields)
    # pydantic's own English, never formatted (it has no fields): shown as it is.
    return str(error.get("msg", "is not valid")).removeprefix("Value error, "), {}


def _choices(expected: object) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a, b or c" (the "or" is worded by the catalog text)."""
    return str(expected).replace("'", "")


def syntax_problem(error: yaml.YAMLError) -> Problem:
    """A YAML syntax error as one problem, on the line where the parser stopped."""
    line: int | None = None
    detail = "cannot be read"  # the parser's own words, in English
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = error.problem or error.context or detail
    if "mapping values are not allowed" in detail:
        message = N_("YAML syntax: {detail}; put text that contains “: ” in quotes")
    elif "'\\t'" in detail:
        message = N_("YAML syntax: {detail}; indent with spaces, not tabs")
    else:
        message = N_("YAML syntax: {detail}")
    return problem(line, "", message, detail=detail)


Said = tuple[str, dict[str, str | int]]
"""A catalog text and its fields."""
Check = Callable[[Any], list[tuple[Path, Said]]]
"""Checks beyond the model's types: (where, what is wrong) for each problem found."""
Fields = Callable[[Any, Path], Said | None]
"""For an unknown field's parent: the problem, naming the fields it may have ("unknown
field; a text step may have ...")."""


def load_document(
    text: str,
    model: type[Model],
    *,
    filename: str,
    tags: frozenset[str] = frozenset(),
    check: Check | None = None,
    fields: Fields | None = None,
) -> Model:
    """Validate YAML text against `model`, then `check` it; raise DocumentError naming every
    problem's line. `tags` are a discriminated union's tags, left out of field paths;
    `fields` says which fields a place may have, for unknown ones."""
    reader = _Reader()
    try:
        _check_depth(text)
        composed = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise DocumentError(filename, [syntax_problem(error)]) from None
    except _TooDeep as error:
        deep = problem(error.line, "", N_("is nested more than {most} levels deep"), most=MAX_DEPTH)
        raise DocumentError(filename, [deep]) from None
    if composed is None:
        raise DocumentError(filename, [Problem(None, "", N_("is empty"))])
    data = reader.read(composed, ())
    if reader.problems:
        raise DocumentError(filename, reader.problems)
    try:
        loaded = model.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            path = _clean(item["loc"], tags, data)
            if item["type"].startswith("union_tag"):
                path = (*path, "kind")
            said = _message(item)
            allowed = (
                fields(data, path[:-1]) if fields and item["type"] == "extra_forbidden" else None
            )
            message, given = allowed or said
            problems.append(problem(reader.line_of(path), field_path(path), message, **given))
        raise DocumentError(filename, _ordered(problems)) from None
    if check is not None:
        found = [
            problem(reader.line_of(path), field_path(path), message, **given)
            for path, (message, given) in check(loaded)
        ]
        if found:
            raise DocumentError(filename, _ordered(found))
    return loaded


class _TooDeep(Exception):
    def __init__(self, line: int | None) -> None:
        self.line = line


def _check_depth(text: str) -> None:
    """Refuse nesting beyond MAX_DEPTH before anything recursive reads the file (PyYAML's
    composer, our reader and pydantic all recurse): the parser's events come one by one."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise _TooDeep(mark.line + 1 if mark is not None else None)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _clean(loc: tuple[Any, ...], tags: frozenset[str], data: Any) -> Path:
    """A pydantic error location as a field path: the tag a union member was read by (when
    the data has no such field) and key markers are left out."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(part, str) and (part.startswith("[") or "function-" in part):
            continue  # "[key]", validator wrappers
        if isinstance(part, str) and part in tags and not (isinstance(node, dict) and part in node):
            continue  # the kind (or type) a part was read as
        if not isinstance(part, str | int):
            continue
        path.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(path)


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(problems), key=lambda p: p.line or 0)


def load_document_file(
    path: str | os.PathLike[str],
    model: type[Model],
    *,
    limit: int,
    tags: frozenset[str] = frozenset(),
    check: Check | None = None,
) -> Model:
    """Read a UTF-8 file of at most `limit` bytes and validate it; OSError is the caller's."""
    filename = os.fspath(path)
    with open(filename, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        large = problem(None, "", N_("is larger than {kb} kB, the most allowed"), kb=limit // 1000)
        raise DocumentError(filename, [large])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DocumentError(filename, [Problem(line, "", N_("is not UTF-8 text"))]) from None
    return load_document(text, model, filename=filename, tags=tags, check=check)
