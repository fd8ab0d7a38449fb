"""The repeating tick: due reminders and digests into the outbox, then the outbox out.

PTB's JobQueue (APScheduler) only calls `tick`; what is due lives in our own tables, so a
restart or a second replica neither loses nor doubles anything.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.ext import ContextTypes

from bot import metrics, privacy, reminders
from bot.delivery import beat, deliver_outbox
from bot.digests import Digest, build_digest, digest_period, digest_schedule
from bot.i18n import in_sentence, tr
from bot.runtime import Runtime, runtime_of, token_for
from bot.safety import escalate_unacknowledged
from conversations.reminders import due_times_between, outside_quiet, quiet_hours_of
from conversations.schedules import (
    latest_occurrence_at_or_before,
    next_occurrence,
    parse_schedule,
)
from storage import homework, outbox, people, updates
from storage import privacy as privacy_store
from storage.models import Assignment, Entry, User

log = logging.getLogger(__name__)

UPDATE_MEMORY = timedelta(days=2)
"""Telegram keeps an update for 24 hours; ids are remembered twice as long."""
RETRY_BROKEN = timedelta(hours=1)


async def tick(rt: Runtime, bot: Bot) -> None:
    """One beat: escalate alerts nobody acknowledged, queue what fell due, then send."""
    await queue_due(rt)
    await deliver_outbox(rt, bot)


async def queue_due(rt: Runtime) -> None:
    """Everything that fell due goes into the outbox (which `deliver_job` empties)."""
    async with rt.db.reading() as session:
        await rt.read_titles(session)
    await escalate_unacknowledged(rt)
    await queue_due_reminders(rt)
    await queue_due_follow_ups(rt)
    await queue_due_digests(rt)
    await forget_old_updates(rt)
    await privacy.erase_due(rt)
    await privacy.apply_retention(rt)
    async with rt.db.reading() as session:
        depth = await outbox.depth_by_lane(session)
    for lane, name in metrics.LANE_NAMES.items():
        metrics.OUTBOX_DEPTH.labels(name).set(depth.get(lane, 0))
    rt.last_tick_at = rt.clock.now()
    metrics.LAST_TICK.set(rt.last_tick_at.timestamp())


async def forget_old_updates(rt: Runtime) -> None:
    """Update ids older than any redelivery are no longer needed."""
    async with rt.db.transaction() as session:
        await updates.forget_before(session, before=rt.clock.now() - UPDATE_MEMORY)


async def queue_due_follow_ups(rt: Runtime) -> int:
    """A reminder for each follow-up part now due (a behavioural experiment's review)."""

    async def later(session: AsyncSession, item: tuple[Entry, User], now: datetime) -> None:
        entry = await session.get(Entry, item[0].id)
        if entry is not None:
            entry.resume_at = now + RETRY_BROKEN

    return await _each_due(
        rt,
        claim=lambda session, now: homework.claim_due_follow_ups(session, now=now, limit=1),
        handle=_queue_follow_up,
        on_error=later,
        what="the follow-up of entry",
    )


async def _queue_follow_up(
    rt: Runtime, session: AsyncSession, item: tuple[Entry, User], now: datetime
) -> bool:
    entry, client = item
    entry.resume_at = None  # reminded once; /today still offers it
    language = client.language
    title = in_sentence(rt.title_of(entry.template_id, language))
    carry_on = await token_for(
        session, owner_id=client.id, action="resume", payload={"entry": entry.id}, now=now
    )
    first_name = (client.name.split() or [tr(language, "there")])[0]
    zone = ZoneInfo(client.timezone)
    send_at = outside_quiet(now, zone, quiet_hours_of(client.quiet_start, client.quiet_end))
    return await outbox.notify(
        session,
        person=client,
        kind="follow_up",
        key=f"{entry.id}:{entry.updated_at.isoformat()}",
        text=tr(
            language,
            "Hi {name}, it's time for the next part of your {title}. It picks up where you "
            "left off.",
            name=first_name,
            title=title,
        ),
        buttons=[[[tr(language, "Continue"), carry_on]]],
        now=now,
        not_before=send_at,
        extra={"entry": entry.id},
    )


Item = TypeVar("Item")


async def _each_due(
    rt: Runtime,
    *,
    claim: Callable[[AsyncSession, datetime], Awaitable[list[Item]]],
    handle: Callable[[Runtime, AsyncSession, Item, datetime], Awaitable[bool | int]],
    on_error: Callable[[AsyncSession, Item, datetime], Awaitable[None]],
    what: str,
) -> int:
    """Claim and handle due items one at a time, each in a short transaction of its own
    (never a hundred reminders or digests in one), until none is due."""
    done = 0
    while True:
        async with rt.db.transaction() as session:
            now = rt.clock.now()
            claimed = await claim(session, now)
            if not claimed:
                return done
            item = claimed[0]
            try:
                async with session.begin_nested():
                    done += int(await handle(rt, session, item, now))
            except Exception:
                # One broken row must not hold up everyone else's, nor be retried every
                # tick: it is looked at again later.
                log.exception("could not queue %s %s", what, _id_of(item))
                await on_error(session, item, now)


def _id_of(item: object) -> object:
    first = item[0] if isinstance(item, tuple) else item
    return getattr(first, "id", "?")


async def tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's callback every TICK_SECONDS: what fell due into the outbox."""
    await queue_due(runtime_of(context))


async def deliver_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's callback every second: the outbox out, at Telegram's pace, until empty."""
    await deliver_outbox(runtime_of(context), context.bot)


async def beat_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's callback every few seconds: this process is alive."""
    await beat(runtime_of(context))


async def queue_due_reminders(rt: Runtime) -> int:
    """One reminder per due assignment, each in its own transaction. After downtime, the
    latest due time is reminded of if still within the grace window, once; older ones are
    recorded as not reminded (the digest shows them), never sent as a burst."""

    async def postpone(session: AsyncSession, item: tuple[Assignment, User], now: datetime) -> None:
        await homework.postpone_assignment(
            session, assignment_id=item[0].id, until=now + RETRY_BROKEN
        )

    return await _each_due(
        rt,
        claim=lambda session, now: homework.claim_due_assignments(session, now=now, limit=1),
        handle=_queue_reminder,
        on_error=postpone,
        what="the reminder of assignment",
    )


async def _queue_reminder(
    rt: Runtime, session: AsyncSession, item: tuple[Assignment, User], now: datetime
) -> bool:
    assignment, client = item
    zone = ZoneInfo(client.timezone)
    schedule = parse_schedule(assignment.schedule)
    first_due = assignment.next_due_at
    assert first_due is not None
    latest = latest_occurrence_at_or_before(schedule, zone, now) or first_due
    *older, due_at = due_times_between(schedule, zone, first_due, max(latest, first_due))
    assignment.next_due_at = next_occurrence(schedule, zone, now)
    for missed_at in older:
        await homework.record_occurrence(
            session, assignment_id=assignment.id, due_at=missed_at, now=now, status="missed"
        )
    grace = timedelta(hours=rt.settings.reminder_grace_hours)
    status = "due"
    if assignment.paused_at is not None or client.paused_at is not None:
        status = "paused"
    elif client.blocked_at is not None:
        status = "unreachable"  # they blocked the bot; their therapist was told
    elif now - due_at > grace:
        status = "missed"
    occurrence_id = await homework.record_occurrence(
        session, assignment_id=assignment.id, due_at=due_at, now=now, status=status
    )
    if occurrence_id is None:
        return False
    # Done ahead of time (from /today, earlier the same day in the client's calendar): it
    # counts, whatever became of the due time itself (paused, or late after downtime), and
    # nobody is reminded. Done on an earlier day, it was that day's practice, not this one's.
    since = await homework.previous_due(session, assignment_id=assignment.id, before=due_at)
    that_morning = datetime.combine(due_at.astimezone(zone).date(), time.min, tzinfo=zone)
    early = await homework.claim_early_entry(
        session,
        assignment_id=assignment.id,
        occurrence_id=occurrence_id,
        since=max(since or assignment.created_at, that_morning),
        until=now,
    )
    if early or status != "due":
        return False
    send_at = outside_quiet(now, zone, quiet_hours_of(client.quiet_start, client.quiet_end))
    return await reminders.queue_reminder(
        rt,
        session,
        client=client,
        assignment=assignment,
        occurrence_id=occurrence_id,
        due_at=due_at,
        send_at=send_at,
        key=f"{occurrence_id}:{due_at.isoformat()}",
        now=now,
    )


async def queue_due_digests(rt: Runtime) -> int:
    """Each therapist's digest, once per due time. It is built from a read-only session
    (so no write lock waits while a large caseload is read and its charts planned), then
    claimed and queued in a short transaction of its own; a digest another replica sent
    meanwhile is dropped, never sent twice."""
    queued = 0
    while True:
        now = rt.clock.now()
        async with rt.db.reading() as session:
            due = await people.due_digests(session, now=now, limit=1)
            if not due:
                return queued
            therapist = due[0]
            therapist_id, next_at = therapist.id, therapist.digest_next_at
            assert next_at is not None
            try:
                plan = await _plan_digest(rt, session, therapist, now)
            except Exception:
                # One broken digest must not hold up everyone else's, nor be retried every
                # tick: it is looked at again later.
                log.exception("could not build the digest of therapist %s", therapist_id)
                plan = None
        async with rt.db.transaction() as session:
            claimed = await people.claim_digest(session, therapist_id=therapist_id, next_at=next_at)
            if claimed is None:
                # Sent, or being sent, by another replica: the next tick looks again.
                return queued
            try:
                if plan is None:
                    raise ValueError("the digest could not be built")
                async with session.begin_nested():
                    queued += await _queue_digest(rt, session, claimed, plan, now)
            except Exception:
                if plan is not None:
                    log.exception("could not queue the digest of therapist %s", therapist_id)
                claimed.digest_next_at = now + RETRY_BROKEN


@dataclass
class _DigestPlan:
    digest: Digest
    due_at: datetime
    next_at: datetime | None


async def _plan_digest(
    rt: Runtime, session: AsyncSession, therapist: User, now: datetime
) -> _DigestPlan:
    zone = ZoneInfo(therapist.timezone)
    schedule = digest_schedule(therapist, rt.settings.default_digest_time)
    # After downtime, the digest runs to the latest digest time, not the one missed days ago.
    due_at = latest_occurrence_at_or_before(schedule, zone, now) or therapist.digest_next_at
    assert due_at is not None
    # From where the last digest ended: nothing falls between two digests, even across a
    # daylight-saving change or a few days of downtime.
    since = therapist.digest_since or due_at - digest_period(therapist)
    await rt.read_titles(session)
    digest = await build_digest(session, rt, therapist=therapist, since=since, until=due_at)
    return _DigestPlan(digest, due_at, next_occurrence(schedule, zone, now))


async def _queue_digest(
    rt: Runtime, session: AsyncSession, therapist: User, plan: _DigestPlan, now: datetime
) -> int:
    therapist.digest_next_at = plan.next_at
    therapist.digest_since = plan.due_at
    keyboards = await plan.digest.keyboards(session, therapist=therapist, now=now)
    await privacy_store.audit(
        session,
        actor=therapist,
        action="digest",
        subject=f"due {plan.due_at:%Y-%m-%d %H:%M}",
        now=now,
    )
    queued = 0
    for index, text in enumerate(plan.digest.messages):
        queued += await outbox.notify(
            session,
            person=therapist,
            kind="digest",
            key=f"{therapist.id}:{plan.due_at.isoformat()}:{index}",
            text=text,
            now=now,
            buttons=keyboards[index] or None,
        )
    queued += await plan.digest.queue_charts(
        session, therapist=therapist, key=plan.due_at.isoformat(), now=now
    )
    return queued
