"""Assignments, their due times, and the entries clients write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.db import insert_unless_exists
from storage.models import Assignment, Entry, Link, Occurrence, User


async def create_assignment(
    session: AsyncSession,
    *,
    link: Link,
    template_id: str,
    params: dict[str, Any],
    schedule: str,
    next_due_at: datetime | None,
    now: datetime,
) -> Assignment:
    """Give the linked client homework on a schedule."""
    assignment = Assignment(
        link_id=link.id,
        template_id=template_id,
        params=params,
        schedule=schedule,
        next_due_at=next_due_at,
        active=True,
        created_at=now,
    )
    session.add(assignment)
    await session.flush()
    return assignment


async def client_assignments(session: AsyncSession, *, client_id: int) -> list[Assignment]:
    """The client's active assignments from their current therapist, oldest first."""
    query = (
        select(Assignment)
        .join(Link, Link.id == Assignment.link_id)
        .where(Link.client_id == client_id, Link.ended_at.is_(None), Assignment.active)
        .order_by(Assignment.id)
    )
    return list((await session.execute(query)).scalars())


async def assignments_of_link(session: AsyncSession, *, link_id: int) -> list[Assignment]:
    """Active assignments under one link, oldest first."""
    query = (
        select(Assignment)
        .where(Assignment.link_id == link_id, Assignment.active)
        .order_by(Assignment.id)
    )
    return list((await session.execute(query)).scalars())


async def active_assignments_of_template(
    session: AsyncSession, *, therapist_id: int, template_id: str
) -> list[Assignment]:
    """Assignments this therapist gave that still run one template (on live links).
    Template ids are encrypted, so they are compared here rather than in SQL."""
    query = (
        select(Assignment)
        .join(Link, Link.id == Assignment.link_id)
        .where(Assignment.active, Link.ended_at.is_(None), Link.therapist_id == therapist_id)
        .order_by(Assignment.id)
    )
    running = (await session.execute(query)).scalars()
    return [assignment for assignment in running if assignment.template_id == template_id]


def _of_link(query: Select[Any], *, therapist_id: int, link_id: int) -> Select[Any]:
    """Limit a query over assignments to one link, and only if it is this therapist's: the
    acting person is part of every read of a client's data (ARCHITECTURE.md, rule 9)."""
    return query.join(Link, Link.id == Assignment.link_id).where(
        Link.id == link_id, Link.therapist_id == therapist_id
    )


async def therapist_assignment(
    session: AsyncSession, *, therapist_id: int, assignment_id: int
) -> Assignment | None:
    """One assignment, only if this therapist gave it, it is active and the link is live."""
    return await _live_assignment(session, assignment_id, Link.therapist_id == therapist_id)


async def entry_of_link(
    session: AsyncSession, *, therapist_id: int, link_id: int, entry_id: int
) -> Entry | None:
    """One entry, only if it is homework given on this link, and the link is this
    therapist's."""
    query = _of_link(
        select(Entry).join(Assignment, Assignment.id == Entry.assignment_id),
        therapist_id=therapist_id,
        link_id=link_id,
    ).where(Entry.id == entry_id)
    found: Entry | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def client_assignment(
    session: AsyncSession, *, client_id: int, assignment_id: int
) -> Assignment | None:
    """One assignment, only if it is this client's and still active."""
    return await _live_assignment(session, assignment_id, Link.client_id == client_id)


async def _live_assignment(
    session: AsyncSession, assignment_id: int, whose: ColumnElement[bool]
) -> Assignment | None:
    query = (
        select(Assignment)
        .join(Link, Link.id == Assignment.link_id)
        .where(Assignment.id == assignment_id, Assignment.active, whose, Link.ended_at.is_(None))
    )
    return (await session.execute(query)).scalar_one_or_none()


