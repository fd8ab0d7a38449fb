"""The flow engine: walks a client through a homework template one step at a time.

It is pure: ``advance(flow, state, event)`` returns the next state and what to say,
and never touches Telegram, a database or the clock, so every path is unit tested.

::

    compile_flow(template, params) ─► Flow (groups expanded into plain steps)
    begin(flow) ─► Turn(state, says, question)
    advance(flow, state, Text | Press | Skip | Back | Other) ─► Turn
    ... until Turn.finished, with Turn.summary to show the client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from conversations.templates import MAX_ANSWER_LENGTH, Option, StepTemplate, Template

Answer = str | int | list[str]
QuestionKind = Literal["text", "scale", "choice"]

DONE = "done"
"""Button value that confirms a multiple choice."""

SPLIT_SIZE = MAX_ANSWER_LENGTH + 1
"""Telegram apps cut a long message into parts of at least 2,048 characters; a refused answer
this long may be the first part of one."""

SPLIT_WINDOW = 10.0
"""Seconds between the parts of one message, by the dates Telegram gives them."""

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z][a-z0-9_]*)\}")
_NUMBER = re.compile(r"^\s*(-?\d{1,6})\s*%?\s*$")
_SEPARATORS = re.compile(r"\s*(?:,|;|\band\b|\n)\s*", re.IGNORECASE)


class FlowError(ValueError):
    """Parameters that do not fit the template (a therapist's tailoring mistake)."""


@dataclass(frozen=True)
class Step:
    """One concrete question of a flow (groups are already expanded)."""

    key: str
    local_id: str
    kind: QuestionKind
    prompt: str
    label: str
    optional: bool = False
    max_length: int = 0
    min: int = 0
    max: int = 0
    step: int = 1
    min_label: str = ""
    max_label: str = ""
    options: tuple[Option, ...] = ()
    multiple: bool = False
    group: str = ""
    round: int = 0
    rounds: int = 0


@dataclass(frozen=True)
class Flow:
    """A template made concrete for one assignment: parameters applied, groups expanded."""

    template_id: str
    version: int
    title: str
    steps: tuple[Step, ...]
    params: Mapping[str, int | str]
    intro: str = ""
    outro: str = ""
    digest: str = ""
    groups: Mapping[str, str] = field(default_factory=dict)
    """Group id to its label, for summaries and digests."""


@dataclass(frozen=True)
class State:
    """Where a client stands in a flow; JSON-friendly so it can be stored as is."""

    position: int = 0
    answers: Mapping[str, Answer] = field(default_factory=dict)
    trail: tuple[int, ...] = ()
    selection: tuple[str, ...] = ()
    split_at: float | None = None
    """When the last answer, refused as possibly one part of a long message, was sent."""

    def to_json(self) -> dict[str, object]:
        """A plain dict for storage."""
        return {
            "position": self.position,
            "answers": dict(self.answers),
            "trail": list(self.trail),
            "selection": list(self.selection),
            "split_at": self.split_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> State:
        """The state stored by `to_json`."""
        position = data.get("position", 0)
        answers = data.get("answers", {})
        trail = data.get("trail", [])
        selection = data.get("selection", [])
        if not isinstance(position, int) or not isinstance(answers, dict):
            raise ValueError("stored conversation state is damaged")
        if not isinstance(trail, list) or not isinstance(selection, list):
            raise ValueError("stored conversation state is damaged")
        return cls(
            position=position,
            answers={str(k): _stored_answer(v) for k, v in answers.items()},
            trail=tuple(int(p) for p in trail),
            selection=tuple(str(s) for s in selection),
            split_at=_stored_time(data.get("split_at")),
        )


def _stored_time(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _stored_answer(value: object) -> Answer:
    if isinstance(value, bool):
        raise ValueError("stored conversation state is damaged")
    if isinstance(value, str | int):
        return value
    if isinstance(value, list):
        return [str(v) for v in value]
    raise ValueError("stored conversation state is damaged")


# Events: what the client did.
@dataclass(frozen=True)
class Text:
    """The client typed something; `sent_at` is when (seconds since the epoch), if known."""

    text: str
    sent_at: float | None = None


@dataclass(frozen=True)
class Press:
    """The client pressed an answer button shown for the step at `position`."""

    position: int
    value: str


@dataclass(frozen=True)
class Skip:
    """The client asked to skip the current step."""


@dataclass(frozen=True)
class Back:
    """The client asked to change their previous answer."""


@dataclass(frozen=True)
class Other:
    """The client sent something that is not text (a photo, a sticker, a voice note...)."""

    what: str


Event = Text | Press | Skip | Back | Other


@dataclass(frozen=True)
class Button:
    """An answer button: what it says and the value it sends."""

    label: str
    value: str


@dataclass(frozen=True)
class Question:
    """The step being asked, ready to render."""

    position: int
    number: int
    total: int
    kind: QuestionKind
    text: str
    hint: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    optional: bool = False
    can_go_back: bool = False
    previous: str = ""
    """The earlier answer to this step, when the client came back to change it."""


@dataclass(frozen=True)
class Turn:
    """The result of one event: the new state, notices to say, and the next question."""

    state: State
    says: tuple[str, ...] = ()
    question: Question | None = None
    summary: tuple[tuple[str, str], ...] = ()

    @property
    def finished(self) -> bool:
        """True once every step has an answer or was skipped."""
        return self.question is None


# Compiling a template into a flow.
def compile_flow(template: Template, params: Mapping[str, int | str] | None = None) -> Flow:
    """Apply an assignment's parameters to a template and expand its groups."""
    values = resolve_params(template, params or {})
    steps: list[Step] = []
    groups: dict[str, str] = {}
    for step in template.steps:
        if step.kind == "group":
            rounds = _repeat_count(step.repeat, values)
            groups[step.id] = step.label or step.id
            for round_number in range(1, rounds + 1):
                for inner in step.steps:
                    key = f"{step.id}.{round_number}.{inner.id}"
                    concrete = _concrete(inner, key, step.id)
                    steps.append(replace(concrete, round=round_number, rounds=rounds))
        else:
            steps.append(_concrete(step, step.id, ""))
    return Flow(
        template_id=template.id,
        version=template.version,
        title=template.title,
        steps=tuple(steps),
        params=values,
        intro=template.intro,
        outro=template.outro,
        digest=template.digest,
        groups=groups,
    )


def resolve_params(template: Template, given: Mapping[str, int | str]) -> dict[str, int | str]:
    """The template's defaults overlaid with `given`, checked against each parameter's bounds."""
    known = {param.name: param for param in template.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise FlowError(f"{template.title} has no setting called {', '.join(unknown)}.")
    values: dict[str, int | str] = {}
    for name, param in known.items():
        value = given.get(name, param.default)
        if param.type == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise FlowError(f"{param.label or name} must be a whole number.")
            if (param.min is not None and value < param.min) or (
                param.max is not None and value > param.max
            ):
                raise FlowError(
                    f"{param.label or name} must be between {param.min} and {param.max}."
                )
        elif not isinstance(value, str):
            raise FlowError(f"{param.label or name} must be text.")
        values[name] = value
    return values


def _repeat_count(repeat: int | str, values: Mapping[str, int | str]) -> int:
    if isinstance(repeat, int):
        return repeat
    count = values.get(repeat.strip("{}"))
    if not isinstance(count, int):
        raise FlowError(f"the repeat count {repeat} is not a whole number")
    return count


def _concrete(step: StepTemplate, key: str, group: str) -> Step:
    if step.kind == "group":
        raise FlowError("groups cannot be nested")
    return Step(
        key=key,
        local_id=step.id,
        kind=step.kind,
        prompt=step.prompt,
        label=step.label or step.id.replace("_", " ").capitalize(),
        optional=step.optional,
        max_length=step.max_length,
        min=step.min,
        max=step.max,
        step=step.step,
        min_label=step.min_label,
        max_label=step.max_label,
        options=step.options,
        multiple=step.multiple,
        group=group,
    )


# Running a flow.
def begin(flow: Flow) -> Turn:
    """Start a flow: the intro, then the first question."""
    intro = interpolate(flow.intro, _context(flow, State(), None))
    return ask(flow, State(), says=(intro,) if intro else ())


def ask(flow: Flow, state: State, says: Sequence[str] = ()) -> Turn:
    """The current question again (after a restart, a pause, or a notice)."""
    if state.position >= len(flow.steps):
        return Turn(state=state, says=tuple(says), summary=summarize(flow, state.answers))
    return Turn(state=state, says=tuple(says), question=_question(flow, state))


def advance(flow: Flow, state: State, event: Event) -> Turn:
    """Apply one client event to the state and say what comes next."""
    if state.position >= len(flow.steps):
        return ask(flow, state)
    step = flow.steps[state.position]
    if isinstance(event, Text) and _continues(state, event):
        # The rest of a long message Telegram cut into parts: not an answer of its own.
        return ask(flow, replace(state, split_at=event.sent_at), says=(_REST_OF_LONG,))
    if state.split_at is not None:
        state = replace(state, split_at=None)
    if isinstance(event, Back):
        return _back(flow, state)
    if isinstance(event, Skip):
        if not step.optional:
            return ask(flow, state, says=(_cannot_skip(),))
        answers = {k: v for k, v in state.answers.items() if k != step.key}
        return _move_on(flow, replace(state, answers=answers))
    if isinstance(event, Other):
        return ask(flow, state, says=(_wrong_kind(step, event.what),))
    if isinstance(event, Press):
        if event.position != state.position:
            return ask(flow, state, says=("That button belongs to an earlier question.",))
        return _pressed(flow, state, step, event.value)
    return _typed(flow, state, step, event.text, event.sent_at)


def _continues(state: State, event: Text) -> bool:
    if state.split_at is None or event.sent_at is None:
        return False
    return 0 <= event.sent_at - state.split_at <= SPLIT_WINDOW


def _typed(flow: Flow, state: State, step: Step, text: str, sent_at: float | None = None) -> Turn:
    cleaned = text.strip()
    if step.kind == "text":
        if not cleaned:
            return ask(flow, state, says=("I didn't catch any words there.",))
        if len(cleaned) > step.max_length:
            return ask(
                flow,
                replace(state, split_at=sent_at if len(cleaned) >= SPLIT_SIZE else None),
                says=(
                    f"That is longer than I can keep in one answer ({len(cleaned):,} characters; "
                    f"up to {step.max_length:,} fit). Could you send a shorter version? "
                    "Your words are still in the chat above to copy from.",
                ),
            )
        return _answer(flow, state, step, cleaned)
    if step.kind == "scale":
        match = _NUMBER.match(cleaned)
        if match is None or not step.min <= int(match.group(1)) <= step.max:
            return ask(flow, state, says=(f"I need a number from {step.min} to {step.max} here.",))
        return _answer(flow, state, step, int(match.group(1)))
    if not step.multiple:
        option = _find_option(step, cleaned)
        if option is None:
            return ask(flow, state, says=(_choose_hint(step),))
        return _answer(flow, state, step, option.value)
    if cleaned.casefold() in {DONE, "that's all", "thats all", "finished"}:
        return _confirm_selection(flow, state, step)
    whole = _find_option(step, cleaned)
    if whole is not None:  # a label may itself contain "and" or a comma
        return _answer(flow, state, step, [whole.value])
    picked: list[str] = []
    for part in _SEPARATORS.split(cleaned):
        if not part:
            continue
        option = _find_option(step, part)
        if option is None:
            return ask(flow, state, says=(f"I couldn't match “{part[:40]}”. {_choose_hint(step)}",))
        if option.value not in picked:
            picked.append(option.value)
    if not picked:
        return ask(flow, state, says=(_choose_hint(step),))
    return _answer(flow, state, step, [o.value for o in step.options if o.value in picked])


def _pressed(flow: Flow, state: State, step: Step, value: str) -> Turn:
    if step.kind == "scale":
        return _typed(flow, state, step, value)
    if step.kind != "choice":
        return ask(flow, state, says=("That button belongs to an earlier question.",))
    if step.multiple and value == DONE:
        return _confirm_selection(flow, state, step)
    option = next((o for o in step.options if o.value == value), None)
    if option is None:
        return ask(flow, state, says=("That button belongs to an earlier question.",))
    if not step.multiple:
        return _answer(flow, state, step, option.value)
    selected = set(state.selection)
    selected ^= {option.value}
    ordered = tuple(o.value for o in step.options if o.value in selected)
    return ask(flow, replace(state, selection=ordered))


def _confirm_selection(flow: Flow, state: State, step: Step) -> Turn:
    if not state.selection:
        if step.optional:
            return advance(flow, state, Skip())
        return ask(flow, state, says=("Please pick at least one first.",))
    return _answer(flow, state, step, list(state.selection))


def _answer(flow: Flow, state: State, step: Step, value: Answer) -> Turn:
    return _move_on(flow, replace(state, answers={**state.answers, step.key: value}))


def _move_on(flow: Flow, state: State) -> Turn:
    moved = replace(
        state, position=state.position + 1, trail=(*state.trail, state.position), selection=()
    )
    if moved.position >= len(flow.steps):
        return Turn(state=moved, summary=summarize(flow, moved.answers))
    return ask(flow, moved)


def _back(flow: Flow, state: State) -> Turn:
    if not state.trail:
        return ask(
            flow, state, says=("This is the first question, so there is nothing to go back to.",)
        )
    previous = state.trail[-1]
    step = flow.steps[previous]
    earlier = state.answers.get(step.key)
    selection = tuple(earlier) if isinstance(earlier, list) else ()
    moved = replace(state, position=previous, trail=state.trail[:-1], selection=selection)
    return ask(flow, moved)


def _question(flow: Flow, state: State) -> Question:
    step = flow.steps[state.position]
    context = _context(flow, state, step)
    earlier = state.answers.get(step.key)
    return Question(
        position=state.position,
        number=state.position + 1,
        total=len(flow.steps),
        kind=step.kind,
        text=interpolate(step.prompt, context),
        hint=_hint(step),
        buttons=_buttons(step, state),
        optional=step.optional,
        can_go_back=bool(state.trail),
        previous=answer_text(step, earlier) if earlier is not None else "",
    )


def _buttons(step: Step, state: State) -> tuple[tuple[Button, ...], ...]:
    if step.kind == "scale":
        values = list(range(step.min, step.max + 1, step.step))
        if values[-1] != step.max:
            values.append(step.max)
        per_row = 6 if len(values) > 6 else len(values)
        return _rows([Button(str(v), str(v)) for v in values], per_row)
    if step.kind != "choice":
        return ()
    # Numbered, so the hint "type their numbers" can be followed without the buttons.
    numbered = [(f"{i}. {o.label}", o) for i, o in enumerate(step.options, start=1)]
    if not step.multiple:
        return _rows([Button(label, o.value) for label, o in numbered], 2)
    marked = [
        Button(("✓ " if o.value in state.selection else "") + label, o.value)
        for label, o in numbered
    ]
    return (*_rows(marked, 2), (Button("Done", DONE),))


def _rows(buttons: list[Button], per_row: int) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def _hint(step: Step) -> str:
    if step.kind == "scale":
        low = f" ({step.min_label})" if step.min_label else ""
        high = f" ({step.max_label})" if step.max_label else ""
        return f"Tap a number or type one from {step.min}{low} to {step.max}{high}."
    if step.kind == "choice" and step.multiple:
        return "Tap all that fit, then Done. Or type their numbers, like 1, 3."
    if step.kind == "choice":
        return "Tap one, or type its number."
    return ""


def _choose_hint(step: Step) -> str:
    listed = "; ".join(f"{i}. {o.label}" for i, o in enumerate(step.options, start=1))
    many = "one or more numbers, like 1, 3" if step.multiple else "the number or the words"
    return f"Please type {many} from this list: {listed}."


def _find_option(step: Step, typed: str) -> Option | None:
    wanted = _plain(typed)
    if wanted.isdigit() and 1 <= int(wanted) <= len(step.options):
        return step.options[int(wanted) - 1]
    for option in step.options:
        if wanted in {_plain(option.label), _plain(option.value)}:
            return option
    return None


def _plain(text: str) -> str:
    """Text as compared with an option: any case, quotes and punctuation, `_` as a space."""
    kept = "".join(c if c.isalnum() else " " for c in text.casefold())
    return " ".join(kept.split())


_REST_OF_LONG = (
    "That was the rest of the long message, so I haven't kept it either. "
    "Could you send a shorter version, in one message?"
)


def _cannot_skip() -> str:
    return (
        "This question matters for the rest, so it can't be skipped. "
        "If it feels like too much right now, that's okay: /cancel pauses and keeps your answers."
    )


def _wrong_kind(step: Step, what: str) -> str:
    wanted = {
        "text": "a few words typed as a message",
        "scale": f"a number from {step.min} to {step.max}",
        "choice": "one of the choices below",
    }[step.kind]
    return f"Thanks, but I can't use {with_article(what)} for this question. I need {wanted}."


def with_article(noun: str) -> str:
    """'a photo', 'an animation'."""
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


# Reading answers back.
def answer_text(step: Step, answer: Answer | None) -> str:
    """An answer as words: choice values become their labels."""
    if answer is None:
        return ""
    if isinstance(answer, list):
        labels = {o.value: o.label for o in step.options}
        return ", ".join(labels.get(v, v) for v in answer)
    if step.kind == "choice":
        return next((o.label for o in step.options if o.value == answer), str(answer))
    return str(answer)


def summarize(flow: Flow, answers: Mapping[str, Answer]) -> tuple[tuple[str, str], ...]:
    """(label, answer) for every answered step, in order, for the client's summary."""
    lines: list[tuple[str, str]] = []
    for step in flow.steps:
        if step.key not in answers:
            continue
        label = f"{step.label} {step.round}" if step.group else step.label
        lines.append((label, answer_text(step, answers[step.key])))
    return tuple(lines)


def digest_line(flow: Flow, answers: Mapping[str, Answer], *, limit: int = 300) -> str:
    """One short line for the therapist's digest, from the template's `digest` pattern."""
    context: dict[str, str] = {name: str(value) for name, value in flow.params.items()}
    rounds: dict[str, dict[int, list[str]]] = {}
    for step in flow.steps:
        text = _shorten(answer_text(step, answers.get(step.key)), 120)
        if step.group:
            if text:
                rounds.setdefault(step.group, {}).setdefault(step.round, []).append(text)
        else:
            context[step.local_id] = text
    for group in flow.groups:
        items = rounds.get(group, {})
        context[group] = "; ".join(" — ".join(parts) for _, parts in sorted(items.items()))
    pattern = flow.digest or " · ".join("{" + s.local_id + "}" for s in flow.steps[:2])
    return _shorten(interpolate(pattern, context), limit)


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _context(flow: Flow, state: State, step: Step | None) -> dict[str, str]:
    context = {name: str(value) for name, value in flow.params.items()}
    for other in flow.steps:
        if other.group:
            continue
        context[other.local_id] = answer_text(other, state.answers.get(other.key))
    if step is not None and step.group:
        context["n"] = str(step.round)
        context["total"] = str(step.rounds)
        for sibling in flow.steps:
            if sibling.group == step.group and sibling.round == step.round:
                context[sibling.local_id] = answer_text(sibling, state.answers.get(sibling.key))
    return context


def interpolate(pattern: str, context: Mapping[str, str]) -> str:
    """Fill `{name}` placeholders; `{{` and `}}` stand for literal braces."""

    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return context.get(match.group(1), "")

    return _PLACEHOLDER.sub(fill, pattern)
