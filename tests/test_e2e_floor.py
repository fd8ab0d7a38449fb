"""End to end: a question the bot asks over an open homework has the floor.

Mid-homework, a client taps an older /settings button (quiet hours) or sends /note: what
they type next answers that question, not the homework's, and then the homework's own
question comes back, its answers untouched.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import FixedClock
from storage.models import Entry, User
from tests import test_e2e_safety as safety_tests
from tests.harness import RunningBot, texts

running = safety_tests.running
linked = safety_tests.linked


async def answers_of(running: RunningBot) -> dict[str, object]:
    assert running.db is not None
    async with running.db.transaction() as session:
        entry = (await session.execute(select(Entry))).scalar_one()
        return dict(entry.state.get("answers") or {})


async def test_quiet_hours_asked_over_homework_take_the_typed_answer(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    settings = (await running.send(client, "/settings"))[-1]  # an older message's buttons
    await safety_tests.start_gratitude(running, therapist, client)
    before = await answers_of(running)
    clock.advance(timedelta(seconds=30))
    asked = texts(await running.press(client, "Set quiet hours", settings))
    assert "Send two times, like 22:00-08:00" in asked
    said = texts(await running.send(client, "from 23 to 7"))
    assert "Quiet hours 23:00–07:00" in said
    assert "1 of 6" in said  # and the homework's question again, where they were
    assert await answers_of(running) == before  # nothing kept under the homework
    assert running.db is not None
    async with running.db.transaction() as session:
        user = (
            await session.execute(select(User).where(User.telegram_id == client.id))
        ).scalar_one()
        assert user.quiet_start is not None and user.quiet_end is not None
        assert user.dialog in (None, {})
    # The next words are the homework's again.
    said = texts(await running.send(client, "my sister's phone call"))
    assert "2 of 6" in said
    assert "my sister's phone call" in [str(v) for v in (await answers_of(running)).values()]


async def test_a_bad_answer_keeps_the_floor_and_a_homework_move_takes_it_back(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    settings = (await running.send(client, "/settings"))[-1]
    await safety_tests.start_gratitude(running, therapist, client)
    clock.advance(timedelta(seconds=30))
    await running.press(client, "Set quiet hours", settings)
    clock.advance(timedelta(seconds=30))
    said = texts(await running.send(client, "sometime"))
    assert "1 of 6" not in said and "two times" in said  # explained, still waiting
    assert await answers_of(running) == {}
    # A command that waits mid-homework asks the homework's question again: that question
    # has the floor back, and the quiet hours wait for a later /settings.
    clock.advance(timedelta(seconds=30))
    said = texts(await running.send(client, "/note"))
    assert "will have to wait" in said and "1 of 6" in said
    clock.advance(timedelta(seconds=30))
    said = texts(await running.send(client, "a warm bath"))
    assert "2 of 6" in said
    assert "a warm bath" in [str(v) for v in (await answers_of(running)).values()]
