"""The client's side of homework: /today, /homework, and the conversation itself.

::

    reminder [Start now] or /today [Start] ─► question ─► answer ─► ... ─► review
        review: [Save] ─► summary   [Change an answer] ─► that question ─► review
        /skip, /back, bad input: the same question again, nothing lost
        /cancel: paused; /today [Continue] resumes where it stood
        a follow-up: waits; its reminder (or /today) brings the next part
        another homework while one is open: [Continue it] or [Pause it and start]
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import library, notes, onboarding
from bot.i18n import N_, in_sentence, moment, schedule_words, tr, wording, zone_name
from bot.messages import shown_as, words
from bot.render import answer_keyboard, buttons, keyboard, question_text, review_text, summary_text
from bot.runtime import Ctx, Runtime, button_token
from conversations import engine
from conversations.choosing import Picked, fold, match_choice
from conversations.engine import (
    Back,
    Breathe,
    Event,
    Flow,
    FlowError,
    FollowUp,
    KeepPhoto,
    Press,
    RaiseFlag,
    Scored,
    Skip,
    State,
    Text,
)
from conversations.kinds.base import Media
from conversations.kinds.info import InfoStep
from conversations.schedules import local_date, parse_schedule
from storage import files, flags, homework, outbox, people
from storage.models import Assignment, Entry, User

log = logging.getLogger(__name__)

AFTER_RISK = N_(
    "Everything you wrote is saved. Please be gentle with yourself; /sos shows the "
    "crisis lines again whenever you need them."
)
UNRATED = frozenset({"safety_plan"})
"""Homework whose end asks no "how helpful was this?": a safety plan is not rated."""
FOLLOW_UP_TIME = time(18, 0)
"""When a follow-up is due, if the assignment has no time of its own."""


def language_of(ctx: Ctx) -> str:
    """The client's language, for a template's translations."""
    return ctx.lang


async def state_of(ctx: Ctx, entry: Entry) -> tuple[Flow, State] | None:
    """An entry's flow and where it stands; None (logged without content) when damaged."""
    return await library.entry_state(ctx.rt, ctx.session, entry, language=language_of(ctx))


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
        ctx.say(ctx.t("That homework is no longer assigned to you. /today shows what is due."))
        return
    occurrence = payload.get("occurrence")
    await begin_assignment(
        ctx,
        assignment,
        occurrence if isinstance(occurrence, int) else None,
        switch=bool(payload.get("switch")),
    )


_STARTING = re.compile(
    r"^(?:start|begin|do|empezar|comenzar|hacer)\s+(?:my\s+|mi\s+|el\s+|la\s+)?", re.I
)


async def start_by_name(ctx: Ctx, text: str) -> bool:
    """A client typed one of their homework's names ("diario de gratitud", "start mood
    check-in"), with no question waiting: it starts, as its Start button would. False
    when the words name none of them, or more than one."""
    if ctx.user is None or ctx.user.role != "client":
        return False
    wanted = _STARTING.sub("", text.strip())
    if not fold(wanted) or fold(wanted).isdecimal():
        return False  # a number is nobody's name (and would match each one on its own)
    matches = [
        assignment
        for assignment in await homework.client_assignments(ctx.session, client_id=ctx.user.id)
        if any(
            isinstance(match_choice(wanted, [title], close=False), Picked)
            for title in (
                ctx.rt.title_of(assignment.template_id, ctx.lang),
                ctx.rt.title_of(assignment.template_id),
            )
        )
    ]
    if len(matches) != 1:
        return False
    await begin_assignment(ctx, matches[0], None)
    return True


