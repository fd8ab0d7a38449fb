"""Updates already handled, by Telegram's update_id: a redelivered update changes nothing.

Telegram redelivers an update when a webhook answers slowly, and long polling fetches
again after a crash; two replicas may even receive the same one at the same moment. The
id is recorded in the same transaction as what handling the update did, so it counts as
handled exactly when that work is committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_unless_exists
from storage.models import ProcessedUpdate


async def claim(session: AsyncSession, *, update_id: int, now: datetime) -> bool:
    """Record that this update is being handled; False when it was handled already.

    On PostgreSQL a second process racing for the same id waits here until the first
    commits, then finds it taken.
    """
    created = await insert_unless_exists(
        session,
        ProcessedUpdate,
        {"update_id": update_id, "processed_at": now},
        unique=["update_id"],
        returning="update_id",
    )
    return created is not None


async def handled(session: AsyncSession, *, update_id: int) -> bool:
    """True when this update was handled already."""
    query = select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
    return (await session.execute(query)).first() is not None


async def forget_before(session: AsyncSession, *, before: datetime) -> None:
    """Drop records older than any redelivery (Telegram keeps updates for 24 hours)."""
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before))


async def latest_id(session: AsyncSession) -> int:
    """The highest update id recorded (0 if none): the console numbers its own above it."""
    query = select(func.max(ProcessedUpdate.update_id))
    return int((await session.execute(query)).scalar_one_or_none() or 0)
