"""Opaque button tokens: callback data carries one, the database says what it means."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ButtonToken

TokenProblem = Literal["unknown", "expired", "not_yours"]


async def issue_token(
    session: AsyncSession,
    *,
    user_id: int,
    action: str,
    payload: dict[str, Any],
    now: datetime,
    ttl: timedelta,
) -> str:
    """A fresh token that only `user_id` may redeem, until `now + ttl`."""
    token = secrets.token_urlsafe(12)
    session.add(
        ButtonToken(
            token=token, user_id=user_id, action=action, payload=payload, expires_at=now + ttl
        )
    )
    await session.flush()
    return token


async def redeem_token(
    session: AsyncSession, *, token: str, user_id: int | None, now: datetime
) -> ButtonToken | TokenProblem:
    """The token's row if `user_id` owns it and it has not expired."""
    row = await session.get(ButtonToken, token) if 0 < len(token) <= 24 else None
    if row is None:
        return "unknown"
    if row.user_id != user_id:
        return "not_yours"
    if row.expires_at <= now:
        return "expired"
    return row


async def spend_token(session: AsyncSession, *, token: ButtonToken) -> None:
    """Use a token up, so a second press (or a double tap) does nothing."""
    await session.delete(token)
    await session.flush()


async def latest_token(
    session: AsyncSession, *, user_id: int, action: str, issued_since: datetime, ttl: timedelta
) -> ButtonToken | None:
    """`user_id`'s newest unspent token for `action` issued (with `ttl`) since
    `issued_since`, if any."""
    found = await session.execute(
        select(ButtonToken)
        .where(
            ButtonToken.user_id == user_id,
            ButtonToken.action == action,
            ButtonToken.expires_at > issued_since + ttl,
        )
        .order_by(ButtonToken.expires_at.desc())
        .limit(1)
    )
    return found.scalars().first()
