"""End to end: risk language answered at once, therapists alerted within seconds, escalation.

Every test runs the real Application over HTTP against the loopback Bot API; the alert is
waited for as an event (it is sent as soon as the client's update commits), never by sleeping.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot.clock import FixedClock
from storage import outbox
from storage.models import Flag, OutboxMessage, User
from tests.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from tests.harness import RunningBot, code_in, link_client, register_therapist, texts

FALLBACK_CHAT = 9900
ACK_MINUTES = 20


@pytest.fixture
async def running(
    api: FakeBotApi, database_url: str, clock: FixedClock, encryption_keys: str
) -> AsyncIterator[RunningBot]:
    """The bot with an operator fallback chat and a 20-minute acknowledgement window."""
    api.user(FALLBACK_CHAT, "On-call")
    bot = RunningBot(
        api=api,
        database_url=database_url,
        clock=clock,
        key=encryption_keys,
        overrides={"alert_fallback_chat_id": FALLBACK_CHAT, "alert_ack_minutes": ACK_MINUTES},
    )
    await bot.start()
    yield bot
    await bot.stop()


async def linked(running: RunningBot) -> tuple[FakeUser, FakeUser]:
    therapist = running.api.user(7001, "Dana", username="dana_fake")
    client = running.api.user(7002, "Robin", last_name="Example", username="robin_example")
    await register_therapist(running, therapist)
    await link_client(running, therapist, client, "Robin")
    return therapist, client


async def alert_for(running: RunningBot, therapist: FakeUser) -> SentMessage:
    """The therapist's alert, as it arrives (no tick: it is sent when the update commits)."""
    return await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "")
    )


async def start_gratitude(running: RunningBot, therapist: FakeUser, client: FakeUser) -> None:
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    replies = await running.send(client, "/today")
    replies = await running.press(client, "Start gratitude entry", replies[-1])
    assert "1 of 6" in texts(replies)


async def test_risk_mid_homework_gets_lines_at_once_keeps_the_answer_and_alerts(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await start_gratitude(running, therapist, client)
    words = "I'm going to end it tonight, I have the pills ready"
    replies = await running.send(client, words)
    said = texts(replies)
    # Resources first, emergency number first (a plan and a time), then the homework goes on.
    assert "Thank you for telling me" in said
    assert said.index("112") < said.index("TelefonSeelsorge")  # Berlin: Germany's lines
    assert "I've let Dr Fake Therapist know" in said
    assert "carry on with your gratitude entry" in said
    assert "2 of 6" in said
    assert "not sure what to do" not in said

    alert = await alert_for(running, therapist)
    body = alert.text or ""
    assert "Robin wrote something that may mean they are at risk" in body
    assert "in their gratitude entry" in body
    assert "(Berlin time)" in body
    assert words in body
    assert "may be in danger now" in body
    assert [label for label, _ in alert.buttons[0]] == ["Acknowledge", "Recent entries"]

    # Nothing is lost: the words are the answer, and the flag keeps them (encrypted).
    assert running.db is not None
    async with running.db.transaction() as session:
        flag = (await session.execute(select(Flag))).scalar_one()
        raw = (await session.execute(text("SELECT excerpt, text FROM flags"))).one()
    assert flag.source == "homework" and flag.template_id == "gratitude" and flag.imminent
    assert flag.text == words
    assert "pills" not in raw[0] and "pills" not in raw[1]
    await running.send(client, "my sister called")
    replies = await running.send(client, "/back")
    replies = await running.send(client, "/back")
    assert f"Before, you answered: {words}" in texts(replies)


async def test_risk_outside_homework_and_in_spanish(running: RunningBot) -> None:
    therapist, client = await linked(running)
    replies = await running.send(client, "I just want to disappear forever")
    said = texts(replies)
    assert "You can talk to someone any time" in said
    assert "I'm not sure what to do" not in said
    alert = await alert_for(running, therapist)
    assert "outside homework" in (alert.text or "")
    replies = await running.send(client, "ya no quiero vivir")
    assert "Te escucho" in texts(replies)  # a second one soon after: shorter, same numbers
    assert "112" in texts(replies)


async def test_risk_while_choosing_a_time_zone_is_not_taken_as_a_city(
    running: RunningBot,
) -> None:
    therapist = running.api.user(7101, "Dana", username="dana_fake")
    client = running.api.user(7102, "Robin", username="robin_example")
    await register_therapist(running, therapist)
    code = code_in(texts(await running.send(therapist, "/invite Robin")))
    await running.send(client, f"/start {code}")
    replies = await running.press(client, "Yes, I agree")
    assert "Which time zone are you in?" in texts(replies)
    replies = await running.send(client, "I want to kill myself")
    said = texts(replies)
    assert "couldn't find a time zone" not in said
    assert "Thank you for telling me" in said
    assert "findahelpline.com" in said  # no time zone yet: the international default
    alert = await alert_for(running, therapist)
    assert "while answering a setup question" in (alert.text or "")
    # The question still waits, and is answered as usual.
    assert "Got it: Berlin time" in texts(await running.send(client, "Berlin"))


async def test_before_consent_resources_are_given_and_nothing_is_kept(
    running: RunningBot,
) -> None:
    therapist = running.api.user(7201, "Dana", username="dana_fake")
    stranger = running.api.user(7202, "Sam", language_code="en-GB")
    await register_therapist(running, therapist)
    code = code_in(texts(await running.send(therapist, "/invite Sam")))
    await running.send(stranger, f"/start {code}")
    replies = await running.send(stranger, "i want to die")
    said = texts(replies)
    assert "Samaritans" in said and "999" in said  # the language says where: en-GB
    assert "let" not in said.split("\n\n")[-1]  # nobody is told: they have not consented
    assert "Hello! To begin" not in said
    running.api.mark()
    assert running.db is not None
    async with running.db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Flag))).scalar_one() == 0
        assert (
            await session.execute(select(func.count()).select_from(User))
        ).scalar_one() == 1  # the therapist only
    assert not [m for m in running.api.sent_to(therapist.chat_id) if "Risk alert" in (m.text or "")]