async def claim_due_assignments(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[tuple[Assignment, User]]:
    """Due assignments with their clients, locked so no other replica takes them."""
    query = (
        select(Assignment, User)
        .join(Link, Link.id == Assignment.link_id)
        .join(User, User.id == Link.client_id)
        .where(
            Assignment.active,
            Assignment.next_due_at.is_not(None),
            Assignment.next_due_at <= now,
            Link.ended_at.is_(None),
        )
        .order_by(Assignment.next_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Assignment)
    )
    return [(a, u) for a, u in (await session.execute(query))]


async def postpone_assignment(
    session: AsyncSession, *, assignment_id: int, until: datetime
) -> None:
    """Look at an assignment again only at `until` (it failed; don't retry every tick)."""
    assignment = await session.get(Assignment, assignment_id)
    if assignment is not None:
        assignment.next_due_at = until


async def record_occurrence(
    session: AsyncSession,
    *,
    assignment_id: int,
    due_at: datetime,
    now: datetime,
    status: str = "due",
) -> int | None:
    """Record one due time; its id, or None when it was already recorded (nothing twice)."""
    return await insert_unless_exists(
        session,
        Occurrence,
        {"assignment_id": assignment_id, "due_at": due_at, "created_at": now, "status": status},
        unique=["assignment_id", "due_at"],
    )


async def get_occurrence(session: AsyncSession, *, occurrence_id: int) -> Occurrence | None:
    """One due time."""
    return await session.get(Occurrence, occurrence_id)


async def latest_occurrence(
    session: AsyncSession, *, assignment_id: int, until: datetime
) -> Occurrence | None:
    """The most recent due time of an assignment at or before `until`."""
    query = (
        select(Occurrence)
        .where(Occurrence.assignment_id == assignment_id, Occurrence.due_at <= until)
        .order_by(Occurrence.due_at.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class Tally:
    """What became of an assignment's due times in a period."""

    due: int = 0
    done: int = 0
    skipped: int = 0
    """Skipped by the client (“Skip today”) and not done after all."""
    paused: int = 0
    """Due while reminders were paused (by the client or the therapist), not done."""
    not_reminded: int = 0
    """Too late to remind after downtime, or the client had blocked the bot; not done."""

    @property
    def missed(self) -> int:
        """Due times the client was reminded of and did not do."""
        return max(self.due - self.done - self.skipped - self.paused - self.not_reminded, 0)


async def occurrence_tally(
    session: AsyncSession, *, assignment_id: int, since: datetime, until: datetime
) -> Tally:
    """What became of the due times in (since, until]."""
    rows = (
        await session.execute(
            select(Occurrence.id, Occurrence.status).where(
                Occurrence.assignment_id == assignment_id,
                Occurrence.due_at > since,
                Occurrence.due_at <= until,
            )
        )
    ).all()
    if not rows:
        return Tally()
    done_ids = set(
        (
            await session.execute(
                select(Entry.occurrence_id).where(
                    Entry.occurrence_id.in_([row[0] for row in rows]), Entry.status == "done"
                )
            )
        ).scalars()
    )
    undone = [status for occurrence_id, status in rows if occurrence_id not in done_ids]
    return Tally(
        due=len(rows),
        done=len(rows) - len(undone),
        skipped=undone.count("skipped"),
        paused=undone.count("paused"),
        not_reminded=undone.count("missed") + undone.count("unreachable"),
    )


async def recent_outcomes(
    session: AsyncSession, *, assignment_id: int, until: datetime, limit: int = 30
) -> list[str]:
    """What became of the latest due times up to `until`, newest first: done, skipped,
    paused, not_reminded or missed (reminded and not done)."""
    rows = (
        await session.execute(
            select(Occurrence.id, Occurrence.status)
            .where(Occurrence.assignment_id == assignment_id, Occurrence.due_at <= until)
            .order_by(Occurrence.due_at.desc())
            .limit(limit)
        )
    ).all()
    if not rows:
        return []
    done_ids = set(
        (
            await session.execute(
                select(Entry.occurrence_id).where(
                    Entry.occurrence_id.in_([row[0] for row in rows]), Entry.status == "done"
                )
            )
        ).scalars()
    )
    named = {"skipped": "skipped", "paused": "paused", "missed": "not_reminded"}
    named["unreachable"] = "not_reminded"
    return [
        "done" if occurrence_id in done_ids else named.get(status, "missed")
        for occurrence_id, status in rows
    ]


async def scored_entries_of_link(
    session: AsyncSession, *, therapist_id: int, link_id: int, until: datetime, limit: int = 60
) -> list[Entry]:
    """A client's scored entries (measures) on one of this therapist's links up to `until`,
    oldest first."""
    query = (
        _of_link(
            select(Entry).join(Assignment, Assignment.id == Entry.assignment_id),
            therapist_id=therapist_id,
            link_id=link_id,
        )
        .where(
            Entry.status == "done",
            Entry.scores.is_not(None),
            Entry.completed_at <= until,
        )
        .order_by(Entry.completed_at.desc())
        .limit(limit)
    )
    return list(reversed(list((await session.execute(query)).scalars())))


async def open_entry(session: AsyncSession, *, client_id: int) -> Entry | None:
    """The conversation the client is in right now, if any."""
    query = select(Entry).where(Entry.client_id == client_id, Entry.status == "active")
    return (await session.execute(query.order_by(Entry.id.desc()).limit(1))).scalar_one_or_none()


async def paused_entries(session: AsyncSession, *, client_id: int) -> list[Entry]:
    """Conversations the client paused and may pick up again, newest first."""
    query = (
        select(Entry)
        .where(Entry.client_id == client_id, Entry.status == "paused")
        .order_by(Entry.updated_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def client_entry(session: AsyncSession, *, client_id: int, entry_id: int) -> Entry | None:
    """One entry, only if it is this client's."""
    query = select(Entry).where(Entry.id == entry_id, Entry.client_id == client_id)
    return (await session.execute(query)).scalar_one_or_none()


async def pause_open_entries(session: AsyncSession, *, client_id: int, now: datetime) -> None:
    """Set aside any conversation in progress, keeping every answer."""
    query = select(Entry).where(Entry.client_id == client_id, Entry.status == "active")
    for entry in (await session.execute(query)).scalars():
        entry.status = "paused"
        entry.updated_at = now
        # Its timed breathing messages, if any, stop with it.
        await outbox.cancel_pending(session, kind="breathing", key_prefix=f"{entry.id}:")


async def start_entry(
    session: AsyncSession,
    *,
    client_id: int,
    assignment: Assignment | None,
    occurrence_id: int | None,
    template_id: str,
    template_version: int,
    params: dict[str, Any],
    state: dict[str, Any],
    now: datetime,
) -> Entry:
    """Open a new conversation; any other open one is paused first."""
    await pause_open_entries(session, client_id=client_id, now=now)
    entry = Entry(
        client_id=client_id,
        assignment_id=assignment.id if assignment else None,
        occurrence_id=occurrence_id,
        template_id=template_id,
        template_version=template_version,
        params=params,
        state=state,
        status="active",
        started_at=now,
        updated_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry


async def resume_entry(session: AsyncSession, *, entry: Entry, now: datetime) -> None:
    """Make a paused conversation the open one again."""
    await pause_open_entries(session, client_id=entry.client_id, now=now)
    entry.status = "active"
    entry.updated_at = now


def save_entry(
    entry: Entry,
    *,
    state: dict[str, Any],
    finished: bool,
    now: datetime,
    resume_at: datetime | None = None,
    scores: dict[str, Any] | None = None,
) -> None:
    """Keep the new state; a finished conversation becomes a completed entry, and one that
    pauses for a follow-up waits until `resume_at`."""
    entry.state = state
    entry.updated_at = now
    if scores is not None:
        entry.scores = scores
    if finished:
        entry.status = "done"
        entry.completed_at = now
        entry.resume_at = None
    elif resume_at is not None:
        entry.status = "waiting"
        entry.resume_at = resume_at


async def waiting_entries(session: AsyncSession, *, client_id: int) -> list[Entry]:
    """Entries paused until a follow-up is due, soonest first."""
    query = (
        select(Entry)
        .where(Entry.client_id == client_id, Entry.status == "waiting")
        .order_by(Entry.resume_at)
    )
    return list((await session.execute(query)).scalars())


async def live_link_of_entry(session: AsyncSession, *, entry: Entry) -> Link | None:
    """The link an entry's homework was given on, while it is live (not the client's
    current link: a client who moved to another therapist keeps the first one's homework
    away from the second)."""
    if entry.assignment_id is None:
        return None
    query = (
        select(Link)
        .join(Assignment, Assignment.link_id == Link.id)
        .where(Assignment.id == entry.assignment_id, Link.ended_at.is_(None))
    )
    return (await session.execute(query)).scalar_one_or_none()


async def claim_due_follow_ups(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[tuple[Entry, User]]:
    """Follow-ups now due, with their clients, locked so no other replica takes them."""
    query = (
        select(Entry, User)
        .join(User, User.id == Entry.client_id)
        .join(Assignment, Assignment.id == Entry.assignment_id)
        .join(Link, Link.id == Assignment.link_id)
        .where(
            Entry.status == "waiting",
            Entry.resume_at.is_not(None),
            Entry.resume_at <= now,
            # Homework given on a link that ended, or taken back, is not followed up;
            # paused reminders hold the follow-up too, until resumed.
            Assignment.active,
            Assignment.paused_at.is_(None),
            User.paused_at.is_(None),
            Link.ended_at.is_(None),
        )
        .order_by(Entry.resume_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Entry)
    )
    return [(entry, user) for entry, user in await session.execute(query)]


async def done_entries_for_therapist(
    session: AsyncSession, *, therapist_id: int, since: datetime, until: datetime
) -> list[tuple[Entry, Link]]:
    """Entries completed in (since, until] for homework this therapist gave, on a live link."""
    query = (
        select(Entry, Link)
        .join(Assignment, Assignment.id == Entry.assignment_id)
        .join(Link, Link.id == Assignment.link_id)
        .where(
            Link.therapist_id == therapist_id,
            Link.ended_at.is_(None),
            Entry.status == "done",
            Entry.completed_at > since,
            Entry.completed_at <= until,
        )
        .order_by(Entry.completed_at)
    )
    return [(e, link) for e, link in (await session.execute(query))]


async def done_entries_of_link(
    session: AsyncSession, *, therapist_id: int, link_id: int, since: datetime, until: datetime
) -> list[Entry]:
    """Entries completed in (since, until] for homework given on one of this therapist's
    links, oldest first."""
    query = (
        _of_link(
            select(Entry).join(Assignment, Assignment.id == Entry.assignment_id),
            therapist_id=therapist_id,
            link_id=link_id,
        )
        .where(
            Entry.status == "done",
            Entry.completed_at > since,
            Entry.completed_at <= until,
        )
        .order_by(Entry.completed_at)
    )
    return list((await session.execute(query)).scalars())


async def entries_of_client(session: AsyncSession, *, client_id: int) -> list[Entry]:
    """Every entry a client has, whoever gave it, oldest first (their own export)."""
    query = select(Entry).where(Entry.client_id == client_id).order_by(Entry.started_at, Entry.id)
    return list((await session.execute(query)).scalars())


async def entries_of_link(session: AsyncSession, *, therapist_id: int, link_id: int) -> list[Entry]:
    """Every entry of homework given on one of this therapist's links, oldest first."""
    query = _of_link(
        select(Entry).join(Assignment, Assignment.id == Entry.assignment_id),
        therapist_id=therapist_id,
        link_id=link_id,
    ).order_by(Entry.started_at, Entry.id)
    return list((await session.execute(query)).scalars())


async def done_entries_of_client(
    session: AsyncSession, *, client_id: int, since: datetime, until: datetime
) -> list[Entry]:
    """The client's own entries completed in (since, until], whoever gave them."""
    query = (
        select(Entry)
        .where(
            Entry.client_id == client_id,
            Entry.status == "done",
            Entry.completed_at > since,
            Entry.completed_at <= until,
        )
        .order_by(Entry.completed_at)
    )
    return list((await session.execute(query)).scalars())


async def latest_done_entry_of_template(
    session: AsyncSession, *, client_id: int, template_id: str
) -> Entry | None:
    """The client's own entry of one template completed last, whoever gave it. Template
    ids are encrypted, so they are compared here, newest first, reading only the ids."""
    query = (
        select(Entry.id, Entry.template_id)
        .where(Entry.client_id == client_id, Entry.status == "done")
        .order_by(Entry.completed_at.desc(), Entry.id.desc())
    )
    for entry_id, key in await session.execute(query):
        if key == template_id:
            return await session.get(Entry, entry_id)
    return None


async def done_entry_exists(
    session: AsyncSession, *, assignment_id: int, occurrence_id: int
) -> bool:
    """True when the client already completed the homework for this due time."""
    query = select(Entry.id).where(
        Entry.assignment_id == assignment_id,
        Entry.occurrence_id == occurrence_id,
        Entry.status == "done",
    )
    return (await session.execute(query.limit(1))).first() is not None


async def claim_early_entry(
    session: AsyncSession,
    *,
    assignment_id: int,
    occurrence_id: int,
    since: datetime,
    until: datetime,
) -> bool:
    """An entry of this assignment finished in [since, until] for no due time (done ahead
    of this one) now counts for it; True when there was one (no reminder is needed)."""
    query = (
        select(Entry)
        .where(
            Entry.assignment_id == assignment_id,
            Entry.occurrence_id.is_(None),
            Entry.status == "done",
            Entry.completed_at >= since,
            Entry.completed_at <= until,
        )
        .order_by(Entry.completed_at)
        .limit(1)
    )
    entry = (await session.execute(query)).scalars().first()
    if entry is None:
        return False
    entry.occurrence_id = occurrence_id
    return True


async def previous_due(
    session: AsyncSession, *, assignment_id: int, before: datetime
) -> datetime | None:
    """The due time recorded just before `before`, if any."""
    query = select(func.max(Occurrence.due_at)).where(
        Occurrence.assignment_id == assignment_id, Occurrence.due_at < before
    )
    return (await session.execute(query)).scalar_one_or_none()


async def count_done(
    session: AsyncSession, *, assignment_id: int, since: datetime, until: datetime
) -> int:
    """How many entries for one assignment were completed in (since, until]."""
    query = select(func.count(Entry.id)).where(
        Entry.assignment_id == assignment_id,
        Entry.status == "done",
        Entry.completed_at > since,
        Entry.completed_at <= until,
    )
    return int((await session.execute(query)).scalar_one())


async def last_done_at(
    session: AsyncSession, *, therapist_id: int, link_id: int
) -> datetime | None:
    """When the client last finished homework given on this link of this therapist's."""
    query = _of_link(
        select(func.max(Entry.completed_at)).join(Assignment, Assignment.id == Entry.assignment_id),
        therapist_id=therapist_id,
        link_id=link_id,
    ).where(Entry.status == "done")
    last: datetime | None = (await session.execute(query)).scalar_one_or_none()
    return last


async def recent_entries_of_link(
    session: AsyncSession, *, therapist_id: int, link_id: int, limit: int, offset: int = 0
) -> list[Entry]:
    """The newest entries a client wrote for this therapist's homework, on a live link only."""
    query = (
        select(Entry)
        .join(Assignment, Assignment.id == Entry.assignment_id)
        .join(Link, Link.id == Assignment.link_id)
        .where(
            Link.id == link_id,
            Link.therapist_id == therapist_id,
            Link.ended_at.is_(None),
        )
        .order_by(Entry.updated_at.desc(), Entry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def mark_shown(
    session: AsyncSession, *, entry_id: int, rev: int, message_id: int | None
) -> None:
    """The question numbered `rev` reached the client, as message `message_id`: answers may
    be kept under it from now on (unless a later question was asked meanwhile)."""
    await session.execute(
        update(Entry)
        .where(Entry.id == entry_id, Entry.asked_rev == rev, Entry.shown_rev < rev)
        .values(shown_rev=rev, shown_message=message_id)
        .execution_options(synchronize_session=False)
    )


async def asked_rev(session: AsyncSession, *, entry_id: int) -> int | None:
    """The number of the latest question put to an entry's client (None: no such entry)."""
    query = select(Entry.asked_rev).where(Entry.id == entry_id)
    found = (await session.execute(query)).scalar_one_or_none()
    return None if found is None else int(found)
