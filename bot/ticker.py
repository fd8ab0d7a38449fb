"""The repeating tick: due reminders and digests into the outbox, then the outbox out.

PTB's JobQueue (APScheduler) only calls `tick`; what is due lives in our own tables, so a
restart or a second replica neither loses nor doubles anything.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.ext import ContextTypes

from bot.delivery import deliver_outbox
from bot.digests import PERIOD, build_digest
from bot.runtime import Runtime, runtime_of, token_for
from bot.safety import escalate_unacknowledged
from conversations.schedules import (
    Daily,
    latest_occurrence_at_or_before,
    next_occurrence,
    parse_schedule,
)
from storage import homework, outbox, people, updates
from storage.models import Assignment, User

log = logging.getLogger(__name__)

BATCH = 100
UPDATE_MEMORY = timedelta(days=2)
"""Telegram keeps an update for 24 hours; ids are remembered twice as long."""
RETRY_BROKEN = timedelta(hours=1)


async def tick(rt: Runtime, bot: Bot) -> None:
    """One beat: escalate alerts nobody acknowledged, queue what fell due, then send."""
    await queue_due(rt)
    await deliver_outbox(rt, bot)


async def queue_due(rt: Runtime) -> None:
    """Everything that fell due goes into the outbox (which `deliver_job` empties)."""
    async with rt.db.transaction() as session:
        await rt.read_titles(session)
    await escalate_unacknowledged(rt)
    await queue_due_reminders(rt)
    await queue_due_follow_ups(rt)
    await queue_due_digests(rt)
    await forget_old_updates(rt)


async def forget_old_updates(rt: Runtime) -> None:
    """Update ids older than any redelivery are no longer needed."""
    async with rt.db.transaction() as session:
        await updates.forget_before(session, before=rt.clock.now() - UPDATE_MEMORY)


async def queue_due_follow_ups(rt: Runtime) -> int:
    """A reminder for each follow-up part now due (a behavioural experiment's review)."""
    queued = 0
    async with rt.db.transaction() as session:
        now = rt.clock.now()
        for entry, client in await homework.claim_due_follow_ups(session, now=now, limit=BATCH):
            entry_id = entry.id
            try:
                async with session.begin_nested():
                    entry.resume_at = None  # reminded once; /today still offers it
                    title = rt.title_of(entry.template_id).lower()
                    carry_on = await token_for(
                        session,
                        owner_id=client.id,
                        action="resume",
                        payload={"entry": entry.id},
                        now=now,
                    )
                    first_name = (client.name.split() or ["there"])[0]
                    queued += await outbox.notify(
                        session,
                        person=client,
                        kind="follow_up",
                        key=f"{entry.id}:{entry.updated_at.isoformat()}",
                        text=f"Hi {first_name}, it's time for the next part of your {title}. "
                        "It picks up where you left off.",
                        buttons=[[["Continue", carry_on]]],
                        now=now,
                    )
            except Exception:
                log.exception("could not queue the follow-up of entry %s", entry_id)
    return queued


async def tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's callback every TICK_SECONDS: what fell due into the outbox."""
    await queue_due(runtime_of(context))


async def deliver_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's callback every second: the outbox out, at Telegram's pace, until empty."""
    await deliver_outbox(runtime_of(context), context.bot)


async def queue_due_reminders(rt: Runtime) -> int:
    """One reminder per due assignment; after downtime, one for the latest missed time."""
    queued = 0
    async with rt.db.transaction() as session:
        now = rt.clock.now()
        for assignment, client in await homework.claim_due_assignments(
            session, now=now, limit=BATCH
        ):
            assignment_id = assignment.id
            try:
                async with session.begin_nested():
                    queued += await _queue_reminder(rt, session, assignment, client, now)
            except Exception:
                # One broken row must not hold up everyone else's reminders, nor be retried
                # every tick: it is looked at again in an hour.
                log.exception("could not queue the reminder of assignment %s", assignment_id)
                await homework.postpone_assignment(
                    session, assignment_id=assignment_id, until=now + RETRY_BROKEN
                )
    return queued


async def _queue_reminder(
    rt: Runtime, session: AsyncSession, assignment: Assignment, client: User, now: datetime
) -> bool:
    zone = ZoneInfo(client.timezone)
    schedule = parse_schedule(assignment.schedule)
    due_at = assignment.next_due_at
    assert due_at is not None
    latest = latest_occurrence_at_or_before(schedule, zone, now)
    if latest is not None and latest > due_at:
        due_at = latest
    assignment.next_due_at = next_occurrence(schedule, zone, now)
    occurrence_id = await homework.record_occurrence(
        session, assignment_id=assignment.id, due_at=due_at, now=now
    )
    if occurrence_id is None:
        return False
    title = rt.title_of(assignment.template_id)
    first_name = (client.name.split() or ["there"])[0]
    unfinished = next(
        (
            e
            for e in await homework.paused_entries(session, client_id=client.id)
            if e.assignment_id == assignment.id
        ),
        None,
    )
    if unfinished is not None:
        # Offer the one they began rather than a fresh one beside it.
        carry_on = await token_for(
            session, owner_id=client.id, action="resume", payload={"entry": unfinished.id}, now=now
        )
        started = unfinished.started_at.astimezone(zone).strftime("%A")
        return await outbox.notify(
            session,
            person=client,
            kind="reminder",
            key=str(occurrence_id),
            text=f"Hi {first_name}, you have an unfinished {title.lower()} from {started}. "
            "Would you like to continue it? Everything you wrote is kept.",
            buttons=[[["Continue", carry_on]]],
            now=now,
        )
    start = await token_for(
        session,
        owner_id=client.id,
        action="start",
        payload={"assignment": assignment.id, "occurrence": occurrence_id},
        now=now,
    )
    return await outbox.notify(
        session,
        person=client,
        kind="reminder",
        key=str(occurrence_id),
        text=f"Hi {first_name}, it's time for your {title.lower()}. "
        "It only takes a few minutes. Ready when you are.",
        buttons=[[["Start now", start]]],
        now=now,
    )


async def queue_due_digests(rt: Runtime) -> int:
    """Each therapist's daily digest, once per due time."""
    queued = 0
    async with rt.db.transaction() as session:
        now = rt.clock.now()
        for therapist in await people.claim_due_digests(session, now=now, limit=BATCH):
            therapist_id = therapist.id
            try:
                async with session.begin_nested():
                    queued += await _queue_digest(rt, session, therapist, now)
            except Exception:
                log.exception("could not queue the digest of therapist %s", therapist_id)
                await people.postpone_digest(
                    session, therapist_id=therapist_id, until=now + RETRY_BROKEN
                )
    return queued


async def _queue_digest(rt: Runtime, session: AsyncSession, therapist: User, now: datetime) -> int:
    zone = ZoneInfo(therapist.timezone)
    at = time.fromisoformat(therapist.digest_time or rt.settings.default_digest_time)
    # After downtime, the digest runs to the latest digest time, not the one missed days ago.
    due_at = latest_occurrence_at_or_before(Daily(at), zone, now) or therapist.digest_next_at
    assert due_at is not None
    therapist.digest_next_at = next_occurrence(Daily(at), zone, now)
    # From where the last digest ended: nothing falls between two digests, even across a
    # daylight-saving change or a few days of downtime.
    since = therapist.digest_since or due_at - PERIOD
    therapist.digest_since = due_at
    digest = await build_digest(session, rt, therapist=therapist, since=since, until=due_at)
    first_buttons = await digest.buttons(session, therapist=therapist, now=now)
    queued = 0
    for index, text in enumerate(digest.messages):
        queued += await outbox.notify(
            session,
            person=therapist,
            kind="digest",
            key=f"{therapist.id}:{due_at.isoformat()}:{index}",
            text=text,
            now=now,
            buttons=first_buttons if index == 0 else None,
        )
    return queued
