"""End to end: the outbox's policy per kind when a send's outcome is unknown or fails.

Alerts are sent at least once; reminders and digests never twice, even when a send timed
out after the request left or the process was killed between sending and marking.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FixedClock
from storage import outbox
from storage.models import OutboxMessage
from tests.fake_bot_api import FakeUser
from tests.harness import RunningBot, therapist_and_client

DUE = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)  # 20:00 in Berlin


async def therapist_with_client(running: RunningBot) -> tuple[FakeUser, FakeUser]:
    return await therapist_and_client(running, assign="gratitude daily 20:00")


def reminders(running: RunningBot, client: FakeUser) -> list[str]:
    return [
        m.text or ""
        for m in running.api.sent_to(client.chat_id)
        if "time for your" in (m.text or "")
    ]


async def statuses(running: RunningBot) -> dict[str, str]:
    async with running.runtime.db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars()
        return {f"{m.kind}:{m.id}": m.status for m in rows}


async def queue_alert(running: RunningBot, therapist: FakeUser, now: datetime) -> None:
    async with running.runtime.db.transaction() as session:
        await outbox.notify_chat(
            session,
            chat_id=therapist.chat_id,
            user_id=None,
            kind="alert",
            key="test",
            text="A risk alert (test)",
            now=now,
        )


async def test_a_reminder_whose_send_timed_out_is_never_sent_twice(
    running: RunningBot, clock: FixedClock
) -> None:
    _, client = await therapist_with_client(running)
    clock.set(DUE)
    running.api.drop_after_sending(client.chat_id)
    await running.tick()
    assert len(reminders(running, client)) == 1  # it did arrive; the bot can't know
    for _ in range(3):
        clock.advance(timedelta(minutes=10))
        await running.tick()
    assert len(reminders(running, client)) == 1
    assert "unknown" in {
        s for k, s in (await statuses(running)).items() if k.startswith("reminder")
    }


async def test_an_alert_whose_send_timed_out_is_sent_again(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, _ = await therapist_with_client(running)
    running.api.drop_after_sending(therapist.chat_id)
    await queue_alert(running, therapist, clock.now())
    await running.tick()
    clock.advance(timedelta(seconds=30))
    await running.tick()
    alerts = [m for m in running.api.sent_to(therapist.chat_id) if m.text == "A risk alert (test)"]
    assert len(alerts) == 2  # at least once: a duplicate rather than a loss


async def test_server_errors_are_retried_until_sent(running: RunningBot, clock: FixedClock) -> None:
    _, client = await therapist_with_client(running)
    clock.set(DUE)
    for _ in range(3):
        running.api.fail_once(client.chat_id, 502)
    await running.tick()
    assert reminders(running, client) == []
    # Forty minutes of trouble do not exhaust it: it is given up by age, not by attempts.
    for _ in range(8):
        clock.advance(timedelta(minutes=5))
        await running.tick()
    assert len(reminders(running, client)) == 1


async def test_killed_between_sending_and_marking(running: RunningBot, clock: FixedClock) -> None:
    therapist, client = await therapist_with_client(running)
    clock.set(DUE)
    await queue_alert(running, therapist, clock.now())
    released_client = running.api.hold_after_sending(client.chat_id)
    released_therapist = running.api.hold_after_sending(therapist.chat_id)
    since = len(running.api.calls)
    ticking = asyncio.create_task(running.tick())
    # Both messages reach Telegram; the process dies before it hears back.
    await running.api.wait_for_sent(client.chat_id, since=since)
    await running.api.wait_for_sent(therapist.chat_id, since=since)
    ticking.cancel()
    await asyncio.gather(ticking, return_exceptions=True)
    released_client.set()
    released_therapist.set()
    await running.restart()
    # A new process, after the lease of the dead one ran out.
    clock.advance(timedelta(minutes=5))
    await running.tick()
    alerts = [m for m in running.api.sent_to(therapist.chat_id) if m.text == "A risk alert (test)"]
    assert len(alerts) == 2  # alerts: at least once
    assert len(reminders(running, client)) == 1  # reminders: never twice
    kinds = await statuses(running)
    assert {s for k, s in kinds.items() if k.startswith("reminder")} == {"unknown"}
    assert {s for k, s in kinds.items() if k.startswith("alert")} == {"sent"}
