"""The flow engine: walks a client through a homework template one step at a time.

It is pure: ``advance(flow, state, event)`` returns the next state, what to say (message
ids with parameters, and the template's own words), the next question, and effects for the
bot to carry out (a risk flag, a photo to keep, a follow-up to schedule, a score). It never
touches Telegram, a database or the clock, so every path is unit tested.

::

    compile_flow(template, params, language) ─► Flow (groups expanded, tailoring applied)
    begin(flow) ─► Turn(state, says, question)
    advance(flow, state, Text | Press | Media | Skip | Back) ─► Turn
        ... a follow-up pauses: Turn.waiting (the bot brings it back with resume())
        ... the end: Turn.review (Save, or change an answer), then Turn.finished

State names steps by key ("situation", "good_things.2.why"), never by position, and an
entry keeps the template version it started with, so editing a template never moves an
open conversation.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from conversations.choosing import Picked, fold, match_choice
from conversations.fields import MAX_TEXT
from conversations.kinds import Kind, kind_of
from conversations.kinds.base import (
    Accept,
    Answer,
    Button,
    Confirm,
    Env,
    Media,
    Outcome,
    Refuse,
    Rows,
    Select,
    StepBase,
)
from conversations.kinds.choice import DONE
from conversations.kinds.date import DateStep
from conversations.kinds.follow_up import FollowUpStep
from conversations.kinds.group import GroupKind, GroupStep
from conversations.kinds.info import InfoStep
from conversations.kinds.scale import ScaleStep
from conversations.kinds.text import SPLIT_SIZE, TextStep
from conversations.kinds.yes_no import YesNoStep
from conversations.notes import Note, Wording, note
from conversations.templates import Score, Template

Say = Note | str
"""What a turn says: a note the renderer words, or the template's own text."""

DATE_RESOLUTION = 1.0
"""Telegram dates messages in whole seconds."""

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z][a-z0-9_]*)\}")
SKIP = "-skip"
KEEP = "-keep"
"""The button that keeps an answer as it was while changing answers from the review."""
"""The Skip button's value (option values can't hold a hyphen, so it never clashes)."""
_SAVE_WORDS = frozenset(
    {"save", "save it", "yes", "ok", "okay", "done", "guardar", "guardalo", "si", "listo", "vale"}
)
SKIP_WORDS = frozenset({"skip", "skip it", "skip this", "saltar", "saltarla", "omitir", "pasar"})
"""A whole message of these (accents aside) is /skip, at any question."""
BACK_WORDS = frozenset({"atras", "volver atras"})
"""A whole message of these (accents aside) is /back ("back" is not: it is a body part)."""
_CHANGE_WORDS = frozenset(
    {"change", "change an answer", "edit", "cambiar", "cambiar una respuesta", "editar"}
)
_KEEP_WORDS = frozenset(
    {"keep", "keep it", "keep as it is", "mantener", "dejarlo así", "dejarlo asi", "dejarlo"}
)


class FlowError(ValueError):
    """Settings that do not fit the template (a therapist's tailoring mistake)."""


ENGLISH = Wording()


# A template made concrete.
@dataclass(frozen=True)
class Step:
    """One concrete question of a flow (groups are already expanded)."""

    key: str
    index: int
    spec: StepBase
    group: str = ""
    round: int = 0
    rounds: int = 0
    day: Callable[[date], str] | None = field(default=None, compare=False, repr=False)
    """How a day answer is shown back, in the person's language (date steps)."""

    @property
    def kind(self) -> Kind[Any]:
        """What kind of step this is."""
        return kind_of(self.spec)

    @property
    def local_id(self) -> str:
        """The id as written in the template (inside a group, without the round)."""
        return self.spec.id

    @property
    def label(self) -> str:
        """The short name in summaries, with the round inside a group."""
        label = self.spec.shown_label
        return f"{label} {self.round}" if self.group else label


@dataclass(frozen=True)
class Flow:
    """A template made concrete for one assignment: settings applied, groups expanded."""

    template_id: str
    version: int
    title: str
    steps: tuple[Step, ...]
    params: Mapping[str, Any]
    intro: str = ""
    outro: str = ""
    digest: str = ""
    groups: Mapping[str, str] = field(default_factory=dict)
    """Group id to its label, for summaries and digests."""
    score: Score | None = None
    review: bool = True

    def index_of(self, key: str) -> int | None:
        """The position of the step with this key, if it has one."""
        for step in self.steps:
            if step.key == key:
                return step.index
        return None

    @property
    def review_position(self) -> int:
        """The position review buttons carry (one past the last step)."""
        return len(self.steps)


