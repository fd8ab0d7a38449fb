"""The outbox: every message the bot sends on its own is written here before it is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import crypto, keys
from storage.db import dialect_insert, insert_unless_exists
from storage.models import (
    Assignment,
    Entry,
    Link,
    Occurrence,
    OutboxMessage,
    SendClock,
    Sender,
    User,
)

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
    "paused": NOTICE,
    "breathing": REPLY,
    "photo": NOTICE,
    "follow_up": REMINDER,
    "reminder": REMINDER,
    "digest": DIGEST,
    "chart": DIGEST,
    "progress": REPLY,
    "export": NOTICE,
}


def _keys(session: AsyncSession) -> crypto.DataKeys | None:
    return crypto.data_keys_of(session.get_bind().dialect)


def dedupe_key(session: AsyncSession, kind: str, key: str, *, prefix: bool = False) -> str:
    """The stored key of the message `kind:key` (hashed: it names no kind and no chat), or
    with `prefix` what the keys beginning `kind:key` begin with."""
    return crypto.hash_key(f"{kind}:{key}"[:120], _keys(session), prefix=prefix)


def chat_key(session: AsyncSession, chat_id: int) -> int:
    """The hash a chat's messages are counted by (the per-chat limit)."""
    return crypto.hash_id(chat_id, _keys(session))


def lane_of(kind: str) -> int:
    """The priority lane for a kind of message (unknown kinds wait with reminders)."""
    return LANES.get(kind, REMINDER)


BEAT_STALE = timedelta(seconds=10)
"""A sender not seen for this long is gone: its claims are taken over (it beats every few
seconds while it runs; see bot/delivery.py)."""


async def beat(session: AsyncSession, *, sender: str, now: datetime) -> None:
    """This sender is alive (one statement: two of its transactions may beat at once)."""
    await session.execute(
        dialect_insert(session)(Sender)
        .values(id=sender, seen_at=now)
        .on_conflict_do_update(index_elements=["id"], set_={"seen_at": now})
    )


async def forget_sender(session: AsyncSession, *, sender: str, others: bool = False) -> None:
    """A sender that stopped (or, with `others`, every sender but this one: on SQLite only
    one process serves a database, so any other is gone and its claims are taken now)."""
    gone = Sender.id != sender if others else Sender.id == sender
    await session.execute(delete(Sender).where(gone))


async def record_reply(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    user_id: int | None,
    kind: str,
    payload: dict[str, Any],
    sender: str,
    now: datetime,
    lease: timedelta,
) -> OutboxMessage:
    """A reply to the person who just wrote, recorded with the state it shows and claimed by
    this sender, which sends it as soon as the update commits; if it never marks it sent
    (a crash), it is sent again by whoever takes its claim over (at least once)."""
    row = OutboxMessage(
        dedupe_key=dedupe_key(session, kind, key),
        chat_id=chat_id,
        chat_key=chat_key(session, chat_id),
        user_id=user_id,
        kind=kind,
        lane=lane_of(kind),
        payload=payload,
        status="sending",
        not_before=now,
        slot_at=now,
        claimed_until=now + lease,
        claimed_by=sender,
        attempts=1,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    chat_id: int,
    user_id: int | None,
    payload: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Record a message to send; False when one `kind:key` was recorded before."""
    payload = await keys.owned_payload(session, user_id=user_id, payload=payload)
    owner = crypto.owner_key(payload)
    created = await insert_unless_exists(
        session,
        OutboxMessage,
        {
            "dedupe_key": dedupe_key(session, kind, key),
            "chat_id": crypto.owned(chat_id, owner),
            "chat_key": chat_key(session, chat_id),
            "user_id": user_id,
            "kind": crypto.owned(kind, owner),
            "lane": lane_of(kind),
            "payload": payload,
            "status": "pending",
            "not_before": not_before or now,
            "attempts": 0,
            "created_at": now,
            "expires_at": expires_at,
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
    expires_at: datetime | None = None,
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
        expires_at=expires_at,
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
    expires_at: datetime | None = None,
) -> bool:
    """Queue a message to a chat (a person's, or the operator's fallback chat) once per key."""
    payload: dict[str, Any] = {"text": text, **(extra or {})}
    if buttons:
        payload["buttons"] = buttons
    return await enqueue(
        session,
        kind=kind,
        key=key,
        chat_id=chat_id,
        user_id=user_id,
        payload=payload,
        now=now,
        not_before=not_before,
        expires_at=expires_at,
    )


AT_MOST_ONCE = frozenset({"reminder", "follow_up", "digest", "breathing", "chart", "progress"})
"""Kinds never sent twice: when a send's outcome is unknown (a timeout after the request
left, a process killed between sending and marking) they are given up as "unknown".
Every other kind (alerts, escalations, crisis lines, deferred replies, notices) is sent at
least once: after such a crash it is sent again, a duplicate being better than a loss.

