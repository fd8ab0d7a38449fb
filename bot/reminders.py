"""Reminders and the client's say over them: start now, snooze, skip today, quiet hours,
/pause and /resume; the therapist can pause one homework's reminders too.

Every reminder carries one button token; its buttons name what to do with it
(`t:TOKEN:start`, `t:TOKEN:hour`...), so a reminder costs one token, not five.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import caseload
from bot.i18n import in_sentence, moment, tr, zone_name
from bot.runtime import Ctx, Runtime, token_for
from conversations.reminders import (
    QuietHoursError,
    covered_by_schedule,
    evening_offered,
    outside_quiet,
    parse_quiet_hours,
    quiet_hours_of,
    snooze_until,
)
from conversations.schedules import ScheduleError, parse_schedule
from storage import homework, outbox
from storage.models import Assignment, User

SUBS = ("start", "skip", "hour", "evening", "tomorrow")


def _first_name(user: User) -> str:
    return (user.name.split() or [tr(user.language, "there")])[0]


async def queue_reminder(
    rt: Runtime,
    session: AsyncSession,
    *,
    client: User,
    assignment: Assignment,
    occurrence_id: int,
    due_at: datetime,
    send_at: datetime,
    key: str,
    now: datetime,
) -> bool:
    """Queue one reminder with its controls (an unfinished entry of it is offered instead
    of a fresh one). It is not worth sending past the grace window after `send_at`."""
    language = client.language
    title = in_sentence(rt.title_of(assignment.template_id, language))
    zone = ZoneInfo(client.timezone)
    expires = send_at + timedelta(hours=rt.settings.reminder_grace_hours)
    # An unfinished entry with answers in it is offered instead of a fresh start; one
    # opened and left before any answer is not "unfinished work" (Start resumes it anyway).
    unfinished = next(
        (
            e
            for e in await homework.paused_entries(session, client_id=client.id)
            if e.assignment_id == assignment.id and (e.state or {}).get("answers")
        ),
        None,
    )
    if unfinished is not None:
        carry_on = await token_for(
            session, owner_id=client.id, action="resume", payload={"entry": unfinished.id}, now=now
        )
        started = moment(unfinished.started_at.astimezone(zone), language, "EEEE")
        return await outbox.notify(
            session,
            person=client,
            kind="reminder",
            key=key,
            text=tr(
                language,
                "Hi {name}, you have an unfinished {title} from {day}. Would you like to "
                "continue it? Everything you wrote is kept.",
                name=_first_name(client),
                title=title,
                day=started,
            ),
            buttons=[[[tr(language, "Continue"), carry_on]]],
            now=now,
            not_before=send_at,
            expires_at=expires,
            extra={"occurrence": occurrence_id},
        )
    token = await token_for(
        session,
        owner_id=client.id,
        action="reminder",
        payload={"assignment": assignment.id, "occurrence": occurrence_id},
        now=now,
    )
    later = [[tr(language, "In an hour"), f"{token}:hour"]]
    if evening_offered(send_at, zone):
        later.append([tr(language, "This evening"), f"{token}:evening"])
    later.append([tr(language, "Tomorrow"), f"{token}:tomorrow"])
    return await outbox.notify(
        session,
        person=client,
        kind="reminder",
        key=key,
        text=tr(
            language,
            "Hi {name}, it's time for your {title}. It only takes a few minutes. Ready when "
            "you are.",
            name=_first_name(client),
            title=title,
        ),
        buttons=[
            [
                [tr(language, "Start now"), f"{token}:start"],
                [tr(language, "Skip today"), f"{token}:skip"],
            ],
            later,
        ],
        now=now,
        not_before=send_at,
        expires_at=expires,
        extra={"occurrence": occurrence_id},
    )


async def on_button(ctx: Ctx, payload: dict[str, Any], sub: str) -> None:
    """A reminder's skip today or snooze button (Start now opens the homework itself)."""
    assert ctx.user is not None
    assignment_id, occurrence_id = payload.get("assignment"), payload.get("occurrence")
    assignment = (
        await homework.client_assignment(
            ctx.session, client_id=ctx.user.id, assignment_id=assignment_id
        )
        if isinstance(assignment_id, int)
        else None
    )
    occurrence = (
        await homework.get_occurrence(ctx.session, occurrence_id=occurrence_id)
        if isinstance(occurrence_id, int)
        else None
    )
    if assignment is None or occurrence is None or occurrence.assignment_id != assignment.id:
        ctx.edit_buttons(None)
        ctx.say(ctx.t("That homework is no longer given. /today shows what is due."))
        return
    title = ctx.title(assignment.template_id)
    if sub == "skip":
        ctx.edit_buttons(None)
        if occurrence.status == "due":
            occurrence.status = "skipped"
        ctx.say(
            ctx.t(
                "Okay, no {title} today. That's fine; I'll remind you next time. If you change "
                "your mind, /today still has it.",
                title=title,
            )
        )
        return
    if sub not in ("hour", "evening", "tomorrow"):
        ctx.toast(ctx.t("That button is no longer active."))
        return
    await snooze(ctx, ctx.user, assignment, occurrence.id, occurrence.due_at, sub, title)