def compile_flow(
    template: Template,
    params: Mapping[str, Any] | None = None,
    *,
    language: str | None = None,
    wording: Wording = ENGLISH,
) -> Flow:
    """Apply an assignment's settings and tailoring, and a translation; expand groups.
    Settings a newer version of the template no longer takes are left out (`fit_params`).
    `wording` words what the engine adds in the person's language (yes, no, a day)."""
    t = wording.t
    given = fit_params(template, params or {})
    words = template.translations.get(language or "")
    if words is not None:
        # A text setting left at its default reads in the person's language.
        given = {**{k: v for k, v in words.params.items() if k in template.params}, **given}
    values = resolve_params(template, given)
    prompts: Mapping[str, str] = values.get("prompts") or {}
    steps: list[Step] = []
    groups: dict[str, str] = {}

    def concrete(spec: StepBase) -> StepBase:
        update: dict[str, Any] = {}
        if isinstance(spec, YesNoStep) and language not in (None, "en"):
            # Without labels of its own, a yes or no reads in the person's language (`t`) in
            # the summary and the digest too, not only on its buttons.
            update.update(yes_label=spec.yes_label or t("Yes"), no_label=spec.no_label or t("No"))
        if words is not None and spec.id in words.steps:
            update.update(_translated(spec, words.steps[spec.id]))
        if spec.id in prompts:
            update["prompt"] = prompts[spec.id]
        return spec.model_copy(update=update) if update else spec

    for spec in template.steps:
        if isinstance(spec, GroupStep):
            rounds = _repeat_count(spec, values)
            groups[spec.id] = concrete(spec).shown_label
            for number in range(1, rounds + 1):
                for inner in spec.steps:
                    key = f"{spec.id}.{number}.{inner.id}"
                    steps.append(Step(key, len(steps), concrete(inner), spec.id, number, rounds))
        else:
            steps.append(Step(spec.id, len(steps), concrete(spec)))
    steps = [replace(s, day=wording.day) if isinstance(s.spec, DateStep) else s for s in steps]
    intro = (words.intro if words and words.intro else None) or template.intro
    instructions = str(values.get("instructions") or "")
    return Flow(
        template_id=template.id,
        version=template.version,
        title=(words.title if words and words.title else None) or template.title,
        steps=tuple(steps),
        params={k: v for k, v in values.items() if k not in ("prompts", "instructions")},
        intro="\n\n".join(part for part in (instructions, intro) if part),
        outro=(words.outro if words and words.outro else None) or template.outro,
        digest=template.digest,
        groups=groups,
        score=template.score,
        review=template.review,
    )


def _translated(spec: StepBase, words: Any) -> dict[str, Any]:
    update: dict[str, Any] = {}
    names = ("prompt", "label", "min_label", "max_label", "yes_label", "no_label", "button")
    for name in (*names, "unit"):
        value = getattr(words, name, None)
        if value and name in type(spec).model_fields:
            update[name] = value
    options = getattr(spec, "options", None)
    if options and words.options:
        update["options"] = [
            o.model_copy(update={"label": words.options.get(o.value, o.label)}) for o in options
        ]
    return update


def fit_params(template: Template, given: Mapping[str, Any]) -> dict[str, Any]:
    """The settings in `given` this template (perhaps a newer version than the one they
    were given for) still takes with their values; the rest fall back to its defaults."""
    kept: dict[str, Any] = {}
    for name, value in given.items():
        if name == "prompts" and isinstance(value, dict):
            ids = {step.id for _, step, _ in template.all_steps()}
            still = {k: v for k, v in value.items() if k in ids}
            candidate: dict[str, Any] = {"prompts": still} if still else {}
        elif name in template.params or name == "instructions":
            candidate = {name: value}
        else:
            continue
        try:
            resolve_params(template, {**kept, **candidate})
        except FlowError:
            continue
        kept.update(candidate)
    return kept


