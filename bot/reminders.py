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
from conversations.timezones import zone_label
from storage import homework, outbox
from storage.models import Assignment, User

SUBS = ("start", "skip", "hour", "evening", "tomorrow")


def _first_name(user: User) -> str:
    return (user.name.split() or ["there"])[0]


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
    title = rt.title_of(assignment.template_id).lower()
    zone = ZoneInfo(client.timezone)
    expires = send_at + timedelta(hours=rt.settings.reminder_grace_hours)
    unfinished = next(
        (
            e
            for e in await homework.paused_entries(session, client_id=client.id)
            if e.assignment_id == assignment.id
        ),
        None,
    )
    if unfinished is not None:
        carry_on = await token_for(
            session, owner_id=client.id, action="resume", payload={"entry": unfinished.id}, now=now
        )
        started = unfinished.started_at.astimezone(zone).strftime("%A")
        return await outbox.notify(
            session,
            person=client,
            kind="reminder",
            key=key,
            text=f"Hi {_first_name(client)}, you have an unfinished {title} from {started}. "
            "Would you like to continue it? Everything you wrote is kept.",
            buttons=[[["Continue", carry_on]]],
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
    later = [["In an hour", f"{token}:hour"]]
    if evening_offered(send_at, zone):
        later.append(["This evening", f"{token}:evening"])
    later.append(["Tomorrow", f"{token}:tomorrow"])
    return await outbox.notify(
        session,
        person=client,
        kind="reminder",
        key=key,
        text=f"Hi {_first_name(client)}, it's time for your {title}. "
        "It only takes a few minutes. Ready when you are.",
        buttons=[
            [["Start now", f"{token}:start"], ["Skip today", f"{token}:skip"]],
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
        ctx.say("That homework is no longer given. /today shows what is due.")
        return
    title = ctx.rt.title_of(assignment.template_id).lower()
    if sub == "skip":
        ctx.edit_buttons(None)
        if occurrence.status == "due":
            occurrence.status = "skipped"
        ctx.say(
            f"Okay, no {title} today. That's fine; I'll remind you next time. "
            "If you change your mind, /today still has it."
        )
        return
    if sub not in ("hour", "evening", "tomorrow"):
        ctx.toast("That button is no longer active.")
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
    when = _local(target, zone, ctx.now)
    try:
        schedule = parse_schedule(assignment.schedule)
    except ScheduleError:
        schedule = None
    if schedule is not None and covered_by_schedule(target, schedule, zone, ctx.now):
        upcoming = assignment.next_due_at or target
        ctx.say(
            f"Okay. Your next {title} reminder comes {_local(upcoming, zone, ctx.now)} anyway, "
            "so I'll leave it to that one. /today has it whenever you want."
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
        ctx.say(f"It's already evening, so I'll remind you {when}.")
    else:
        ctx.say(f"Okay, I'll remind you {when}.")


def _local(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"at {local:%H:%M}"
    if local.date() == now.astimezone(zone).date() + timedelta(days=1):
        return f"tomorrow at {local:%H:%M}"
    return f"on {local:%a %d %b} at {local:%H:%M}"


# /pause and /resume.
async def pause(ctx: Ctx) -> None:
    """/pause: a client pauses all reminders; a therapist one client's homework."""
    user = ctx.user
    assert user is not None
    if user.role == "therapist":
        await _therapist_pause(ctx, user, pause=True)
        return
    if user.paused_at is not None:
        ctx.say("Your reminders are already paused. /resume turns them back on.")
        return
    user.paused_at = ctx.now
    ctx.say(
        "Reminders are paused. Your homework and everything you wrote stay as they are, and "
        "/today still shows them. /resume turns reminders back on; your therapist will see "
        "that they are paused."
    )


async def resume(ctx: Ctx) -> None:
    """/resume: reminders back on (a therapist: one client's homework)."""
    user = ctx.user
    assert user is not None
    if user.role == "therapist":
        await _therapist_pause(ctx, user, pause=False)
        return
    if user.paused_at is None:
        ctx.say("Your reminders are on. /pause stops them for a while.")
        return
    user.paused_at = None
    ctx.say("Reminders are back on. The next one comes at its usual time.")


async def _therapist_pause(ctx: Ctx, therapist: User, *, pause: bool) -> None:
    command = "/pause" if pause else "/resume"
    if not ctx.args:
        ctx.say(
            f"{command} CLIENT HOMEWORK {'pauses' if pause else 'resumes'} that homework's "
            f"reminders, for example: {command} robin gratitude. {command} CLIENT alone does it "
            "for all of their homework."
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
        "Quiet hours hold reminders until they end. Send two times, like 22:00-08:00"
        + (f" (now {now.describe()}), or off to have none." if now else ".")
    )


async def set_quiet_hours(ctx: Ctx, user: User, typed: str) -> None:
    """Store quiet hours from what the person typed."""
    zone = zone_label(ZoneInfo(user.timezone))
    if typed.strip().lower() in ("off", "none", "no"):
        user.quiet_start = user.quiet_end = None
        user.dialog = None
        ctx.say("No quiet hours: reminders come at their times.")
        return
    try:
        quiet = parse_quiet_hours(typed)
    except QuietHoursError as error:
        ctx.say(f"{error} Or send off for none.")
        return
    user.quiet_start, user.quiet_end = quiet.start.strftime("%H:%M"), quiet.end.strftime("%H:%M")
    user.dialog = None
    ctx.say(f"Quiet hours {quiet.describe()} ({zone} time): reminders wait until they end.")


def parse_data(data: str) -> tuple[str, str] | None:
    """`TOKEN:sub` from a reminder button's data (after the token prefix)."""
    token, _, sub = data.partition(":")
    return (token, sub) if sub in SUBS else None