A claimed message is "sending"; one of these kinds becomes "attempting" in a commit of its
own just before its request leaves (`begin_attempt`), so a sender that dies with messages
claimed but not yet tried gives them back ("sending" → pending), and only a message whose
request may have reached Telegram is given up as unknown."""

WITHHELD = frozenset({"reminder", "follow_up"})
"""Kinds checked again when their turn comes: a reminder queued before the client paused
(a snooze, one held by quiet hours) or before the homework was stopped is not sent."""

SENDING_LEFT = ("sending", "attempting", "sent", "unknown")
ON_ITS_WAY = ("pending", *SENDING_LEFT)
"""A message that is sent, or will be, or may have been (not given up, cancelled or refused)."""
"""Statuses of messages whose turn was taken (they count against a chat's budget)."""

MAX_AHEAD = timedelta(minutes=5)
"""The shared send clock is never this far ahead of now unless the clock was turned back."""


def at_most_once(kind: str) -> bool:
    """True for kinds that are never sent twice (see AT_MOST_ONCE)."""
    return kind in AT_MOST_ONCE


@dataclass
class Budget:
    """Telegram's limits, shared by every process through the send clock."""

    spacing: timedelta
    """Between any two sends (1/30 s for about 30 a second)."""
    chat_spacing: timedelta
    """Between two sends to one chat (1 s)."""
    lookahead: timedelta
    """How far ahead slots are handed out in one claim."""
    lease: timedelta
    """How long a claimed message stays with its sender; longer than the worst send."""
    horizon: timedelta
    """Given up when still unsent this long after it was queued."""


@dataclass
class Claim:
    """What one claim took: messages with their slots, and messages too old to send."""

    messages: list[OutboxMessage] = field(default_factory=list)
    expired: list[OutboxMessage] = field(default_factory=list)
    unknown: list[OutboxMessage] = field(default_factory=list)
    withheld: list[OutboxMessage] = field(default_factory=list)
    """Reminders no longer wanted when their turn came (paused, or the homework stopped)."""
    waiting_until: datetime | None = None
    """When the next message falls due within the lookahead (a chat's next turn)."""


async def _send_clock(session: AsyncSession, now: datetime) -> SendClock:
    query = select(SendClock).where(SendClock.id == 1).with_for_update()
    clock = (await session.execute(query)).scalar_one_or_none()
    if clock is None:
        await insert_unless_exists(session, SendClock, {"id": 1, "next_at": now}, unique=["id"])
        clock = (await session.execute(query)).scalar_one()
    return clock


async def hold_sends(session: AsyncSession, *, until: datetime, now: datetime) -> None:
    """Telegram asked to wait (a 429's retry_after): no process sends before `until`, but
    risk alerts, which are tried anyway (a wait for one chat must not delay an alert to
    another). Messages already handed a slot within the lookahead may meet another 429."""
    clock = await _send_clock(session, now)
    until = min(until, now + MAX_AHEAD)
    if clock.held_until is None or clock.held_until < until:
        clock.held_until = until


async def claim_pending(
    session: AsyncSession,
    *,
    now: datetime,
    budget: Budget,
    lanes: tuple[int, ...] | None = None,
    limit: int = 200,
    sender: str = "",
) -> Claim:
    """Take the messages whose turn comes within the lookahead, most urgent lane first, then
    oldest first, each with its own moment to be sent (`slot_at`) and leased to this process.

    The send clock row is locked while slots are handed out, so processes sharing one
    database share one budget: never more than one send per `spacing` in all, nor per
    `chat_spacing` to one chat. A message whose lease ran out (its sender died between
    sending and marking) is taken again if it is sent at least once, and given up as
    "unknown" if it is never sent twice.
    """
    clock = await _send_clock(session, now)
    next_at = clock.next_at
    if next_at < now or next_at > now + MAX_AHEAD:
        next_at = now
    held = clock.held_until if clock.held_until and clock.held_until <= now + MAX_AHEAD else None
    claim = Claim()
    alive = select(Sender.id).where(Sender.seen_at > now - BEAT_STALE)
    stale = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(("sending", "attempting")),
            or_(
                OutboxMessage.claimed_until <= now,
                # Its sender stopped beating (killed): taken over now, not at the lease's end.
                and_(
                    OutboxMessage.claimed_by.is_not(None),
                    OutboxMessage.claimed_by != sender,
                    OutboxMessage.claimed_by.not_in(alive),
                ),
            ),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    for row in (await session.execute(stale)).scalars():
        row.claimed_until = None
        row.claimed_by = None
        if at_most_once(row.kind) and row.status == "attempting":
            row.status = "unknown"
            row.last_error = "lease ran out: sent or not, it is not sent again"
            claim.unknown.append(row)
        else:
            if row.status == "attempting":
                row.last_error = MAYBE_SENT  # see homework.mark_shown: it may have arrived
            row.status = "pending"
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.lane, OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if lanes is not None:
        query = query.where(OutboxMessage.lane.in_(lanes))
    rows = list((await session.execute(query)).scalars())
    withheld = await _withhold(session, [row for row in rows if row.kind in WITHHELD], now)
    claim.withheld = [row for row in rows if row.id in withheld]
    rows = [row for row in rows if row.id not in withheld]
    chats = {_chat_of(session, row) for row in rows}
    last_sent: dict[int, datetime] = {}
    if chats:
        recent = (
            select(OutboxMessage.chat_key, func.max(OutboxMessage.slot_at))
            .where(
                OutboxMessage.chat_key.in_(chats),
                OutboxMessage.slot_at > now - budget.chat_spacing,
                OutboxMessage.status.in_(SENDING_LEFT),
            )
            .group_by(OutboxMessage.chat_key)
        )
        last_sent = {
            int(chat): at for chat, at in (await session.execute(recent)).all() if at and chat
        }
    until = now + budget.lookahead
    later_turns: dict[int, datetime] = {}
    for row in rows:
        if now >= (row.expires_at or row.created_at + budget.horizon):
            row.status = "expired"
            row.last_error = "too old to send"
            claim.expired.append(row)
            continue
        reply = row.lane == REPLY
        if held is not None and row.lane != ALERT and next_at < held:
            next_at = held  # Telegram asked everyone to wait; only alerts go meanwhile
        if next_at > until and not reply:
            break
        chat = _chat_of(session, row)
        last = last_sent.get(chat)
        chat_turn = now if last is None else last + budget.chat_spacing
        # A reply keeps its chat's pace but not the budget of what the bot sends on its own,
        # so it never waits behind a fan-out of reminders.
        slot = max(chat_turn, held or now) if reply else next_at
        if chat_turn > slot or slot > until:
            # This chat's turn comes later: it waits without holding up other chats.
            row.not_before = max(chat_turn, slot)
            later_turns[chat] = row.not_before
            continue
        row.status = "sending"
        row.slot_at = slot
        row.claimed_until = slot + budget.lease
        row.claimed_by = sender or None
        row.attempts += 1
        last_sent[chat] = slot
        if not reply:
            next_at += budget.spacing
        claim.messages.append(row)
    clock.next_at = next_at
    for chat, turn in later_turns.items():
        # All of a waiting chat's messages step back together, so a long backlog in one
        # chat never fills the next claims ahead of other chats.
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.chat_key == chat,
                OutboxMessage.status == "pending",
                OutboxMessage.not_before < turn,
            )
            .values(not_before=turn)
        )
    soonest = select(func.min(OutboxMessage.not_before)).where(
        OutboxMessage.status == "pending",
        OutboxMessage.not_before > now,
        OutboxMessage.not_before <= until,
    )
    if lanes is not None:
        soonest = soonest.where(OutboxMessage.lane.in_(lanes))
    claim.waiting_until = (await session.execute(soonest)).scalar_one_or_none()
    return claim


