"""The one path for messages the bot sends on its own: from the outbox, within Telegram's limits.

Each claim hands out send slots from a clock every process shares (about 30 a second in all,
about 1 a second per chat; see storage/outbox.py), and each message is sent at its slot and
marked in a transaction of its own. A 429 waits the time Telegram asks for; 5xx and network
errors are retried with backoff until the message is older than the horizon; a 403 marks the
person as having blocked the bot (their therapist is told). When a send's outcome is unknown
(a timeout after the request left), a reminder or digest is never sent again, an alert is.
Lanes go most urgent first, so a risk alert is never behind a backlog of reminders or
digests, and an alert that cannot reach its therapist is escalated to the fallback chat.
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import charts, exports, metrics, safety
from bot.i18n import tr
from bot.render import buttons
from bot.replies import Attachment
from bot.runtime import HEADROOM, Runtime, offer, retry_seconds
from storage import files, flags, homework, outbox, people
from storage.db import retrying
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

ALERT_BACKOFF_CAP = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=10)
URGENT_ROUNDS = 5
"""Passes of the alert lane right after an alert is queued: an escalation queued by a failed
alert goes out in the next."""
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport errors that mean the request never reached Telegram (safe to send again)."""


BEAT_SECONDS = 3.0
"""How often a running process says it is alive (its claims are taken over once it stops
for storage.outbox.BEAT_STALE)."""


async def beat(rt: Runtime) -> None:
    """This process is alive: its claims on outbox messages stay its own."""
    async with rt.db.transaction() as session:
        await outbox.beat(session, sender=rt.sender, now=rt.clock.now())


async def take_over(rt: Runtime, bot: Bot, *, alone: bool) -> None:
    """At start, before any update is read: what a stopped process left half done goes
    first. Its replies and alerts are sent (at least once), and what it claimed of the
    rest goes back to the queue. `alone` (SQLite: one process serves a database): every
    other sender is gone, so its claims are taken at once, not when its beat runs out."""
    async with rt.db.transaction() as session:
        if alone:
            await outbox.forget_sender(session, sender=rt.sender, others=True)
        await outbox.beat(session, sender=rt.sender, now=rt.clock.now())
    await deliver_outbox(rt, bot, lanes=(outbox.ALERT, outbox.REPLY))


async def stop_beating(rt: Runtime) -> None:
    """This process stops: what it still holds is taken over by the next at once."""
    try:
        async with rt.db.transaction() as session:
            await outbox.forget_sender(session, sender=rt.sender)
    except Exception as error:  # stopping anyway; its beat runs out soon
        log.info("could not say this sender stopped: %s", type(error).__name__)


async def deliver_urgent(rt: Runtime, bot: Bot) -> None:
    """Send the alert lane now (called as soon as an update that raised an alert commits)."""
    for _ in range(URGENT_ROUNDS):
        if not await deliver_outbox(rt, bot, lanes=(outbox.ALERT,)):
            return


async def deliver_outbox(rt: Runtime, bot: Bot, *, lanes: tuple[int, ...] | None = None) -> int:
    """Send what is due in the outbox, most urgent lane first, claim after claim until
    nothing more is due within the budget's lookahead; returns how many were tried."""
    tried = 0
    sending: list[asyncio.Task[None]] = []
    claimed: list[OutboxMessage] = []
    left: set[int] = set()
    """Messages whose requests have left (or may have): never given back."""
    try:
        while True:
            # Shielded: a stop never leaves a claim half done (nor SQLite's write lock held).
            batch, waiting_until = await asyncio.shield(_claim(rt, lanes))
            now = rt.clock.now()
            if batch:
                sending += [asyncio.create_task(_deliver_one(rt, bot, i, left)) for i in batch]
                claimed += [message for message, _ in batch]
                tried += len(batch)
                # The next claim comes while this one's last sends are still ahead, so the
                # pace runs on without a gap between claims.
                last = batch[-1][0].slot_at
                assert last is not None
                await rt.wait_until(last - rt.budget.lookahead / 2)
            elif waiting_until is not None and waiting_until <= now + rt.budget.lookahead:
                await rt.wait_until(waiting_until)  # a chat's next turn is close: wait for it
            else:
                break
    except BaseException:
        # Stopped (or killed in a test): what is mid-send stays leased, as after a crash;
        # what never left goes back to the queue at once instead of waiting out its lease.
        for task in sending:
            task.cancel()
        await asyncio.gather(*sending, return_exceptions=True)
        await asyncio.shield(_release(rt, [m for m in claimed if m.id not in left]))
        raise
    await asyncio.gather(*sending)
    return tried