def resolve_params(template: Template, given: Mapping[str, Any]) -> dict[str, Any]:
    """The template's defaults overlaid with `given`, each checked; plus the tailoring every
    template allows: `instructions` (said first) and `prompts` (new wording by step id)."""
    known = template.params
    unknown = sorted(set(given) - set(known) - {"instructions", "prompts"})
    if unknown:
        raise FlowError(f"{template.title} has no setting called {', '.join(unknown)}.")
    values: dict[str, Any] = {}
    for name, param in known.items():
        value = given.get(name, param.default)
        label = param.label or name
        if param.type == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise FlowError(f"{label} must be a whole number.")
            low, high = getattr(param, "min", None), getattr(param, "max", None)
            if (low is not None and value < low) or (high is not None and value > high):
                raise FlowError(f"{label} must be between {low} and {high}.")
        elif not isinstance(value, str) or len(value) > MAX_TEXT:
            raise FlowError(f"{label} must be text of at most {MAX_TEXT:,} characters.")
        values[name] = value
    instructions = given.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str) or len(instructions) > MAX_TEXT:
            raise FlowError(f"Instructions must be text of at most {MAX_TEXT:,} characters.")
        values["instructions"] = instructions.strip()
    prompts = given.get("prompts")
    if prompts is not None:
        ids = {step.id for _, step, _ in template.all_steps()}
        if not isinstance(prompts, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and 0 < len(v) <= MAX_TEXT
            for k, v in prompts.items()
        ):
            raise FlowError("New wording must be text for each question.")
        strange = sorted(set(prompts) - ids)
        if strange:
            raise FlowError(f"{template.title} has no question called {', '.join(strange)}.")
        scored = sorted(set(prompts) & set(template.score.items if template.score else ()))
        if scored:
            # A measure's score means something only with its published wording.
            raise FlowError(
                f"{template.title} is scored, so its questions keep their published wording "
                f"({', '.join(scored)} can't be reworded)."
            )
        values["prompts"] = dict(prompts)
    return values


def _repeat_count(step: GroupStep, values: Mapping[str, Any]) -> int:
    name = GroupKind.setting(step)
    count = values.get(name) if name else step.repeat
    if not isinstance(count, int):
        raise FlowError(f"the repeat count {step.repeat} is not a whole number")
    return count


# Where a client stands.
@dataclass(frozen=True)
class State:
    """Where a client stands in a flow; JSON-friendly so it can be stored as is."""

    at: str | None = None
    """The key of the step being asked (or the follow-up waited on)."""
    answers: Mapping[str, Answer] = field(default_factory=dict)
    trail: tuple[str, ...] = ()
    """Steps answered or skipped, in order, for /back."""
    selection: tuple[str, ...] = ()
    split_at: float | None = None
    """When the last answer, refused as possibly one part of a long message, was sent."""
    phase: str = "asking"
    """asking, waiting (a follow-up), review, choosing (which answer to change), editing,
    or done."""

    def to_json(self) -> dict[str, object]:
        """A plain dict for storage."""
        return {
            "v": 2,
            "at": self.at,
            "phase": self.phase,
            "answers": dict(self.answers),
            "trail": list(self.trail),
            "selection": list(self.selection),
            "split_at": self.split_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object], flow: Flow | None = None) -> State:
        """The state stored by `to_json`; a first-engine state (by position) is moved onto
        keys with `flow`, the version it was started on."""
        answers = data.get("answers", {})
        trail = data.get("trail", [])
        selection = data.get("selection", [])
        if not isinstance(answers, dict) or not isinstance(trail, list):
            raise ValueError("stored conversation state is damaged")
        if not isinstance(selection, list):
            raise ValueError("stored conversation state is damaged")
        kept = {str(k): _stored_answer(v) for k, v in answers.items()}
        split_at = _stored_time(data.get("split_at"))
        if data.get("v") == 2:
            at, phase = data.get("at"), data.get("phase", "asking")
            if (at is not None and not isinstance(at, str)) or not isinstance(phase, str):
                raise ValueError("stored conversation state is damaged")
            return cls(
                at=at,
                answers=kept,
                trail=tuple(str(k) for k in trail),
                selection=tuple(str(s) for s in selection),
                split_at=split_at,
                phase=phase,
            )
        # Version 1 named steps by position in the flow it was started on.
        if flow is None:
            raise ValueError("a first-engine state needs its flow to be read")
        position = data.get("position", 0)
        if not isinstance(position, int) or isinstance(position, bool):
            raise ValueError("stored conversation state is damaged")
        keys = [step.key for step in flow.steps]
        at = keys[position] if 0 <= position < len(keys) else None
        return cls(
            at=at,
            answers=kept,
            trail=tuple(keys[int(p)] for p in trail if 0 <= int(p) < len(keys)),
            selection=tuple(str(s) for s in selection),
            split_at=split_at,
            phase="asking" if at is not None else "done",
        )


