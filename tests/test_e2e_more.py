"""End to end: the /assign wizard, ambiguous names, privacy checks, and delivery failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.cli import therapist_code
from bot.clock import FixedClock
from storage import outbox
from storage.models import OutboxMessage
from tests.fake_bot_api import FakeUser
from tests.harness import RunningBot, link_client, register_therapist, texts, therapist_and_client


async def therapist_with_client(running: RunningBot) -> tuple[FakeUser, FakeUser]:
    return await therapist_and_client(running)


async def test_assign_wizard_with_buttons_and_typed_schedule(running: RunningBot) -> None:
    therapist, client = await therapist_with_client(running)
    replies = await running.send(therapist, "/assign")
    assert "Who is the homework for?" in texts(replies)
    replies = await running.press(therapist, "Robin")
    assert "Which homework for Robin?" in texts(replies)
    replies = await running.press(therapist, "Thought record")
    assert "When should thought record be due for Robin?" in texts(replies)
    replies = await running.send(therapist, "daily 25:00")
    assert "HH:MM" in texts(replies)
    replies = await running.send(therapist, "daily 07:30")
    assert "Assigned thought record to Robin, daily at 07:30 (Berlin time)" in texts(replies)
    await running.tick()
    assert "gave you new homework: thought record" in texts(running.api.sent_to(client.chat_id))


async def test_assign_preset_button_and_unknown_names(running: RunningBot) -> None:
    therapist, _ = await therapist_with_client(running)
    await running.send(therapist, "/assign")
    await running.press(therapist, "Robin")
    await running.press(therapist, "Gratitude entry")
    replies = await running.press(therapist, "Daily 09:00")
    assert "Assigned gratitude entry to Robin, daily at 09:00" in texts(replies)
    replies = await running.send(therapist, "/assign robin thought record every 3 days 20:00")
    assert "every 3 days at 20:00, starting Sat 21 Nov 2026 (Berlin time)" in texts(replies)
    replies = await running.send(therapist, "/assign robin thought record mon,wed,fri 07:00")
    assert "on Mon, Wed and Fri at 07:00 (Berlin time). First reminder: Mon 23 Nov" in texts(
        replies
    )
    replies = await running.send(therapist, "/assign nobody gratitude daily 20:00")
    assert "couldn't find a client called “nobody”" in texts(replies)
    replies = await running.send(therapist, "/assign robin juggling daily 20:00")
    assert "couldn't tell which homework you mean" in texts(replies)
    replies = await running.send(therapist, "/assign robin gratitude")
    assert "When should gratitude entry be due?" in texts(replies)
    replies = await running.send(therapist, "/assign robin gratitude once 2020-01-01 10:00")
    assert "already passed" in texts(replies)


async def test_ambiguous_client_is_asked_back(running: RunningBot) -> None:
    therapist = running.api.user(6001, "Dana", username="dana_fake")
    first = running.api.user(6002, "Robin", last_name="One", username="robin_one")
    second = running.api.user(6003, "Robin", last_name="Two", username="robin_two")
    await register_therapist(running, therapist)
    await link_client(running, therapist, first, "Robin")
    await link_client(running, therapist, second, "Robin")
    replies = await running.send(therapist, "/assign ROBIN gratitude daily 20:00")
    assert "More than one client matches “ROBIN”. Which one?" in texts(replies)
    replies = await running.press(therapist, "Robin @robin_two")
    assert "Assigned gratitude entry to Robin" in texts(replies)
    await running.tick()
    assert "new homework" in texts(running.api.sent_to(second.chat_id))
    assert "new homework" not in texts(running.api.sent_to(first.chat_id))
    # A username works as a name too.
    replies = await running.send(therapist, "/assign @robin_one thought record daily 08:00")
    assert "Assigned thought record to Robin" in texts(replies)


async def test_buttons_only_work_for_their_owner(running: RunningBot) -> None:
    therapist, client = await therapist_with_client(running)
    intruder = running.api.user(5099, "Mallory", username="mallory_fake")

    def last_toast() -> object:
        return running.api.calls_of("answerCallbackQuery")[-1].params.get("text")

    # Forged answer data with no homework open is refused kindly.
    await running.press_data(client, "q:00000000:3:1")
    assert last_toast() == "That question is closed. /today shows what is due."
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    replies = await running.send(client, "/today")
    start_button = replies[-1]
    data = start_button.buttons[0][0][1]
    # Someone else replaying the client's button data gets nowhere.
    await running.press_data(intruder, data, start_button)
    assert last_toast() == "That button is no longer active."
    assert "Gratitude entry" not in texts(running.api.sent_to(intruder.chat_id))
    # A therapist pressing the client's token is told it is not theirs.
    await running.press_data(therapist, data, start_button)
    assert last_toast() == "That button is not for you."
    assert "Gratitude entry ·" not in texts(running.api.sent_to(therapist.chat_id))
    # Made-up tokens are refused.
    await running.press_data(client, "t:forged-token-000", start_button)
    assert last_toast() == "That button has expired."
    # The owner's press works.
    replies = await running.press(client, data, start_button)
    assert "1 of 6" in texts(replies)


async def test_people_only_reach_their_own_commands(running: RunningBot) -> None:
    therapist, client = await therapist_with_client(running)
    stranger = running.api.user(5100, "Sam", username="sam_fake")
    for command in ("/assign robin gratitude daily 20:00", "/invite", "/digest", "/clients"):
        assert "That command is for therapists." in texts(await running.send(client, command))
    assert "/today is for clients." in texts(await running.send(therapist, "/today"))
    assert "open the invite link" in texts(await running.send(stranger, "/today"))
    assert "open the invite link" in texts(await running.send(stranger, "hello"))
    assert "I don't know /frobnicate" in texts(await running.send(client, "/frobnicate"))
    assert "only read typed messages, not a photo" in texts(await running.photo(client))


async def test_groups_are_refused_politely(running: RunningBot) -> None:
    update_id = running.api.group_message(5200, "Sam", -100123, "/start")
    await running.handled_by_bot(update_id)
    [reply] = running.api.sent_to(-100123)
    assert "only work in private chats" in (reply.plain_text or "")


async def test_invite_codes_cannot_be_reused(running: RunningBot) -> None:
    therapist, client = await therapist_with_client(running)
    other = running.api.user(5300, "Alex", username="alex_sample")
    replies = await running.send(therapist, "/invite Alex")
    code = texts(replies).split("start=")[1].split()[0]
    await running.send(other, f"/start {code}")
    await running.press(other, "Yes, I agree")
    reused = running.api.user(5301, "Jo", username="jo_sample")
    assert "already been used" in texts(await running.send(reused, f"/start {code}"))
    # A therapist opening a client invite does not use it up.
    fresh = texts(await running.send(therapist, "/invite Kim")).split("start=")[1].split()[0]
    assert "registered as a therapist" in texts(await running.send(therapist, f"/start {fresh}"))
    assert "You are already linked" not in texts(await running.send(client, "/start"))


async def test_blocked_client_marks_and_tells_therapist(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await therapist_with_client(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    running.api.block(client.chat_id)
    await running.tick()  # the "new homework" notice bounces with 403
    await running.tick()  # the therapist's notice goes out
    told = texts(running.api.sent_to(therapist.chat_id))
    assert "Robin seems to have blocked me" in told
    assert running.runtime.db is not None
    async with running.runtime.db.transaction() as session:
        statuses = {
            m.kind: m.status
            for m in (await session.execute(select(OutboxMessage))).scalars()
            if m.kind != "reply"  # the replies to what each of them wrote
        }
    assert statuses == {"assigned": "blocked", "blocked": "sent"}


async def test_rate_limit_is_retried_after_the_wait(running: RunningBot, clock: FixedClock) -> None:
    therapist, client = await therapist_with_client(running)
    running.api.rate_limit_once(client.chat_id, retry_after=30)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    await running.tick()
    assert "new homework" not in texts(running.api.sent_to(client.chat_id))
    # Telegram's wait is the bot's, not one chat's: nothing else goes out meanwhile.
    async with running.runtime.db.transaction() as session:
        await outbox.notify_chat(
            session,
            chat_id=therapist.chat_id,
            user_id=None,
            kind="feedback",
            key="during-the-wait",
            text="A notice queued during the wait",
            now=clock.now(),
        )
    clock.advance(timedelta(seconds=10))
    await running.tick()
    assert "new homework" not in texts(running.api.sent_to(client.chat_id))
    assert "A notice queued during the wait" not in texts(running.api.sent_to(therapist.chat_id))
    clock.advance(timedelta(seconds=25))
    await running.tick()
    assert texts(running.api.sent_to(client.chat_id)).count("new homework") == 1
    assert "A notice queued during the wait" in texts(running.api.sent_to(therapist.chat_id))


async def test_downtime_sends_one_late_reminder_not_many(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await therapist_with_client(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    await running.tick()
    # The bot was down for three days; on its return one reminder goes out, not three.
    clock.set(datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    await running.restart()
    for _ in range(3):
        await running.tick()
    reminders = [
        m for m in running.api.sent_to(client.chat_id) if "time for your" in (m.text or "")
    ]
    assert len(reminders) == 1
    # The next one comes at the next 20:00 Berlin, not before.
    clock.set(datetime(2026, 11, 25, 18, 59, tzinfo=UTC))
    await running.tick()
    clock.set(datetime(2026, 11, 25, 19, 0, tzinfo=UTC))
    await running.tick()
    reminders = [
        m for m in running.api.sent_to(client.chat_id) if "time for your" in (m.text or "")
    ]
    assert len(reminders) == 2


async def test_cancel_pauses_and_today_resumes(running: RunningBot) -> None:
    therapist, client = await therapist_with_client(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    await running.send(client, "/today")
    await running.press(client, "Start gratitude entry")
    await running.send(client, "A kind message from a friend")
    replies = await running.send(client, "/cancel")
    assert "Paused your gratitude entry. Your answers so far are saved" in texts(replies)
    replies = await running.send(client, "/today")
    assert "paused at question 2 of 6" in texts(replies)
    # One way back in: its Continue, not a Start beside it.
    assert replies[-1].button_texts == ["Continue gratitude entry"]
    replies = await running.press(client, "Continue gratitude entry")
    assert "Welcome back" in texts(replies) and "2 of 6" in texts(replies)
    replies = await running.send(client, "/back")
    assert "A kind message from a friend" in texts(replies)


async def test_homework_answers_win_over_an_unanswered_time_zone_question(
    running: RunningBot,
) -> None:
    api = running.api
    therapist = api.user(8001, "Dana", username="dana_fake")
    client = api.user(8002, "Robin", username="robin_example")
    await register_therapist(running, therapist)
    code = texts(await running.send(therapist, "/invite Robin")).split("start=")[1].split()[0]
    await running.send(client, f"/start {code}")
    await running.press(client, "Yes, I agree")  # and never answers the time-zone question
    replies = await running.send(therapist, "/assign robin gratitude daily 20:00")
    assert "Robin hasn't chosen a time zone yet" in texts(replies)
    await running.send(client, "/today")
    await running.press(client, "Start gratitude entry")
    replies = await running.send(client, "A long walk by the river")
    assert "2 of 6" in texts(replies)
    for answer in ("/skip", "Lunch with a friend", "/skip", "A good book"):
        replies = await running.send(client, answer)
    replies = await running.send(client, "/skip")
    assert "Save it, or change an answer first" in texts(replies)
    replies = await running.press(client, "Save")
    assert "Gratitude entry: done." in texts(replies)
    assert "Which time zone are you in?" in texts(replies)


async def test_consent_goes_to_the_invite_it_was_shown_for(running: RunningBot) -> None:
    api = running.api
    first = api.user(8101, "Dana", username="dana_fake")
    second = api.user(8102, "Lee", username="lee_fake")
    client = api.user(8103, "Robin", username="robin_example")
    await register_therapist(running, first)
    code, _ = await therapist_code(running.settings, name="Dr Second Therapist")
    await running.send(second, f"/start {code}")
    first_code = texts(await running.send(first, "/invite Robin")).split("start=")[1].split()[0]
    second_code = texts(await running.send(second, "/invite Robin")).split("start=")[1].split()[0]
    [first_invite] = await running.send(client, f"/start {first_code}")
    await running.send(client, f"/start {second_code}")
    # The first invite was let go when the second was opened.
    replies = await running.press(client, "Yes, I agree", first_invite)
    assert "no longer waiting" in texts(replies)
    replies = await running.press(client, "Yes, I agree")
    assert "You are now linked with Dr Second Therapist." in texts(replies)


async def test_a_therapist_cannot_become_a_client(running: RunningBot) -> None:
    api = running.api
    first = api.user(8201, "Dana", username="dana_fake")
    other = api.user(8202, "Lee", username="lee_fake")
    await register_therapist(running, first)
    invite = texts(await running.send(first, "/invite Lee")).split("start=")[1].split()[0]
    [consent] = await running.send(other, f"/start {invite}")
    code, _ = await therapist_code(running.settings, name="Dr Lee Fake")
    await running.send(other, f"/start {code}")
    replies = await running.press(other, "Yes, I agree", consent)
    assert "no longer waiting" in texts(replies) or "can't link you" in texts(replies)
    assert "no linked clients" in texts(await running.send(first, "/clients"))


async def test_double_tap_and_repeated_assign_create_one_assignment(running: RunningBot) -> None:
    therapist, _client = await therapist_with_client(running)
    await running.send(therapist, "/assign")
    await running.press(therapist, "Robin")
    [schedule_question] = await running.press(therapist, "Gratitude entry")
    data = dict(schedule_question.buttons[0])["Daily 09:00"]
    replies = await running.press_data(therapist, data, schedule_question)
    assert "Assigned gratitude entry" in texts(replies)
    # The second tap of a double tap arrives with the same data.
    replies = await running.press_data(therapist, data, schedule_question)
    assert "Assigned" not in texts(replies)
    replies = await running.send(therapist, "/assign robin gratitude daily 09:00")
    assert "Robin already has gratitude entry daily at 09:00, so nothing was added." in texts(
        replies
    )
    clients = texts(await running.send(therapist, "/clients"))
    assert clients.count("Gratitude entry") == 1


async def test_edits_are_explained_not_taken_as_answers(running: RunningBot) -> None:
    _therapist, client = await therapist_with_client(running)
    update_id = running.api.queue_update(
        "edited_message",
        {
            "message_id": 999,
            "date": 1,
            "edit_date": 2,
            "chat": {"id": client.chat_id, "type": "private", "first_name": "Robin"},
            "from": client.user,
            "text": "changed my mind",
        },
    )
    before = len(running.api.sent_to(client.chat_id))
    await running.handled_by_bot(update_id)
    [reply] = running.api.sent_to(client.chat_id)[before:]
    assert "I can't take edits to messages" in (reply.plain_text or "")


async def test_scheduled_digests_flag_missed_days_and_never_repeat_an_entry(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await therapist_with_client(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")

    async def scheduled_digest_at(moment: datetime) -> str:
        clock.set(moment)
        before = len(running.api.sent_to(therapist.chat_id))
        await running.tick()
        await running.tick()
        return texts(running.api.sent_to(therapist.chat_id)[before:])

    # Saturday 20:00 Berlin: the reminder; Robin does not do it.
    clock.set(datetime(2026, 11, 21, 19, 0, tzinfo=UTC))
    await running.tick()
    sunday = await scheduled_digest_at(datetime(2026, 11, 22, 17, 0, tzinfo=UTC))
    assert "Gratitude entry (daily at 20:00): 0 of 1 done" in sunday
    assert "Needs attention: missed homework from Robin." in sunday
    # Sunday's reminder: done at 23:00 Berlin, after that day's digest.
    clock.set(datetime(2026, 11, 22, 19, 0, tzinfo=UTC))
    await running.tick()
    clock.set(datetime(2026, 11, 22, 22, 0, tzinfo=UTC))
    await running.press(client, "Start now")
    for answer in ("Soup on a cold day", "/skip", "A call from my brother", "/skip", "Rest"):
        await running.send(client, answer)
    assert "Save it" in texts(await running.send(client, "/skip"))
    assert "done." in texts(await running.press(client, "Save"))
    monday = await scheduled_digest_at(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))
    assert "Gratitude entry (daily at 20:00): 1 of 1 done" in monday
    assert "Needs attention" not in monday
    assert monday.count("Soup on a cold day") == 1
    tuesday = await scheduled_digest_at(datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
    assert "Soup on a cold day" not in tuesday


async def test_one_broken_assignment_does_not_stop_other_reminders(
    running: RunningBot, clock: FixedClock
) -> None:
    from storage.models import Assignment

    therapist, client = await therapist_with_client(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    await running.send(therapist, "/assign robin thought record daily 20:00")
    assert running.runtime.db is not None
    async with running.runtime.db.transaction() as session:
        first = (
            (await session.execute(select(Assignment).order_by(Assignment.id))).scalars().first()
        )
        assert first is not None
        first.schedule = "sometimes, maybe"  # damaged by hand
    clock.set(datetime(2026, 11, 21, 19, 0, 30, tzinfo=UTC))
    for _ in range(4):  # one message per chat per tick: two notices, then the reminder
        await running.tick()
    reminders = [m.text or "" for m in running.api.sent_to(client.chat_id)]
    assert any("time for your thought record" in text for text in reminders)


async def test_a_past_one_off_does_not_return_after_a_time_zone_change(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await therapist_with_client(running)
    await running.send(therapist, "/assign robin gratitude once 2026-11-21 12:00")
    clock.set(datetime(2026, 11, 21, 11, 0, 30, tzinfo=UTC))  # 12:00 in Berlin
    await running.tick()
    await running.send(client, "/settings")
    await running.press(client, "Change time zone")
    await running.send(client, "Los Angeles")  # 12:00 there is still ahead
    clock.set(datetime(2026, 11, 21, 20, 0, 30, tzinfo=UTC))
    await running.tick()
    reminders = [
        m for m in running.api.sent_to(client.chat_id) if "time for your" in (m.text or "")
    ]
    assert len(reminders) == 1


async def test_cancel_pauses_homework_even_with_a_question_pending(running: RunningBot) -> None:
    api = running.api
    therapist = api.user(8301, "Dana", username="dana_fake")
    client = api.user(8302, "Robin", username="robin_example")
    await register_therapist(running, therapist)
    code = texts(await running.send(therapist, "/invite Robin")).split("start=")[1].split()[0]
    await running.send(client, f"/start {code}")
    await running.press(client, "Yes, I agree")  # the time-zone question stays open
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    await running.send(client, "/today")
    await running.press(client, "Start gratitude entry")
    replies = await running.send(client, "/cancel")
    assert "Paused your gratitude entry" in texts(replies)
    # With the homework paused, typing answers the question still waiting: the time zone.
    assert "Got it: Berlin time" in texts(await running.send(client, "Berlin"))


async def test_digest_after_downtime_covers_up_to_now(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, _client = await therapist_with_client(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    await running.tick()
    # Down from Saturday morning until Tuesday noon (Berlin): one digest, to Monday 18:00.
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    await running.restart()
    before = len(running.api.sent_to(therapist.chat_id))
    for _ in range(3):
        await running.tick()
    digests = [
        m for m in running.api.sent_to(therapist.chat_id)[before:] if "digest" in (m.text or "")
    ]
    assert len(digests) == 1
    assert "to Mon 23 Nov 18:00" in (digests[0].plain_text or "")
