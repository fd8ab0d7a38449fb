"""The client's side of homework: /today, /homework, and the conversation itself.

::

    reminder [Start now] or /today [Start] ─► question ─► answer ─► ... ─► summary
                       /skip, /back, bad input: the same question again, nothing lost
                       /cancel: paused; /today [Continue] resumes where it stood
"""

from __future__ import annotations

import hashlib
from zoneinfo import ZoneInfo

from bot import onboarding
from bot.render import answer_keyboard, buttons, question_text, summary_text
from bot.runtime import Ctx, button_token
from conversations import engine
from conversations.engine import Back, Event, Flow, FlowError, Other, Press, Skip, State, Text
from conversations.schedules import describe_schedule, local_date, parse_schedule
from storage import homework
from storage.models import Assignment, Entry

AFTER_RISK = (
    "Everything you wrote is saved. Please look after yourself tonight; /sos shows the "
    "crisis lines again whenever you need them."
)


def flow_for(ctx: Ctx, template_id: str, params: dict[str, int | str]) -> Flow | None:
    """The flow for a template and an assignment's parameters, or None if it is gone."""
    template = ctx.rt.library.get(template_id)
    if template is None:
        return None
    try:
        return engine.compile_flow(template, params)
    except FlowError:
        return None


async def start_token(ctx: Ctx, payload: dict[str, object]) -> None:
    """A Start button (from a reminder or /today): open, or pick up, that homework."""
    assert ctx.user is not None
    assignment_id = payload.get("assignment")
    if not isinstance(assignment_id, int):
        return
    assignment = await homework.client_assignment(
        ctx.session, client_id=ctx.user.id, assignment_id=assignment_id
    )
    if assignment is None:
        ctx.say("That homework is no longer assigned to you. /today shows what is due.")
        return
    occurrence = payload.get("occurrence")
    await begin_assignment(ctx, assignment, occurrence if isinstance(occurrence, int) else None)


async def begin_assignment(ctx: Ctx, assignment: Assignment, occurrence_id: int | None) -> None:
    """Resume a paused entry of this assignment, or start a new one."""
    assert ctx.user is not None
    current = await homework.open_entry(ctx.session, client_id=ctx.user.id)
    if current is not None and current.assignment_id == assignment.id:
        await show_current(ctx, current, says=("Let's carry on where you were.",))
        return
    for paused in await homework.paused_entries(ctx.session, client_id=ctx.user.id):
        if paused.assignment_id == assignment.id:
            await homework.resume_entry(ctx.session, entry=paused, now=ctx.now)
            await show_current(ctx, paused, says=("Welcome back. Here is where you left off.",))
            return
    flow = flow_for(ctx, assignment.template_id, assignment.params)
    if flow is None:
        ctx.say("Sorry, this homework cannot be opened right now. Please tell your therapist.")
        return
    if occurrence_id is None:
        latest = await homework.latest_occurrence(
            ctx.session, assignment_id=assignment.id, until=ctx.now
        )
        occurrence_id = latest.id if latest else None
    turn = engine.begin(flow)
    entry = await homework.start_entry(
        ctx.session,
        client_id=ctx.user.id,
        assignment=assignment,
        occurrence_id=occurrence_id,
        template_id=flow.template_id,
        template_version=flow.version,
        params=dict(flow.params),
        state=turn.state.to_json(),
        now=ctx.now,
    )
    if current is not None:
        ctx.say(f"I paused your {ctx.rt.title_of(current.template_id).lower()}; it is kept.")
    present(ctx, entry, flow, turn)


async def resume_token(ctx: Ctx, payload: dict[str, object]) -> None:
    """A Continue button from /today: pick up a paused entry."""
    assert ctx.user is not None
    entry_id = payload.get("entry")
    entry = (
        await homework.client_entry(ctx.session, client_id=ctx.user.id, entry_id=entry_id)
        if isinstance(entry_id, int)
        else None
    )
    if entry is None or entry.status == "done":
        ctx.say("That one is already finished. /today shows what is due.")
        return
    if entry.status != "active":
        await homework.resume_entry(ctx.session, entry=entry, now=ctx.now)
    await show_current(ctx, entry, says=("Welcome back. Here is where you left off.",))