async def test_sos_works_mid_homework_and_for_anyone(running: RunningBot) -> None:
    therapist, client = await linked(running)
    await start_gratitude(running, therapist, client)
    replies = await running.send(client, "/sos")
    said = texts(replies)
    assert said.startswith("If you are in danger now, please call 112")
    assert "TelefonSeelsorge" in said
    assert "Your gratitude entry is kept where you left it" in said
    # The homework was not disturbed: the next answer is still the first one.
    assert "2 of 6" in texts(await running.send(client, "the sun came out"))
    stranger = running.api.user(7302, "Sam", language_code="es-MX")
    assert "800 911 2000" in texts(await running.send(stranger, "/sos"))


async def test_edited_messages_and_captions_are_screened(running: RunningBot) -> None:
    therapist, client = await linked(running)
    update_id = running.api.queue_update(
        "edited_message",
        {
            "message_id": 999,
            "date": 1,
            "edit_date": 2,
            "chat": {"id": client.chat_id, "type": "private", "first_name": "Robin"},
            "from": client.user,
            "text": "honestly I want to kill myself",
        },
    )
    before = len(running.api.sent_to(client.chat_id))
    await running.handled_by_bot(update_id)
    said = texts(running.api.sent_to(client.chat_id)[before:])
    assert "Thank you for telling me" in said and "can't take edits" not in said
    assert "in an edited message" in ((await alert_for(running, therapist)).text or "")
    running.api.mark()
    update_id = client.send_photo(caption="cuttin myself again tonight")
    await running.handled_by_bot(update_id)
    alert = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "in a photo caption" in (m.text or "")
    )
    assert "cuttin myself again tonight" in (alert.text or "")


