"""End to end: the library at its edges (found in review).

A photo goes to the therapist who gave the homework, not the client's next one; /assign
keeps only the settings given, and a newer version that drops one still opens; a damaged
open entry is set aside instead of trapping the client; PHQ-9 item 9 answered again after
/back raises no second alert; /preview takes "tomorrow"; own templates keep their titles
after a restart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.clock import FixedClock
from storage.models import Assignment, Entry, Flag, StoredFile
from tests.harness import RunningBot, link_client, register_therapist, texts
from tests.test_e2e_library import SLEEP_V1, linked, send_document, start


async def test_a_photo_goes_to_the_therapist_who_gave_the_homework(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin creative once 2026-11-21 12:00")
    await start(running, client, "creative activity")
    await running.press(client, "I've made it")
    update_id = client.send_photo(b"\x89PNG-a-drawing")
    await running.handled_by_bot(update_id)
    await running.send(client, "/cancel")
    other = running.api.user(9003, "Sam", username="sam_fake")
    await register_therapist(running, other)
    await link_client(running, other, client, "Robin")
    await running.send(client, "/today")
    await running.press(client, "Continue creative activity")
    await running.send(client, "calm")
    await running.press(client, "Save")
    for _ in range(3):
        await running.tick()
    assert not [m for m in running.api.sent_to(other.chat_id) if m.method == "sendPhoto"]


async def test_assign_keeps_only_given_settings_and_a_newer_version_still_opens(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    replies = await running.send(therapist, "/assign robin gratitude daily 20:00")
    assert "Tailored" not in texts(replies)
    await send_document(running, therapist, "sleep.yaml", SLEEP_V1.encode())
    replies = await running.send(therapist, "/assign robin sleep diary daily 08:00 target=7")
    assert "Tailored: target 7." in texts(replies)
    async with running.runtime.db.transaction() as session:
        stored = {
            a.template_id: a.params for a in (await session.execute(select(Assignment))).scalars()
        }
    assert stored["gratitude"] == {}
    assert next(v for k, v in stored.items() if k.startswith("sleep_diary")) == {"target": 7}
    v2 = (
        SLEEP_V1.replace("version: 1", "version: 2")
        .replace(
            "params:\n  target: {type: integer, default: 8, min: 4, max: 12, "
            "label: Hours to aim for}\n",
            "",
        )
        .replace(" (aim: {target})", "")
    )
    replies = await send_document(running, therapist, "sleep.yaml", v2.encode())
    assert "1 running assignment had settings this version no longer takes (target)" in texts(
        replies
    )
    replies = await start(running, client, "sleep diary")
    assert "How many hours did you sleep?" in texts(replies)


async def test_a_damaged_open_entry_is_set_aside_not_a_trap(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    await start(running, client, "gratitude entry")
    await running.send(client, "Sunshine")
    async with running.runtime.db.transaction() as session:
        entry = (await session.execute(select(Entry))).scalar_one()
        entry.state = {"v": 2, "at": 7, "answers": "not answers"}
    replies = await running.send(client, "/help")
    said = texts(replies)
    assert "could not be opened, so I have set it aside" in said
    assert "/today" in said  # and the command itself answered
    replies = await running.send(client, "/today")
    assert "could not be shown" in texts(replies)
    # State that is not even a mapping: /today and the digest still answer.
    async with running.runtime.db.transaction() as session:
        # Written past the model (as damage would be), straight into the column.
        await session.execute(update(Entry).values(state=["damaged"]))
    assert "could not be shown" in texts(await running.send(client, "/today"))
    async with running.runtime.db.transaction() as session:
        entry = (await session.execute(select(Entry))).scalar_one()
        entry.status, entry.completed_at = "done", entry.updated_at
    digest = texts(await running.send(therapist, "/digest"))
    assert "something went wrong" not in digest.lower()
    assert "could not be shown" in digest


async def test_phq9_item_9_again_after_back_raises_no_second_alert(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin phq9 once 2026-11-21 12:00")
    await start(running, client, "PHQ-9 mood questionnaire")
    for _ in range(8):
        await running.press(client, "0. Not at all")
    await running.press(client, "1. Several days")
    await running.send(client, "/back")
    replies = await running.press(client, "2. More than half the days")
    assert "I hear you" in texts(replies)  # the shorter words, the lines again
    async with running.runtime.db.transaction() as session:
        assert len((await session.execute(select(Flag))).scalars().all()) == 1


async def test_preview_takes_tomorrow_on_a_date_question(running: RunningBot) -> None:
    therapist, _ = await linked(running)
    await running.send(therapist, "/preview behavioural experiment")
    for typed in ("belief", "80", "laugh", "ask a question", "/skip"):
        await running.send(therapist, typed)
    replies = await running.send(therapist, "tomorrow")
    assert "Please send a day like" not in texts(replies)


OWN = """\
id: ev_chk
version: 1
title: Evening check
steps:
  - {id: mood, kind: scale, prompt: "Mood?"}
