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


async def file_for_therapist(
    session: AsyncSession, *, therapist_id: int | None, file_id: int, entry_id: object = None
) -> StoredFile | None:
    """A file queued to be sent, checked again when its turn comes: only while it is still
    the photo of an entry of homework this therapist gave on a live link (and of the entry
    it was queued with). An id alone is never trusted: the file may be gone, and the id
    given to another."""
    if therapist_id is None:
        return None
    query = (
        select(StoredFile)
        .join(Entry, Entry.id == StoredFile.entry_id)
        .join(Assignment, Assignment.id == Entry.assignment_id)
        .join(Link, Link.id == Assignment.link_id)
        .where(
            StoredFile.id == file_id,
            Link.therapist_id == therapist_id,
            Link.client_id == StoredFile.client_id,
            Link.ended_at.is_(None),
        )
    )
    if isinstance(entry_id, int):
        query = query.where(StoredFile.entry_id == entry_id)
    return (await session.execute(query)).scalar_one_or_none()


async def files_of_entry(session: AsyncSession, *, entry_id: int) -> list[StoredFile]:
    """An entry's photos (callers check whose entry it is)."""
    query = select(StoredFile).where(StoredFile.entry_id == entry_id).order_by(StoredFile.id)
    return list((await session.execute(query)).scalars())