async def begin_assignment(
    ctx: Ctx, assignment: Assignment, occurrence_id: int | None, *, switch: bool = False
) -> None:
    """Resume this assignment's unfinished entry, or start a new one; another open
    conversation is paused only when the client chooses to."""
    assert ctx.user is not None
    current = await homework.open_entry(ctx.session, client_id=ctx.user.id)
    if current is not None and current.assignment_id == assignment.id:
        await show_current(ctx, current, says=(ctx.t("Let's carry on where you were."),))
        return
    if current is not None and not switch:
        await _offer_switch(ctx, current, assignment, occurrence_id)
        return
    for earlier in await homework.paused_entries(ctx.session, client_id=ctx.user.id):
        if earlier.assignment_id == assignment.id:
            if occurrence_id is not None and not (earlier.state or {}).get("answers"):
                earlier.occurrence_id = occurrence_id  # opened and left empty: it is this one
            await homework.resume_entry(ctx.session, entry=earlier, now=ctx.now)
            await show_current(
                ctx, earlier, says=(ctx.t("Welcome back. Here is where you left off."),)
            )
            return
    template = await library.newest(ctx.rt, ctx.session, assignment.template_id)
    if template is not None:
        left_out = set(assignment.params) - set(engine.fit_params(template, assignment.params))
        if left_out:
            log.info(
                "assignment %s: settings %s no longer fit %s v%s; its defaults are used",
                assignment.id,
                ", ".join(sorted(left_out)),
                template.id,
                template.version,
            )
    try:
        flow = (
            engine.compile_flow(
                template, assignment.params, language=language_of(ctx), wording=wording(ctx.lang)
            )
            if template is not None
            else None
        )
    except FlowError:
        flow = None
    if template is None or flow is None:
        ctx.say(
            ctx.t("Sorry, this homework cannot be opened right now. Please tell your therapist.")
        )
        return
    if occurrence_id is None:
        # Started from /today: it catches up the latest due time if that one is not done
        # yet; otherwise it is done ahead of the next, which it counts for when it falls due.
        latest = await homework.latest_occurrence(
            ctx.session, assignment_id=assignment.id, until=ctx.now
        )
        done = latest is not None and await homework.done_entry_exists(
            ctx.session, assignment_id=assignment.id, occurrence_id=latest.id
        )
        occurrence_id = latest.id if latest is not None and not done else None
    turn = engine.begin(flow)
    entry = await homework.start_entry(
        ctx.session,
        client_id=ctx.user.id,
        assignment=assignment,
        occurrence_id=occurrence_id,
        template_id=assignment.template_id,
        template_version=template.version,
        params=dict(assignment.params),
        state=turn.state.to_json(),
        now=ctx.now,
    )
    if current is not None:
        ctx.say(ctx.t("I paused your {title}; it is kept.", title=ctx.title(current.template_id)))
    await _carry_out(ctx, entry, flow, turn)
    await present(ctx, entry, flow, turn)


async def _count_for_latest(ctx: Ctx, entry: Entry) -> None:
    """An entry finished for no due time (started from /today) counts for the latest due
    time if that one is not done yet (started just before it, finished after); otherwise it
    was done ahead of the next, which claims it when it falls due (bot/ticker.py)."""
    if entry.assignment_id is None:
        return
    latest = await homework.latest_occurrence(
        ctx.session, assignment_id=entry.assignment_id, until=ctx.now
    )
    if latest is not None and not await homework.done_entry_exists(
        ctx.session, assignment_id=entry.assignment_id, occurrence_id=latest.id
    ):
        entry.occurrence_id = latest.id


async def _offer_switch(
    ctx: Ctx, current: Entry, assignment: Assignment, occurrence_id: int | None
) -> None:
    """One conversation at a time: say which is open, and let the client choose."""
    open_title = ctx.title(current.template_id)
    new_title = ctx.title(assignment.template_id)
    carry_on = await button_token(ctx, "resume", {"entry": current.id})
    start = await button_token(
        ctx,
        "start",
        {"assignment": assignment.id, "occurrence": occurrence_id, "switch": True},
    )
    ctx.say(
        ctx.t(
            "You are in the middle of your {open}. Carry on with it, or pause it (your "
            "answers are kept) and start your {new}?",
            open=open_title,
            new=new_title,
        ),
        buttons=buttons(
            [
                [(ctx.t("Continue {title}", title=open_title), carry_on)],
                [(ctx.t("Start {title}", title=new_title), start)],
            ]
        ),
    )