"""


async def test_own_templates_keep_their_titles_after_a_restart(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await send_document(running, therapist, "ev.yaml", OWN.encode())
    await running.send(therapist, "/assign robin evening check daily 20:00")
    await running.restart()
    clock.set(datetime(2026, 11, 21, 19, 0, 30, tzinfo=UTC))
    await running.tick()
    said = texts(running.api.sent_to(client.chat_id))
    assert "time for your evening check" in said
    assert "ev chk" not in said


async def test_breathing_stops_when_the_client_moves_on_and_never_doubles(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin mindfulness once 2026-11-21 12:00")
    await start(running, client, "mindfulness practice log")
    await running.press(client, "Yes, let's breathe")
    await running.send(client, "/back")
    await running.press(client, "Yes, let's breathe")  # on the step again: one set, not two
    for _ in range(12):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    await running.press(client, "Done")  # done early: the rest is withdrawn
    for _ in range(70):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    paced = [
        m.text
        for m in running.api.sent_to(client.chat_id)
        if (m.text or "").startswith(("Breathe", "Hold"))
    ]
    # One set (no round sent twice), and it stopped at Done, long before its five rounds.
    assert paced[:3] == ["Breathe in… 4", "Hold… 2", "Breathe out… 6"]
    assert len(paced) <= 4
    assert "That's it. Notice how you feel" not in texts(running.api.sent_to(client.chat_id))


async def test_a_photo_sent_before_the_button_is_the_answer_to_what_comes_next(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin creative once 2026-11-21 12:00")
    await start(running, client, "creative activity")
    update_id = client.send_photo(b"\x89PNG-made-before-the-tap")
    await running.handled_by_bot(update_id)
    said = texts(running.api.sent_to(client.chat_id)[-3:])
    assert "Please send a photo" not in said
    async with running.runtime.db.transaction() as session:
        entry = (await session.execute(select(Entry))).scalar_one()
        assert entry.state["at"] == "reflection"
        assert "picture" in entry.state["answers"]


MADE = """\
id: made_it
version: 1
title: Made it
steps:
  - {id: made, kind: yes_no, prompt: "Did you make something?"}
  - {id: pic, kind: photo, prompt: "Send a photo of it", when: {step: made, is: yes}}
  - {id: note, kind: text, prompt: "Anything to add?"}
"""


async def test_a_photo_on_a_branch_changed_away_from_is_deleted_not_shared(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await send_document(running, therapist, "made.yaml", MADE.encode())
    await running.send(therapist, "/assign robin made it once 2026-11-21 12:00")
    await start(running, client, "made it")
    await running.send(client, "yes")
    update_id = client.send_photo(b"\x89PNG-left-behind")
    await running.handled_by_bot(update_id)
    await running.send(client, "fine")
    await running.press(client, "Change an answer")
    await running.press(client, "1. Made")
    await running.send(client, "no")
    replies = await running.press(client, "Save")
    assert "Made it: done." in texts(replies)
    for _ in range(3):
        await running.tick()
    assert not [m for m in running.api.sent_to(therapist.chat_id) if m.method == "sendPhoto"]
    async with running.runtime.db.transaction() as session:
        assert (await session.execute(select(StoredFile))).scalars().all() == []


async def test_breathing_stops_when_the_client_switches_homework(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin mindfulness once 2026-11-21 12:00")
    await running.send(therapist, "/assign robin gratitude once 2026-11-21 11:01")
    await start(running, client, "mindfulness practice log")
    clock.set(datetime(2026, 11, 21, 10, 0, 59, tzinfo=UTC))
    await running.press(client, "Yes, let's breathe")
    clock.set(datetime(2026, 11, 21, 10, 1, 2, tzinfo=UTC))  # 11:01:02 in Berlin
    await running.tick()
    reminder = next(
        m
        for m in running.api.sent_to(client.chat_id)
        if "time for your gratitude" in (m.text or "")
    )
    await running.press(client, "Start now", reminder)
    await running.press(client, "Start gratitude entry")
    before = texts(running.api.sent_to(client.chat_id)).count("Breathe")
    for _ in range(70):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    assert texts(running.api.sent_to(client.chat_id)).count("Breathe") == before <= 2


async def test_sos_with_a_damaged_entry_gives_the_lines_first_and_changes_nothing(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    await start(running, client, "gratitude entry")
    async with running.runtime.db.transaction() as session:
        entry = (await session.execute(select(Entry))).scalar_one()
        entry.state = {"v": 2, "at": 7, "answers": "not answers"}
    replies = await running.send(client, "/sos")
    assert "set it aside" not in texts(replies)
    async with running.runtime.db.transaction() as session:
        assert (await session.execute(select(Entry))).scalar_one().status == "active"
    replies = await running.send(client, "/cancel")
    said = texts(replies)
    assert "set it aside" in said and "nothing to cancel" not in said


TWO_ALERTS = """\
id: two_alerts
version: 1
title: Two alerts
steps:
  - id: one
    kind: choice
    prompt: First
    options: [{value: a, label: Fine, points: 0}, {value: b, label: Not fine, points: 1}]
  - id: two
    kind: choice
    prompt: Second
    options: [{value: a, label: Fine, points: 0}, {value: b, label: Not fine, points: 1}]
