"""Homework done ahead of its due time counts for it; a homework opened and left empty
doesn't replace the reminder."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import FixedClock
from tests.fake_bot_api import FakeUser
from tests.harness import RunningBot, texts, therapist_and_client


async def sent_at(
    running: RunningBot, clock: FixedClock, client: FakeUser, moment: datetime
) -> str:
    """What reached the client from one beat of the ticker at `moment`."""
    clock.set(moment)
    before = len(running.api.sent_to(client.chat_id))
    await running.tick()
    return texts(running.api.sent_to(client.chat_id)[before:])


async def start_gratitude(running: RunningBot, client: FakeUser) -> None:
    """Started from /today, ahead of any due time."""
    await running.send(client, "/today")
    await running.press(client, "Start gratitude entry")


async def do_gratitude(running: RunningBot, client: object) -> None:
    for answer in ("A walk", "/skip", "Tea", "/skip", "A call", "/skip"):
        await running.send(client, answer)  # type: ignore[arg-type]
    assert "Gratitude entry: done." in texts(await running.press(client, "Save"))  # type: ignore[arg-type]


async def test_homework_done_in_the_morning_counts_for_the_evening(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await therapist_and_client(running, assign="gratitude daily 20:00")
    await start_gratitude(running, client)
    await do_gratitude(running, client)
    # 20:00 in Berlin: done already, so no reminder, and the day counts as done.
    came = await sent_at(running, clock, client, datetime(2026, 11, 21, 19, 0, 30, tzinfo=UTC))
    assert "time for your gratitude entry" not in came
    assert "done today ✓" in texts(await running.send(client, "/today"))
    clock.set(datetime(2026, 11, 21, 23, 0, tzinfo=UTC))
    digest = texts(await running.send(therapist, "/digest"))
    assert "1 of 1 done" in digest and "missed" not in digest
    # The next day's due time is reminded as usual.
    came = await sent_at(running, clock, client, datetime(2026, 11, 22, 19, 0, 30, tzinfo=UTC))
    assert "time for your gratitude entry" in came


async def test_a_homework_opened_and_left_empty_gets_the_usual_reminder(
    running: RunningBot, clock: FixedClock
) -> None:
    _therapist, client = await therapist_and_client(running, assign="gratitude daily 20:00")
    await start_gratitude(running, client)
    await running.send(client, "/cancel")
    reminder = await sent_at(running, clock, client, datetime(2026, 11, 21, 19, 0, 30, tzinfo=UTC))
    assert "time for your gratitude entry" in reminder and "unfinished" not in reminder
    # Start now picks up the one opened before (one entry, not two).
    replies = await running.press(client, "Start now")
    assert "Gratitude entry · 1 of 6" in texts(replies)
    assert "Continue" not in texts(await running.send(client, "/cancel"))
    today = texts(await running.send(client, "/today"))
    assert today.count("paused at question") == 1


async def test_started_just_before_the_due_time_and_finished_after_it_counts_for_it(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await therapist_and_client(running, assign="gratitude daily 20:00")
    clock.set(datetime(2026, 11, 21, 18, 55, tzinfo=UTC))  # 19:55 in Berlin
    await start_gratitude(running, client)
    clock.set(datetime(2026, 11, 21, 19, 0, 30, tzinfo=UTC))
    await running.tick()  # the reminder comes mid-entry; the entry goes on
    clock.set(datetime(2026, 11, 21, 19, 5, tzinfo=UTC))
    await do_gratitude(running, client)
    clock.set(datetime(2026, 11, 21, 23, 0, tzinfo=UTC))
    digest = texts(await running.send(therapist, "/digest"))
    assert "1 of 1 done" in digest and "missed" not in digest
    # Tomorrow's due time is its own: reminded, not taken as done.
    came = await sent_at(running, clock, client, datetime(2026, 11, 22, 19, 0, 30, tzinfo=UTC))
    assert "time for your gratitude entry" in came


async def test_homework_done_on_an_earlier_day_does_not_count_for_the_next_due_day(
    running: RunningBot, clock: FixedClock
) -> None:
    # Assigned for Mondays and Wednesdays, done on the Saturday before (from /today).
    _therapist, client = await therapist_and_client(running, assign="gratitude mon,wed 20:00")
    await start_gratitude(running, client)
    await do_gratitude(running, client)
    # Monday 20:00 in Berlin: Saturday's entry was Saturday's practice; Monday is reminded.
    came = await sent_at(running, clock, client, datetime(2026, 11, 23, 19, 0, 30, tzinfo=UTC))
    assert "time for your gratitude entry" in came