def _chat_of(session: AsyncSession, row: OutboxMessage) -> int:
    """The hashed chat a row is counted under (the same whether it was read or just made)."""
    return row.chat_key if row.chat_key is not None else chat_key(session, row.chat_id)


async def _withhold(session: AsyncSession, rows: list[OutboxMessage], now: datetime) -> set[int]:
    """Which of these reminders and follow-ups are no longer wanted, marked so: the client
    or the therapist paused their reminders, or the homework was stopped or the link ended.
    A due time reminded while paused counts as paused (the digest says so, not "missed"),
    and a paused follow-up falls due again once reminders are back on."""
    if not rows:
        return set()
    paused_people = set(
        (
            await session.execute(
                select(User.id).where(
                    User.id.in_({row.user_id for row in rows if row.user_id is not None}),
                    User.paused_at.is_not(None),
                )
            )
        ).scalars()
    )
    occurrences = {homework_of(row) for row in rows if row.kind == "reminder"}
    entries = {homework_of(row) for row in rows if row.kind == "follow_up"}
    homework: dict[tuple[str, int], tuple[Assignment, Link, Occurrence | Entry]] = {}
    wanted = {i for i in occurrences if isinstance(i, int)}
    if wanted:
        query = (
            select(Occurrence, Assignment, Link)
            .join(Assignment, Assignment.id == Occurrence.assignment_id)
            .join(Link, Link.id == Assignment.link_id)
            .where(Occurrence.id.in_(wanted))
        )
        for occurrence, assignment, link in await session.execute(query):
            homework[("reminder", occurrence.id)] = (assignment, link, occurrence)
    wanted = {i for i in entries if isinstance(i, int)}
    if wanted:
        query_entries = (
            select(Entry, Assignment, Link)
            .join(Assignment, Assignment.id == Entry.assignment_id)
            .join(Link, Link.id == Assignment.link_id)
            .where(Entry.id.in_(wanted))
        )
        for entry, assignment, link in await session.execute(query_entries):
            homework[("follow_up", entry.id)] = (assignment, link, entry)
    withheld: set[int] = set()
    for row in rows:
        key = homework_of(row)
        found = homework.get((row.kind, key)) if key is not None else None
        paused = row.user_id in paused_people
        if found is not None:
            assignment, link, item = found
            if not assignment.active or link.ended_at is not None:
                _withdraw(row, "the homework was stopped")
                withheld.add(row.id)
                continue
            paused = paused or assignment.paused_at is not None
        if not paused:
            continue
        _withdraw(row, "reminders paused")
        withheld.add(row.id)
        if found is None:
            continue
        item = found[2]
        if isinstance(item, Occurrence):
            # Only a due time still open: one the client skipped meanwhile stays skipped.
            await session.execute(
                update(Occurrence)
                .where(Occurrence.id == item.id, Occurrence.status == "due")
                .values(status="paused")
            )
        else:
            # Followed up again once reminders are back on (the claim skips paused ones).
            await session.execute(
                update(Entry)
                .where(Entry.id == item.id, Entry.status == "waiting", Entry.resume_at.is_(None))
                .values(resume_at=now)
            )
    return withheld