score:
  name: Pair
  items: [one, two]
  bands: [{max: 2, label: Any}]
  alerts:
    - {step: one, at_least: 1, reason: Item one}
    - {step: two, at_least: 1, reason: Item two}
review: false
"""


async def test_two_different_item_alerts_raise_two_flags(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await send_document(running, therapist, "two.yaml", TWO_ALERTS.encode())
    await running.send(therapist, "/assign robin two alerts once 2026-11-21 12:00")
    await start(running, client, "two alerts")
    await running.press(client, "1. Not fine")
    await running.press(client, "1. Not fine")
    async with running.runtime.db.transaction() as session:
        assert len((await session.execute(select(Flag))).scalars().all()) == 2


async def test_a_photo_that_cannot_be_fetched_is_asked_for_again(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin creative once 2026-11-21 12:00")
    await start(running, client, "creative activity")
    await running.press(client, "I've made it")
    running.api.fail_file_downloads()
    replies = await running.photo(client)
    assert "couldn't fetch that photo" in texts(replies)
    replies = await running.photo(client)
    assert "couldn't fetch" not in texts(replies)
    async with running.runtime.db.transaction() as session:
        assert len((await session.execute(select(StoredFile))).scalars().all()) == 1


async def test_fetching_a_photo_holds_no_database_lock(running: RunningBot) -> None:
    """A slow download never keeps another person's update waiting on the database."""
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin creative once 2026-11-21 12:00")
    await start(running, client, "creative activity")
    await running.press(client, "I've made it")
    held = running.api.hold_file_downloads()
    update_id = client.send_photo(b"\x89PNG-slow")
    await running.api.wait_for_call("getFile")
    replies = await running.send(therapist, "/clients")  # answered while the photo waits
    assert "Robin" in texts(replies)
    held.set()
    await running.handled_by_bot(update_id)
    async with running.runtime.db.transaction() as session:
        assert len((await session.execute(select(StoredFile))).scalars().all()) == 1


async def test_a_follow_up_held_back_by_a_pause_comes_after_resume(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin behavioural experiment once 2026-11-21 12:00")
    await start(running, client, "behavioural experiment")
    for answer in ("A prediction", "80", "Someone will laugh", "Ask one question", "/skip"):
        await running.send(client, answer)
    assert "Tue 24 Nov at 12:00" in texts(await running.send(client, "monday"))
    await running.send(client, "/settings")
    await running.press(client, "Set quiet hours")
    await running.send(client, "11:00-13:00")  # the follow-up waits for 13:00 Berlin
    clock.set(datetime(2026, 11, 24, 11, 1, tzinfo=UTC))
    for _ in range(3):
        await running.tick()
    await running.send(client, "/pause")
    clock.set(datetime(2026, 11, 24, 12, 1, tzinfo=UTC))
    for _ in range(3):
        await running.tick()

    def follow_ups() -> list[str]:
        said = running.api.sent_to(client.chat_id)
        return [m.text or "" for m in said if "time for the next part" in (m.text or "")]

    assert follow_ups() == []  # held back: reminders are paused
    await running.send(client, "/resume")
    for _ in range(3):
        await running.tick()
    assert len(follow_ups()) == 1