async def _claim(
    rt: Runtime, lanes: tuple[int, ...] | None
) -> tuple[list[tuple[OutboxMessage, dict[str, Any]]], datetime | None]:
    now = rt.clock.now()
    async with rt.db.transaction() as session:
        await outbox.beat(session, sender=rt.sender, now=now)
        claim = await outbox.claim_pending(
            session, now=now, budget=rt.budget, lanes=lanes, sender=rt.sender
        )
        for row in claim.expired:
            log.warning("outbox message %s given up: older than the horizon", row.id)
            await _undeliverable(rt, session, row.kind, row.payload)
        for row in claim.unknown:
            log.warning("outbox message %s: its sender stopped mid-send; not sent again", row.id)
        return [(row, row.payload) for row in claim.messages], claim.waiting_until


async def _release(rt: Runtime, messages: list[OutboxMessage]) -> None:
    if not messages:
        return

    async def give_back() -> int:
        async with rt.db.transaction() as session:
            return await outbox.release(session, messages=messages)

    try:
        released = await retrying(give_back)
    except Exception:  # the database may be why we stop: the lease gives them back later
        log.warning("could not give back %s claimed outbox messages", len(messages))
        return
    if released:
        log.info("gave back %s claimed outbox messages that were not sent", released)


async def _begin_attempt(rt: Runtime, message: OutboxMessage) -> bool:
    """Mark a never-twice message as tried, in a commit of its own, just before it leaves."""
    async with rt.db.transaction() as session:
        return await outbox.begin_attempt(session, message=message, now=rt.clock.now())


def outcome_unknown(error: TelegramError) -> bool:
    """True when the request may have reached Telegram (a timeout after it left)."""
    if not isinstance(error, NetworkError) or isinstance(error, RetryAfter):
        return False
    cause = error.__cause__
    if cause is None:
        return False  # Telegram answered (a 5xx): it was not sent
    return isinstance(cause, httpx.HTTPError) and not isinstance(cause, NOT_SENT)


async def _deliver_one(
    rt: Runtime, bot: Bot, item: tuple[OutboxMessage, dict[str, Any]], left: set[int]
) -> None:
    """Send one claimed message at its slot and mark how it went; its id goes in `left` the
    moment its request may leave, so a stopping sender never gives it back."""
    message, payload = item
    assert message.slot_at is not None
    async with rt.send_gate:
        await rt.wait_until(message.slot_at)
        await _room_to_send(rt)
        rt.in_flight += 1
    sent = False
    try:
        # Cancelled while this commits, the row may be "attempting" though never tried:
        # then it is not in `left`, and the stopping sender gives it back.
        attempting = outbox.at_most_once(message.kind)
        if attempting and not await asyncio.shield(_begin_attempt(rt, message)):
            log.warning("outbox message %s was taken back before it was sent", message.id)
            return
        left.add(message.id)
        sent = True
        began = rt.clock.now()
        outcome, shown = await _send(rt, bot, message, payload)
    finally:
        rt.in_flight -= 1
        if sent:
            rt.recent_sends.append(rt.clock.now())
        rt.send_done.set()
    await asyncio.shield(_mark(rt, message, payload, outcome, began, shown))


