"""The one path for messages the bot sends on its own: from the outbox, within Telegram's limits.

A tick sends at most `PER_TICK` messages and at most one per chat, which keeps both the
global (~30/s) and the per-chat (~1/s) limits for any tick of a second or more; 429s are
retried after the time Telegram asks for, network errors with backoff, and a 403 marks the
person as having blocked the bot (their therapist is told). Lanes go most urgent first, so
a risk alert is never behind a backlog of reminders or digests, and an alert that cannot
reach its therapist is escalated to the operator's fallback chat.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot import safety
from bot.render import buttons
from bot.runtime import Runtime, retry_seconds
from storage import files, flags, outbox, people

log = logging.getLogger(__name__)

PER_TICK = 25
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 12
ALERT_BACKOFF_CAP = timedelta(seconds=30)
URGENT_ROUNDS = 5
"""Passes of the alert lane right after an alert is queued: one per chat per pass, and an
escalation queued by a failed alert goes out in the next."""


async def deliver_urgent(rt: Runtime, bot: Bot) -> None:
    """Send the alert lane now (called as soon as an update that raised an alert commits)."""
    for _ in range(URGENT_ROUNDS):
        if not await deliver_outbox(rt, bot, lanes=(outbox.ALERT,)):
            return


async def deliver_outbox(rt: Runtime, bot: Bot, *, lanes: tuple[int, ...] | None = None) -> int:
    """Send what is due in the outbox, most urgent lane first; returns how many were tried."""
    now = rt.clock.now()
    async with rt.db.transaction() as session:
        claimed = await outbox.claim_pending(
            session, now=now, limit=PER_TICK, lease=LEASE, lanes=lanes
        )
        batch: list[tuple[int, int, int | None, dict[str, Any]]] = []
        chats: set[int] = set()
        for message in claimed:
            if message.chat_id in chats:
                # One message per chat per tick: Telegram allows about one a second.
                outbox.mark_retry(message, not_before=now, error="waiting for its turn")
                message.attempts -= 1  # waiting is not a failed attempt
                continue
            chats.add(message.chat_id)
            batch.append((message.id, message.chat_id, message.user_id, message.payload))
    for message_id, chat_id, user_id, payload in batch:
        outcome = await _send(rt, bot, chat_id, payload)
        async with rt.db.transaction() as session:
            row = await outbox.get_message(session, message_id=message_id)
            if row is None:
                continue
            if outcome is None:
                outbox.mark_sent(row, now=rt.clock.now())
            elif isinstance(outcome, RetryAfter):
                wait = timedelta(seconds=retry_seconds(outcome))
                outbox.mark_retry(row, not_before=now + wait, error="429")
            elif isinstance(outcome, Forbidden):
                outbox.mark_undeliverable(row, status="blocked", error="403 blocked")
                await _undeliverable(rt, session, row.kind, payload)
                if user_id is not None:
                    await _tell_therapist_blocked(rt, session, user_id=user_id)
            elif isinstance(outcome, BadRequest) or row.attempts >= MAX_ATTEMPTS:
                log.warning("outbox message %s given up: %s", message_id, type(outcome).__name__)
                outbox.mark_undeliverable(row, status="failed", error=type(outcome).__name__)
                await _undeliverable(rt, session, row.kind, payload)
            else:
                backoff = timedelta(seconds=min(2**row.attempts, 600))
                if row.lane == outbox.ALERT:
                    backoff = min(backoff, ALERT_BACKOFF_CAP)
                outbox.mark_retry(row, not_before=now + backoff, error=type(outcome).__name__)
    return len(batch)


async def _undeliverable(
    rt: Runtime, session: AsyncSession, kind: str, payload: dict[str, Any]
) -> None:
    """A risk alert that can't reach its therapist goes to the fallback chat at once."""
    flag_id = payload.get("flag")
    if kind == "alert" and isinstance(flag_id, int):
        flag = await flags.get_flag(session, flag_id=flag_id)
        if flag is not None and flag.acknowledged_at is None:
            await safety.escalate(rt, session, flag, reason="undeliverable", now=rt.clock.now())
    elif kind == "escalation":
        log.warning("the fallback chat (ALERT_FALLBACK_CHAT_ID) refused a risk escalation")


async def _send(
    rt: Runtime, bot: Bot, chat_id: int, payload: dict[str, Any]
) -> TelegramError | None:
    rows = payload.get("buttons")
    try:
        file_id = payload.get("file")
        if isinstance(file_id, int):
            # A photo a client sent as an answer, read from its encrypted store only now.
            async with rt.db.transaction() as session:
                stored = await files.get_file(session, file_id=file_id)
                data = stored.data if stored is not None else None
            if data is None:
                return None  # erased meanwhile (the client deleted it): nothing to send
            await bot.send_photo(chat_id=chat_id, photo=data, caption=str(payload["text"])[:1000])
            return None
        await bot.send_message(
            chat_id=chat_id,
            text=str(payload["text"]),
            parse_mode=ParseMode.HTML if payload.get("html") else None,
            reply_markup=buttons(rows) if rows else None,
            disable_web_page_preview=True,
        )
    except TelegramError as error:
        return error
    return None


async def _tell_therapist_blocked(rt: Runtime, session: AsyncSession, *, user_id: int) -> None:
    now = rt.clock.now()
    user = await outbox.mark_user_blocked(session, user_id=user_id, now=now)
    if user is None or user.role != "client":
        return
    link = await people.active_link(session, client_id=user.id)
    if link is None:
        return
    therapist = await people.get_user_by_id(session, user_id=link.therapist_id)
    if therapist is None:
        return
    name = people.client_display_name(link, user)
    await outbox.notify(
        session,
        person=therapist,
        kind="blocked",
        key=f"{user.id}:{now.date().isoformat()}",
        text=f"{name} seems to have blocked me, so their reminders can't reach them. "
        "They can unblock me in Telegram at any time.",
        now=now,
    )
