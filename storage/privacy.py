"""Data rights and hygiene: a client's erasure in steps, retention, the audit log, and
wrong codes slowed down per Telegram account."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import keys, outbox
from storage.db import insert_unless_exists
from storage.models import (
    AuditRecord,
    ButtonToken,
    ClientNote,
    Code,
    CodeAttempt,
    Entry,
    Flag,
    Link,
    OutboxMessage,
    StoredFile,
    User,
)

FINAL = ("sent", "failed", "expired", "unknown", "cancelled", "blocked")
"""Outbox statuses nothing is sent from again."""
CODE_WINDOW = timedelta(minutes=15)
MAX_WRONG_CODES = 5
"""Wrong codes one Telegram account may try in CODE_WINDOW before it is asked to wait."""


# The audit log.
async def audit(
    session: AsyncSession, *, actor: User | None, action: str, subject: str, now: datetime
) -> None:
    """Append who did what to which rows (never any words)."""
    session.add(
        AuditRecord(
            at=now,
            actor_id=actor.id if actor is not None else None,
            actor_role=actor.role if actor is not None else "operator",
            action=action,
            subject=subject[:80],
        )
    )


async def audit_records(session: AsyncSession, *, since: datetime) -> list[AuditRecord]:
    """The audit log from `since`, oldest first."""
    query = select(AuditRecord).where(AuditRecord.at >= since).order_by(AuditRecord.id)
    return list((await session.execute(query)).scalars())


# Erasure.
async def clients_being_erased(session: AsyncSession, *, limit: int = 1) -> list[User]:
    """Clients whose erasure is under way (it survives restarts: the tick goes on with it)."""
    query = (
        select(User)
        .where(User.erasing_at.is_not(None))
        .order_by(User.erasing_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


async def erase_step(session: AsyncSession, *, client: User, batch: int) -> bool:
    """Delete the next batch of a client's data; True once nothing of theirs is left.

    Entries go in batches (their photos with them), then notes, flags, buttons, their
    outbox rows, what the therapists were sent about them (sent payloads are emptied),
    the codes that invited them, their links, and last the person themselves."""
    entries = (
        (await session.execute(select(Entry.id).where(Entry.client_id == client.id).limit(batch)))
        .scalars()
        .all()
    )
    if entries:
        await session.execute(delete(StoredFile).where(StoredFile.entry_id.in_(entries)))
        await session.execute(delete(Entry).where(Entry.id.in_(entries)))
        return False
    links = list((await session.execute(select(Link).where(Link.client_id == client.id))).scalars())
    therapists = {link.therapist_id for link in links}
    for model in (StoredFile, ClientNote, Flag):
        await session.execute(delete(model).where(model.client_id == client.id))
    await session.execute(delete(ButtonToken).where(ButtonToken.user_id == client.id))
    await session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == client.id))
    if therapists:
        # Digests, alerts and photos already sent to their therapists may hold their
        # words: nothing is sent from those rows again, so their payloads are emptied.
        await scrub_sent(session, user_ids=therapists)
        # Buttons last offered to them may name this client ("Open Robin"): forgotten too.
        await session.execute(update(User).where(User.id.in_(therapists)).values(offered=None))
    await session.execute(delete(Link).where(Link.client_id == client.id))
    await session.execute(delete(Code).where(Code.pending_telegram_id == client.telegram_id))
    await session.execute(delete(CodeAttempt).where(CodeAttempt.telegram_id == client.telegram_id))
    await keys.shred(session, client)  # gone at /delete already, unless they asked before keys
    await session.delete(client)
    return True


async def scrub_sent(
    session: AsyncSession, *, user_ids: set[int] | None = None, before: datetime | None = None
) -> int:
    """Empty the payloads of outbox rows nothing is sent from again (for these people, or
    older than `before`); their keys stay, so nothing is queued twice."""
    statement = update(OutboxMessage).where(
        OutboxMessage.status.in_(FINAL),
        or_(OutboxMessage.last_error.is_(None), OutboxMessage.last_error != EMPTIED),
    )
    if user_ids is not None:
        statement = statement.where(OutboxMessage.user_id.in_(user_ids))
    if before is not None:
        statement = statement.where(OutboxMessage.created_at < before)
    result = await session.execute(
        statement.values(payload={}, last_error=EMPTIED).execution_options(
            synchronize_session=False
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


EMPTIED = outbox.EMPTIED


# Retention.
async def forget_old(
    session: AsyncSession, *, now: datetime, entries_before: datetime | None, batch: int = 500
) -> int:
    """One batch of what retention removes: entries finished (or left) before
    `entries_before`, their photos and notes; expired button tokens. How many rows went."""
    gone = 0
    if entries_before is not None:
        old = (
            (
                await session.execute(
                    # Finished ones only: an open or waiting homework is never cut short.
                    select(Entry.id)
                    .where(Entry.status == "done", Entry.completed_at < entries_before)
                    .limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if old:
            await session.execute(delete(StoredFile).where(StoredFile.entry_id.in_(old)))
            await session.execute(delete(ClientNote).where(ClientNote.entry_id.in_(old)))
            result = await session.execute(delete(Entry).where(Entry.id.in_(old)))
            gone += int(getattr(result, "rowcount", 0) or 0)
        notes = await session.execute(
            delete(ClientNote).where(ClientNote.created_at < entries_before)
        )
        gone += int(getattr(notes, "rowcount", 0) or 0)
    tokens = await session.execute(delete(ButtonToken).where(ButtonToken.expires_at < now))
    gone += int(getattr(tokens, "rowcount", 0) or 0)
    codes = await session.execute(
        delete(Code).where(Code.expires_at < now - timedelta(days=7), Code.used_at.is_(None))
    )
    attempts = await session.execute(
        delete(CodeAttempt).where(CodeAttempt.window_start < now - CODE_WINDOW)
    )
    return (
        gone + int(getattr(codes, "rowcount", 0) or 0) + int(getattr(attempts, "rowcount", 0) or 0)
    )


# Wrong codes.
async def code_attempts_left(session: AsyncSession, *, telegram_id: int, now: datetime) -> bool:
    """False while this account has tried too many wrong codes lately."""
    row = await session.get(CodeAttempt, telegram_id)
    return row is None or now - row.window_start >= CODE_WINDOW or row.failures < MAX_WRONG_CODES


async def wrong_code(session: AsyncSession, *, telegram_id: int, now: datetime) -> int:
    """Count a wrong code from this account; how many in the current window."""
    await insert_unless_exists(
        session,
        CodeAttempt,
        {"telegram_id": telegram_id, "window_start": now, "failures": 0},
        unique=["telegram_id"],
        returning="telegram_id",
    )
    row = await session.get(CodeAttempt, telegram_id, with_for_update=True, populate_existing=True)
    assert row is not None
    if now - row.window_start >= CODE_WINDOW:
        row.window_start, row.failures = now, 0
    row.failures += 1
    return row.failures