async def resume_token(ctx: Ctx, payload: dict[str, object]) -> None:
    """A Continue button from /today or a reminder: pick up a paused or waiting entry."""
    assert ctx.user is not None
    entry_id = payload.get("entry")
    entry = (
        await homework.client_entry(ctx.session, client_id=ctx.user.id, entry_id=entry_id)
        if isinstance(entry_id, int)
        else None
    )
    if entry is None or entry.status == "done":
        ctx.say(ctx.t("That one is already finished. /today shows what is due."))
        return
    found = await state_of(ctx, entry)
    if found is None:
        ctx.say(
            ctx.t("Sorry, this homework cannot be opened right now. Please tell your therapist.")
        )
        return
    flow, state = found
    if entry.status != "active":
        await homework.resume_entry(ctx.session, entry=entry, now=ctx.now)
    if state.phase == "waiting":
        turn = engine.resume(flow, state)
        homework.save_entry(entry, state=turn.state.to_json(), finished=False, now=ctx.now)
        entry.resume_at = None
        ctx.say(ctx.t("Here is the next part."))
        await _carry_out(ctx, entry, flow, turn)
        await present(ctx, entry, flow, turn)
        return
    await show_current(ctx, entry, says=(ctx.t("Welcome back. Here is where you left off."),))


async def show_current(ctx: Ctx, entry: Entry, says: tuple[str, ...] = ()) -> None:
    """Ask the entry's current question again."""
    found = await state_of(ctx, entry)
    if found is None:
        ctx.say(ctx.t("Sorry, this homework cannot be opened right now."))
        return
    flow, state = found
    await present(ctx, entry, flow, engine.ask(flow, state, says))


def _paced(flow: Flow, key: str) -> bool:
    index = flow.index_of(key)
    spec = flow.steps[index].spec if index is not None else None
    return isinstance(spec, InfoStep) and spec.pace is not None


def entry_marker(entry: Entry) -> str:
    """A short tag for one conversation's buttons, so an old keyboard can't answer another."""
    return hashlib.sha256(f"{entry.id}:{entry.started_at.isoformat()}".encode()).hexdigest()[:8]


async def present(ctx: Ctx, entry: Entry, flow: Flow, turn: engine.Turn) -> None:
    """Say the turn's words, then the next question, the review, or the summary."""
    for said in turn.says:
        ctx.say(words(said, ctx.lang))
    marker = entry_marker(entry)
    if turn.question is not None or turn.review is not None:
        # Numbered, so that an answer is kept only once this question reached the client.
        entry.asked_rev += 1
        _take_the_floor(ctx.user)
        asks = (entry.id, entry.asked_rev)
    if turn.question is not None:
        ctx.say(
            question_text(flow.title, turn.question, ctx.lang),
            buttons=answer_keyboard(turn.question, marker, ctx.lang),
            html=True,
            asks=asks,
        )
    elif turn.review is not None:
        ctx.say(
            review_text(flow.title, turn.review, ctx.lang),
            buttons=keyboard(turn.review.buttons, marker, flow.review_position, ctx.lang),
            html=True,
            asks=asks,
        )
    elif turn.waiting is not None and entry.resume_at is not None:
        zone = ZoneInfo(ctx.user.timezone if ctx.user is not None else "UTC")
        local = entry.resume_at.astimezone(zone)
        ctx.say(
            ctx.t(
                "I'll remind you {day} at {time} for the next part. Your answers so far are saved.",
                day=moment(local, ctx.lang, "EEE d MMM"),
                time=local.strftime("%H:%M"),
            )
        )
    elif turn.finished:
        # After risk language, a cheerful closing line would jar: a plain, caring one instead.
        risky = (ctx.risk is not None and ctx.risk.level != "other") or await flags.entry_has_flag(
            ctx.session, entry_id=entry.id
        )
        outro = ctx.t(AFTER_RISK) if risky else flow.outro
        ctx.say(summary_text(flow.title, turn.summary, outro, ctx.lang), html=True)
        if ctx.user is not None and (ctx.user.dialog or {}).get("ask") == "time_zone":
            # The client started homework before choosing a time zone: ask once more.
            onboarding.ask_time_zone(ctx, ctx.user, then="done")
        elif ctx.user is not None and not risky and entry.template_id not in UNRATED:
            await notes.ask_how_it_went(ctx, entry)


