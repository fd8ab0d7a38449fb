"""Every button answer can be typed: its number, its words, or close to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FixedClock
from bot.i18n import tr
from tests.harness import RunningBot, link_client, register_therapist, texts, therapist_and_client


async def test_the_assign_wizard_works_typed_with_a_typo(running: RunningBot) -> None:
    therapist, _client = await therapist_and_client(running)
    assert "Who is the homework for?" in texts(await running.send(therapist, "/assign"))
    replies = await running.send(therapist, "robin")
    assert "Which homework for Robin?" in texts(replies)
    replies = await running.send(therapist, "thought recrod")
    assert "When should thought record be due for Robin?" in texts(replies)
    replies = await running.send(therapist, "daily 07:30")
    assert "Assigned thought record to Robin, daily at 07:30 (Berlin time)" in texts(replies)


async def test_a_name_close_to_two_choices_is_asked_back(running: RunningBot) -> None:
    therapist = running.api.user(6101, "Dana", username="dana_fake")
    first = running.api.user(6102, "Robin", last_name="One", username="robin_one")
    second = running.api.user(6103, "Robin", last_name="Two", username="robin_two")
    await register_therapist(running, therapist)
    await link_client(running, therapist, first, "Robin One")
    await link_client(running, therapist, second, "Robin Two")
    await running.send(therapist, "/assign")
    asked = texts(await running.send(therapist, "robin"))
    assert "Did you mean one of these?" in asked and "1. Robin One" in asked
    replies = await running.send(therapist, "2")
    assert "Which homework for Robin Two?" in texts(replies)
    # Typed words that are no choice at all get the usual kind answer, and nothing happens.
    replies = await running.send(therapist, "what a lovely day")
    assert "I'm not sure what to do with that message" in texts(replies)


async def test_a_reminder_and_settings_can_be_answered_in_words(
    running: RunningBot, clock: FixedClock
) -> None:
    _therapist, client = await therapist_and_client(running, assign="gratitude daily 20:00")
    clock.set(datetime(2026, 11, 21, 19, 0, 30, tzinfo=UTC))
    await running.tick()
    assert "time for your gratitude entry" in texts(running.api.sent_to(client.chat_id)[-1:])
    replies = await running.send(client, "Start now")
    assert "Gratitude entry · 1 of 6" in texts(replies)
    await running.send(client, "/cancel")
    # The settings' buttons, by their words and then by number.
    assert "Language: English." in texts(await running.send(client, "/settings"))
    assert "Which language would you like me to use?" in texts(
        await running.send(client, "language")
    )
    replies = await running.send(client, "2")
    said = tr("es", "Done: I'll speak {language} from now on.", language="español")
    assert said != "Done: I'll speak español from now on." and said in texts(replies)


async def test_a_late_typed_yes_never_confirms_a_deletion(
    running: RunningBot, clock: FixedClock
) -> None:
    _therapist, client = await therapist_and_client(running)
    assert "This deletes everything" in texts(await running.send(client, "/delete"))
    clock.advance(timedelta(minutes=11))
    replies = await running.send(client, "yes")
    assert "Deleting everything now" not in texts(replies)
    assert "I'm not sure what to do with that message" in texts(replies)
    # Asked again and answered at once in words, it is the answer.
    await running.send(client, "/delete")
    assert "Deleting everything now" in texts(await running.send(client, "yes"))


async def test_a_homeworks_name_typed_starts_it_whenever_nothing_else_waits(
    running: RunningBot,
) -> None:
    therapist, client = await therapist_and_client(running, assign="gratitude daily 20:00")
    await running.send(therapist, "/assign robin journal daily 21:00")
    # Nothing is on offer (no /today, no reminder yet): its name alone starts it.
    await running.send(client, "/help")
    replies = await running.send(client, "start gratitude entry")
    assert "Gratitude entry · 1 of 6" in texts(replies)
    await running.send(client, "/cancel")
    await running.send(client, "/help")
    # A number is nobody's name; words naming none of them are explained as before.
    assert "I'm not sure what to do" in texts(await running.send(client, "1"))
    assert "I'm not sure what to do" in texts(await running.send(client, "a bad day"))