async def deliver_reply(rt: Runtime, bot: Bot, message: OutboxMessage) -> bool:
    """Send a reply an update just recorded (and claimed), now, and mark how it went; False
    when it was not sent for now (Telegram refused it for the moment, or the database was
    out of reach): it waits in the outbox, which sends it later."""
    payload = message.payload
    began = rt.clock.now()
    try:
        outcome, shown = await _send(rt, bot, message, payload)
        await asyncio.shield(_mark(rt, message, payload, outcome, began, shown))
    except Exception as error:  # the database stayed out of reach: the outbox takes it
        log.warning("a reply was left to the outbox: %s", type(error).__name__)
        await asyncio.shield(_release(rt, [message]))
        return False
    return outcome is None or isinstance(outcome, Forbidden | BadRequest | NotSent)


async def _room_to_send(rt: Runtime) -> None:
    """Wait until one more send keeps within the budget of any one second: the sends still
    on their way plus those that finished within the last second. Telegram counts a send
    when it arrives, somewhere between the two: late sends catch up (after a busy moment,
    a slow commit or a slow network), but never as a burst beyond the limit."""
    window, recent = timedelta(seconds=1), rt.recent_sends
    most = max(1, math.ceil(rt.settings.sends_per_second * HEADROOM))
    while True:
        now = rt.clock.now()
        while recent and now - recent[0] >= window:
            recent.popleft()
        if len(recent) + rt.in_flight < most:
            return
        if recent:
            await rt.wait_until(recent[0] + window)
        else:  # only sends on their way fill the second: wait for one to finish
            rt.send_done.clear()
            await rt.send_done.wait()


async def _mark(
    rt: Runtime,
    message: OutboxMessage,
    payload: dict[str, Any],
    outcome: Outcome,
    began: datetime,
    shown: int | None = None,
) -> None:
    """Record how a send went, in a transaction of its own (run again on a transient
    fault). A homework question that reached the client is marked shown, with the id of
    the message that showed it. Buttons of a message the bot sent on its own are offered
    from when it `began` (a reply with buttons made after that is newer, and kept); a
    reply's were offered when it was made."""
    await retrying(lambda: _mark_once(rt, message, payload, outcome, began, shown))
    if outcome is None and message.kind == "alert" and rt.on_urgent is not None:
        rt.on_urgent()  # a follow-up waiting for this alert (NotYet) may go now, in its thread


async def _mark_once(
    rt: Runtime,
    message: OutboxMessage,
    payload: dict[str, Any],
    outcome: Outcome,
    began: datetime,
    shown: int | None,
) -> None:
    now = rt.clock.now()
    async with rt.db.transaction() as session:
        row = await outbox.get_message(session, message_id=message.id)
        if row is None:
            return
        metrics.SENDS.labels(row.kind, _outcome_name(row.kind, outcome)).inc()
        if outcome is None:
            # Sent before, by a process that died before it could say so: the client may
            # have answered that first copy, written before this one (no "crossed" then).
            if row.last_error == outbox.MAYBE_SENT:
                shown = None
            outbox.mark_sent(row, now=now)
            if row.kind == "alert" and shown is not None:
                row.payload = {**row.payload, "shown": shown}  # later ones reply to it
            if row.kind in REPLIES:
                outbox.empty(row)  # shown: its words need not be kept a second time
            asks = payload.get("asks")
            if isinstance(asks, list) and len(asks) == 2:
                await homework.mark_shown(
                    session, entry_id=int(asks[0]), rev=int(asks[1]), message_id=shown
                )
            rows = payload.get("buttons")
            if rows and message.user_id is not None and row.kind not in REPLIES:
                offered = offer(buttons(rows), began)
                await people.remember_offered(session, user_id=message.user_id, offered=offered)
        elif isinstance(outcome, NotSent):
            log.info("outbox message %s not sent: %s", message.id, outcome.reason)
            outbox.mark_undeliverable(row, status="cancelled", error=outcome.reason)
            outbox.empty(row)
        elif isinstance(outcome, RetryAfter):
            metrics.RATE_LIMITED.inc()
            wait = timedelta(seconds=retry_seconds(outcome))
            outbox.mark_retry(row, not_before=now + wait, error="429")
            # Every process's sending waits too: the limit Telegram enforces is the bot's.
            await outbox.hold_sends(session, until=now + wait, now=now)
        elif isinstance(outcome, Forbidden):
            metrics.BLOCKED.inc()
            outbox.mark_undeliverable(row, status="blocked", error="403 blocked")
            await _undeliverable(rt, session, row.kind, payload)
            if message.user_id is not None:
                await _tell_therapist_blocked(rt, session, user_id=message.user_id)
        elif isinstance(outcome, BadRequest):
            log.warning("outbox message %s refused: %s", message.id, type(outcome).__name__)
            outbox.mark_undeliverable(row, status="failed", error=type(outcome).__name__)
            await _undeliverable(rt, session, row.kind, payload)
        elif isinstance(outcome, NotYet):
            # Due again at once: the alert's own send marks it sent, and then sends the
            # alert lane again (see _mark).
            outbox.mark_retry(row, not_before=now, error="waits for its alert")
        elif outbox.at_most_once(row.kind) and outcome_unknown(outcome):
            log.warning("outbox message %s may or may not have been sent: not sent again", row.id)
            outbox.mark_undeliverable(row, status="unknown", error=type(outcome).__name__)
        else:
            backoff = timedelta(seconds=min(2**row.attempts, BACKOFF_CAP.total_seconds()))
            if row.lane == outbox.ALERT:
                backoff = min(backoff, ALERT_BACKOFF_CAP)
            outbox.mark_retry(row, not_before=now + backoff, error=type(outcome).__name__)