async def test_a_button_question_waits_and_the_words_are_kept_in_the_flag(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin thought record daily 20:00")
    replies = await running.send(client, "/today")
    await running.press(client, "Start thought record", replies[-1])
    await running.send(client, "At home after the call")
    await running.send(client, "sad")
    replies = await running.send(client, "i wish i was dead")
    said = texts(replies)
    assert "Thank you for telling me" in said
    assert "I need a number" not in said
    assert "3 of" in said  # the scale question again, after the lines
    await alert_for(running, therapist)
    assert running.db is not None
    async with running.db.transaction() as session:
        flag = (await session.execute(select(Flag))).scalar_one()
    assert flag.text == "i wish i was dead" and flag.source == "homework"


async def test_the_alert_goes_before_a_backlog_of_a_thousand_reminders(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    assert running.db is not None
    others = [running.api.user(100_000 + i, "Reader") for i in range(1000)]
    async with running.db.transaction() as session:
        for index, other in enumerate(others):
            await outbox.enqueue(
                session,
                key=f"backlog-{index}",
                chat_id=other.chat_id,
                user_id=None,
                kind="reminder",
                payload={"text": "time for your homework"},
                now=clock.now() - timedelta(minutes=5),
            )
    start = len(running.api.calls)
    await running.send(client, "i want to end my life")
    alert = await alert_for(running, therapist)
    sends = [c for c in running.api.calls[start:] if c.method == "sendMessage"]
    alert_at = next(i for i, c in enumerate(sends) if c.params.get("chat_id") == therapist.chat_id)
    assert all(c.params.get("chat_id") not in {o.chat_id for o in others} for c in sends[:alert_at])
    assert "Risk alert" in (alert.text or "")
    # The regular tick takes the backlog afterwards, in the reminder lane.
    await running.tick()
    async with running.db.transaction() as session:
        sent = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.status == "sent"))
        ).scalars()
        assert any(message.kind == "reminder" for message in sent)  # kinds are encrypted


