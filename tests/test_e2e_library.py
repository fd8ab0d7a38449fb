"""End to end: the library's homework through the real Application and the loopback Bot API.

PHQ-9 item 9 alerts; a creative activity's photo reaches the therapist; a therapist's own
template is checked, previewed, tailored, assigned and completed; editing it leaves open
entries on their version; a behavioural experiment comes back on its follow-up day; paced
breathing arrives as timed messages; /today and the digest survive a broken entry.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import FixedClock
from storage.models import Entry, Flag
from tests.fake_bot_api import FakeUser, SentMessage
from tests.harness import (
    RunningBot,
    link_client,
    raw_database_bytes,
    register_therapist,
    texts,
)


async def linked(running: RunningBot) -> tuple[FakeUser, FakeUser]:
    therapist = running.api.user(9001, "Dana", username="dana_fake")
    client = running.api.user(9002, "Robin", last_name="Example", username="robin_example")
    await register_therapist(running, therapist)
    await link_client(running, therapist, client, "Robin")
    return therapist, client


async def start(running: RunningBot, client: FakeUser, title: str) -> list[SentMessage]:
    replies = await running.send(client, "/today")
    return await running.press(client, f"Start {title}", replies[-1])


async def test_phq9_item_9_alerts_at_once_and_the_score_reaches_the_digest(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin phq9 once 2026-11-21 12:00")
    replies = await start(running, client, "PHQ-9 mood questionnaire")
    assert "Little interest or pleasure in doing things" in texts(replies)
    for _ in range(8):
        replies = await running.press(client, "0. Not at all")
    assert "better off dead or of hurting yourself" in texts(replies)
    replies = await running.press(client, "1. Several days")
    said = texts(replies)
    assert "You can talk to someone any time" in said  # the crisis lines, at once
    assert "If you checked off any problems" in said  # and the questionnaire goes on
    alert = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "")
    )
    assert "PHQ-9 item 9: Thoughts of death or self-harm: Several days" in (alert.text or "")
    await running.press(client, "Skip")
    replies = await running.press(client, "Save")
    assert "PHQ-9 mood questionnaire: done." in texts(replies)
    digest = texts(await running.send(therapist, "/digest"))
    assert "[PHQ-9 1 (minimal)]" in digest
    assert digest.index("Needs attention first") < digest.index("PHQ-9 1")


async def test_a_creative_activity_photo_is_kept_encrypted_and_reaches_the_therapist(
    running: RunningBot, tmp_path: Path
) -> None:
    therapist, client = await linked(running)
    await running.send(
        therapist, '/assign robin creative once 2026-11-21 12:00 prompt="Draw your week"'
    )
    replies = await start(running, client, "creative activity")
    assert "Draw your week" in texts(replies)
    await running.press(client, "I've made it")
    replies = await running.send(client, "I drew a sun")
    assert "Please send a photo here" in texts(replies)
    picture = b"\x89PNG\r\n\x1a\n-a-drawing-of-a-sun-"
    update_id = client.send_photo(picture)
    await running.handled_by_bot(update_id)
    replies = await running.send(client, "It looks calmer than I felt")
    replies = await running.press(client, "Save")
    assert "Creative activity: done." in texts(replies)
    await running.tick()
    [photo] = [m for m in running.api.sent_to(therapist.chat_id) if m.method == "sendPhoto"]
    assert photo.file_data == picture
    assert "Robin's creative activity" in (photo.caption or "")
    assert running.db is not None
    async with running.db.transaction() as session:
        raw = (await session.execute(select(Entry))).scalar_one()
        assert raw.status == "done"
    if running.database_url.startswith("sqlite"):
        assert b"a-drawing-of-a-sun" not in raw_database_bytes(tmp_path)


SLEEP_V1 = """\
id: sleep_diary
version: 1
title: Sleep diary
params:
  target: {type: integer, default: 8, min: 4, max: 12, label: Hours to aim for}
steps:
  - {id: hours, kind: number, prompt: "How many hours did you sleep? (aim: {target})", max: 24}
  - {id: rested, kind: yes_no, prompt: "Did you wake up rested?"}
