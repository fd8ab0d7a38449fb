"""Risk flags: recorded on every detection, open until the therapist acknowledges them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.models import Flag, Link, User

MAX_TEXT = 4096


async def record_flag(
    session: AsyncSession,
    *,
    client: User,
    link: Link | None,
    source: str,
    template_id: str | None,
    entry_id: int | None,
    message_id: int | None,
    excerpt: str,
    text: str,
    imminent: bool,
    now: datetime,
) -> Flag:
    """Keep what the client wrote and where, encrypted; it stays open until acknowledged."""
    flag = Flag(
        client_id=client.id,
        link_id=link.id if link is not None else None,
        kind="risk",
        source=source,
        template_id=template_id,
        entry_id=entry_id,
        message_id=message_id,
        excerpt=excerpt,
        text=text[:MAX_TEXT],
        imminent=imminent,
        created_at=now,
    )
    session.add(flag)
    await session.flush()
    return flag


def alert_key(flag: Flag) -> str:
    """A flag's outbox key: its id with the moment it was raised, since SQLite may hand an
    erased client's ids to new rows (their sent alerts' keys stay in the outbox)."""
    return f"{flag.id}:{flag.created_at.timestamp():.6f}"


async def tell_in_thread(
    session: AsyncSession,
    *,
    therapist: User,
    flag: Flag,
    head: Flag,
    key: str,
    text: str,
    now: datetime,
) -> None:
    """A message about `flag` on the alert lane, sent as a reply to the alert that `head`
    raised (so it notifies, and sits under it), with no buttons of its own."""
    await outbox.notify(
        session,
        person=therapist,
        kind="alert",
        key=key,
        text=text,
        now=now,
        extra={
            "flag": flag.id,
            "about": flag.client_id,
            "thread": outbox.dedupe_key(session, "alert", alert_key(head)),
        },
    )


async def latest_flag_since(
    session: AsyncSession, *, client_id: int, since: datetime
) -> Flag | None:
    """The client's most recent flag raised after `since`, if any."""
    query = (
        select(Flag)
        .where(Flag.client_id == client_id, Flag.created_at > since)
        .order_by(Flag.created_at.desc(), Flag.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def open_flags_for_therapist(
    session: AsyncSession, *, therapist_id: int
) -> list[tuple[Flag, Link, User]]:
    """Flags not yet acknowledged, raised under this therapist's links, oldest first; a
    client who has since left still shows until the flag is acknowledged."""
    query = (
        select(Flag, Link, User)
        .join(Link, Link.id == Flag.link_id)
        .join(User, User.id == Flag.client_id)
        .where(Link.therapist_id == therapist_id, Flag.acknowledged_at.is_(None))
        .order_by(Flag.created_at, Flag.id)
    )
    return [(flag, link, user) for flag, link, user in await session.execute(query)]


async def flags_of_link(
    session: AsyncSession, *, therapist_id: int, link_id: int, limit: int
) -> list[Flag]:
    """The newest flags raised under one of this therapist's links (others' are never read)."""
    query = (
        select(Flag)
        .join(Link, Link.id == Flag.link_id)
        .where(Flag.link_id == link_id, Link.therapist_id == therapist_id)
        .order_by(Flag.created_at.desc(), Flag.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def therapist_flag(
    session: AsyncSession, *, therapist_id: int, flag_id: int, for_update: bool = False
) -> tuple[Flag, Link, User] | None:
    """A flag with its link and client, only when the link is this therapist's."""
    query = (
        select(Flag, Link, User)
        .join(Link, Link.id == Flag.link_id)
        .join(User, User.id == Flag.client_id)
        .where(Flag.id == flag_id, Link.therapist_id == therapist_id)
    )
    if for_update:
        query = query.with_for_update(of=Flag)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1], row[2])


async def open_flags_of_client(
    session: AsyncSession, *, client_id: int, link_id: int | None, for_update: bool = False
) -> list[Flag]:
    """A client's flags not yet acknowledged, raised under one link, oldest first: one
    alert, whose first flag the therapist was alerted by and the rest joined."""
    if link_id is None:
        return []
    query = (
        select(Flag)
        .where(
            Flag.client_id == client_id,
            Flag.link_id == link_id,
            Flag.acknowledged_at.is_(None),
        )
        .order_by(Flag.created_at, Flag.id)
    )
    if for_update:
        query = query.with_for_update()
    return list((await session.execute(query)).scalars())


def one_per_client(
    open_flags: list[tuple[Flag, Link, User]],
) -> list[tuple[list[Flag], Link, User]]:
    """Open flags as alerts: one per client and link, its flags oldest first (the first is
    the one the therapist was alerted by)."""
    grouped: dict[int, tuple[list[Flag], Link, User]] = {}
    for flag, link, user in open_flags:
        grouped.setdefault(link.id, ([], link, user))[0].append(flag)
    return list(grouped.values())


def acknowledge(flag: Flag, *, by: User, now: datetime) -> None:
    """The therapist has seen it: recorded with who and when, never undone."""
    flag.acknowledged_at = now
    flag.acknowledged_by = by.id


async def get_flag(session: AsyncSession, *, flag_id: int) -> Flag | None:
    """One flag by id (for the bot's own delivery bookkeeping, never shown by id)."""
    return await session.get(Flag, flag_id)


async def claim_unacknowledged(
    session: AsyncSession, *, raised_before: datetime, limit: int
) -> list[Flag]:
    """Open flags older than the acknowledgement window and not yet escalated, locked so
    no other replica escalates them too."""
    query = (
        select(Flag)
        .where(
            Flag.acknowledged_at.is_(None),
            Flag.escalated_at.is_(None),
            Flag.created_at <= raised_before,
        )
        .order_by(Flag.created_at, Flag.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


def mark_escalated(flag: Flag, *, reason: str, now: datetime) -> bool:
    """Note that the flag went to the fallback chat; False if it already had."""
    if flag.escalated_at is not None:
        return False
    flag.escalated_at = now
    flag.escalation = reason
    return True


async def entry_has_flag(
    session: AsyncSession, *, entry_id: int, excerpt_prefix: str | None = None
) -> bool:
    """True when something written in this entry raised a flag (one whose excerpt starts
    with `excerpt_prefix`, when given: one measure item's alert)."""
    if excerpt_prefix is not None:  # excerpts are encrypted: compared here, not in SQL
        found = (await session.execute(select(Flag).where(Flag.entry_id == entry_id))).scalars()
        return any(flag.excerpt.startswith(excerpt_prefix) for flag in found)
    query = select(Flag.id).where(Flag.entry_id == entry_id).limit(1)
    return (await session.execute(query)).first() is not None


async def flags_of_client(session: AsyncSession, *, client_id: int) -> list[Flag]:
    """A client's own flags (for their own export), oldest first."""
    query = select(Flag).where(Flag.client_id == client_id).order_by(Flag.created_at, Flag.id)
    return list((await session.execute(query)).scalars())