async def snooze(
    ctx: Ctx,
    client: User,
    assignment: Assignment,
    occurrence_id: int,
    due_at: datetime,
    choice: str,
    title: str,
) -> None:
    """Remind again later, unless the next regular reminder comes about then anyway."""
    ctx.edit_buttons(None)
    zone = ZoneInfo(client.timezone)
    target = snooze_until(choice, now=ctx.now, due_at=due_at, zone=zone)
    target = outside_quiet(target, zone, quiet_hours_of(client.quiet_start, client.quiet_end))
    when = _local(ctx, target, zone)
    try:
        schedule = parse_schedule(assignment.schedule)
    except ScheduleError:
        schedule = None
    if schedule is not None and covered_by_schedule(target, schedule, zone, ctx.now):
        upcoming = assignment.next_due_at or target
        ctx.say(
            ctx.t(
                "Okay. Your next {title} reminder comes {when} anyway, so I'll leave it to that "
                "one. /today has it whenever you want.",
                title=title,
                when=_local(ctx, upcoming, zone),
            )
        )
        return
    await queue_reminder(
        ctx.rt,
        ctx.session,
        client=client,
        assignment=assignment,
        occurrence_id=occurrence_id,
        due_at=due_at,
        send_at=target,
        key=f"{occurrence_id}:{due_at.isoformat()}:snooze:{target.isoformat()}",
        now=ctx.now,
    )
    if choice == "evening" and not evening_offered(ctx.now, zone):
        ctx.say(ctx.t("It's already evening, so I'll remind you {when}.", when=when))
    else:
        ctx.say(ctx.t("Okay, I'll remind you {when}.", when=when))


def _local(ctx: Ctx, when: datetime, zone: ZoneInfo) -> str:
    local = when.astimezone(zone)
    today, clock = ctx.now.astimezone(zone).date(), local.strftime("%H:%M")
    if local.date() == today:
        return ctx.t("at {time}", time=clock)
    if local.date() == today + timedelta(days=1):
        return ctx.t("tomorrow at {time}", time=clock)
    return ctx.t("on {day} at {time}", day=moment(local, ctx.lang, "EEE d MMM"), time=clock)


# /pause and /resume.
async def pause(ctx: Ctx) -> None:
    """/pause: a client pauses all reminders; a therapist one client's homework."""
    user = ctx.user
    assert user is not None
    if user.role == "therapist":
        await _therapist_pause(ctx, user, pause=True)
        return
    if user.paused_at is not None:
        ctx.say(ctx.t("Your reminders are already paused. /resume turns them back on."))
        return
    user.paused_at = ctx.now
    ctx.say(
        ctx.t(
            "Reminders are paused. Your homework and everything you wrote stay as they are, and "
            "/today still shows them. /resume turns reminders back on; your therapist will see "
            "that they are paused."
        )
    )


async def resume(ctx: Ctx) -> None:
    """/resume: reminders back on (a therapist: one client's homework)."""
    user = ctx.user
    assert user is not None
    if user.role == "therapist":
        await _therapist_pause(ctx, user, pause=False)
        return
    if user.paused_at is None:
        ctx.say(ctx.t("Your reminders are on. /pause stops them for a while."))
        return
    user.paused_at = None
    ctx.say(ctx.t("Reminders are back on. The next one comes at its usual time."))


async def _therapist_pause(ctx: Ctx, therapist: User, *, pause: bool) -> None:
    command = "/pause" if pause else "/resume"
    if not ctx.args:
        ctx.say(
            ctx.t(
                "/pause CLIENT HOMEWORK pauses that homework's reminders, for example: /pause "
                "robin gratitude. /pause CLIENT alone does it for all of their homework."
            )
            if pause
            else ctx.t(
                "/resume CLIENT HOMEWORK resumes that homework's reminders, for example: /resume "
                "robin gratitude. /resume CLIENT alone does it for all of their homework."
            )
        )
        return
    picked = await caseload.pick(ctx, therapist, command, ctx.args)
    if picked is not None:
        _, client, name, chosen = picked
        await caseload.set_paused(ctx, therapist, client, chosen, name, pause)


# Quiet hours.
def ask_quiet_hours(ctx: Ctx, user: User) -> None:
    """Ask for quiet hours (or `off`)."""
    user.dialog = {"ask": "quiet_hours"}
    now = quiet_hours_of(user.quiet_start, user.quiet_end)
    ctx.say(
        ctx.t(
            "Quiet hours hold reminders until they end. Send two times, like 22:00-08:00 (now "
            "{hours}), or off to have none.",
            hours=now.describe(),
        )
        if now
        else ctx.t("Quiet hours hold reminders until they end. Send two times, like 22:00-08:00.")
    )


async def set_quiet_hours(ctx: Ctx, user: User, typed: str) -> None:
    """Store quiet hours from what the person typed."""
    zone = zone_name(ZoneInfo(user.timezone), ctx.lang)
    if typed.strip().lower() in ("off", "none", "no", "ninguna", "ninguno", "nada", "quitar"):
        user.quiet_start = user.quiet_end = None
        user.dialog = None
        ctx.say(ctx.t("No quiet hours: reminders come at their times."))
        return
    try:
        quiet = parse_quiet_hours(typed)
    except QuietHoursError as error:
        ctx.say(ctx.unreadable(error) + " " + ctx.t("Or send off for none."))
        return
    user.quiet_start, user.quiet_end = quiet.start.strftime("%H:%M"), quiet.end.strftime("%H:%M")
    user.dialog = None
    ctx.say(
        ctx.t(
            "Quiet hours {hours} ({zone} time): reminders wait until they end.",
            hours=quiet.describe(),
            zone=zone,
        )
    )


def parse_data(data: str) -> tuple[str, str] | None:
    """`TOKEN:sub` from a reminder button's data (after the token prefix)."""
    token, _, sub = data.partition(":")
    return (token, sub) if sub in SUBS else None
