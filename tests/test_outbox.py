"""The outbox on both backends: keys, leases, the policy per kind, the shared send budget."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
BUDGET = outbox.Budget(
    spacing=SECOND / 30,
    chat_spacing=SECOND,
    lookahead=SECOND,
    lease=timedelta(minutes=3),
    horizon=timedelta(hours=24),
)


async def _queue(
    db: Database,
    key: str,
    *,
    chat: int = 5,
    kind: str = "reminder",
    now: datetime = NOW,
    expires_at: datetime | None = None,
) -> None:
    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            key=key,
            chat_id=chat,
            user_id=None,
            kind=kind,
            payload={"text": key},
            now=now,
            expires_at=expires_at,
        )


async def _claim(db: Database, now: datetime = NOW, **kw: object) -> outbox.Claim:
    async with db.transaction() as session:
        return await outbox.claim_pending(session, now=now, budget=BUDGET, **kw)  # type: ignore[arg-type]


async def _mark_sent(db: Database, claim: outbox.Claim, now: datetime = NOW) -> None:
    async with db.transaction() as session:
        for message in claim.messages:
            row = await outbox.get_message(session, message_id=message.id)
            assert row is not None
            outbox.mark_sent(row, now=now)


async def test_a_key_is_queued_once(db: Database) -> None:
    await _queue(db, "k1")
    await _queue(db, "k1")
    claim = await _claim(db)
    assert [m.payload for m in claim.messages] == [{"text": "k1"}]


async def test_a_lease_keeps_a_message_with_its_sender(db: Database) -> None:
    await _queue(db, "k1", kind="alert")
    assert len((await _claim(db)).messages) == 1
    # Leased: not taken again until the lease runs out.
    assert (await _claim(db, NOW + timedelta(minutes=1))).messages == []


async def test_a_dead_senders_alert_is_sent_again_its_reminder_never(db: Database) -> None:
    await _queue(db, "alert", chat=1, kind="alert")
    await _queue(db, "reminder", chat=2, kind="reminder")
    await _queue(db, "digest", chat=3, kind="digest")
    first = await _claim(db)
    assert len(first.messages) == 3
    async with db.transaction() as session:
        for message in first.messages:
            if outbox.at_most_once(message.kind):
                assert await outbox.begin_attempt(session, message=message, now=NOW)
    # The sender was killed between sending and marking; its lease runs out.
    later = NOW + timedelta(minutes=4)
    again = await _claim(db, later)
    assert [m.payload["text"] for m in again.messages] == ["alert"]
    assert again.messages[0].attempts == 2
    assert sorted(m.payload["text"] for m in again.unknown) == ["digest", "reminder"]
    await _mark_sent(db, again, later)
    assert (await _claim(db, later + HOUR)).messages == []


async def test_a_reminder_claimed_but_never_tried_is_not_lost(db: Database) -> None:
    await _queue(db, "tried", chat=1)
    await _queue(db, "untried", chat=2)
    await _queue(db, "given back", chat=3)
    first = await _claim(db)
    taken = {m.payload["text"]: m for m in first.messages}
    async with db.transaction() as session:
        assert await outbox.begin_attempt(session, message=taken["tried"], now=NOW)
        # A stopping sender gives back what it never tried.
        assert await outbox.release(session, messages=[taken["given back"]]) == 1
    again = await _claim(db, NOW + SECOND)
    assert [m.payload["text"] for m in again.messages] == ["given back"]
    await _mark_sent(db, again, NOW + SECOND)
    # Killed: after the lease the untried reminder is sent, the tried one never again.
    later = NOW + timedelta(minutes=4)
    after = await _claim(db, later)
    assert [m.payload["text"] for m in after.messages] == ["untried"]
    assert [m.payload["text"] for m in after.unknown] == ["tried"]
    # Claimed again by another sender: no longer the first sender's to try or give back.
    async with db.transaction() as session:
        assert not await outbox.begin_attempt(session, message=taken["untried"], now=NOW)
        assert await outbox.release(session, messages=[taken["untried"]]) == 0
    async with db.transaction() as session:
        [row] = [m for m in after.messages]
        assert (await outbox.get_message(session, message_id=row.id)).status == "sending"  # type: ignore[union-attr]


async def test_telegrams_wait_holds_everything_but_alerts(db: Database) -> None:
    async with db.transaction() as session:
        await outbox.hold_sends(session, until=NOW + 30 * SECOND, now=NOW)
    await _queue(db, "reminder", chat=1)
    await _queue(db, "alert", chat=2, kind="alert")
    claim = await _claim(db, NOW + SECOND)
    assert [m.payload["text"] for m in claim.messages] == ["alert"]
    assert (await _claim(db, NOW + 20 * SECOND)).messages == []
    later = await _claim(db, NOW + 30 * SECOND)
    assert [m.payload["text"] for m in later.messages] == ["reminder"]


def test_a_follow_up_and_a_reminder_name_their_homework_in_the_payload() -> None:
    """Keys are hashed, so the homework is read from the payload alone."""
    nameless = OutboxMessage(kind="follow_up", dedupe_key="h:x", payload={})
    follow_up = OutboxMessage(kind="follow_up", dedupe_key="h:y", payload={"entry": 7})
    reminder = OutboxMessage(kind="reminder", dedupe_key="h:z", payload={"occurrence": 9})
    assert [outbox.homework_of(m) for m in (nameless, follow_up, reminder)] == [None, 7, 9]


async def test_slots_keep_the_global_and_per_chat_limits(db: Database) -> None:
    for n in range(40):
        await _queue(db, f"many-{n}", chat=100 + n)
    for n in range(3):
        await _queue(db, f"same-{n}", chat=7)
    claim = await _claim(db)
    slots = [m.slot_at for m in claim.messages]
    assert all(s is not None for s in slots)
    # Within one lookahead second at 30 a second: 31 slots (both ends), 1/30 s apart.
    assert len(slots) == 31
    gaps = {round((b - a).total_seconds(), 4) for a, b in itertools.pairwise(slots)}  # type: ignore[operator]
    assert gaps == {round(1 / 30, 4)}
    # The next claim continues where the first stopped, even from another process.
    second = await _claim(db)
    assert second.messages == []
    third = await _claim(db, NOW + SECOND)
    assert third.messages[0].slot_at == slots[-1] + SECOND / 30  # type: ignore[operator]
    # One chat: one message a second, the rest wait their turn without holding others up.
    later = NOW + 10 * SECOND
    await _mark_sent(db, third, later)
    chat_seven = []
    moment = later
    for _ in range(6):
        claim = await _claim(db, moment)
        chat_seven += [m.slot_at for m in claim.messages if m.chat_id == 7]
        await _mark_sent(db, claim, moment)
        moment += SECOND / 2
    assert len(chat_seven) == 2 or len(chat_seven) == 3
    assert all(
        (b - a) >= SECOND  # type: ignore[operator]
        for a, b in itertools.pairwise(chat_seven)
    )


async def test_one_chats_backlog_never_holds_up_other_chats(db: Database) -> None:
    for n in range(50):
        await _queue(db, f"backlog-{n}", chat=7)
    for n in range(5):
        await _queue(db, f"other-{n}", chat=100 + n, now=NOW + SECOND / 10)
    first = await _claim(db, NOW + SECOND / 5, limit=20)
    assert [m.payload["text"] for m in first.messages] == ["backlog-0"]
    # The next claim reaches the other chats, not twenty more of the backlog.
    second = await _claim(db, NOW + SECOND / 5, limit=20)
    assert sorted(m.payload["text"] for m in second.messages) == [f"other-{n}" for n in range(5)]
    # The backlog keeps its order, one a second.
    await _mark_sent(db, first, NOW)
    third = await _claim(db, NOW + SECOND * 2, limit=20)
    assert [m.payload["text"] for m in third.messages] == ["backlog-1"]


async def test_lanes_go_most_urgent_first(db: Database) -> None:
    await _queue(db, "digest", chat=1, kind="digest")
    await _queue(db, "reminder", chat=2, kind="reminder")
    await _queue(db, "alert", chat=3, kind="alert", now=NOW + SECOND)
    await _queue(db, "reply", chat=4, kind="reply")
    claim = await _claim(db, NOW + SECOND)
    assert [m.kind for m in claim.messages] == ["alert", "reply", "reminder", "digest"]
    await _mark_sent(db, claim, NOW + SECOND)
    await _queue(db, "reminder 2", chat=5, kind="reminder", now=NOW + HOUR)
    await _queue(db, "alert 2", chat=6, kind="alert", now=NOW + HOUR)
    only_alerts = await _claim(db, NOW + HOUR, lanes=(outbox.ALERT,))
    assert [m.payload["text"] for m in only_alerts.messages] == ["alert 2"]


async def test_messages_are_given_up_by_age_not_attempts(db: Database) -> None:
    await _queue(db, "old alert", chat=1, kind="alert")
    await _queue(db, "reminder", chat=2, expires_at=NOW + HOUR)
    # Forty minutes of outage is nothing: both still go.
    outage = NOW + timedelta(minutes=40)
    claim = await _claim(db, outage)
    assert len(claim.messages) == 2
    await _mark_sent(db, claim, outage)
    await _queue(db, "late reminder", chat=3, expires_at=NOW + HOUR)
    await _queue(db, "stale", chat=4, kind="feedback")
    claim = await _claim(db, NOW + 25 * HOUR)
    assert sorted(m.payload["text"] for m in claim.expired) == ["late reminder", "stale"]
    assert claim.messages == []


async def test_a_clock_turned_back_does_not_stall_sending(db: Database) -> None:
    await _queue(db, "first", chat=1)
    await _claim(db, NOW + 2 * HOUR)
    await _queue(db, "second", chat=2)
    claim = await _claim(db, NOW)
    assert [m.payload["text"] for m in claim.messages] == ["second"]
    assert claim.messages[0].slot_at == NOW