async def show_current(ctx: Ctx, entry: Entry, says: tuple[str, ...] = ()) -> None:
    """Ask the entry's current question again."""
    flow = flow_for(ctx, entry.template_id, entry.params)
    if flow is None:
        ctx.say("Sorry, this homework cannot be opened right now.")
        return
    present(ctx, entry, flow, engine.ask(flow, State.from_json(entry.state), says))


def entry_marker(entry: Entry) -> str:
    """A short tag for one conversation's buttons, so an old keyboard can't answer another."""
    return hashlib.sha256(f"{entry.id}:{entry.started_at.isoformat()}".encode()).hexdigest()[:8]


def present(ctx: Ctx, entry: Entry, flow: Flow, turn: engine.Turn) -> None:
    """Say the turn's notices, then the next question or the summary."""
    for notice in turn.says:
        ctx.say(notice)
    if turn.question is not None:
        ctx.say(
            question_text(flow.title, turn.question),
            buttons=answer_keyboard(turn.question, entry_marker(entry)),
            html=True,
        )
    else:
        # After risk language, a cheerful closing line would jar: a plain, caring one instead.
        outro = AFTER_RISK if ctx.risk is not None else flow.outro
        ctx.say(summary_text(flow.title, turn, outro), html=True)
        if ctx.user is not None and (ctx.user.dialog or {}).get("ask") == "time_zone":
            # The client started homework before choosing a time zone: ask once more.
            onboarding.ask_time_zone(ctx, ctx.user, then="done")


async def continue_entry(ctx: Ctx, entry: Entry, event: Event) -> None:
    """Apply one client event to their open conversation and save it in the same transaction."""
    flow = flow_for(ctx, entry.template_id, entry.params)
    if flow is None:
        ctx.say("Sorry, this homework cannot be opened right now.")
        return
    before = State.from_json(entry.state)
    turn = engine.advance(flow, before, event)
    homework.save_entry(entry, state=turn.state.to_json(), finished=turn.finished, now=ctx.now)
    toggled = (
        isinstance(event, Press)
        and turn.question is not None
        and turn.question.position == before.position
        and not turn.says
    )
    if toggled and turn.question is not None:
        ctx.edit_buttons(answer_keyboard(turn.question, entry_marker(entry)))
        return
    if isinstance(event, Press):
        ctx.edit_buttons(None)
    present(ctx, entry, flow, turn)


async def on_answer_button(ctx: Ctx, marker: str, position: int, value: str) -> None:
    """An answer button: it counts only for the presser's own open conversation."""
    entry = await open_entry_of(ctx)
    if entry is None or entry_marker(entry) != marker:
        ctx.toast("That question is closed. /today shows what is due.")
        ctx.edit_buttons(None)
        return
    await continue_entry(ctx, entry, Press(position, value))


async def on_text(ctx: Ctx, text: str) -> bool:
    """Typed text: an answer if a conversation is open. False when there is none."""
    entry = await open_entry_of(ctx)
    if entry is None:
        return False
    await continue_entry(ctx, entry, Text(text, sent_at=ctx.sent_at))
    return True


async def on_other(ctx: Ctx, what: str) -> bool:
    """A photo, sticker, voice note...: explained and the question asked again."""
    entry = await open_entry_of(ctx)
    if entry is None:
        return False
    await continue_entry(ctx, entry, Other(what))
    return True


async def skip(ctx: Ctx) -> None:
    """/skip: pass an optional question."""
    await _in_homework(ctx, Skip(), "There is no question to skip right now.")


async def back(ctx: Ctx) -> None:
    """/back: change the previous answer."""
    await _in_homework(ctx, Back(), "There is no answer to go back to right now.")


