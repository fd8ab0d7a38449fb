"""End to end: the therapist's side. How a homework went and /note reach the digest ("too
hard" needs attention); a measure's score shows its change; times are the therapist's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.clock import FixedClock
from bot.exports import CSV_COLUMNS
from storage.models import OutboxMessage
from tests.fake_bot_api import FakeUser
from tests.harness import RunningBot, texts
from tests.test_e2e_library import linked, start
from tests.test_trends import png_size


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
    shown = await running.send(therapist, "/digest")
    digest = texts(shown)
    assert "Needs attention\n• Robin: found gratitude entry too hard" in digest
    assert "Open Robin" in shown[-1].button_texts  # the client in full, from the digest
    opened = texts(await running.press(therapist, "Open Robin", shown[-1]))
    assert "■ Robin (@robin_example)" in opened and "A warm cup of tea" in opened
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
        await start(running, client, "PHQ-9 mood questionnaire")
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


async def test_client_view_pages_entries_and_a_reply_reaches_the_client(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    for _ in range(4):
        await gratitude_done(running, client)
        await running.press(client, "Helpful")
        await running.send(client, "/skip")
        clock.advance(timedelta(days=1))
    replies = await running.send(therapist, "/clients")
    assert "last done" in texts(replies)
    replies = await running.send(therapist, "/client rob")
    said = texts(replies)
    assert "■ Robin (@robin_example)" in said
    assert "Gratitude entry, daily at 20:00" in said
    assert said.count("A warm cup of tea") == 3  # a page of three, newest first
    assert "Older entries ▶" in [b for m in replies for b in m.button_texts]
    replies = await running.press(therapist, "Older entries ▶")
    assert texts(replies).count("A warm cup of tea") == 1
    replies = await running.press(therapist, "Reply to Robin", replies[0])
    assert "What would you like to tell Robin" in texts(replies)
    replies = await running.send(therapist, "Lovely to read these. Keep going!")
    assert "Sent to Robin" in texts(replies)
    await running.tick()
    told = texts(running.api.sent_to(client.chat_id))
    assert "💬 From Dr Fake Therapist, your therapist, about your gratitude entry of" in told
    assert "Lovely to read these. Keep going!" in told
    assert "/note sends an answer" in told


async def test_a_therapist_changes_and_stops_homework(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    await running.send(therapist, "/assign robin journal daily 21:00")
    replies = await running.send(therapist, "/reschedule robin gratitude daily 09:00")
    assert "Gratitude entry for Robin is now daily at 09:00" in texts(replies)
    replies = await running.send(therapist, "/reschedule robin nothing-like-it daily 09:00")
    assert "couldn't tell which homework" in texts(replies)
    replies = await running.send(therapist, "/unassign robin")
    assert "Which one?" in texts(replies)
    replies = await running.send(therapist, "/unassign robin journal")
    assert "Stopped journal entry for Robin" in texts(replies)
    header = (await running.send(therapist, "/client robin"))[0]
    assert "Journal" not in (header.text or "")
    await running.press(therapist, "⏸ Pause gratitude entry", header)
    old = dict(b for row in header.buttons for b in row)["⏸ Pause gratitude entry"]
    replies = await running.press_data(therapist, old, header)  # an old button again
    assert "already paused" in texts(replies)
    replies = await running.press(therapist, "Stop gratitude entry", header)
    replies = await running.press(therapist, "Yes, stop it", replies[-1])
    assert "Stopped gratitude entry for Robin" in texts(replies)
    for _ in range(6):  # one message a second to one chat
        clock.advance(timedelta(seconds=1))
        await running.tick()
    told = texts(running.api.sent_to(client.chat_id))
    assert "changed your gratitude entry to daily at 09:00" in told
    assert "has taken journal entry off your homework" in told
    assert "paused the reminders of your gratitude entry" in told
    clock.advance(timedelta(days=2))
    await running.tick()
    assert "time for your" not in texts(running.api.sent_to(client.chat_id))
    replies = await running.send(client, "/today")
    assert "Gratitude" not in texts(replies)


async def test_progress_and_the_digest_send_trend_charts(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin journal daily 21:00")
    replies = await running.send(client, "/progress")
    assert "once you've done a few pieces of homework" in texts(replies)
    for mood in ("4", "6", "7"):
        await start(running, client, "journal entry")
        await running.send(client, "A day like any other")
        await running.send(client, mood)
        await running.press(client, "Save")
        clock.advance(timedelta(days=1))
    replies = await running.send(client, "/progress")
    said = texts(replies)
    assert "In the last 4 weeks you did homework on 3 days, 3 days in a row at most" in said
    assert "your mood averaged 6 out of 10" in said
    await running.send(therapist, "/digest")
    for _ in range(3):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    [mine] = [m for m in running.api.sent_to(client.chat_id) if m.method == "sendPhoto"]
    assert mine.caption == "Your homework over the last 90 days"
    assert png_size(mine.file_data or b"")[0] >= 800
    # The scheduled digests of those days came with one too; the last is /digest's.
    chart = [m for m in running.api.sent_to(therapist.chat_id) if m.method == "sendPhoto"][-1]
    assert "Robin: trends over the last 90 days (Berlin time)" in (chart.caption or "")
    assert png_size(chart.file_data or b"")[1] >= 300


async def test_exports_are_valid_files_holding_the_entries(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await running.send(therapist, "/assign robin phq9 daily 12:00")
    await gratitude_done(running, client)
    await running.press(client, "Too hard")
    await running.send(client, "=Ça m'a pris du temps — 好")  # beyond Latin-1, like a formula
    await start(running, client, "PHQ-9 mood questionnaire")
    for _ in range(9):
        await running.press(client, "1. Several days")
    await running.press(client, "Skip")
    await running.press(client, "Save")
    replies = await running.send(therapist, "/export robin 14")
    assert "session-prep report of the last 14 days" in texts(replies)
    for _ in range(4):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    documents = {
        m.document_name: m.file_data or b""
        for m in running.api.sent_to(therapist.chat_id)
        if m.method == "sendDocument"
    }
    csv_name = next(n for n in documents if n and n.endswith(".csv"))
    pdf_name = next(n for n in documents if n and n.endswith(".pdf"))
    assert csv_name.startswith("client-") and "robin" not in csv_name.lower()
    rows = list(csv.DictReader(io.StringIO(documents[csv_name].decode("utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert any(
        r["answer"] == "A warm cup of tea" and r["homework"] == "Gratitude entry" for r in rows
    )
    phq = [r for r in rows if r["template"] == "phq9"]
    assert phq and {r["score_total"] for r in phq} == {"9"} and phq[0]["score_band"] == "Mild"
    pages = PdfReader(io.BytesIO(documents[pdf_name])).pages
    text = " ".join(page.extract_text() for page in pages)
    assert "Session preparation: Robin" in " ".join(text.split())
    assert all(not r["answer"].startswith("=") for r in rows)  # never run as a formula
    for expected in ("A warm cup of tea", "PHQ-9 9 (mild)", "too hard", "Ça m'a pris du temps"):
        assert expected in text, expected


async def test_a_weekly_digest_comes_on_its_day_and_covers_the_week(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    replies = await running.send(therapist, "/settings")
    assert "Your digest: daily at 18:00." in texts(replies)
    replies = await running.press(therapist, "Weekly instead")
    replies = await running.press(therapist, "Mon", replies[-1])
    assert "Your digest will come every Monday at 18:00, Berlin time" in texts(replies)
    await gratitude_done(running, client)  # Saturday
    since = len(running.api.sent_to(therapist.chat_id))

    def digests() -> list[str]:
        said = running.api.sent_to(therapist.chat_id)[since:]
        return [m.text or "" for m in said if (m.text or "").startswith("Your digest")]

    for day in (22, 23):  # Sunday, then Monday, at 18:30 Berlin
        clock.set(datetime(2026, 11, day, 17, 30, tzinfo=UTC))
        await running.tick()
        assert len(digests()) == day - 22
    [weekly] = digests()
    assert "Your digest (Mon 16 Nov 18:00 to Mon 23 Nov 18:00, Berlin time)" in weekly
    assert "A warm cup of tea" in weekly
    replies = await running.send(therapist, "/settings")
    assert "Your digest: every Monday at 18:00." in texts(replies)
    replies = await running.press(therapist, "Daily instead")
    assert "Your digest will come daily at 18:00" in texts(replies)


async def test_a_late_comment_is_not_swallowed_and_a_prompt_one_reaches_the_digest(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await gratitude_done(running, client)
    await running.press(client, "Helpful")
    clock.advance(timedelta(minutes=31))
    replies = await running.send(client, "hi, can I change my appointment?")
    assert "Thank you, your therapist will see it" not in texts(replies)
    assert "/note sends your therapist a message" in texts(replies)
    # Within the half hour, the comment counts, and reaches a digest sent after it.
    await gratitude_done(running, client)
    await running.press(client, "Too hard")
    await running.send(therapist, "/digest")
    clock.advance(timedelta(minutes=10))
    await running.send(client, "It took me an hour")
    clock.advance(timedelta(hours=23))
    digest = texts(await running.send(therapist, "/digest"))
    assert "too hard: “It took me an hour”" in digest


async def test_a_forgotten_reply_is_never_sent(running: RunningBot, clock: FixedClock) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await gratitude_done(running, client)
    shown = await running.send(therapist, "/client robin")
    entry = next(m for m in shown if "Reply to Robin" in m.button_texts)
    await running.press(therapist, "Reply to Robin", entry)
    await running.send(therapist, "/clients")  # another command ends the reply
    replies = await running.send(therapist, "note to self: ask about her mother")
    assert "Sent to Robin" not in texts(replies)
    await running.press(therapist, "Reply to Robin", entry)
    clock.advance(timedelta(minutes=16))
    replies = await running.send(therapist, "a late thought")
    assert "haven't sent that" in texts(replies)
    for _ in range(3):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    told = texts(running.api.sent_to(client.chat_id))
    assert "mother" not in told and "a late thought" not in told


async def test_risk_words_in_a_comment_are_kept_as_the_comment(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await gratitude_done(running, client)
    await running.press(client, "Not for me")
    replies = await running.send(client, "honestly I want to kill myself")
    assert "You can talk to someone any time" in texts(replies)
    alert = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "")
    )
    assert "in a note or comment for you" in (alert.text or "")
    await running.send(client, "ok thanks")  # not taken as the comment now
    digest = texts(await running.send(therapist, "/digest"))
    assert "not for me: “honestly I want to kill myself”" in digest
    assert "ok thanks" not in digest


async def test_an_export_that_cannot_be_built_is_given_up_and_said(
    running: RunningBot, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await gratitude_done(running, client)

    def broken(report: object) -> bytes:
        raise RuntimeError("no room to draw")

    monkeypatch.setattr("bot.exports.pdf", broken)
    await running.send(therapist, "/export robin")
    for _ in range(4):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    said = running.api.sent_to(therapist.chat_id)
    assert [m.document_name for m in said if m.method == "sendDocument"] == [
        next(m.document_name for m in said if m.method == "sendDocument")
    ]  # the CSV came; the PDF did not
    assert "couldn't make that export just now" in texts(said)
    async with running.runtime.db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage.kind, OutboxMessage.status))).all()
    assert ("export", "failed") in rows and ("export", "sending") not in rows


async def test_a_no_to_adding_a_comment_is_not_kept_as_one(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await gratitude_done(running, client)
    await running.press(client, "Helpful")
    assert "Okay, nothing added." in texts(await running.send(client, "No thanks"))
    digest = texts(await running.send(therapist, "/digest"))
    assert "helpful" in digest and "No thanks" not in digest