async def continue_entry(ctx: Ctx, entry: Entry, event: Event) -> None:
    """Apply one client event to their open conversation and save it in the same transaction."""
    found = await state_of(ctx, entry)
    if found is None:
        ctx.say(ctx.t("Sorry, this homework cannot be opened right now."))
        return
    flow, before = found
    if not isinstance(event, Press | Back):
        crossed = _crossed(ctx, entry)
        if crossed == "unseen":
            # The question never reached them (it was on its way when the bot stopped, or
            # Telegram refused it for now): what they wrote is not kept under it.
            log.info("entry %s: a message came before its question was shown", entry.id)
            again = ctx.t("Here is my question again, so we're on the same page:")
            await present(ctx, entry, flow, engine.ask(flow, before, (again,)))
            return
        if crossed == "earlier":
            # Written before the question above reached them: it answers something else.
            log.info("entry %s: a message crossed its question", entry.id)
            ctx.say(ctx.t(CROSSED))
            return
    # A button's own words typed are that button ("skip", "Saltar", a yes/no label).
    turn = engine.advance(flow, before, event, shown_as(ctx.lang))
    problem = _photo_problem(ctx, turn)
    if problem is not None:
        ctx.say(problem)  # nothing moves on: the question waits for the photo again
        return
    homework.save_entry(entry, state=turn.state.to_json(), finished=turn.finished, now=ctx.now)
    if turn.finished and entry.occurrence_id is None:
        await _count_for_latest(ctx, entry)
    if before.at is not None and turn.state.at != before.at and _paced(flow, before.at):
        await stop_breathing(ctx, entry)
    await _carry_out(ctx, entry, flow, turn)
    toggled = (
        isinstance(event, Press)
        and turn.question is not None
        and turn.question.position == flow.index_of(before.at or "")
        and not turn.says
        and turn.state.selection != before.selection
    )
    if toggled and turn.question is not None:
        ctx.edit_buttons(answer_keyboard(turn.question, entry_marker(entry), ctx.lang))
        return
    if isinstance(event, Press):
        ctx.edit_buttons(None)
    await present(ctx, entry, flow, turn)


async def _carry_out(ctx: Ctx, entry: Entry, flow: Flow, turn: engine.Turn) -> None:
    """The turn's effects, in this same transaction (the outbox for anything sent)."""
    from bot import safety  # safety uses this module to show questions again

    for effect in turn.effects:
        if isinstance(effect, KeepPhoto):
            await _keep_photo(ctx, entry, effect)
        elif isinstance(effect, RaiseFlag):
            await safety.raise_from_answer(ctx, entry, effect)
        elif isinstance(effect, Scored):
            entry.scores = {"name": effect.name, "total": effect.total, "band": effect.band}
        elif isinstance(effect, FollowUp):
            entry.status = "waiting"
            entry.resume_at = await _follow_up_time(ctx, entry, effect)
        elif isinstance(effect, Breathe):
            await _breathe(ctx, entry, effect)
    if turn.finished:
        # Photos of answers left out of what was saved (a branch changed away from, a
        # skipped question) are deleted, never shared.
        saved = set(turn.state.answers)
        await files.forget_unsaved(ctx.session, entry_id=entry.id, saved=saved)
        await _share_photos(ctx, entry, saved)


