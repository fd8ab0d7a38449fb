"""End to end: the therapist's side. How a homework went and /note reach the digest ("too
hard" needs attention); a measure's score shows its change; times are the therapist's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FixedClock
from tests.fake_bot_api import FakeUser
from tests.harness import RunningBot, texts
from tests.test_e2e_library import linked, start


async def gratitude_done(running: RunningBot, client: FakeUser) -> str:
    await start(running, client, "gratitude entry")
    await running.send(client, "A warm cup of tea")
    await running.send(client, "It was calm")
    return texts(await running.press(client, "Save"))


async def test_how_it_went_and_a_note_reach_the_digest(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    said = await gratitude_done(running, client)
    assert "How was this one for you?" in said
    replies = await running.press(client, "Too hard")
    assert "find a way to make it easier together" in texts(replies)
    replies = await running.send(client, "Finding good things felt forced today")
    assert "your therapist will see it" in texts(replies)
    replies = await running.send(client, "/note Can we talk about sleep next time?")
    assert "Your therapist will see your note" in texts(replies)
    await running.send(client, "/note")
    replies = await running.send(client, "And about my sister")
    assert "Your therapist will see your note" in texts(replies)
    digest = texts(await running.send(therapist, "/digest"))
    assert "Needs attention\n• Robin: found Gratitude entry too hard" in digest
    assert "too hard: “Finding good things felt forced today”" in digest
    assert "Note for your next session" in digest
    assert "“Can we talk about sleep next time?”" in digest
    assert "“And about my sister”" in digest


async def test_a_rating_counts_once_and_the_comment_can_be_skipped(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await gratitude_done(running, client)
    question = running.api.last_sent(client.chat_id)
    too_hard = dict(b for row in question.buttons for b in row)["Too hard"]
    await running.press(client, "Helpful", question)
    replies = await running.send(client, "/skip")
    assert "Okay. Thank you for doing it." in texts(replies)
    await running.press_data(client, too_hard, question)  # a second tap, on another button
    digest = texts(await running.send(therapist, "/digest"))
    assert "helpful" in digest and "too hard" not in digest
    replies = await running.send(client, "Just chatting")  # no comment is waited for now
    assert "Thank you, your therapist" not in texts(replies)


async def test_no_feedback_question_after_risk_language(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await start(running, client, "gratitude entry")
    await running.send(client, "I want to kill myself")
    await running.send(client, "nothing else")
    said = texts(await running.press(client, "Save"))
    assert "How was this one for you?" not in said


async def test_scores_show_their_change_and_times_are_the_therapists(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/settings")
    await running.press(therapist, "Change time zone")
    await running.send(therapist, "Tokyo")
    await running.send(therapist, "/assign robin phq9 daily 12:00")

    async def phq9(answer: str) -> None:
        await start(running, client, "phq-9 mood questionnaire")
        for _ in range(9):
            await running.press(client, answer)
        await running.press(client, "Skip")
        await running.press(client, "Save")

    await phq9("1. Several days")
    clock.advance(timedelta(days=7))
    await phq9("0. Not at all")
    digest = texts(await running.send(therapist, "/digest"))
    assert "Tokyo time" in digest
    assert "[PHQ-9 0 (minimal), down 9 since" in digest
    done_at = clock.now().astimezone(UTC) + timedelta(hours=9)  # Tokyo is UTC+9
    assert f"PHQ-9 mood questionnaire, {done_at:%a %H:%M}" in digest


async def test_a_quiet_digest_is_one_line(running: RunningBot, clock: FixedClock) -> None:
    therapist, _ = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    clock.set(datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    [digest] = await running.send(therapist, "/digest")
    assert "a quiet one. Nothing was due, no entries, no alerts." in (digest.text or "")