def _stored_time(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _stored_answer(value: object) -> Answer:
    if isinstance(value, bool | str | int | float):
        return value
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    raise ValueError("stored conversation state is damaged")


# Events: what the client did.
@dataclass(frozen=True)
class Text:
    """The client typed something; `sent_at` is when (seconds since the epoch), if known,
    `received_at` when the bot handles it, and `today` their local date (for answers like
    "tomorrow")."""

    text: str
    sent_at: float | None = None
    today: date | None = None
    received_at: float | None = None


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


Event = Text | Press | Media | Skip | Back


# Effects: what the bot carries out, in the same transaction as the new state.
@dataclass(frozen=True)
class RaiseFlag:
    """An answer that must reach the therapist at once (PHQ-9 item 9 above 0)."""

    reason: str
    excerpt: str


@dataclass(frozen=True)
class KeepPhoto:
    """A photo answer: the bot fetches it and keeps it, encrypted, with the entry."""

    key: str
    file_id: str


@dataclass(frozen=True)
class FollowUp:
    """The rest is asked later: `after_days` from now, or on `day` (the client's calendar)."""

    after_days: int | None = None
    day: str | None = None


@dataclass(frozen=True)
class Breathe:
    """A paced breathing exercise to send as timed messages."""

    inhale: int
    hold: int
    exhale: int
    rounds: int


@dataclass(frozen=True)
class Scored:
    """A measure's total and its band, when the entry is saved."""

    name: str
    total: int
    band: str


Effect = RaiseFlag | KeepPhoto | FollowUp | Breathe | Scored


# What a turn shows.
@dataclass(frozen=True)
class Question:
    """The step being asked, ready to render."""

    position: int
    number: int
    total: int
    kind: str
    text: str
    hint: Note | None
    buttons: Rows = ()
    optional: bool = False
    can_go_back: bool = False
    previous: str = ""
    """The earlier answer to this step, when the client came back to change it."""
    link: str = ""
    from_review: bool = False
    """Changed from the review: /back returns to it rather than to the step before."""


@dataclass(frozen=True)
class Review:
    """The answers for a last look before they are saved."""

    lines: tuple[tuple[str, str], ...]
    buttons: Rows
    choosing: bool = False


@dataclass(frozen=True)
class Turn:
    """The result of one event: the new state, what to say, what to show, what to do."""

    state: State
    says: tuple[Say, ...] = ()
    question: Question | None = None
    review: Review | None = None
    summary: tuple[tuple[str, str], ...] = ()
    finished: bool = False
    waiting: FollowUp | None = None
    effects: tuple[Effect, ...] = ()


# Running a flow.
def begin(flow: Flow) -> Turn:
    """Start a flow: the intro, then the first question."""
    intro = interpolate(flow.intro, _context(flow, State(), None))
    return _move_to(flow, State(), _visible_from(flow, State(), 0), (intro,) if intro else ())


def resume(flow: Flow, state: State) -> Turn:
    """Carry on after a follow-up's pause: the step after it."""
    if state.phase != "waiting" or state.at is None:
        return ask(flow, state)
    index = flow.index_of(state.at)
    start = _after(flow, state, index) if index is not None else None
    # The follow-up joins the trail: /back stops there instead of re-planning the first part.
    passed = replace(state, phase="asking", trail=(*state.trail, state.at))
    return _move_to(flow, passed, start)


def ask(flow: Flow, state: State, says: Sequence[Say] = ()) -> Turn:
    """Show where the client stands again (after a restart, a pause, or a notice)."""
    if state.phase in ("review", "choosing"):
        return Turn(state=state, says=tuple(says), review=_review(flow, state))
    if state.phase == "done":
        return Turn(state=state, says=tuple(says), summary=summarize(flow, state.answers))
    index = flow.index_of(state.at) if state.at is not None else None
    if index is None:
        return _end(flow, state, tuple(says))
    if state.phase == "waiting":
        return Turn(state=state, says=tuple(says), waiting=_follow_up(flow, state, index))
    return Turn(state=state, says=tuple(says), question=_question(flow, state, index))


Shown = Callable[[str | Note], Iterable[str]]
"""The words a button's label is shown in to the client (their language, and English)."""


def _typed_button(flow: Flow, state: State, index: int, text: str, shown: Shown) -> Press | None:
    """The button of the question at `index` whose words were typed (case, accents and
    punctuation aside), as if pressed: "skip" on a scale, a yes/no question's own labels.
    The options of a several-answer question are not among them: typed, they are a list."""
    spec = flow.steps[index].spec
    several = getattr(spec, "multiple", False)
    typed = fold(text)
    for row in _question(flow, state, index).buttons:
        for button in row:
            if several and button.value != DONE:
                continue
            if isinstance(spec, ScaleStep) and button.value != SKIP:
                continue  # its numbers are read by the scale itself ("+2" is never "-2")
            if typed and typed in {fold(words) for words in shown(button.label)}:
                return Press(index, button.value)
    return None


def advance(flow: Flow, state: State, event: Event, shown: Shown | None = None) -> Turn:
    """Apply one client event to the state and say what comes next. Given `shown` (how
    button labels read to the client), text the question can't read as an answer that is
    one of its buttons' words is that button pressed."""
    if isinstance(event, Text) and _continues(state, event):
        # The rest of a long message Telegram cut into parts: not an answer of its own.
        return ask(flow, replace(state, split_at=event.sent_at), (note("rest_of_long"),))
    if state.split_at is not None:
        state = replace(state, split_at=None)
    if state.phase in ("review", "choosing"):
        return _in_review(flow, state, event)
    if state.phase in ("done", "waiting"):
        return ask(flow, state)
    index = flow.index_of(state.at) if state.at is not None else None
    if index is None:
        return _end(flow, state, ())
    step = flow.steps[index]
    if state.phase == "editing" and (
        isinstance(event, Back)
        or (isinstance(event, Press) and event.value == KEEP)
        or (isinstance(event, Text) and fold(event.text) in _KEEP_WORDS)
    ):
        # Changing an answer from the review: back, or keep, returns to the review as it was.
        reviewing = replace(state, phase="review", at=None, selection=())
        return Turn(state=reviewing, review=_review(flow, reviewing))
    if isinstance(event, Back):
        return _back(flow, state)
    if isinstance(event, Skip):
        if not step.spec.optional:
            return ask(flow, state, (note("cannot_skip"),))
        answers = {k: v for k, v in state.answers.items() if k != step.key}
        return _answered(flow, replace(state, answers=answers), step)
    env = Env(today=event.today if isinstance(event, Text) else None)
    if isinstance(event, Press):
        if event.position != index:
            return ask(flow, state, (note("earlier_button"),))
        if event.value == SKIP:
            return advance(flow, state, Skip())
        outcome = step.kind.parse_press(step.spec, event.value, state.selection, env)
    elif isinstance(event, Media):
        if isinstance(step.spec, InfoStep):
            # A photo sent while "I've made it" shows means go on, and it answers the photo
            # question that comes next (never thrown away); other media just go on.
            moved = _accept(flow, state, step, True)
            following = flow.index_of(moved.state.at or "") if moved.question else None
            if (
                event.kind == "photo"
                and following is not None
                and flow.steps[following].spec.kind == "photo"
            ):
                then = advance(flow, moved.state, event)
                return replace(
                    then, says=(*moved.says, *then.says), effects=(*moved.effects, *then.effects)
                )
            return moved
        outcome = step.kind.parse_media(step.spec, event, env)
    else:
        outcome = step.kind.parse_text(step.spec, event.text, env)
        # "saltar" alone is /skip and "atrás" /back: where the question can't read them, or
        # where any words are an answer (a text question), but never an option's words.
        said = fold(event.text)
        unread = isinstance(outcome, Refuse) or isinstance(step.spec, TextStep)
        if unread and said in SKIP_WORDS:
            return advance(flow, state, Skip())
        if unread and said in BACK_WORDS:
            return advance(flow, state, Back())
        if isinstance(outcome, Refuse) and shown is not None:
            pressed = _typed_button(flow, state, index, event.text, shown)
            if pressed is not None:
                return advance(flow, state, pressed)
        tapped = state.selection and list(state.selection) != state.answers.get(step.key)
        if isinstance(outcome, Accept) and isinstance(outcome.value, list) and tapped:
            # Typed after tapping some: the typed ones join those tapped, none is lost. (A
            # selection that is only the earlier answer, shown to be changed, is replaced.)
            typed = [v for v in outcome.value if v not in state.selection]
            outcome = Accept([*state.selection, *typed])
    return _outcome(flow, state, step, outcome, event)


def _outcome(flow: Flow, state: State, step: Step, outcome: Outcome, event: Event) -> Turn:
    if isinstance(outcome, Refuse):
        # A long message Telegram may have cut in parts: remember when it was refused (its
        # arrival, else its date) to know a part sent before the refusal could be read.
        split = isinstance(event, Text) and outcome.split
        moment = (event.received_at or event.sent_at) if isinstance(event, Text) else None
        return ask(flow, replace(state, split_at=moment if split else None), (outcome.note,))
    if isinstance(outcome, Select):
        return ask(flow, replace(state, selection=outcome.selection))
    if isinstance(outcome, Confirm):
        if state.selection:
            return _accept(flow, state, step, list(state.selection))
        if step.spec.optional:
            return advance(flow, state, Skip())
        return ask(flow, state, (note("pick_at_least_one"),))
    return _accept(flow, state, step, outcome.value)


def _accept(flow: Flow, state: State, step: Step, value: Answer) -> Turn:
    answers = {**state.answers, step.key: value}
    effects: list[Effect] = []
    if isinstance(value, dict) and "photo" in value:
        effects.append(KeepPhoto(step.key, value["photo"]))
    effects += _alerts(flow, step, value)
    turn = _answered(flow, replace(state, answers=answers), step)
    return replace(turn, effects=(*effects, *turn.effects))


def _alerts(flow: Flow, step: Step, value: Answer) -> list[Effect]:
    if flow.score is None:
        return []
    found: list[Effect] = []
    for alert in flow.score.alerts:
        points = step.kind.points(step.spec, value)
        if alert.step == step.key and points is not None and points >= alert.at_least:
            excerpt = f"{step.label}: {step.kind.answer_text(step.spec, value)}"
            found.append(RaiseFlag(reason=alert.reason, excerpt=excerpt))
    return found


def _answered(flow: Flow, state: State, step: Step) -> Turn:
    """Move on from `step`, just answered or skipped."""
    trail = (*state.trail, step.key) if step.key not in state.trail[-1:] else state.trail
    moved = replace(state, trail=trail, selection=())
    if state.phase == "editing":
        pending = _first_unanswered(flow, moved)
        if pending is None:
            reviewing = replace(moved, phase="review", at=None)
            return Turn(
                state=reviewing, says=(note("review_changed"),), review=_review(flow, reviewing)
            )
        return _move_to(flow, replace(moved, phase="asking"), pending)
    return _move_to(flow, moved, _after(flow, moved, step.index))


def _after(flow: Flow, state: State, index: int) -> int | None:
    """The next step to ask after the one at `index`: its routes, else the next visible."""
    step = flow.steps[index]
    if not step.group:
        for route in step.spec.routes:
            if route.when is None or _holds(flow, state, route.when, step):
                if route.goto == "end":
                    return None
                target = flow.index_of(route.goto)
                if target is None:  # a group: its first question
                    target = next((s.index for s in flow.steps if s.group == route.goto), None)
                return _visible_from(flow, state, target) if target is not None else None
    return _visible_from(flow, state, index + 1)


def _visible_from(flow: Flow, state: State, start: int) -> int | None:
    for index in range(start, len(flow.steps)):
        step = flow.steps[index]
        if step.spec.when is None or _holds(flow, state, step.spec.when, step):
            return index
    return None


def _holds(flow: Flow, state: State, condition: Any, step: Step) -> bool:
    def key_of(name: str) -> str:
        if step.group:
            candidate = f"{step.group}.{step.round}.{name}"
            if flow.index_of(candidate) is not None:
                return candidate
        return name

    def lookup(name: str) -> Any:
        return state.answers.get(key_of(name))

    def number(name: str, answer: Any) -> float | None:
        index = flow.index_of(key_of(name))
        if index is None:
            return None
        target = flow.steps[index]
        return target.kind.number(target.spec, answer)

    return bool(condition.holds(lookup, number))


def _move_to(flow: Flow, state: State, index: int | None, says: tuple[Say, ...] = ()) -> Turn:
    """Go to the step at `index` (None: the end), with what entering it brings."""
    if index is None:
        return _end(flow, state, says)
    step = flow.steps[index]
    if not step.kind.asks:
        # A follow-up: say its words and wait; the bot brings the client back when due.
        waiting = replace(state, at=step.key, phase="waiting", selection=())
        words = interpolate(step.spec.prompt, _context(flow, waiting, step))
        follow = _follow_up(flow, waiting, index)
        return Turn(state=waiting, says=(*says, words), waiting=follow, effects=(follow,))
    earlier = state.answers.get(step.key)
    moved = replace(
        state,
        at=step.key,
        phase=state.phase if state.phase in ("asking", "editing") else "asking",
        selection=step.kind.initial_selection(earlier),
    )
    effects: tuple[Effect, ...] = ()
    if isinstance(step.spec, InfoStep) and step.spec.pace is not None:
        pace = step.spec.pace
        effects = (Breathe(pace.inhale, pace.hold, pace.exhale, pace.rounds),)
    return Turn(state=moved, says=says, question=_question(flow, moved, index), effects=effects)


def _follow_up(flow: Flow, state: State, index: int) -> FollowUp:
    spec = flow.steps[index].spec
    assert isinstance(spec, FollowUpStep)
    if spec.after_step is not None:
        day = state.answers.get(spec.after_step)
        if isinstance(day, str):
            return FollowUp(day=_shifted(day, spec.days_later))
        return FollowUp(after_days=max(spec.days_later, 1))
    days = spec.after_days
    if isinstance(days, str):
        value = flow.params.get(days.strip("{}"))
        days = value if isinstance(value, int) else 1
    return FollowUp(after_days=days)


def _shifted(day: str, days: int) -> str:
    from datetime import timedelta

    try:
        return (date.fromisoformat(day) + timedelta(days=days)).isoformat()
    except ValueError:
        return day


def _end(flow: Flow, state: State, says: tuple[Say, ...]) -> Turn:
    """Every step is answered: a last look first when the template asks for one."""
    if flow.review and summarize(flow, on_path(flow, state)):
        reviewing = replace(state, at=None, phase="review", selection=())
        return Turn(state=reviewing, says=says, review=_review(flow, reviewing))
    return _finish(flow, state, says)


def on_path(flow: Flow, state: State) -> dict[str, Answer]:
    """The answers on the way the conversation now goes: an answer on a branch a later
    change left (safety behaviours named, then "no" to having used any) is not shown,
    scored or saved, and neither is one that only such an answer made relevant."""
    kept: dict[str, Answer] = {}
    for step in _path(flow, state, kept):
        if step.key in state.answers:
            kept[step.key] = state.answers[step.key]
    return kept


def _path(flow: Flow, state: State, kept: dict[str, Answer]) -> Iterator[Step]:
    """The steps the conversation goes through, judging each condition and route only by
    the answers on the way so far (`kept`, which the caller fills as it goes); it stops at
    the first step not yet answered, and at a follow-up not yet passed."""
    touched = {*state.answers, *state.trail}
    index = _visible_from(flow, replace(state, answers=kept), 0)
    seen: set[int] = set()
    while index is not None and index not in seen:
        seen.add(index)
        step = flow.steps[index]
        yield step
        if step.key not in touched:
            if step.kind.asks:
                return  # not answered yet: the path ends here for now
            later = any(s.key in touched for s in flow.steps[index + 1 :])
            if state.phase == "waiting" or not later:
                return  # a follow-up not yet passed (older states never listed it)
        index = _after(flow, replace(state, answers=kept), index)


def _finish(flow: Flow, state: State, says: tuple[Say, ...]) -> Turn:
    done = replace(state, at=None, phase="done", selection=(), answers=on_path(flow, state))
    scored = score(flow, done.answers)
    return Turn(
        state=done,
        says=says,
        summary=summarize(flow, done.answers),
        finished=True,
        effects=(scored,) if scored is not None else (),
    )


def _first_unanswered(flow: Flow, state: State) -> int | None:
    """After a change, a step that now applies and has no answer yet (conditions moved)."""
    kept: dict[str, Answer] = {}
    for step in _path(flow, state, kept):
        if step.key in state.answers:
            kept[step.key] = state.answers[step.key]
        elif step.key not in state.trail and step.kind.asks:
            return step.index
    return None


# Review before saving.
def _in_review(flow: Flow, state: State, event: Event) -> Turn:
    value = ""
    if isinstance(event, Press):
        if event.position != flow.review_position:
            return ask(flow, state, (note("earlier_button"),))
        value = event.value
    elif isinstance(event, Text):
        value = event.text.strip().casefold()
    elif isinstance(event, Back):
        if state.phase == "choosing":
            return ask(flow, replace(state, phase="review"))
        return _back(flow, state)
    if state.phase == "review":
        if fold(value) in _SAVE_WORDS:
            return _finish(flow, state, ())
        if fold(value) in _CHANGE_WORDS:
            # The list itself asks which answer (review_pick), so nothing is said before it.
            return ask(flow, replace(state, phase="choosing"))
        return ask(flow, state)
    choices = _changeable(flow, state)
    picked: Step | None = None
    if value.isdecimal() and isinstance(event, Press):
        index = int(value)
        picked = flow.steps[index] if 0 <= index < len(flow.steps) else None
    elif value.isdecimal() and 1 <= int(value) <= len(choices):
        picked = choices[int(value) - 1]
    elif value and isinstance(event, Text):
        # The answer's label typed ("situation"), or the button's own words ("1. Situation").
        labels = [step.label for step in choices]
        found = match_choice(value.partition(". ")[2] or value, labels)
        picked = choices[found.index] if isinstance(found, Picked) else None
    if picked is None or picked not in choices:
        return ask(flow, state)
    editing = replace(state, phase="editing")
    return _move_to(flow, editing, picked.index)


def _changeable(flow: Flow, state: State) -> list[Step]:
    answers = on_path(flow, state)
    return [
        step
        for step in flow.steps
        if step.key in answers and step.kind.answer_text(step.spec, answers[step.key])
    ]


def _review(flow: Flow, state: State) -> Review:
    if state.phase == "choosing":
        choices = _changeable(flow, state)
        buttons = tuple(
            (Button(f"{number}. {step.label}", str(step.index)),)
            for number, step in enumerate(choices, start=1)
        )
        return Review(summarize(flow, on_path(flow, state)), buttons, choosing=True)
    save = (Button(note("button_save"), "save"), Button(note("button_change"), "change"))
    return Review(summarize(flow, on_path(flow, state)), (save,))


# Going back.
def _back(flow: Flow, state: State) -> Turn:
    if not state.trail:
        return ask(flow, state, (note("first_question"),))
    previous = state.trail[-1]
    index = flow.index_of(previous)
    if index is None:
        return ask(flow, replace(state, trail=state.trail[:-1]))
    if not flow.steps[index].kind.asks:
        return ask(flow, state, (note("before_follow_up"),))
    return _move_to(flow, replace(state, trail=state.trail[:-1], phase="asking"), index)


def _continues(state: State, event: Text) -> bool:
    """The rest of a refused long message: sent before the refusal could have been read (no
    later than the refused part was handled, give or take a date's whole second). A short
    answer typed after reading the refusal is sent later, and is an answer."""
    if state.split_at is None or event.sent_at is None:
        return False
    return event.sent_at <= state.split_at + DATE_RESOLUTION


# Showing a question.
def _question(flow: Flow, state: State, index: int) -> Question:
    step = flow.steps[index]
    earlier = state.answers.get(step.key)
    asked = [s for s in flow.steps if s.kind.asks and _shown(flow, state, s)]
    number = sum(1 for s in asked if s.index <= index)
    buttons = step.kind.buttons(step.spec, state.selection)
    if step.spec.optional and not getattr(step.spec, "multiple", False):
        buttons = (*buttons, (Button(note("button_skip"), SKIP),))
    if state.phase == "editing" and earlier is not None:
        buttons = (*buttons, (Button(note("button_keep"), KEEP),))
    return Question(
        position=index,
        number=max(number, 1),
        total=max(len(asked), number, 1),
        kind=step.spec.kind,
        text=interpolate(step.spec.prompt, _context(flow, state, step)),
        hint=step.kind.hint(step.spec),
        buttons=buttons,
        optional=step.spec.optional,
        can_go_back=bool(state.trail),
        from_review=state.phase == "editing",
        previous=answer_text(step, earlier) if earlier is not None else "",
        link=getattr(step.spec, "link", None) or "",
    )


def _shown(flow: Flow, state: State, step: Step) -> bool:
    when = step.spec.when
    return when is None or step.key in state.answers or _holds(flow, state, when, step)


# Reading answers back.
def answer_text(step: Step, answer: Answer | None) -> str:
    """An answer as words: choice values become their labels."""
    if answer is None:
        return ""
    if step.day is not None and isinstance(answer, str):
        with contextlib.suppress(ValueError):
            return step.day(date.fromisoformat(answer))
    return step.kind.answer_text(step.spec, answer)


def summarize(flow: Flow, answers: Mapping[str, Answer]) -> tuple[tuple[str, str], ...]:
    """(label, answer) for every answered step, in order, for the client's summary."""
    lines: list[tuple[str, str]] = []
    for step in flow.steps:
        if step.key in answers:
            text = answer_text(step, answers[step.key])
            if text:
                lines.append((step.label, text))
    return tuple(lines)


def score(flow: Flow, answers: Mapping[str, Answer]) -> Scored | None:
    """The measure's total and band, if the template is a measure with answers."""
    if flow.score is None:
        return None
    total, counted = 0, 0
    for item in flow.score.items:
        index = flow.index_of(item)
        if index is None or item not in answers:
            continue
        step = flow.steps[index]
        points = step.kind.points(step.spec, answers[item])
        if points is not None:
            total += points
            counted += 1
    if not counted:
        return None
    return Scored(flow.score.name, total, flow.score.band(total))


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
    shown = [s for s in flow.steps if s.kind.asks][:2]
    pattern = flow.digest or " · ".join("{" + s.local_id + "}" for s in shown)
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


def with_article(noun: str) -> str:
    """'a photo', 'an animation'."""
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


__all__ = [
    "SPLIT_SIZE",
    "Back",
    "Breathe",
    "Event",
    "FlowError",
    "FollowUp",
    "KeepPhoto",
    "Media",
    "Press",
    "Question",
    "RaiseFlag",
    "Review",
    "Scored",
    "Skip",
    "State",
    "Text",
    "Turn",
]
