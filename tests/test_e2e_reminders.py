"""End to end: the client's say over reminders, and reminders after downtime.

Every reminder carries start now, snooze (an hour, this evening, tomorrow) and skip today;
quiet hours hold reminders until they end; /pause and /resume; the therapist can pause one
homework; after downtime a reminder inside the grace window comes late, once, and older ones
are recorded as not reminded and shown in the digest.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FixedClock
from storage.models import Occurrence
from tests.fake_bot_api import FakeUser, SentMessage
from tests.harness import RunningBot, texts, therapist_and_client

MORNING = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)  # 08:00 in Berlin, Sunday


async def morning_homework(running: RunningBot) -> tuple[FakeUser, FakeUser]:
    return await therapist_and_client(running, assign="gratitude daily 08:00")


def reminders(running: RunningBot, client: FakeUser) -> list[SentMessage]:
    return [m for m in running.api.sent_to(client.chat_id) if "time for your" in (m.text or "")]


async def statuses(running: RunningBot) -> list[str]:
    async with running.runtime.db.transaction() as session:
        rows = (await session.execute(select(Occurrence).order_by(Occurrence.due_at))).scalars()
        return [o.status for o in rows]


async def test_a_reminder_offers_start_snooze_and_skip(
    running: RunningBot, clock: FixedClock
) -> None:
    _, client = await morning_homework(running)
    clock.set(MORNING)
    await running.tick()
    [reminder] = reminders(running, client)
    assert reminder.button_texts == [
        "Start now", "Skip today", "In an hour", "This evening", "Tomorrow"
    ]  # fmt: skip
    replies = await running.press(client, "Start now", reminder)
    assert "What are you grateful for" in texts(replies) or "1 of" in texts(replies)


async def test_snooze_an_hour_and_this_evening(running: RunningBot, clock: FixedClock) -> None:
    _, client = await morning_homework(running)
    clock.set(MORNING)
    await running.tick()
    replies = await running.press(client, "In an hour", reminders(running, client)[0])
    assert "Okay, I'll remind you at 09:00." in texts(replies)
    clock.advance(timedelta(minutes=59))
    await running.tick()
    assert len(reminders(running, client)) == 1
    clock.advance(timedelta(minutes=1))
    await running.tick()
    again = reminders(running, client)
    assert len(again) == 2 and "Start now" in again[1].button_texts
    replies = await running.press(client, "This evening", again[1])
    assert "Okay, I'll remind you at 19:00." in texts(replies)
    clock.set(datetime(2026, 11, 22, 18, 0, tzinfo=UTC))
    await running.tick()
    assert len(reminders(running, client)) == 3
    # Snoozing twice with a double tap queues one reminder, not two.
    third = reminders(running, client)[2]
    data = dict(b for row in third.buttons for b in row)["In an hour"]
    await running.press(client, "In an hour", third)
    await running.press_data(client, data, third)
    assert "expired" in (running.api.calls_of("answerCallbackQuery")[-1].params.get("text") or "")
    clock.advance(timedelta(hours=1))
    await running.tick()
    assert len(reminders(running, client)) == 4


async def test_tomorrow_is_left_to_the_regular_reminder(
    running: RunningBot, clock: FixedClock
) -> None:
    _, client = await morning_homework(running)
    clock.set(MORNING)
    await running.tick()
    replies = await running.press(client, "Tomorrow", reminders(running, client)[0])
    assert "Your next gratitude entry reminder comes tomorrow at 08:00 anyway" in texts(replies)
    clock.set(MORNING + timedelta(days=1))
    await running.tick()
    assert len(reminders(running, client)) == 2  # the regular one, not a second beside it


async def test_skip_today_is_shown_to_the_therapist_not_as_missed(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await morning_homework(running)
    clock.set(MORNING)
    await running.tick()
    replies = await running.press(client, "Skip today", reminders(running, client)[0])
    assert "Okay, no gratitude entry today" in texts(replies)
    clock.set(MORNING + timedelta(hours=10))
    digest = texts(await running.send(therapist, "/digest"))
    assert "0 of 1 done (1 skipped by them)" in digest
    assert "missed homework from" not in digest


async def test_quiet_hours_hold_a_reminder_until_they_end(
    running: RunningBot, clock: FixedClock
) -> None:
    _, client = await morning_homework(running)
    replies = await running.send(client, "/settings")
    assert "Quiet hours: none." in texts(replies)
    replies = await running.press(client, "Set quiet hours")
    assert "Send two times, like 22:00-08:00" in texts(replies)
    replies = await running.send(client, "22 - 8")
    assert "Please send two times" not in texts(replies) and "reminders wait" in texts(replies)
    replies = await running.send(client, "/settings")
    replies = await running.press(client, "Set quiet hours")
    replies = await running.send(client, "10pm to 9am")
    assert "Quiet hours 22:00–09:00 (Berlin time)" in texts(replies)
    clock.set(MORNING)
    await running.tick()
    assert reminders(running, client) == []
    clock.set(MORNING + timedelta(hours=1))
    await running.tick()
    assert len(reminders(running, client)) == 1
    # A bad answer is explained and changes nothing.
    await running.send(client, "/settings")
    await running.press(client, "Set quiet hours")
    replies = await running.send(client, "sometime")
    assert "Please send two times" in texts(replies)
    replies = await running.send(client, "off")
    assert "No quiet hours" in texts(replies)


async def test_a_client_pauses_and_resumes_reminders(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await morning_homework(running)
    replies = await running.send(client, "/pause")
    assert "Reminders are paused" in texts(replies)
    clock.set(MORNING)
    await running.tick()
    assert reminders(running, client) == []
    clock.set(MORNING + timedelta(hours=10))
    digest = texts(await running.send(therapist, "/digest"))
    assert "Reminders paused by Robin" in digest
    assert "(1 while paused)" in digest
    replies = await running.send(client, "/resume")
    assert "Reminders are back on" in texts(replies)
    clock.set(MORNING + timedelta(days=1))
    await running.tick()
    assert len(reminders(running, client)) == 1


async def test_the_therapist_pauses_one_homework(running: RunningBot, clock: FixedClock) -> None:
    therapist, client = await morning_homework(running)
    replies = await running.send(therapist, "/pause robin gratitude")
    assert "Paused reminders of gratitude entry for Robin" in texts(replies)
    await running.tick()
    assert "Dr Fake Therapist paused the reminders of your gratitude entry" in texts(
        running.api.sent_to(client.chat_id)
    )
    clock.set(MORNING)
    await running.tick()
    assert reminders(running, client) == []
    replies = await running.send(therapist, "/pause robin nothing-like-it")
    assert "Robin has no homework called" in texts(replies)
    await running.send(therapist, "/resume robin")
    clock.set(MORNING + timedelta(days=1))
    await running.tick()
    assert len(reminders(running, client)) == 1


async def test_a_snoozed_reminder_is_not_sent_once_reminders_are_paused(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await morning_homework(running)
    clock.set(MORNING)
    await running.tick()
    await running.press(client, "In an hour", reminders(running, client)[0])
    await running.send(client, "/pause")
    clock.advance(timedelta(hours=1))
    await running.tick()
    assert len(reminders(running, client)) == 1  # the snoozed one was held back
    assert await statuses(running) == ["paused"]
    clock.set(MORNING + timedelta(hours=10))
    digest = texts(await running.send(therapist, "/digest"))
    assert "(1 while paused)" in digest
    # Resumed before a snooze falls due: that reminder comes as asked.
    await running.send(client, "/resume")
    clock.set(MORNING + timedelta(days=1))
    await running.tick()
    await running.press(client, "In an hour", reminders(running, client)[-1])
    await running.send(client, "/pause")
    await running.send(client, "/resume")
    clock.advance(timedelta(hours=1))
    await running.tick()
    assert len(reminders(running, client)) == 3


async def test_a_therapists_pause_holds_back_a_reminder_held_by_quiet_hours(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await morning_homework(running)
    await running.send(client, "/settings")
    await running.press(client, "Set quiet hours")
    await running.send(client, "22:00-09:00")
    clock.set(MORNING)
    await running.tick()  # queued for 09:00, when quiet hours end
    await running.send(therapist, "/pause robin gratitude")
    clock.set(MORNING + timedelta(hours=1))
    await running.tick()
    assert reminders(running, client) == []
    assert await statuses(running) == ["paused"]


async def test_after_downtime_late_once_within_grace_else_recorded(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await morning_homework(running)
    # Down from before 08:00 until 09:30: still within two hours, so it comes, once.
    clock.set(MORNING + timedelta(minutes=90))
    await running.restart()
    await running.tick()
    await running.tick()
    assert len(reminders(running, client)) == 1
    # Down for three days, back at 11:00: too late for today's; nothing is sent at all.
    clock.set(MORNING + timedelta(days=3, hours=3))
    await running.restart()
    await running.tick()
    assert len(reminders(running, client)) == 1
    assert await statuses(running) == ["due", "missed", "missed", "missed"]
    digest = texts(await running.send(therapist, "/digest"))
    assert "not reminded" in digest