def _outcome_name(kind: str, outcome: Outcome) -> str:
    if outcome is None:
        return "sent"
    if isinstance(outcome, NotSent):
        return "withdrawn"
    if isinstance(outcome, RetryAfter):
        return "rate_limited"
    if isinstance(outcome, Forbidden):
        return "blocked"
    if isinstance(outcome, BadRequest):
        return "refused"
    if outbox.at_most_once(kind) and outcome_unknown(outcome):
        return "unknown"
    return "retry"


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
    elif kind == "export" and isinstance(payload.get("export"), dict):
        # Whoever asked is told: the therapist, or the client for their own export.
        asker = payload["export"].get("therapist") or payload["export"].get("client")
        user = (
            await people.get_user_by_id(session, user_id=asker) if isinstance(asker, int) else None
        )
        if user is not None:
            now = rt.clock.now()
            await outbox.notify(
                session,
                person=user,
                kind="feedback",
                key=f"export-failed:{payload['export'].get('link')}:{now.isoformat()}",
                text=tr(
                    user.language,
                    "Sorry, I couldn't make that export just now. Please try /export again later.",
                ),
                now=now,
            )
    elif kind == "reminder" and isinstance(payload.get("occurrence"), int):
        # Never reached the client: the digest shows it as not reminded, not as missed.
        occurrence = await homework.get_occurrence(session, occurrence_id=payload["occurrence"])
        if occurrence is not None and occurrence.status == "due":
            occurrence.status = "missed"


REPLIES = frozenset({"reply", "crisis"})
"""Replies to the person who wrote (recorded by the update pipeline, bot/pipeline.py)."""


class NotYet(TelegramError):
    """A message that must wait for another to be sent first (a follow-up, for the alert
    it replies to): due again at once, and sent when that one is marked sent."""


