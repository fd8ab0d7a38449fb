"""The homework template language: typed models for what a template says, and loading it.

A template is YAML read with a safe loader and validated by the pydantic models below (one
model per step kind, told apart by `kind`; see ``conversations/kinds``). Checks that span
several fields follow (ids, placeholders, conditions, routes, scores). Every problem names
its line and field. ``homework-bot template-schema`` prints the JSON Schema of this
language for editors; ``docs/templates.md`` explains it with a worked example.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from conversations.conditions import Condition
from conversations.fields import Identifier, Short, Strict, Text
from conversations.kinds import KINDS, OUTER_ONLY, AnyStep, kind_of
from conversations.kinds.base import RESERVED_IDS, StepBase
from conversations.kinds.choice import ChoiceStep, Option
from conversations.kinds.follow_up import FollowUpStep
from conversations.kinds.group import MAX_REPEAT, GroupKind, GroupStep
from conversations.notes import N_, Unreadable
from conversations.yamldoc import DocumentError, Path, Problem, Said, load_document, problem

MAX_TEMPLATE_BYTES = 100_000
"""Larger files are refused before parsing; real templates are a few kilobytes."""
MAX_TITLE = 100
MAX_DIGEST = 500
ROUND_NAMES = frozenset({"n", "total"})
TAILORING = ("instructions", "prompts")
"""What every assignment may tailor without the template declaring it."""

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


class TemplateError(DocumentError):
    """A template that cannot be used; `problems` lists every problem found."""


# Settings an assignment may tailor.
class IntegerParam(Strict):
    type: Literal["integer"]
    min: int | None = None
    max: int | None = None
    default: int
    label: Short = ""

    @field_validator("max")
    @classmethod
    def _above_min(cls, high: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("min")
        if low is not None and high is not None and high < low:
            raise Unreadable(N_("is below min ({low})"), low=low)
        return high

    @field_validator("default")
    @classmethod
    def _within(cls, value: int, info: ValidationInfo) -> int:
        low, high = info.data.get("min"), info.data.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise Unreadable(
                N_("must be between min and max ({low} to {high})"), low=str(low), high=str(high)
            )
        return value


class TextParam(Strict):
    type: Literal["text"]
    default: Text
    label: Short = ""


Param = Annotated[IntegerParam | TextParam, Field(discriminator="type")]


# Scoring a measure.
class Band(Strict):
    """Scores up to and including `max` read as `label` (bands in rising order)."""

    max: int
    label: Short


class ScoreAlert(Strict):
    """An item answer that raises a risk flag at once, whatever the total."""

    step: Identifier
    at_least: int
    reason: Short


class Score(Strict):
    """A measure's total: the items' points added up, read against its bands."""

    name: Short
    items: list[Identifier] = Field(min_length=1)
    bands: list[Band] = Field(min_length=1)
    alerts: list[ScoreAlert] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rising(self) -> Score:
        tops = [band.max for band in self.bands]
        if tops != sorted(set(tops)):
            raise Unreadable(N_("bands must rise: each max above the one before"))
        return self

    def band(self, total: int) -> str:
        """The label of the band `total` falls in."""
        for band in self.bands:
            if total <= band.max:
                return band.label
        return self.bands[-1].label


# Translations of a template's own words.
class StepWords(Strict):
    prompt: Text | None = None
    label: Short | None = None
    options: dict[str, Short] = Field(default_factory=dict)
    min_label: Short | None = None
    max_label: Short | None = None
    yes_label: Short | None = None
    no_label: Short | None = None
    button: Short | None = None
    unit: Short | None = None


class Translation(Strict):
    title: Annotated[str, Field(max_length=MAX_TITLE)] | None = None
    description: Text | None = None
    intro: Text | None = None
    outro: Text | None = None
    steps: dict[Identifier, StepWords] = Field(default_factory=dict)
    params: dict[Identifier, Text] = Field(default_factory=dict)
    """The default of a text setting in this language (a therapist's own value is kept)."""


def _language(code: str) -> str:
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise Unreadable(
            N_("“{code}” is not a language code; use lower-case ones like es"), code=code
        )
    return code


class Template(Strict):
    """A validated homework template (immutable: a change is a new version)."""

    id: Identifier
    version: int = Field(ge=1, le=1_000_000)
    title: Annotated[str, Field(min_length=1, max_length=MAX_TITLE)]
    names: list[Short] = Field(default_factory=list)
    """More names a therapist may type in /assign."""
    description: Text = ""
    intro: Text = ""
    outro: Text = ""
    params: dict[Identifier, Param] = Field(default_factory=dict)
    steps: list[AnyStep] = Field(min_length=1)
    digest: Annotated[str, Field(max_length=MAX_DIGEST)] = ""
    score: Score | None = None
    review: bool = True
    """Show the answers for a last look (and a change) before they are saved."""
    translations: dict[Annotated[str, AfterValidator(_language)], Translation] = Field(
        default_factory=dict
    )

    _source: str = PrivateAttr(default="")
    _filename: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        """The YAML it was loaded from (stored with each version)."""
        return self._source

    @property
    def source_file(self) -> str:
        """Where it was loaded from, for messages."""
        return self._filename

    def loaded_from(self, text: str, filename: str) -> Template:
        """This template, remembering the YAML and the file it was read from."""
        self._source = text
        self._filename = filename
        return self

    def all_steps(self) -> Iterator[tuple[Path, StepBase, GroupStep | None]]:
        """Every step with its path in the file and its group (if inside one)."""
        for index, step in enumerate(self.steps):
            yield ("steps", index), step, None
            if isinstance(step, GroupStep):
                for inner_index, inner in enumerate(step.steps):
                    yield ("steps", index, "steps", inner_index), inner, step


# Checks that span several fields.
@dataclass
class _Checker:
    template: Template
    problems: list[tuple[Path, Said]]
    strict: bool = True
    """Rules added after templates were first stored apply to new uploads only, so a
    version stored before them still opens (`load_template(..., strict=False)`)."""

    def add(self, path: Path, message: str, **fields: str | int) -> None:
        self.problems.append((path, (message, fields)))

    def run(self) -> list[tuple[Path, Said]]:
        self.ids()
        self.settings()
        self.placeholders()
        self.conditions()
        self.routes()
        self.score()
        self.follow_ups()
        self.translations()
        if self.strict:
            self.groups()
        for path, step, _ in self.template.all_steps():
            for where, (message, fields) in kind_of(step).check(step):
                self.add((*path, *where), message, **fields)
        return self.problems

    # Ids.
    def ids(self) -> None:
        seen: dict[str, Path] = {}
        for path, step, _ in self.template.all_steps():
            if step.id in RESERVED_IDS:
                self.add((*path, "id"), N_("“{id}” is kept for the template language"), id=step.id)
            elif step.id in seen:
                self.add((*path, "id"), N_("“{id}” is already the id of another step"), id=step.id)
            else:
                seen[step.id] = path
        for name in self.template.params:
            if name in seen:
                self.add(("params", name), N_("is also a step id; placeholders need one meaning"))
            if name in ROUND_NAMES or name in TAILORING:
                self.add(("params", name), N_("“{id}” is kept for the template language"), id=name)

    def settings(self) -> None:
        for path, step, _ in self.template.all_steps():
            if not isinstance(step, GroupStep):
                continue
            name = GroupKind.setting(step)
            if name is None:
                continue
            param = self.template.params.get(name)
            if param is None:
                self.add(
                    (*path, "repeat"),
                    N_("{{{name}}} is not a setting; add it under params"),
                    name=name,
                )
            elif not isinstance(param, IntegerParam):
                self.add((*path, "repeat"), N_("{{{name}}} must be an integer setting"), name=name)
            elif param.min is None or param.max is None or param.min < 1 or param.max > MAX_REPEAT:
                self.add(
                    (*path, "repeat"),
                    N_("{{{name}}} needs min and max from 1 to {most} to be a repeat count"),
                    name=name,
                    most=MAX_REPEAT,
                )

    def groups(self) -> None:
        for i, step in enumerate(self.template.steps):
            if not isinstance(step, GroupStep):
                continue
            given = [n for n in ("when", "optional", "next") if n in step.model_fields_set]
            if given:
                self.add(
                    ("steps", i),
                    N_("a group can't have {fields}: put it on the questions inside it"),
                    fields=", ".join(given),
                )

    # Placeholders: {param}, {earlier_step}, {n} and {total} in a group.
    def placeholders(self) -> None:
        params = set(self.template.params)
        top = [s.id for s in self.template.steps if not isinstance(s, GroupStep)]
        groups = {s.id for s in self.template.steps if isinstance(s, GroupStep)}
        self.text(("intro",), self.template.intro, params, "intro")
        self.text(("outro",), self.template.outro, params | set(top), "outro")
        self.text(("digest",), self.template.digest, params | set(top) | groups, "digest")
        earlier: set[str] = set()
        for path, step, group in self.template.all_steps():
            allowed = params | earlier
            if group is not None:
                siblings = [s.id for s in group.steps]
                allowed |= ROUND_NAMES | set(siblings[: siblings.index(step.id)])
            if step.prompt:
                self.text((*path, "prompt"), step.prompt, allowed, "prompt", own=step.id)
            if group is None and not isinstance(step, GroupStep):
                earlier.add(step.id)

    def text(self, path: Path, text: str, allowed: set[str], place: str, own: str = "") -> None:
        reported: set[str] = set()
        for match in _PLACEHOLDER.finditer(text):
            token = match.group(0)
            if token in ("{{", "}}"):
                continue
            name = match.group(1)
            if name is None:
                said: Said = (
                    N_("has a lone “{token}”; write {doubled} for a brace"),
                    {"token": token, "doubled": token * 2},
                )
            elif not _NAME.fullmatch(name):
                said = (
                    N_(
                        "{token} is not a placeholder: names are lower-case letters, digits "
                        "and _ (to write a brace itself, double it)"
                    ),
                    {"token": token[:40]},
                )
            else:
                if name in allowed:
                    continue
                said = self.why_not(name, place, own)
                said = (said[0], {**said[1], "token": token})
            shown = said[0].format(**said[1])
            if shown not in reported:
                reported.add(shown)
                self.add(path, said[0], **said[1])

    def why_not(self, name: str, place: str, own: str) -> Said:
        """Why the placeholder `{token}` (filled in by the caller) can't be used here."""
        known = {step.id for _, step, _ in self.template.all_steps()}
        inner = {step.id: g.id for _, step, g in self.template.all_steps() if g is not None}
        groups = {s.id for s in self.template.steps if isinstance(s, GroupStep)}
        if name in ROUND_NAMES:
            return N_("{token} only works in the prompts of a group's steps"), {}
        if place == "intro" and name in known:
            return N_("{token} cannot be used: the intro comes before any answers"), {}
        if name == own:
            return N_("{token} is this step's own answer, which is not known yet"), {}
        if name in inner and place == "digest":
            return (
                N_("{token} is inside the group {group}; use {{{group}}} for all its answers"),
                {"group": inner[name]},
            )
        if name in inner:
            return (
                N_("{token} is inside the group {group}; only that group's steps can use it"),
                {"group": inner[name]},
            )
        if name in groups and place in ("prompt", "outro"):
            return N_("{token} is a group; only the digest can use a whole group"), {}
        if place == "prompt" and name in known:
            return N_("{token} comes later, so it has no answer yet"), {}
        return N_("{token} is not a setting or a step id"), {}

    # Conditions and routes.
    def conditions(self) -> None:
        order = {step.id: i for i, (_, step, _) in enumerate(self.template.all_steps())}
        steps = {step.id: (step, group) for _, step, group in self.template.all_steps()}
        for index, (path, step, group) in enumerate(self.template.all_steps()):
            # `when` is asked before the step; a route after it, so it may test its answer.
            where: list[tuple[Path, Condition, int]] = []
            if step.when is not None:
                where.append(((*path, "when"), step.when, index))
            where += [
                ((*path, "next", i, "when"), route.when, index + 1)
                for i, route in enumerate(step.routes)
                if route.when is not None
            ]
            for condition_path, condition, before in where:
                for message, fields in self.condition(condition, before, group, order, steps):
                    self.add(condition_path, message, **fields)

    def condition(
        self,
        condition: Condition,
        index: int,
        group: GroupStep | None,
        order: Mapping[str, int],
        steps: Mapping[str, tuple[StepBase, GroupStep | None]],
    ) -> list[Said]:
        inner = condition.all_ or condition.any_ or ([condition.not_] if condition.not_ else [])
        if inner:
            return [p for c in inner for p in self.condition(c, index, group, order, steps)]
        name = condition.step or ""
        if name not in steps:
            return [(N_("{name} is not a step in this template"), {"name": name})]
        target, target_group = steps[name]
        if order[name] >= index:
            return [
                (N_("{name} is not asked before this, so it has no answer yet"), {"name": name})
            ]
        if target_group is not None and target_group is not group:
            return [
                (
                    N_("{name} is inside the group {group}; only its own steps can test it"),
                    {"name": name, "group": target_group.id},
                )
            ]
        if isinstance(target, GroupStep | FollowUpStep):
            return [(N_("{name} has no answer of its own to test"), {"name": name})]
        kind = kind_of(target)
        test = condition.test
        if (
            test in ("at_least", "at_most")
            and kind.number(target, 0) is None
            and not isinstance(target, ChoiceStep)
        ):
            return [
                (
                    N_("{test} needs a step answered with a number; {name} is a {kind} step"),
                    {"test": test, "name": name, "kind": target.kind},
                )
            ]
        unscored = isinstance(target, ChoiceStep) and any(o.points is None for o in target.options)
        if self.strict and test in ("at_least", "at_most") and unscored:
            return [
                (N_("{test} needs points on every option of {name}"), {"test": test, "name": name})
            ]
        values = kind.option_values(target)
        multiple = isinstance(target, ChoiceStep) and target.multiple
        if self.strict and test in ("is", "is_not") and multiple:
            return [
                (N_("{name} is a multiple choice; test it with includes: OPTION"), {"name": name})
            ]
        if test == "includes":
            if not (isinstance(target, ChoiceStep) and target.multiple):
                return [(N_("includes needs a multiple choice; {name} is not one"), {"name": name})]
            if values is not None and condition.includes not in values:
                return [
                    (
                        N_("{name} has no option “{option}”"),
                        {"name": name, "option": str(condition.includes)},
                    )
                ]
        if test in ("is", "is_not") and values is not None:
            wanted = condition.is_ if test == "is" else condition.is_not
            if str(wanted) not in values:
                return [
                    (
                        N_("{name} has no option “{option}”; its options are {options}"),
                        {"name": name, "option": str(wanted), "options": ", ".join(sorted(values))},
                    )
                ]
        if test in ("is", "is_not") and target.kind == "yes_no":
            wanted = condition.is_ if test == "is" else condition.is_not
            if not isinstance(wanted, bool):
                return [
                    (N_("{name} is answered yes or no; write is: yes or is: no"), {"name": name})
                ]
        return []

    def routes(self) -> None:
        top = [step.id for step in self.template.steps]
        for path, step, group in self.template.all_steps():
            for i, route in enumerate(step.routes):
                where = (*path, "next") if isinstance(step.next, str) else (*path, "next", i)
                if group is not None:
                    self.add(where, N_("steps inside a group go in order; next can't be used here"))
                elif route.goto == "end":
                    continue
                elif route.goto not in top:
                    self.add(
                        where,
                        N_("goes to {step}, which is not a step outside a group"),
                        step=route.goto,
                    )
                elif top.index(route.goto) <= top.index(step.id):
                    self.add(
                        where, N_("goes back to {step}; next may only go forward"), step=route.goto
                    )
        self.reachable(top)

    def reachable(self, top: Sequence[str]) -> None:
        reached = {0}
        for index, step in enumerate(self.template.steps):
            if index not in reached:
                continue
            routes = step.routes
            targets = {top.index(r.goto) for r in routes if r.goto in top}
            if not any(r.when is None for r in routes) and index + 1 < len(top):
                targets.add(index + 1)
            reached |= {t for t in targets if t > index}
        for index, step in enumerate(self.template.steps):
            if index not in reached:
                self.add(
                    ("steps", index),
                    N_("{step} can never be reached: a step before it always goes past it"),
                    step=step.id,
                )

    # Scores, follow-ups, translations.
    def score(self) -> None:
        score = self.template.score
        if score is None:
            return
        top = {step.id: step for step in self.template.steps}
        for i, item in enumerate(score.items):
            step = top.get(item)
            if step is None:
                self.add(
                    ("score", "items", i), N_("{step} is not a step outside a group"), step=item
                )
            elif isinstance(step, ChoiceStep) and any(o.points is None for o in step.options):
                self.add(
                    ("score", "items", i), N_("{step} needs points on every option"), step=item
                )
            elif kind_of(step).points(step, 0) is None and not isinstance(step, ChoiceStep):
                self.add(
                    ("score", "items", i),
                    N_("{step} is a {kind} step, which can't be scored"),
                    step=item,
                    kind=step.kind,
                )
            elif self.strict and (step.optional or step.when is not None):
                # A total with items left out is not the measure's total.
                self.add(
                    ("score", "items", i),
                    N_("{step} is scored, so it can't be optional or asked only sometimes"),
                    step=item,
                )
        for i, alert in enumerate(score.alerts):
            if alert.step not in score.items:
                self.add(
                    ("score", "alerts", i, "step"),
                    N_("{step} is not one of the items"),
                    step=alert.step,
                )

    def follow_ups(self) -> None:
        order = [step.id for step in self.template.steps]
        for path, step, _ in self.template.all_steps():
            if not isinstance(step, FollowUpStep):
                continue
            if isinstance(step.after_days, str):
                name = step.after_days.strip("{}")
                param = self.template.params.get(name)
                if not isinstance(param, IntegerParam):
                    self.add(
                        (*path, "after_days"),
                        N_("{{{name}}} must be an integer setting"),
                        name=name,
                    )
            if step.after_step is not None:
                target = next((s for s in self.template.steps if s.id == step.after_step), None)
                if target is None or target.kind != "date":
                    self.add(
                        (*path, "after_step"), N_("{step} is not a date step"), step=step.after_step
                    )
                elif order.index(target.id) > order.index(step.id):
                    self.add(
                        (*path, "after_step"),
                        N_("{step} is asked after this"),
                        step=step.after_step,
                    )
            if path[-1] == len(self.template.steps) - 1:
                self.add(path, N_("a follow-up needs steps after it to ask when it is due"))

    def translations(self) -> None:
        steps = {step.id: step for _, step, _ in self.template.all_steps()}
        params = set(self.template.params)
        top = {s.id for s in self.template.steps if not isinstance(s, GroupStep)}
        for language, words in self.template.translations.items():
            base: Path = ("translations", language)
            for name in words.params:
                param = self.template.params.get(name)
                if param is None or param.type != "text":
                    self.add(
                        (*base, "params", name), N_("{name} is not a text setting here"), name=name
                    )
            if self.strict and words.intro:
                self.text((*base, "intro"), words.intro, params, "intro")
            if self.strict and words.outro:
                self.text((*base, "outro"), words.outro, params | top, "outro")
            for step_id, step_words in words.steps.items():
                step = steps.get(step_id)
                if self.strict and step is not None and step_words.prompt:
                    allowed = {m.group(1) for m in _PLACEHOLDER.finditer(step.prompt) if m.group(1)}
                    self.text(
                        (*base, "steps", step_id, "prompt"),
                        step_words.prompt,
                        allowed,
                        "prompt",
                        own=step.id,
                    )
            for step_id, step_words in words.steps.items():
                step = steps.get(step_id)
                where = ("translations", language, "steps", step_id)
                if step is None:
                    self.add(where, N_("{name} is not a step in this template"), name=step_id)
                    continue
                values = kind_of(step).option_values(step) or frozenset()
                for value in step_words.options:
                    if value not in values:
                        self.add(
                            (*where, "options", value),
                            N_("{name} has no option “{option}”"),
                            name=step_id,
                            option=value,
                        )


def check_template(template: Template, *, strict: bool = True) -> list[tuple[Path, Said]]:
    """Problems a template's types can't show: ids, placeholders, conditions, routes...
    (`strict=False`: without the rules added after templates were first stored)."""
    return _Checker(template, [], strict).run()


STEP_TAGS = frozenset(KINDS) | frozenset({"integer", "text"})


def load_template(text: str, *, filename: str = "<template>", strict: bool = True) -> Template:
    """Parse and validate a template; raise TemplateError listing every problem found.
    A stored version is read with `strict=False` (see `_Checker.strict`)."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_TEMPLATE_BYTES:
        large = problem(
            None, "", N_("is {size} bytes; a template may be at most 100 kB"), size=size
        )
        raise TemplateError(filename, [large])
    try:
        template = load_document(
            text,
            Template,
            filename=filename,
            tags=STEP_TAGS,
            check=functools.partial(check_template, strict=strict),
            fields=_fields_at,
        )
    except TemplateError:
        raise
    except DocumentError as error:
        raise TemplateError(error.filename, error.problems) from None
    return template.loaded_from(text, filename)


def _fields_at(data: Any, path: Path) -> Said | None:
    """An unknown field at `path` in a template's raw data: what the place is, and the
    fields it may have."""
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    kind = node.get("kind") if isinstance(node, dict) else None

    def names(model: type[Strict]) -> dict[str, str | int]:
        return {"names": ", ".join(info.alias or name for name, info in model.model_fields.items())}

    if not path:
        return N_("unknown field; a template may have {names}"), names(Template)
    if path[-2:-1] == ("steps",) and isinstance(kind, str) and kind in KINDS:
        step = names(KINDS[kind].model)
        return N_("unknown field; a {kind} step may have {names}"), {**step, "kind": kind}
    if path[-2:-1] == ("options",):
        return N_("unknown field; an option may have {names}"), names(Option)
    if len(path) == 2 and path[0] == "params" and isinstance(node, dict):
        model = TextParam if node.get("type") == "text" else IntegerParam
        return N_("unknown field; a setting may have {names}"), names(model)
    if path[-1:] in (("when",),) or path[-2:-1] in (("all",), ("any",)):
        return N_("unknown field; a condition may have {names}"), names(Condition)
    if path[-1:] == ("score",):
        return N_("unknown field; a score may have {names}"), names(Score)
    return None


def load_template_file(path: str | os.PathLike[str]) -> Template:
    """Load a template file; OSError (missing, unreadable) is left to the caller."""
    filename = os.fspath(path)
    with open(filename, "rb") as handle:
        data = handle.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        large = Problem(None, "", N_("is larger than 100 kB, the most a template may be"))
        raise TemplateError(filename, [large])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        unread = Problem(line, "", N_("is not UTF-8 text; save it as UTF-8"))
        raise TemplateError(filename, [unread]) from None
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
            twice = problem(
                None,
                "id",
                N_("“{id}” is already the id of {file}"),
                id=template.id,
                file=earlier.source_file,
            )
            raise TemplateError(filename, [twice])
        library[template.id] = template
    if not library:
        raise TemplateError("conversations/library", [Problem(None, "", N_("no templates found"))])
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
        # Its title in another language: a Spanish-speaking therapist types the Spanish.
        lambda t: [w.title for w in t.translations.values() if w.title],
    )
    for spelled in spellings:
        for template in library.values():
            if any(_name_key(candidate) == wanted for candidate in spelled(template)):
                return template
    return None


def _name_key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.replace("_", " ").replace("-", " "))
    unaccented = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(unaccented.casefold().split())


def template_schema() -> dict[str, Any]:
    """The JSON Schema of the template language, for editors that check as you type."""
    schema = Template.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Homework template"
    return schema


__all__ = [
    "OUTER_ONLY",
    "Template",
    "TemplateError",
    "find_template",
    "load_library",
    "load_template",
    "load_template_file",
    "template_schema",
]