review: false
"""

SLEEP_V2 = SLEEP_V1.replace("version: 1", "version: 2").replace(
    '  - {id: rested, kind: yes_no, prompt: "Did you wake up rested?"}',
    '  - {id: bedtime, kind: time, prompt: "When did you go to bed?"}\n'
    '  - {id: rested, kind: yes_no, prompt: "Did you wake up rested?"}',
)


async def send_document(
    running: RunningBot, user: FakeUser, name: str, data: bytes
) -> list[SentMessage]:
    return await running.exchange(user, lambda: user.send_document(name, data))


async def test_a_therapists_own_template_from_document_to_a_finished_entry(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    broken = SLEEP_V1.replace("max: 24}", "max: 24, colour: blue}")
    replies = await send_document(running, therapist, "sleep.yaml", broken.encode())
    said = texts(replies)
    assert "sleep.yaml has 1 problem(s), so it wasn't added" in said
    assert "line 7, steps[0].colour: unknown field; a number step may have" in said

    replies = await send_document(running, therapist, "sleep.yaml", SLEEP_V1.encode())
    assert "Added “Sleep diary” (version 1, 2 questions)" in texts(replies)
    assert "Sleep diary (version 1)" in texts(await running.send(therapist, "/templates"))

    # A preview walks it as a client would, and stores nothing.
    replies = await running.send(therapist, "/preview sleep diary")
    assert "How many hours did you sleep? (aim: 8)" in texts(replies)
    replies = await running.send(therapist, "seven")
    assert "I need a number here" in texts(replies)
    await running.send(therapist, "7.5")
    replies = await running.press(therapist, "Yes")
    assert "That was the whole preview. Nothing was saved." in texts(replies)

    # Tailored for this client: aim for 7 hours.
    replies = await running.send(therapist, "/assign robin sleep diary daily 08:00 target=7")
    assert "Assigned sleep diary to Robin" in texts(replies) and "target 7" in texts(replies)
    replies = await running.send(therapist, "/assign robin sleep diary daily 09:00 target=two")
    assert "Hours to aim for must be a whole number" in texts(replies)
    replies = await start(running, client, "sleep diary")
    assert "(aim: 7)" in texts(replies)
    await running.send(client, "7")
    replies = await running.send(client, "no")
    assert "Sleep diary: done." in texts(replies)
    assert running.db is not None
    async with running.db.transaction() as session:
        entry = (await session.execute(select(Entry))).scalar_one()
    assert (entry.template_version, entry.status) == (1, "done")


async def test_a_template_changed_mid_conversation_leaves_the_entry_on_its_version(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await send_document(running, therapist, "sleep.yaml", SLEEP_V1.encode())
    await running.send(therapist, "/assign robin sleep diary daily 08:00")
    await start(running, client, "sleep diary")
    await running.send(client, "6")
    # Meanwhile the therapist adds a question in version 2.
    replies = await send_document(running, therapist, "sleep.yaml", SLEEP_V1.encode())
    assert "You already have “Sleep diary” version 1." in texts(replies)
    changed = SLEEP_V1.replace("Did you wake", "Did you wake up feeling")
    replies = await send_document(running, therapist, "sleep.yaml", changed.encode())
    assert "raise `version:` to 2" in texts(replies)
    replies = await send_document(running, therapist, "sleep.yaml", SLEEP_V2.encode())
    assert "version 2, 3 questions" in texts(replies)
    await running.restart()  # nothing is kept in memory
    replies = await running.send(client, "/back")
    assert "Before, you answered: 6" in texts(replies) and "2 of 2" not in texts(replies)
    await running.send(client, "6")
    replies = await running.send(client, "yes")  # version 1's second question, not bedtime
    assert "Sleep diary: done." in texts(replies)
    # The next one starts on version 2.
    clock.advance(timedelta(days=1))
    replies = await start(running, client, "sleep diary")
    await running.send(client, "7")
    replies = await running.send(client, "23:30")
    assert "Did you wake up rested?" in texts(replies)


async def test_a_behavioural_experiment_comes_back_on_its_follow_up_day(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin behavioural experiment once 2026-11-21 12:00")
    await start(running, client, "behavioural experiment")
    for answer in (
        "If I ask a question in class, people will think I'm stupid",
        "80",
        "Someone will laugh",
        "Ask one question in Monday's seminar",
        "/skip",
    ):
        await running.send(client, answer)
    replies = await running.send(client, "monday")
    said = texts(replies)
    assert "I'll check in the day after" in said
    assert "I'll remind you Tue 24 Nov at 12:00 for the next part" in said
    assert "1 of" not in texts(await running.send(client, "hello"))  # no question waits
    clock.set(datetime(2026, 11, 24, 11, 1, tzinfo=UTC))
    for _ in range(3):  # one message a chat a tick: the earlier notice goes first
        await running.tick()
    reminder = next(
        m
        for m in running.api.sent_to(client.chat_id)
        if "time for the next part of your behavioural experiment" in (m.text or "")
    )
    replies = await running.press(client, "Continue", reminder)
    assert "What actually happened?" in texts(replies)
    assert "Ask one question in Monday's seminar" in texts(replies)
    await running.send(client, "Nobody laughed; the tutor thanked me")
    await running.send(client, "One question is fine")
    replies = await running.press(client, "30")
    assert "Save it" in texts(replies)
    assert "Behavioural experiment: done." in texts(await running.press(client, "Save"))


async def test_paced_breathing_arrives_as_timed_messages(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin mindfulness once 2026-11-21 12:00")
    await start(running, client, "mindfulness practice log")
    replies = await running.press(client, "Yes, let's breathe")
    assert "Let's breathe together: in for 4, hold for 2, out for 6, 5 times." in texts(replies)
    await running.tick()
    assert "Breathe in" not in texts(running.api.sent_to(client.chat_id))  # not yet due
    for _ in range(70):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    paced = [
        m.text
        for m in running.api.sent_to(client.chat_id)
        if (m.text or "").startswith(("Breathe", "Hold"))
    ]
    assert paced == ["Breathe in… 4", "Hold… 2", "Breathe out… 6"] * 5
    assert "That's it. Notice how you feel" in texts(running.api.sent_to(client.chat_id))


async def test_one_conversation_at_a_time_with_a_clear_choice(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin thought record daily 20:00")
    await running.send(therapist, "/assign robin gratitude daily 21:00")
    await start(running, client, "thought record")
    await running.send(client, "At work")
    clock.set(datetime(2026, 11, 21, 20, 0, 30, tzinfo=UTC))  # 21:00 Berlin
    for _ in range(4):
        await running.tick()
    reminder = next(
        m
        for m in running.api.sent_to(client.chat_id)
        if "gratitude entry" in (m.text or "") and m.buttons
    )
    replies = await running.press(client, "Start now", reminder)
    said = texts(replies)
    assert "You are in the middle of your thought record" in said
    replies = await running.press(client, "Start gratitude entry")
    said = texts(replies)
    assert "I paused your thought record; it is kept." in said and "Good thing 1" in said
    replies = await running.send(client, "/cancel")
    replies = await running.send(client, "/today")
    assert "Thought record: paused at question 2" in texts(replies)
    assert "Gratitude entry: paused at question 1" in texts(replies)
    # The next thought-record reminder offers the unfinished one rather than a new one.
    clock.set(datetime(2026, 11, 22, 19, 0, 30, tzinfo=UTC))
    for _ in range(3):
        await running.tick()
    assert "you have an unfinished thought record from Saturday" in texts(
        running.api.sent_to(client.chat_id)
    )


async def test_today_and_the_digest_survive_a_broken_entry(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    await start(running, client, "gratitude entry")
    await running.send(client, "Sunshine")
    await running.send(client, "/cancel")
    assert running.db is not None
    async with running.db.transaction() as session:
        entry = (await session.execute(select(Entry))).scalar_one()
        entry.state = {"v": 2, "at": 7, "answers": "not answers"}  # damaged beyond reading
    replies = await running.send(client, "/today")
    said = texts(replies)
    assert "Unfinished entries that could not be shown: 1." in said
    assert "Gratitude entry (daily at 20:00)" in said  # everything else still shows
    async with running.db.transaction() as session:
        entry = (await session.execute(select(Entry))).scalar_one()
        entry.status, entry.completed_at = "done", entry.updated_at
    digest = texts(await running.send(therapist, "/digest"))
    assert "Entries that could not be shown: 1." in digest and "Robin" in digest
    async with running.db.transaction() as session:
        assert (await session.execute(select(Flag))).first() is None


async def test_no_cell_of_an_export_runs_as_a_formula(
    running: RunningBot, clock: FixedClock
) -> None:
    """A therapist's question and a client's answer that a spreadsheet would run."""
    therapist, client = await linked(running)
    sneaky = SLEEP_V1.replace(
        "max: 24}", 'max: 24, label: "=HYPERLINK(\\"https://example.org\\",\\"Hours\\")"}'
    ).replace('"Did you wake up rested?"}', '"Did you wake up rested?", label: "@SUM(1+1)"}')
    replies = await send_document(running, therapist, "sleep.yaml", sneaky.encode())
    assert "Added “Sleep diary”" in texts(replies)
    await running.send(therapist, "/assign robin sleep diary daily 08:00")
    await start(running, client, "sleep diary")
    await running.send(client, "7")
    await running.send(client, "no")
    await running.send(therapist, "/export robin 14")
    for _ in range(4):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    [document] = [
        m.file_data or b""
        for m in running.api.sent_to(therapist.chat_id)
        if m.method == "sendDocument" and (m.document_name or "").endswith(".csv")
    ]
    cells = [cell for row in csv.reader(io.StringIO(document.decode())) for cell in row]
    assert '\'=HYPERLINK("https://example.org","Hours")' in cells
    assert "'@SUM(1+1)" in cells
    assert not [c for c in cells if c.lstrip(" ")[:1] in ("=", "+", "-", "@", "\t", "\r")]


async def test_a_template_nested_too_deep_is_refused_by_line_not_with_sorry(
    running: RunningBot,
) -> None:
    therapist, _ = await linked(running)
    deep = SLEEP_V1 + "notes: " + "[" * 3000 + "]" * 3000 + "\n"
    replies = await send_document(running, therapist, "deep.yaml", deep.encode())
    said = texts(replies)
    assert "deep.yaml has 1 problem(s), so it wasn't added" in said
    assert "is nested more than 24 levels deep" in said and "Sorry" not in said


async def test_a_queued_photo_never_reaches_another_practice(
    running: RunningBot, clock: FixedClock
) -> None:
    """A photo waiting for a retry to its therapist when its client erases everything: it
    is withdrawn, and a later client's photo (of another practice) never takes its place."""
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin creative once 2026-11-21 12:00")
    other_therapist = running.api.user(9101, "Sam", username="sam_fake")
    other_client = running.api.user(9102, "Kim", last_name="Example", username="kim_example")
    await register_therapist(running, other_therapist)
    await link_client(running, other_therapist, other_client, "Kim")
    await running.send(other_therapist, "/assign kim creative once 2026-11-21 12:00")

    async def draw(who: FakeUser, picture: bytes) -> None:
        await start(running, who, "creative activity")
        await running.press(who, "I've made it")
        await running.handled_by_bot(who.send_photo(picture))
        await running.send(who, "It looks calmer than I felt")
        replies = await running.press(who, "Save")
        assert "Creative activity: done." in texts(replies)

    running.api.fail_once(therapist.chat_id)  # the first photo waits for a retry
    await draw(client, b"\x89PNG\r\n\x1a\n-robins-picture-")
    await running.tick()
    assert not [m for m in running.api.sent_to(therapist.chat_id) if m.method == "sendPhoto"]
    replies = await running.send(client, "/delete")
    await running.press(client, "Yes, delete everything", replies[-1])
    await running.tick()  # erased
    await draw(other_client, b"\x89PNG\r\n\x1a\n-kims-picture-")
    for _ in range(5):
        clock.advance(timedelta(minutes=1))
        await running.tick()
    assert not [m for m in running.api.sent_to(therapist.chat_id) if m.method == "sendPhoto"]
    [kims] = [m for m in running.api.sent_to(other_therapist.chat_id) if m.method == "sendPhoto"]
    assert kims.file_data == b"\x89PNG\r\n\x1a\n-kims-picture-"