async def _share_photos(ctx: Ctx, entry: Entry, saved: set[str]) -> None:
    """A saved entry's photos go to the therapist who gave the homework (the outbox)."""
    if ctx.user is None:
        return
    link = await homework.live_link_of_entry(ctx.session, entry=entry)
    therapist = (
        await people.get_user_by_id(ctx.session, user_id=link.therapist_id) if link else None
    )
    if link is None or therapist is None:
        return
    name = people.client_display_name(link, ctx.user)
    zone = ZoneInfo(therapist.timezone)
    shared = await files.files_for_therapist(
        ctx.session, therapist_id=therapist.id, entry_id=entry.id
    )
    # Told in the therapist's language, at the therapist's time.
    caption = tr(
        therapist.language,
        "{name}'s {title}, {when} ({zone} time)",
        name=name,
        title=in_sentence(ctx.rt.title_of(entry.template_id, therapist.language)),
        when=moment(ctx.now.astimezone(zone), therapist.language),
        zone=zone_name(zone, therapist.language),
    )
    for stored in (f for f in shared if f.step_key in saved):
        await outbox.notify(
            ctx.session,
            person=therapist,
            kind="photo",
            key=f"{entry.id}:{stored.id}:{stored.created_at.timestamp():.6f}",
            text=caption,
            now=ctx.now,
            extra={"file": stored.id, "entry": entry.id, "about": entry.client_id},
        )


CROSSED = N_(
    "Your message and my question above crossed on the way. Could you send your answer "
    "to that question again?"
)


def _crossed(ctx: Ctx, entry: Entry) -> str | None:
    """Why a typed answer (text, media, /skip) can't be kept under the entry's current
    question: "unseen" when that question never reached the client, "earlier" when the
    message was written before it did (a lower message id). None: it answers it. A press
    answers the message it is under, so it is never checked; entries from before questions
    were numbered (none asked yet) pass."""
    if entry.asked_rev == 0:
        return None
    if entry.shown_rev != entry.asked_rev:
        return "unseen"
    shown, written = entry.shown_message, ctx.message_id
    if shown is not None and written is not None and written < shown:
        return "earlier"
    return None


def _photo_problem(ctx: Ctx, turn: engine.Turn) -> str | None:
    """Why a photo answer cannot be kept (too large, or not fetched), if it cannot."""
    for effect in turn.effects:
        if isinstance(effect, KeepPhoto):
            if effect.file_id not in ctx.fetched:
                return ctx.t("That photo is too large to keep; could you send a smaller one?")
            data = ctx.fetched[effect.file_id]
            if data is None:
                return ctx.t(
                    "I couldn't fetch that photo from Telegram just now; could you send it again?"
                )
            if len(data) > files.MAX_BYTES:
                return ctx.t("That photo is too large to keep; could you send a smaller one?")
    return None


async def _keep_photo(ctx: Ctx, entry: Entry, effect: KeepPhoto) -> None:
    data = ctx.fetched.get(effect.file_id)
    if data is None:
        return  # refused before the turn was saved (see _photo_problem)
    await files.keep_file(
        ctx.session,
        client_id=entry.client_id,
        entry_id=entry.id,
        step_key=effect.key,
        mime="image/jpeg",
        data=data,
        now=ctx.now,
    )


async def _follow_up_time(ctx: Ctx, entry: Entry, effect: FollowUp) -> datetime:
    """When the next part is due, in the client's time zone, at the assignment's time."""
    zone = ZoneInfo(ctx.user.timezone if ctx.user is not None else "UTC")
    at = FOLLOW_UP_TIME
    assignment = (
        await homework.client_assignment(
            ctx.session, client_id=entry.client_id, assignment_id=entry.assignment_id
        )
        if entry.assignment_id is not None
        else None
    )
    if assignment is not None:
        schedule = parse_schedule(assignment.schedule)
        at = getattr(schedule, "at", at)
    today = local_date(ctx.now, zone)
    day = today + timedelta(days=effect.after_days or 1)
    if effect.day is not None:
        with contextlib.suppress(ValueError):
            day = max(date.fromisoformat(effect.day), today)
    due = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    return max(due, ctx.now + timedelta(hours=1))


BREATH_WORDS = (N_("Breathe in… {n}"), N_("Hold… {n}"), N_("Breathe out… {n}"))


