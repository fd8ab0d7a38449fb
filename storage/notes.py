"""What clients say to their therapists: /note, and how each homework went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ClientNote, Entry, Link

RATINGS = ("helpful", "too hard", "not for me")


async def add_note(
    session: AsyncSession,
    *,
    client_id: int,
    link_id: int | None,
    kind: str,
    now: datetime,
    text: str | None = None,
    rating: str | None = None,
    entry: Entry | None = None,
) -> ClientNote:
    """Keep a note (kind "note") or a homework's feedback (kind "feedback")."""
    note = ClientNote(
        client_id=client_id,
        link_id=link_id,
        entry_id=entry.id if entry is not None else None,
        template_id=entry.template_id if entry is not None else None,
        kind=kind,
        rating=rating,
        text=text,
        created_at=now,
    )
    session.add(note)
    await session.flush()
    return note


async def feedback_of_entry(
    session: AsyncSession, *, client_id: int, entry_id: int
) -> ClientNote | None:
    """The client's feedback on one of their entries, if they gave it."""
    query = select(ClientNote).where(
        ClientNote.client_id == client_id,
        ClientNote.entry_id == entry_id,
        ClientNote.kind == "feedback",
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def own_note(session: AsyncSession, *, client_id: int, note_id: int) -> ClientNote | None:
    """One of the client's own notes."""
    query = select(ClientNote).where(ClientNote.id == note_id, ClientNote.client_id == client_id)
    return (await session.execute(query)).scalar_one_or_none()


async def notes_of_link(
    session: AsyncSession, *, therapist_id: int, link_id: int, since: datetime, until: datetime
) -> list[ClientNote]:
    """What a client wrote for this therapist in (since, until], oldest first."""
    query = (
        select(ClientNote)
        .join(Link, Link.id == ClientNote.link_id)
        .where(
            Link.id == link_id,
            Link.therapist_id == therapist_id,
            ClientNote.created_at > since,
            ClientNote.created_at <= until,
        )
        .order_by(ClientNote.created_at, ClientNote.id)
    )
    return list((await session.execute(query)).scalars())


async def notes_of_client(session: AsyncSession, *, client_id: int) -> list[ClientNote]:
    """Everything a client wrote to their therapists (for their own export), oldest first."""
    query = (
        select(ClientNote)
        .where(ClientNote.client_id == client_id)
        .order_by(ClientNote.created_at, ClientNote.id)
    )
    return list((await session.execute(query)).scalars())