def homework_of(row: OutboxMessage) -> int | None:
    """The due time a reminder is for, or the entry a follow-up continues."""
    value = row.payload.get("occurrence" if row.kind == "reminder" else "entry")
    return value if isinstance(value, int) else None


def _withdraw(row: OutboxMessage, reason: str) -> None:
    """Not sent; its key is freed, so the same reminder may be queued again later (a
    follow-up once reminders are back on)."""
    row.status, row.last_error = "cancelled", reason
    row.dedupe_key = f"{row.dedupe_key}:withheld:{row.id}"[:120]


def _held_by(message: OutboxMessage) -> Any:
    """This sender's claim on a message: its lease's end, which a later claim changes."""
    return and_(
        OutboxMessage.id == message.id, OutboxMessage.claimed_until == message.claimed_until
    )


async def begin_attempt(session: AsyncSession, *, message: OutboxMessage, now: datetime) -> bool:
    """Record that a claimed message's request is about to leave (see AT_MOST_ONCE); False
    when it is no longer this sender's (its lease ran out; another may have claimed it)."""
    if message.claimed_until is None or message.claimed_until <= now:
        return False
    statement = (
        update(OutboxMessage)
        .where(_held_by(message), OutboxMessage.status == "sending")
        .values(status="attempting")
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def release(session: AsyncSession, *, messages: list[OutboxMessage]) -> int:
    """Give back claimed messages whose requests never left (a stopping sender), unless
    another sender has claimed them since."""
    released = 0
    for message in messages:
        statement = (
            update(OutboxMessage)
            .where(_held_by(message), OutboxMessage.status.in_(("sending", "attempting")))
            .values(status="pending", claimed_until=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        result = await session.execute(statement)
        released += int(getattr(result, "rowcount", 0) or 0)
    return released


async def replies_in_hand(
    session: AsyncSession, *, chat_id: int, update_id: int, sender: str
) -> list[OutboxMessage]:
    """The replies to one update that this sender recorded and has not sent yet, in order
    (its commit went through although the sender never heard so: a lost connection)."""
    keys = [
        dedupe_key(session, kind, f"{chat_id}:{update_id}:", prefix=True)
        for kind in ("reply", "crisis")
    ]
    query = (
        select(OutboxMessage)
        .where(
            or_(*(OutboxMessage.dedupe_key.startswith(key, autoescape=True) for key in keys)),
            OutboxMessage.status == "sending",
            OutboxMessage.claimed_by == sender,
        )
        .order_by(OutboxMessage.id)
    )
    return list((await session.execute(query)).scalars())


async def follow(session: AsyncSession, *, first: OutboxMessage, then: list[OutboxMessage]) -> None:
    """Replies recorded after one Telegram refused for now (429, the network): given back
    to the outbox to go after it, in order (the lane sends oldest first, by id)."""
    refused = await session.get(OutboxMessage, first.id)
    not_before = refused.not_before if refused is not None else first.not_before
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([m.id for m in then]),
            OutboxMessage.status.in_(("sending", "attempting")),
        )
        .values(status="pending", claimed_until=None, claimed_by=None, not_before=not_before)
        .execution_options(synchronize_session=False)
    )


async def withdraw_about(session: AsyncSession, *, client_id: int, link_ids: set[int]) -> int:
    """Withdraw, and empty, every message not yet sent that carries this client's words or
    files (to their therapist, a photo, an alert, a chart), or that is for them (an export,
    a notice): they asked for their data to be erased. Payloads are encrypted, so the
    waiting messages are read here, not in SQL."""
    waiting = (
        await session.execute(select(OutboxMessage).where(OutboxMessage.status == "pending"))
    ).scalars()
    withdrawn = 0
    for row in waiting:
        payload = row.payload
        theirs = row.user_id == client_id
        if theirs or payload.get("about") == client_id or payload.get("link") in link_ids:
            row.status, row.last_error = "cancelled", "withdrawn: the client's data was erased"
            row.payload = {}
            withdrawn += 1
    return withdrawn


async def cancel_pending(session: AsyncSession, *, kind: str, key_prefix: str) -> int:
    """Withdraw messages not yet sent whose key starts with `kind:key_prefix` (timed
    breathing messages once the client has moved on)."""
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.dedupe_key.startswith(
                dedupe_key(session, kind, key_prefix, prefix=True), autoescape=True
            ),
        )
        .values(status="cancelled", last_error="withdrawn")
    )
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def depth_by_lane(session: AsyncSession) -> dict[int, int]:
    """How many messages wait in each lane (sent or not yet due alike)."""
    query = (
        select(OutboxMessage.lane, func.count())
        .where(OutboxMessage.status.in_(("pending", "sending", "attempting")))
        .group_by(OutboxMessage.lane)
    )
    return {int(lane): int(count) for lane, count in (await session.execute(query)).all()}


