"""The outbox: every message the bot sends on its own is written here before it is sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_unless_exists
from storage.models import OutboxMessage, User

ALERT, REPLY, NOTICE, REMINDER, DIGEST = 0, 1, 2, 3, 4
"""Priority lanes, most urgent first: a backlog in a later lane never delays an earlier one."""

LANES = {
    "alert": ALERT,
    "escalation": ALERT,
    "crisis": ALERT,
    "reply": REPLY,
    "feedback": NOTICE,
    "assigned": NOTICE,
    "unlinked": NOTICE,
    "blocked": NOTICE,
    "acknowledged": NOTICE,
    "breathing": REPLY,
    "photo": NOTICE,
    "follow_up": REMINDER,
    "reminder": REMINDER,
    "digest": DIGEST,
}


def lane_of(kind: str) -> int:
    """The priority lane for a kind of message (unknown kinds wait with reminders)."""
    return LANES.get(kind, REMINDER)


async def enqueue(
    session: AsyncSession,
    *,
    dedupe_key: str,
    chat_id: int,
    user_id: int | None,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Record a message to send; False when one with this key was recorded before."""
    created = await insert_unless_exists(
        session,
        OutboxMessage,
        {
            "dedupe_key": dedupe_key,
            "chat_id": chat_id,
            "user_id": user_id,
            "kind": kind,
            "lane": lane_of(kind),
            "payload": payload,
            "status": "pending",
            "not_before": not_before or now,
            "attempts": 0,
            "created_at": now,
        },
        unique=["dedupe_key"],
    )
    return created is not None


async def notify(
    session: AsyncSession,
    *,
    person: User,
    kind: str,
    key: str,
    text: str,
    now: datetime,
    buttons: list[list[list[str]]] | None = None,
    extra: dict[str, Any] | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue a message to one person; `kind:key` names it, so it is queued once."""
    return await notify_chat(
        session,
        chat_id=person.chat_id,
        user_id=person.id,
        kind=kind,
        key=key,
        text=text,
        now=now,
        buttons=buttons,
        extra=extra,
        not_before=not_before,
    )


async def notify_chat(
    session: AsyncSession,
    *,
    chat_id: int,
    user_id: int | None,
    kind: str,
    key: str,
    text: str,
    now: datetime,
    buttons: list[list[list[str]]] | None = None,
    extra: dict[str, Any] | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue a message to a chat (a person's, or the operator's fallback chat) once per key."""
    payload: dict[str, Any] = {"text": text, **(extra or {})}
    if buttons:
        payload["buttons"] = buttons
    return await enqueue(
        session,
        dedupe_key=f"{kind}:{key}",
        chat_id=chat_id,
        user_id=user_id,
        kind=kind,
        payload=payload,
        now=now,
        not_before=not_before,
    )


async def claim_pending(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    lanes: tuple[int, ...] | None = None,
) -> list[OutboxMessage]:
    """Take up to `limit` messages due now, most urgent lane first, then oldest first,
    leasing them to this process (only from `lanes`, when given).

    A message whose lease ran out (its sender died mid-send) is taken again: late rather
    than never.
    """
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.not_before <= now,
            or_(
                OutboxMessage.status == "pending",
                (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until <= now),
            ),
        )
        .order_by(OutboxMessage.lane, OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if lanes is not None:
        query = query.where(OutboxMessage.lane.in_(lanes))
    rows = list((await session.execute(query)).scalars())
    for row in rows:
        row.status = "sending"
        row.claimed_until = now + lease
        row.attempts += 1
    return rows


async def get_message(session: AsyncSession, *, message_id: int) -> OutboxMessage | None:
    """One outbox row."""
    return await session.get(OutboxMessage, message_id)


def mark_sent(message: OutboxMessage, *, now: datetime) -> None:
    """Telegram accepted it."""
    message.status = "sent"
    message.sent_at = now
    message.claimed_until = None


def mark_retry(message: OutboxMessage, *, not_before: datetime, error: str) -> None:
    """Try again later (rate limit or network trouble)."""
    message.status = "pending"
    message.not_before = not_before
    message.claimed_until = None
    message.last_error = error[:200]


def mark_undeliverable(message: OutboxMessage, *, status: str, error: str) -> None:
    """Give up: the person blocked the bot, or Telegram refused the message for good."""
    message.status = status
    message.claimed_until = None
    message.last_error = error[:200]


async def mark_user_blocked(session: AsyncSession, *, user_id: int, now: datetime) -> User | None:
    """Note that a person blocked the bot; returns them if this is news."""
    user = await session.get(User, user_id)
    if user is None or user.blocked_at is not None:
        return None
    user.blocked_at = now
    return user
