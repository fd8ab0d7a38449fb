"""End to end: a therapist and a client through the real Application and the loopback Bot API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cli import therapist_code
from bot.clock import FixedClock
from tests.harness import (
    RunningBot,
    code_in,
    link_client,
    raw_database_bytes,
    register_therapist,
    texts,
)


async def test_registration_codes_refuse_reuse_and_nonsense(running: RunningBot) -> None:
    api = running.api
    therapist = api.user(1001, "Dana", username="dana_fake")
    stranger = api.user(1002, "Sam", username="sam_fake")
    code, _ = await therapist_code(running.settings, name="Dr Fake Therapist")
    await running.send(therapist, f"/start {code}")
    assert "already been used" in texts(await running.send(stranger, f"/start {code}"))
    assert "don't recognise that link" in texts(await running.send(stranger, "/start abc"))
    assert "open the invite link" in texts(await running.send(stranger, "/start"))


async def test_whole_journey(running: RunningBot, clock: FixedClock, tmp_path: Path) -> None:
    api = running.api
    therapist = api.user(2001, "Dana", last_name="Fake", username="dana_fake")
    client = api.user(2002, "Robin", last_name="Example", username="robin_example")
    await register_therapist(running, therapist)

    # Before consent nothing is stored; declining forgets the person.
    code = code_in(texts(await running.send(therapist, "/invite Robin")))
    await running.send(client, f"/start {code}")
    replies = await running.press(client, "No, thank you")
    assert "Nothing about you was kept" in texts(replies)
    await running.send(client, f"/start {code}")
    await running.press(client, "Yes, I agree")
    replies = await running.send(client, "Atlantis")
    assert "Which time zone" in texts(replies) or "city" in texts(replies)
    replies = await running.send(client, "Europe/Berlin")
    assert "Got it: Berlin time" in texts(replies)
    assert "You are all set" in texts(replies)

    # The therapist assigns in one line; the client hears of it through the outbox.
    replies = await running.send(therapist, "/assign robin gratitude daily 20:00")
    assert "Assigned gratitude entry to Robin, daily at 20:00 (Berlin time)" in texts(replies)
    await running.tick()
    assert "Dr Fake Therapist gave you new homework: gratitude entry" in texts(
        api.sent_to(client.chat_id)
    )

    # At 20:00 Berlin (19:00 UTC) a reminder comes, once.
    clock.set(datetime(2026, 11, 21, 19, 0, 30, tzinfo=UTC))
    before = len(api.sent_to(client.chat_id))
    await running.tick()
    await running.tick()
    reminders = api.sent_to(client.chat_id)[before:]
    assert len(reminders) == 1
    assert "time for your gratitude entry" in texts(reminders)

    replies = await running.press(client, "Start now", reminders[0])
    first = texts(replies)
    assert "Gratitude entry" in first and "1 of 6" in first

    # Bad input: each gets a kind answer and the same question again.
    replies = await running.sticker(client)
    assert "can't use a sticker" in texts(replies)
    assert "1 of 6" in texts(replies)
    replies = await running.photo(client)
    assert "can't use a photo" in texts(replies)
    assert "1 of 6" in texts(replies)
    # Telegram apps send a 5,000-character message as two parts: neither becomes an answer.
    replies = await running.send(client, "x" * 4096)
    assert "longer than I can keep in one answer" in texts(replies)
    assert "1 of 6" in texts(replies)
    replies = await running.send(client, "y" * 904)
    assert "rest of the long message" in texts(replies)
    assert "1 of 6" in texts(replies)
    replies = await running.send(client, "/today")
    assert "in the middle of your gratitude entry" in texts(replies)
    replies = await running.send(client, "/skip")
    assert "can't be skipped" in texts(replies)

    await running.send(client, "A long walk by the river")
    await running.send(client, "/skip")
    replies = await running.send(client, "/back")
    assert "Before, you answered" not in texts(replies)  # the skipped one had no answer
    await running.send(client, "The sun came out")

    # A restart in the middle: the next message continues where the client was.
    await running.restart()
    replies = await running.send(client, "Tea with my sister")
    assert "4 of 6" in texts(replies)
    await running.send(client, "/skip")
    await running.send(client, "My neighbour's dog greeted me")
    replies = await running.send(client, "/skip")
    review = texts(replies)
    # A last look before saving: every answer, and a chance to change one.
    assert "Here is everything you wrote. Save it, or change an answer first." in review
    assert "A long walk by the river" in review and "Tea with my sister" in review
    replies = await running.press(client, "Change an answer")
    assert "Which answer would you like to change?" in texts(replies)
    replies = await running.press(client, "3. Good thing 2")
    assert "Before, you answered: Tea with my sister" in texts(replies)
    replies = await running.send(client, "Tea and cake with my sister")
    assert "Changed." in texts(replies) and "Tea and cake with my sister" in texts(replies)
    replies = await running.press(client, "Save")
    summary = texts(replies)
    assert "Gratitude entry: done." in summary
    assert "A long walk by the river" in summary and "Tea and cake with my sister" in summary

    # The digest, on demand and at the therapist's time.
    replies = await running.send(therapist, "/digest")
    digest = texts(replies)
    # Just done, and due only minutes ago: counted, not yet judged.
    assert "Robin" in digest and "Gratitude entry (daily at 20:00): 1 done" in digest
    assert "Needs attention" not in digest
    assert "A long walk by the river — The sun came out; Tea and cake with my sister" in digest

    clock.set(datetime(2026, 11, 22, 17, 0, 30, tzinfo=UTC))
    before = len(api.sent_to(therapist.chat_id))
    await running.tick()
    await running.tick()
    scheduled = api.sent_to(therapist.chat_id)[before:]
    assert len(scheduled) == 1 and "Your digest" in texts(scheduled)
    assert "Gratitude entry (daily at 20:00): 1 of 1 done" in texts(scheduled)

    # Nothing the client wrote is readable in the raw database files.
    if running.database_url.startswith("sqlite"):
        raw = raw_database_bytes(tmp_path)
        for secret in (b"river", b"sister", b"neighbour", b"Robin", b"Dana"):
            # Ciphertext is base64, where a short word turns up by chance now and then:
            # a word stored as plain text stands between characters base64 never uses.
            plain = rb"(?<![A-Za-z0-9_=-])" + secret + rb"(?![A-Za-z0-9_=-])"
            assert re.search(plain, raw, re.IGNORECASE) is None, secret


async def test_thought_record_with_buttons_and_typing(
    running: RunningBot, clock: FixedClock
) -> None:
    api = running.api
    therapist = api.user(3001, "Dana", username="dana_fake")
    client = api.user(3002, "Alex", username="alex_sample")
    await register_therapist(running, therapist)
    await link_client(running, therapist, client, "Alex")
    await running.send(therapist, "/assign alex thought record once 2026-11-21 12:00")
    replies = await running.send(client, "/today")
    assert "Thought record" in texts(replies)
    replies = await running.press(client, "Start thought record")
    assert "1 of" in texts(replies)
    await running.send(client, "My manager frowned at me in the meeting")
    await running.send(client, "anxious")
    replies = await running.send(client, "very")
    assert "I need a number from 0 to 100" in texts(replies)
    replies = await running.press(client, "80")
    if not running.typed:  # the pressed question loses its buttons
        assert not any(m.buttons for m in api.sent_to(client.chat_id)[-len(replies) - 1 : -1])
    # Walk through the rest, answering scales with numbers and choices by typing.
    for _ in range(20):
        last = api.last_sent(client.chat_id)
        shown = last.plain_text or ""
        if "How was this one for you?" in shown:
            break
        if "Save it, or change an answer" in shown:
            replies = await running.send(client, "save")  # typed works as well as the button
        elif "Tap all that fit" in shown:
            await running.press(client, "5. Mind reading")
            replies = await running.press(client, "Done")
        elif "Tap a number" in shown:
            replies = await running.send(client, "40")
        else:
            replies = await running.send(client, "Maybe they were tired, not angry")
    summary = texts(api.sent_to(client.chat_id)[-2:-1])
    assert "done." in summary and "Mind reading" in summary
    digest = texts(await running.send(therapist, "/digest"))
    assert "My manager frowned at me in the meeting → Maybe they were tired" in digest
    assert "anxious 80 → 40" in digest
    assert clock.now() < datetime(2026, 11, 22, tzinfo=UTC) + timedelta(days=1)
