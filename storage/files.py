"""Photos clients send as answers: kept encrypted, read only through their entry's owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Assignment, Entry, Link, StoredFile

MAX_BYTES = 10_000_000


async def keep_file(
    session: AsyncSession,
    *,
    client_id: int,
    entry_id: int,
    step_key: str,
    mime: str,
    data: bytes,
    now: datetime,
) -> StoredFile:
    """Store one file for an entry's answer (replacing an earlier one for the same step)."""
    for earlier in (
        await session.execute(
            select(StoredFile).where(
                StoredFile.entry_id == entry_id, StoredFile.step_key == step_key
            )
        )
    ).scalars():
        await session.delete(earlier)
    stored = StoredFile(
        client_id=client_id,
        entry_id=entry_id,
        step_key=step_key,
        mime=mime,
        size=len(data),
        data=data,
        created_at=now,
    )
    session.add(stored)
    await session.flush()
    return stored


async def files_for_therapist(
    session: AsyncSession, *, therapist_id: int, entry_id: int
) -> list[StoredFile]:
    """An entry's files, only when the entry is homework this therapist gave on a live link."""
    query = (
        select(StoredFile)
        .join(Entry, Entry.id == StoredFile.entry_id)
        .join(Assignment, Assignment.id == Entry.assignment_id)
        .join(Link, Link.id == Assignment.link_id)
        .where(
            StoredFile.entry_id == entry_id,
            Link.therapist_id == therapist_id,
            Link.ended_at.is_(None),
        )
        .order_by(StoredFile.id)
    )
    return list((await session.execute(query)).scalars())


async def forget_unsaved(session: AsyncSession, *, entry_id: int, saved: set[str]) -> int:
    """Delete an entry's files whose answers were not saved; how many went."""
    rows = (
        await session.execute(select(StoredFile).where(StoredFile.entry_id == entry_id))
    ).scalars()
    gone = 0
    for row in rows:
        if row.step_key not in saved:
            await session.delete(row)
            gone += 1
    return gone


async def get_file(session: AsyncSession, *, file_id: int) -> StoredFile | None:
    """One file, for the outbox to send (its message was queued for the right person)."""
    return await session.get(StoredFile, file_id)


async def files_of_entry(session: AsyncSession, *, entry_id: int) -> list[StoredFile]:
    """An entry's photos (callers check whose entry it is)."""
    query = select(StoredFile).where(StoredFile.entry_id == entry_id).order_by(StoredFile.id)
    return list((await session.execute(query)).scalars())