async def test_an_alert_to_a_therapist_who_blocked_the_bot_reaches_the_fallback_chat(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    therapist, client = await linked(running)
    running.api.block(therapist.chat_id)
    caplog.set_level(logging.WARNING)
    words = "i'm going to kill myself"
    await running.send(client, words)
    escalation = await running.api.wait_for_sent(FALLBACK_CHAT)
    body = escalation.text or ""
    assert "Robin (a client of Dr Fake Therapist)" in body
    assert "could not be delivered" in body
    assert words not in body and "kill" not in body
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("escalated to the fallback chat (undeliverable)" in w for w in warnings)
    assert not any("kill" in w or "Robin" in w for w in warnings)


async def test_an_unacknowledged_alert_escalates_after_the_window_and_an_acknowledged_one_not(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(client, "i want to die")
    first = await alert_for(running, therapist)
    clock.advance(timedelta(minutes=ACK_MINUTES - 1))
    await running.tick()
    assert not running.api.sent_to(FALLBACK_CHAT)
    clock.advance(timedelta(minutes=2))
    await running.tick()
    [escalation] = running.api.sent_to(FALLBACK_CHAT)
    assert f"has not been acknowledged by Dr Fake Therapist for {ACK_MINUTES} minutes" in (
        escalation.text or ""
    )
    await running.tick()
    assert len(running.api.sent_to(FALLBACK_CHAT)) == 1  # once, never twice

    # Acknowledging late tells the fallback chat too; a second alert acknowledged in time
    # never escalates.
    replies = await running.press(therapist, "Acknowledge", first)
    assert "Acknowledged: Robin's alert" in texts(replies)
    await running.tick()
    assert "has now been acknowledged by Dr Fake Therapist" in (
        running.api.sent_to(FALLBACK_CHAT)[-1].text or ""
    )
    clock.advance(timedelta(hours=1))
    await running.send(client, "i still want to die")
    second = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "i still want to die" in (m.text or "")
    )
    await running.press(therapist, "Acknowledge", second)
    clock.advance(timedelta(minutes=ACK_MINUTES + 5))
    await running.tick()
    assert len(running.api.sent_to(FALLBACK_CHAT)) == 2


async def test_the_flag_heads_the_digest_and_clients_until_acknowledged(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(client, "i want to die")
    await alert_for(running, therapist)
    # Days later, the flag is still at the top: it is never cleared silently.
    clock.advance(timedelta(days=3))
    digest = texts(await running.send(therapist, "/digest"))
    top = digest.split("\n\n")[1]
    assert top.startswith("⚠️ Needs attention first: risk alerts not yet acknowledged")
    assert "Robin" in top and "outside homework" in top and "“i want to die”" in top
    clients = await running.send(therapist, "/clients")
    assert "⚠️ Risk alert from" in texts(clients) and "not yet acknowledged" in texts(clients)

    # The Acknowledge button under the digest records who and when.
    running.api.mark()
    digest_message = running.api.last_sent(therapist.chat_id)
    ack = next(label for label, _ in (b for row in digest_message.buttons for b in row))
    replies = await running.press(therapist, ack, digest_message)
    assert "Acknowledged: Robin's alert" in texts(replies)
    assert running.db is not None
    async with running.db.transaction() as session:
        flag = (await session.execute(select(Flag))).scalar_one()
        acting = (
            await session.execute(select(User).where(User.telegram_id == therapist.id))
        ).scalar_one()
    assert flag.acknowledged_by == acting.id and flag.acknowledged_at == clock.now()
    digest = texts(await running.send(therapist, "/digest"))
    assert "Needs attention first" not in digest
    assert "not yet acknowledged" not in texts(await running.send(therapist, "/clients"))


async def test_alert_buttons_belong_to_the_therapist_and_open_recent_entries(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await start_gratitude(running, therapist, client)
    await running.send(client, "thinking about killing myself")
    alert = await alert_for(running, therapist)
    intruder = running.api.user(7999, "Mallory")
    data = alert.buttons[0][0][1]
    await running.press_data(intruder, data, alert)
    assert running.api.calls_of("answerCallbackQuery")[-1].params.get("text") == (
        "That button is no longer active."
    )
    replies = await running.press(therapist, "Recent entries", alert)
    said = texts(replies)
    assert "Robin: recent entries (Berlin time)" in said
    assert "Gratitude entry" in said and "in progress" in said
    assert "Risk alerts:" in said and "NOT acknowledged" in said


async def test_nothing_a_client_wrote_appears_in_the_logs(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="storage")
    caplog.set_level(logging.DEBUG, logger="conversations")
    caplog.set_level(logging.INFO)
    therapist, client = await linked(running)
    await start_gratitude(running, therapist, client)
    secret = "quiero matarme esta noche zebra-umbrella"
    await running.send(client, secret)
    await alert_for(running, therapist)
    running.api.block(therapist.chat_id)
    await running.send(client, "kms zebra-umbrella")
    await running.api.wait_for_sent(FALLBACK_CHAT)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "risk flag" in logged  # something was logged...
    for leaked in ("zebra", "matarme", "kms", "Robin", "Example"):
        assert leaked not in logged  # ...but never the client's words or name


async def test_a_failure_after_screening_keeps_the_lines_the_flag_and_the_alert(
    running: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import homework

    therapist, client = await linked(running)
    await start_gratitude(running, therapist, client)

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the homework could not be read")

    monkeypatch.setattr(homework, "continue_entry", broken)
    replies = await running.send(client, "I'm going to end it tonight, I have the pills ready")
    said = texts(replies)
    assert "Thank you for telling me" in said  # sent before the homework step failed
    assert "Risk alert" in ((await alert_for(running, therapist)).text or "")
    assert running.db is not None
    async with running.db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Flag))).scalar_one() == 1


async def test_when_even_the_screen_fails_the_error_reply_is_the_crisis_lines(
    running: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import safety

    _therapist, client = await linked(running)

    async def broken(*_: object) -> bool:
        raise RuntimeError("the database is down")

    monkeypatch.setattr(safety, "respond", broken)
    await running.restart()  # handlers hold the function they were registered with
    replies = await running.send(client, "i want to kill myself")
    said = texts(replies)
    assert "Thank you for telling me" in said and "something went wrong" not in said


async def test_a_crisis_reply_telegram_refuses_waits_in_the_outbox_not_the_handler(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    running.api.rate_limit_once(client.chat_id, 60)
    replies = await running.send(client, "i want to die")
    assert not replies  # refused, and nothing slept: the update finished at once
    await alert_for(running, therapist)
    clock.advance(timedelta(seconds=61))
    await running.tick()
    lines = await running.api.wait_for_sent(
        client.chat_id, lambda m: "Thank you for telling me" in (m.text or ""), since=0
    )
    assert "112" in (lines.text or "")


async def test_a_therapist_keeps_seeing_an_open_flag_after_the_client_moves_on(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await running.send(client, "i want to die")
    await alert_for(running, therapist)
    other = running.api.user(7050, "Alex", username="alex_fake")
    from bot.cli import therapist_code

    code, _ = await therapist_code(running.settings, name="Dr Other")
    await running.send(other, f"/start {code}")
    await running.press(other, "Berlin")
    await running.press(other, "18:00")
    invite = code_in(texts(await running.send(other, "/invite Robin")))
    await running.send(client, f"/start {invite}")
    await running.press(client, "Yes, I agree")
    digest = texts(await running.send(therapist, "/digest"))
    assert "Needs attention first" in digest and "Robin (no longer linked)" in digest
    assert "not yet acknowledged" in texts(await running.send(therapist, "/clients"))
    assert "Needs attention first" not in texts(await running.send(other, "/digest"))


async def test_risk_words_in_a_command_get_the_lines_and_the_command_still_runs(
    running: RunningBot,
) -> None:
    therapist, _client = await linked(running)
    replies = await running.send(therapist, "/invite Alex (wants to kill himself)")
    said = texts(replies)
    assert "https://t.me/homework_test_bot?start=" in said
    replies = await running.send(therapist, "/invite I want to kill myself")
    said = texts(replies)
    assert "Thank you for telling me" in said and "https://t.me/" in said


async def test_the_last_answer_does_not_say_carry_on_or_sound_cheerful(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await start_gratitude(running, therapist, client)
    for answer in ("sun", "it was warm", "tea", "it was hot", "a call"):
        await running.send(client, answer)
    replies = await running.send(client, "because I want to die")
    said = texts(replies)
    assert "carry on" not in said
    assert "Save it, or change an answer first" in said
    said = texts(await running.press(client, "Save"))
    assert "Gratitude entry: done" in said
    assert "Please be gentle with yourself" in said
    assert "gets easier the more you do it" not in said


async def test_an_edit_of_a_flagged_message_raises_no_second_alert(running: RunningBot) -> None:
    therapist, client = await linked(running)
    chat = {"id": client.chat_id, "type": "private", "first_name": "Robin"}
    sent = {"message_id": 555, "date": 1, "chat": chat, "from": client.user}
    update_id = running.api.queue_update("message", {**sent, "text": "i want to die"})
    await running.handled_by_bot(update_id)
    await alert_for(running, therapist)
    before = len(running.api.sent_to(client.chat_id))
    edit_id = running.api.queue_update(
        "edited_message", {**sent, "edit_date": 2, "text": "i want to die."}
    )
    await running.handled_by_bot(edit_id)
    again = texts(running.api.sent_to(client.chat_id)[before:])
    assert "I hear you" in again and "I've let Dr Fake Therapist know" in again
    assert running.db is not None
    async with running.db.transaction() as session:
        count = (await session.execute(select(func.count()).select_from(Flag))).scalar_one()
    await running.tick()
    alerts = [m for m in running.api.sent_to(therapist.chat_id) if "Risk alert" in (m.text or "")]
    assert (count, len(alerts)) == (1, 1)
    # A new message is a new flag and a new alert.
    await running.send(client, "i still want to die")
    await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "i still want to die" in (m.text or "")
    )


async def test_sos_in_a_group_gives_the_lines(running: RunningBot) -> None:
    update_id = running.api.group_message(7400, "Sam", -5000, "/sos")
    await running.handled_by_bot(update_id)
    [reply] = running.api.sent_to(-5000)
    assert "If you are in danger now" in (reply.text or "")


async def test_messages_the_bot_cannot_place_point_to_sos(running: RunningBot) -> None:
    _therapist, client = await linked(running)
    assert "/sos shows crisis lines" in texts(await running.send(client, "hello there"))
    assert "/sos shows crisis lines" in texts(await running.sticker(client))