async def _breathe(ctx: Ctx, entry: Entry, effect: Breathe) -> None:
    """Paced breathing as timed messages through the outbox (each sent at its second)."""
    if ctx.user is None:
        return
    await stop_breathing(ctx, entry)  # back on the step: one set of messages, not two
    pattern = (
        N_(
            "Let's breathe together: in for {inhale}, hold for {hold}, out for {exhale}, "
            "{rounds} times. Follow the messages as they come."
        )
        if effect.hold
        else N_(
            "Let's breathe together: in for {inhale}, out for {exhale}, {rounds} times. "
            "Follow the messages as they come."
        )
    )
    ctx.say(
        ctx.t(
            pattern,
            inhale=effect.inhale,
            hold=effect.hold,
            exhale=effect.exhale,
            rounds=effect.rounds,
        )
    )
    moment = ctx.now + timedelta(seconds=3)
    for round_number in range(1, effect.rounds + 1):
        for index, seconds in enumerate((effect.inhale, effect.hold, effect.exhale)):
            if not seconds:
                continue
            await outbox.notify(
                ctx.session,
                person=ctx.user,
                kind="breathing",
                key=f"{entry.id}:{ctx.update_id}:{round_number}:{index}",
                text=ctx.t(BREATH_WORDS[index], n=seconds),
                now=ctx.now,
                not_before=moment,
            )
            if ctx.rt.deliver_at is not None:
                ctx.rt.deliver_at(moment)
            moment += timedelta(seconds=seconds)
    await outbox.notify(
        ctx.session,
        person=ctx.user,
        kind="breathing",
        key=f"{entry.id}:{ctx.update_id}:end",
        text=ctx.t("That's it. Notice how you feel, then tap the button above when you're ready."),
        now=ctx.now,
        not_before=moment,
    )
    if ctx.rt.deliver_at is not None:
        ctx.rt.deliver_at(moment)


async def stop_breathing(ctx: Ctx, entry: Entry) -> None:
    """Withdraw the breathing messages not yet sent (the client moved on, or paused)."""
    await outbox.cancel_pending(ctx.session, kind="breathing", key_prefix=f"{entry.id}:")


async def on_answer_button(ctx: Ctx, marker: str, position: int, value: str) -> None:
    """An answer button: it counts only for the presser's own open conversation."""
    entry = await open_entry_of(ctx)
    if entry is None or entry_marker(entry) != marker:
        ctx.toast(ctx.t("That question is closed. /today shows what is due."))
        ctx.edit_buttons(None)
        return
    await continue_entry(ctx, entry, Press(position, value))


def today_of(ctx: Ctx) -> date | None:
    """The person's own date now (for answers like today or tomorrow)."""
    return local_date(ctx.now, ZoneInfo(ctx.user.timezone)) if ctx.user is not None else None


def asked_since(user: User | None, entry: Entry) -> bool:
    """A question of the bot's own (quiet hours, a note, a time zone) was asked after this
    homework last moved, by a button or a command: it has the floor, and the next words
    typed answer it, not the homework."""
    dialog = (user.dialog if user is not None else None) or {}
    since = dialog.get("since")
    if not dialog.get("ask") or not isinstance(since, str):
        return False
    try:
        return datetime.fromisoformat(since) > entry.updated_at
    except ValueError:
        return False


def _take_the_floor(user: User | None) -> None:
    """The homework's question, asked again, has the floor back from a question of the
    bot's own asked over it (which still waits, for a button or a later word)."""
    if user is not None and user.dialog and "since" in user.dialog:
        user.dialog = {key: value for key, value in user.dialog.items() if key != "since"}


async def answer_text(ctx: Ctx, entry: Entry, text: str) -> None:
    """Typed text as the answer to the open conversation's current question."""
    typed = Text(text, sent_at=ctx.sent_at, today=today_of(ctx), received_at=ctx.now.timestamp())
    await continue_entry(ctx, entry, typed)