async def _in_homework(ctx: Ctx, event: Event, otherwise: str) -> None:
    entry = await open_entry_of(ctx)
    if entry is None:
        ctx.say(f"{otherwise} /today shows what is due.")
        return
    await continue_entry(ctx, entry, event)


async def pause(ctx: Ctx) -> bool:
    """/cancel inside homework: pause it, keeping every answer. False if none was open."""
    entry = await open_entry_of(ctx)
    if entry is None:
        return False
    entry.status = "paused"
    entry.updated_at = ctx.now
    ctx.say(
        f"Paused your {ctx.rt.title_of(entry.template_id).lower()}. Your answers so far are saved; "
        "/today picks it up again whenever you like."
    )
    return True


async def mid_step_command(ctx: Ctx, command: str) -> bool:
    """A command that doesn't fit mid-homework: say so, and ask the question again."""
    entry = await open_entry_of(ctx)
    if entry is None:
        return False
    await show_current(
        ctx,
        entry,
        says=(
            f"You are in the middle of your {ctx.rt.title_of(entry.template_id).lower()}, "
            f"so {command[:30]} will have to wait. Answer below, or /cancel to pause it first.",
        ),
    )
    return True


def takes_text(ctx: Ctx, entry: Entry) -> bool:
    """True when the entry's current question is answered in words."""
    flow = flow_for(ctx, entry.template_id, entry.params)
    if flow is None:
        return False
    position = State.from_json(entry.state).position
    return position < len(flow.steps) and flow.steps[position].kind == "text"


def is_last_question(ctx: Ctx, entry: Entry) -> bool:
    """True when the entry's current question is its last one."""
    flow = flow_for(ctx, entry.template_id, entry.params)
    return flow is not None and State.from_json(entry.state).position == len(flow.steps) - 1


async def open_entry_of(ctx: Ctx) -> Entry | None:
    """The client's homework conversation in progress, if any."""
    if ctx.user is None or ctx.user.role != "client":
        return None
    return await homework.open_entry(ctx.session, client_id=ctx.user.id)


async def today(ctx: Ctx) -> None:
    """/today: what is due today and what is paused, each with a button to start."""
    if ctx.user is None or ctx.user.role != "client":
        ctx.say("/today is for clients. /help shows what you can do.")
        return
    client = ctx.user
    zone = ZoneInfo(client.timezone)
    today_local = local_date(ctx.now, zone)
    rows: list[list[tuple[str, str]]] = []
    lines: list[str] = []
    for entry in await homework.paused_entries(ctx.session, client_id=client.id):
        flow = flow_for(ctx, entry.template_id, entry.params)
        if flow is None:
            continue
        state = State.from_json(entry.state)
        title = flow.title
        lines.append(f"• {title}: paused at question {state.position + 1} of {len(flow.steps)}")
        token = await button_token(ctx, "resume", {"entry": entry.id})
        rows.append([(f"Continue {title.lower()}", token)])
    for assignment in await homework.client_assignments(ctx.session, client_id=client.id):
        title = ctx.rt.title_of(assignment.template_id)
        schedule = describe_schedule(parse_schedule(assignment.schedule))
        latest = await homework.latest_occurrence(
            ctx.session, assignment_id=assignment.id, until=ctx.now
        )
        due_today = latest is not None and local_date(latest.due_at, zone) == today_local
        done = latest is not None and await homework.done_entry_exists(
            ctx.session, assignment_id=assignment.id, occurrence_id=latest.id
        )
        if due_today and done:
            status = "done today ✓"
        elif due_today:
            status = "due now"
        elif assignment.next_due_at is not None:
            status = "next " + assignment.next_due_at.astimezone(zone).strftime("%a %d %b %H:%M")
        else:
            status = "no more due times"
        lines.append(f"• {title} ({schedule}): {status}")
        token = await button_token(ctx, "start", {"assignment": assignment.id})
        rows.append([(f"Start {title.lower()}", token)])
    if not lines:
        ctx.say("Nothing is assigned to you yet. Your therapist will add homework here.")
        return
    ctx.say("Your homework:\n" + "\n".join(lines), buttons=buttons(rows))