class NotSent(Exception):
    """A message found, when its turn came, to be no longer worth sending."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Outcome = TelegramError | NotSent | None
"""How a send went: None when Telegram took it."""


async def _send(
    rt: Runtime, bot: Bot, message: OutboxMessage, payload: dict[str, Any]
) -> tuple[Outcome, int | None]:
    """Send one message: how it went (None: sent), and the id of the message shown."""
    try:
        return None, await _send_content(rt, bot, message, payload)
    except (TelegramError, NotSent) as error:
        return error, None


async def _send_content(
    rt: Runtime, bot: Bot, message: OutboxMessage, payload: dict[str, Any]
) -> int | None:
    """What the payload says to send; Telegram's refusals are raised."""
    rows = payload.get("buttons")
    chat_id = message.chat_id
    shows = rt.shown_by(bot)
    if "text" not in payload:  # emptied: what it said was erased (or its key destroyed)
        raise BadRequest("nothing is left to send")
    text = str(payload["text"])
    wanted = payload.get("export")
    if isinstance(wanted, dict):
        # Built only now, from a read-only session, so it holds the latest entries.
        try:
            built = await exports.build(
                rt, therapist_id=message.user_id, spec=wanted, now=rt.clock.now()
            )
        except Exception as error:  # given up, and the therapist told (never retried)
            log.warning("an export could not be built: %s", type(error).__name__)
            raise BadRequest("the export could not be built") from None
        if built is None:
            return None  # the client is no longer linked: nothing to send
        name, document = built
        await shows.attach(chat_id, Attachment("document", document, text, name))
        return None
    spec = payload.get("chart")
    if isinstance(spec, dict):
        try:
            # Drawn only now, in a worker thread: no transaction waits on matplotlib.
            picture = await asyncio.to_thread(charts.render, spec)
        except Exception as error:  # a chart that can't be drawn is given up, logged
            log.warning("a chart could not be drawn: %s", type(error).__name__)
            raise BadRequest("the chart could not be drawn") from None
        await shows.attach(chat_id, Attachment("photo", picture, text))
        return None
    file_id = payload.get("file")
    if isinstance(file_id, int):
        # A photo a client sent as an answer, read from its encrypted store only now.
        data = await retrying(lambda: _photo_for(rt, message.user_id, file_id, payload))
        if data is None:
            # Erased meanwhile, or no longer this therapist's to see: nothing is sent.
            raise NotSent("its photo is no longer the recipient's to see")
        await shows.attach(chat_id, Attachment("photo", data, text))
        return None
    asks = payload.get("asks")
    if isinstance(asks, list) and len(asks) == 2:
        asked = await retrying(lambda: _asked_rev(rt, int(asks[0])))
        if asked is not None and asked > int(asks[1]):
            # A later question was asked since (this one was shown again, or answered):
            # arriving now, below the newer one, it would be answered in its place.
            raise NotSent("a later question of its homework was asked since")
    keyboard = buttons(rows) if rows else None
    thread = payload.get("thread")
    reply_to = None
    if isinstance(thread, str):
        status, reply_to = await retrying(lambda: _sent_as(rt, thread))
        if status in ("pending", "sending", "attempting"):
            raise NotYet("the alert it replies to is not sent yet")
    return await shows.say(
        chat_id, text, keyboard=keyboard, html=bool(payload.get("html")), reply_to=reply_to
    )


async def _sent_as(rt: Runtime, stored_key: str) -> tuple[str | None, int | None]:
    async with rt.db.reading() as session:
        return await outbox.sent_as(session, stored_key=stored_key)


async def _asked_rev(rt: Runtime, entry_id: int) -> int | None:
    async with rt.db.reading() as session:
        return await homework.asked_rev(session, entry_id=entry_id)


async def _photo_for(
    rt: Runtime, therapist_id: int | None, file_id: int, payload: dict[str, Any]
) -> bytes | None:
    async with rt.db.reading() as session:
        stored = await files.file_for_therapist(
            session, therapist_id=therapist_id, file_id=file_id, entry_id=payload.get("entry")
        )
        return stored.data if stored is not None else None


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
        key=f"{user.id}:{user.created_at.timestamp():.6f}:{now.date().isoformat()}",
        text=tr(
            therapist.language,
            "{name} seems to have blocked me, so their reminders can't reach them. "
            "They can unblock me in Telegram at any time.",
            name=name,
        ),
        now=now,
        extra={"about": user.id},
    )