async def on_other(ctx: Ctx, what: str) -> bool:
    """A photo, sticker, voice note...: an answer where a photo is asked, else explained."""
    entry = await open_entry_of(ctx)
    if entry is None:
        return False
    media = ctx.media or Media(kind=what)
    await continue_entry(ctx, entry, media)
    return True


async def skip(ctx: Ctx) -> None:
    """/skip: pass an optional question."""
    await _in_homework(ctx, Skip(), ctx.t("There is no question to skip right now."))


async def back(ctx: Ctx) -> None:
    """/back: change the previous answer."""
    await _in_homework(ctx, Back(), ctx.t("There is no answer to go back to right now."))


async def _in_homework(ctx: Ctx, event: Event, otherwise: str) -> None:
    entry = await open_entry_of(ctx)
    if entry is None:
        ctx.say(otherwise + " " + ctx.t("/today shows what is due."))
        return
    await continue_entry(ctx, entry, event)


async def pause(ctx: Ctx) -> bool:
    """/cancel inside homework: pause it, keeping every answer. False if none was open."""
    if ctx.user is None or ctx.user.role != "client":
        return False
    if await homework.open_entry(ctx.session, client_id=ctx.user.id) is None:
        return False
    entry = await open_entry_of(ctx)
    if entry is None:
        return True  # it could not be read, and was set aside just now (and said so)
    entry.status = "paused"
    entry.updated_at = ctx.now
    await stop_breathing(ctx, entry)
    ctx.say(
        ctx.t(
            "Paused your {title}. Your answers so far are saved; /today picks it up again "
            "whenever you like.",
            title=ctx.title(entry.template_id),
        )
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
            ctx.t(
                "You are in the middle of your {title}, so {command} will have to wait. Answer "
                "below, or /cancel to pause it first.",
                title=ctx.title(entry.template_id),
                command=command[:30],
            ),
        ),
    )
    return True


async def peek_open_entry(ctx: Ctx) -> Entry | None:
    """The client's conversation in progress, only read (for /sos and the risk screen:
    nothing there may change it, nor say anything before the crisis lines)."""
    if ctx.user is None or ctx.user.role != "client":
        return None
    return await homework.open_entry(ctx.session, client_id=ctx.user.id)


async def open_entry_of(ctx: Ctx) -> Entry | None:
    """The client's homework conversation in progress, if any."""
    if ctx.user is None or ctx.user.role != "client":
        return None
    entry = await homework.open_entry(ctx.session, client_id=ctx.user.id)
    if entry is None or await state_of(ctx, entry) is not None:
        return entry
    # Damaged beyond reading: set aside (kept, listed by /today) so it can't trap the client.
    entry.status = "paused"
    entry.updated_at = ctx.now
    ctx.say(
        ctx.t(
            "Sorry, your {title} could not be opened, so I have set it aside. Everything you "
            "wrote is kept; your therapist can help.",
            title=ctx.title(entry.template_id),
        )
    )
    return None


async def asks_for_photo(rt: Runtime, session: AsyncSession, client: User) -> bool:
    """True when the client's open homework question asks for a photo (only then is a photo
    they send fetched from Telegram)."""
    entry = await homework.open_entry(session, client_id=client.id)
    found = await library.entry_state(rt, session, entry) if entry is not None else None
    if found is None:
        return False
    flow, state = found
    # The engine is pure: what it would do with a photo here says whether it keeps one
    # (a photo step, or one sent before tapping the button that leads to it).
    trial = engine.advance(flow, state, Media(kind="photo", file_id="trial", unique_id="trial"))
    return any(isinstance(effect, KeepPhoto) for effect in trial.effects)


async def takes_text(ctx: Ctx, entry: Entry) -> bool:
    """True when the entry's current question is answered in words."""
    found = await state_of(ctx, entry)
    if found is None:
        return False
    flow, state = found
    index = flow.index_of(state.at or "") if state.phase in ("asking", "editing") else None
    return index is not None and flow.steps[index].spec.kind == "text"


async def current_step(ctx: Ctx, entry: Entry) -> str | None:
    """The id of the question the entry is asking now (or having changed), if any."""
    found = await state_of(ctx, entry)
    if found is None:
        return None
    _, state = found
    return state.at if state.phase in ("asking", "editing") else None