async def status_of(session: AsyncSession, *, stored_key: str) -> str | None:
    """The status of the message queued under `stored_key` (a :func:`dedupe_key`), if any."""
    query = select(OutboxMessage.status).where(OutboxMessage.dedupe_key == stored_key)
    return (await session.execute(query)).scalar_one_or_none()


async def sent_as(session: AsyncSession, *, stored_key: str) -> tuple[str | None, int | None]:
    """The status of the message queued under `stored_key` (a :func:`dedupe_key`), if any,
    and its Telegram id once it was sent with its id kept (risk alerts keep theirs: later
    messages reply to it)."""
    query = select(OutboxMessage).where(OutboxMessage.dedupe_key == stored_key)
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        return None, None
    shown = row.payload.get("shown") if row.status == "sent" else None
    return row.status, shown if isinstance(shown, int) else None


async def get_message(session: AsyncSession, *, message_id: int) -> OutboxMessage | None:
    """One outbox row."""
    return await session.get(OutboxMessage, message_id)


MAYBE_SENT = "taken over: it may have been sent already"
"""A message whose sender died while Telegram had it: sent again, and maybe shown twice."""


def mark_sent(message: OutboxMessage, *, now: datetime) -> None:
    """Telegram accepted it."""
    message.status = "sent"
    message.sent_at = now
    message.claimed_until = None
    message.claimed_by = None
    message.last_error = None


EMPTIED = "payload emptied"
"""Marks an outbox row whose payload was emptied (payloads are encrypted, so an empty one
cannot be recognised in SQL)."""


def empty(message: OutboxMessage) -> None:
    """Keep a sent message's key (nothing is queued twice) but not what it said."""
    message.payload = {}
    message.last_error = EMPTIED


def mark_retry(message: OutboxMessage, *, not_before: datetime, error: str) -> None:
    """Try again later (rate limit or network trouble)."""
    message.status = "pending"
    message.not_before = not_before
    message.claimed_until = None
    message.claimed_by = None
    message.last_error = error[:200]


def mark_undeliverable(message: OutboxMessage, *, status: str, error: str) -> None:
    """Give up: the person blocked the bot, or Telegram refused the message for good."""
    message.status = status
    message.claimed_until = None
    message.claimed_by = None
    message.last_error = error[:200]


async def mark_user_blocked(session: AsyncSession, *, user_id: int, now: datetime) -> User | None:
    """Note that a person blocked the bot; returns them if this is news."""
    user = await session.get(User, user_id)
    if user is None or user.blocked_at is not None:
        return None
    user.blocked_at = now
    return user