async def is_last_question(ctx: Ctx, entry: Entry) -> bool:
    """True when answering the current question ends the questions (review or done)."""
    found = await state_of(ctx, entry)
    if found is None:
        return False
    flow, state = found
    index = flow.index_of(state.at or "")
    return index is not None and index == len(flow.steps) - 1


async def today(ctx: Ctx) -> None:
    """/today: what is due today, what waits and what is paused, each with a button."""
    if ctx.user is None or ctx.user.role != "client":
        ctx.say(ctx.t("/today is for clients. /help shows what you can do."))
        return
    client = ctx.user
    zone = ZoneInfo(client.timezone)
    today_local = local_date(ctx.now, zone)
    rows: list[list[tuple[str, str]]] = []
    lines: list[str] = []
    unreadable = 0
    # Assignments with a paused entry listed: carried on from it, never started again.
    paused: set[int | None] = set()
    for entry in await homework.paused_entries(ctx.session, client_id=client.id):
        found = await state_of(ctx, entry)
        if found is None:
            unreadable += 1
            continue
        paused.add(entry.assignment_id)
        flow, state = found
        shown = engine.ask(flow, state)
        where = (
            ctx.t(
                "paused at question {number} of {total}",
                number=shown.question.number,
                total=shown.question.total,
            )
            if shown.question is not None
            else ctx.t("paused before saving")
        )
        lines.append(f"• {flow.title}: {where}")
        token = await button_token(ctx, "resume", {"entry": entry.id})
        rows.append([(ctx.t("Continue {title}", title=in_sentence(flow.title)), token)])
    for entry in await homework.waiting_entries(ctx.session, client_id=client.id):
        title = ctx.rt.title_of(entry.template_id, ctx.lang)
        due = entry.resume_at
        when = (
            ctx.t("the next part is due now")
            if due is None or due <= ctx.now
            else ctx.t(
                "the next part is due {day}",
                day=moment(due.astimezone(zone), ctx.lang, "EEE d MMM"),
            )
        )
        lines.append(f"• {title}: {when}")
        token = await button_token(ctx, "resume", {"entry": entry.id})
        rows.append([(ctx.t("Continue {title}", title=in_sentence(title)), token)])
    for assignment in await homework.client_assignments(ctx.session, client_id=client.id):
        title = ctx.rt.title_of(assignment.template_id, ctx.lang)
        schedule = schedule_words(parse_schedule(assignment.schedule), ctx.lang)
        latest = await homework.latest_occurrence(
            ctx.session, assignment_id=assignment.id, until=ctx.now
        )
        due_today = latest is not None and local_date(latest.due_at, zone) == today_local
        done = latest is not None and await homework.done_entry_exists(
            ctx.session, assignment_id=assignment.id, occurrence_id=latest.id
        )
        if due_today and done:
            status = ctx.t("done today ✓")
        elif due_today:
            status = ctx.t("due now")
        elif assignment.next_due_at is not None:
            status = ctx.t(
                "next {when}", when=moment(assignment.next_due_at.astimezone(zone), ctx.lang)
            )
        else:
            status = ctx.t("no more due times")
        lines.append(f"• {title} ({schedule}): {status}")
        if assignment.id in paused:
            continue  # its Continue button is above; a second one would start it twice
        token = await button_token(ctx, "start", {"assignment": assignment.id})
        rows.append([(ctx.t("Start {title}", title=in_sentence(title)), token)])
    if unreadable:
        lines.append(
            ctx.t(
                "(Unfinished entries that could not be shown: {count}. Your therapist can still "
                "see what you wrote.)",
                count=unreadable,
            )
        )
    if not lines:
        ctx.say(ctx.t("Nothing is assigned to you yet. Your therapist will add homework here."))
        return
    ctx.say(
        ctx.t("Your homework:") + "\n" + "\n".join(lines), buttons=buttons(rows) if rows else None
    )
