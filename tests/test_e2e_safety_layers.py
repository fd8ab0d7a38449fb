"""End to end: the safety screen's second layer, as a client and a therapist meet it.

One open alert per client (later risk messages join it in its thread, one Acknowledge
settles them all), someone else at risk (how to help, no alert about the writer), the
gentle check-in, and a therapist's words to a client never screened as risk.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from storage.models import Flag
from tests.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from tests.harness import RunningBot, link_client, register_therapist, texts

FALLBACK_CHAT = 9900


@pytest.fixture
async def running(
    api: FakeBotApi, database_url: str, clock: FixedClock, encryption_keys: str
) -> AsyncIterator[RunningBot]:
    api.user(FALLBACK_CHAT, "On-call")
    bot = RunningBot(
        api=api,
        database_url=database_url,
        clock=clock,
        key=encryption_keys,
        overrides={"alert_fallback_chat_id": FALLBACK_CHAT, "alert_ack_minutes": 20},
    )
    await bot.start()
    yield bot
    await bot.stop()


async def linked(running: RunningBot) -> tuple[FakeUser, FakeUser]:
    therapist = running.api.user(7101, "Dana", username="dana_fake")
    client = running.api.user(7102, "Robin", last_name="Example", username="robin_example")
    await register_therapist(running, therapist)
    await link_client(running, therapist, client, "Robin")
    return therapist, client


def replied_to(message: SentMessage) -> int | None:
    """The message id this one was sent in reply to, if any."""
    raw: Any = message.params.get("reply_parameters")
    if isinstance(raw, str):
        raw = json.loads(raw)
    return int(raw["message_id"]) if isinstance(raw, dict) else None


async def flags_of(running: RunningBot) -> list[Flag]:
    assert running.db is not None
    async with running.db.transaction() as session:
        return list((await session.execute(select(Flag).order_by(Flag.id))).scalars())


async def test_later_risk_messages_join_the_open_alert_and_one_acknowledge_settles_all(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(client, "i want to die")
    alert = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "")
    )
    clock.advance(timedelta(minutes=3))
    await running.send(client, "i keep thinking about killing myself")
    second = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "wrote again" in (m.text or "")
    )
    clock.advance(timedelta(minutes=3))
    await running.send(client, "i have the pills ready and i'm doing it tonight")
    third = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "pills ready" in (m.text or "") and m is not second
    )
    sent = running.api.sent_to(therapist.chat_id)
    # One alert with its buttons; the later messages are replies in its thread, no buttons.
    assert [m for m in sent if "Risk alert" in (m.text or "")] == [alert]
    assert replied_to(second) == alert.message_id and replied_to(third) == alert.message_id
    assert not second.buttons and not third.buttons
    assert "i keep thinking about killing myself" in (second.text or "")
    assert "may be in danger now" in (third.text or "")  # imminent: said, and it notifies

    # /clients and the digest show one line for Robin, with the count.
    clients = texts(await running.send(therapist, "/clients"))
    assert clients.count("⚠️ Risk alert from") == 1
    assert "3 messages" in clients
    listed = running.api.last_sent(therapist.chat_id)
    assert len([b for row in listed.buttons for b in row if b[0].startswith("Acknowledge")]) == 1
    digest = texts(await running.send(therapist, "/digest"))
    top = digest.split("\n\n")[1]
    assert top.count("• Robin") == 1 and "3 messages" in top

    # One Acknowledge, on the alert itself, settles all three, with who and when.
    replies = await running.press(therapist, "Acknowledge", alert)
    assert "Acknowledged: Robin's alert" in texts(replies)
    assert "settled too: 2" in texts(replies)
    found = await flags_of(running)
    assert len(found) == 3
    assert all(f.acknowledged_at == clock.now() and f.acknowledged_by is not None for f in found)
    assert "not yet acknowledged" not in texts(await running.send(therapist, "/clients"))

    # After that, a new risk message is a new alert of its own.
    clock.advance(timedelta(hours=2))
    await running.send(client, "i want to die again today")
    fresh = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "") and m is not alert
    )
    assert replied_to(fresh) is None and fresh.buttons


async def test_an_unacknowledged_alert_with_joined_messages_escalates_once(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(client, "i want to die")
    await running.api.wait_for_sent(therapist.chat_id, lambda m: "Risk alert" in (m.text or ""))
    await running.send(client, "i want to kill myself")
    clock.advance(timedelta(minutes=25))
    await running.tick()
    await running.tick()
    escalations = running.api.sent_to(FALLBACK_CHAT)
    assert escalations and all("Robin" in (m.text or "") for m in escalations)
    assert "i want" not in " ".join(m.text or "" for m in escalations)  # never their words


async def test_a_friend_at_risk_gets_how_to_help_and_no_alert(running: RunningBot) -> None:
    therapist, client = await linked(running)
    running.api.mark()
    replies = await running.send(
        client, "my friend told me she wants to kill herself, what do I do?"
    )
    said = texts(replies)
    assert "Thank you for looking out for them" in said
    assert "Ways to help" in said and "Call a line together" in said
    assert "112" in said  # the same lines: Berlin
    assert "not sure what to do" not in said
    assert "I've let" not in said  # nobody is told about the writer
    assert await flags_of(running) == []
    await running.tick()
    assert not [m for m in running.api.sent_to(therapist.chat_id) if "Risk alert" in (m.text or "")]


async def test_a_friend_at_risk_in_spanish(running: RunningBot) -> None:
    _therapist, client = await linked(running)
    said = texts(
        await running.send(client, "mi mejor amiga me dijo que se quiere matar, ¿qué hago?")
    )
    assert "Cómo ayudar" in said
    assert await flags_of(running) == []


async def test_a_therapist_quoting_the_client_in_a_reply_gets_no_crisis_lines(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    replies = await running.send(client, "/today")
    await running.press(client, "Start gratitude entry", replies[-1])
    await running.send(client, "The walk home after work")
    await running.send(client, "It was calm")
    await running.press(client, "Save")
    shown = await running.send(therapist, "/client robin")
    entry = next(m for m in shown if "Reply to Robin" in m.button_texts)
    await running.press(therapist, "Reply to Robin", entry)
    running.api.mark()
    words = "You wrote that you wanted to die last month; I'm glad the walk helped today."
    said = texts(await running.send(therapist, words))
    assert "Thank you for telling me" not in said and "crisis" not in said.lower()
    assert "112" not in said
    await running.tick()
    assert any(words in (m.text or "") for m in running.api.sent_to(client.chat_id))
    assert await flags_of(running) == []


async def test_a_therapist_writing_risk_words_otherwise_gets_the_lines_and_no_alert(
    running: RunningBot,
) -> None:
    therapist, _client = await linked(running)
    said = texts(await running.send(therapist, "honestly i want to die today"))
    assert "Thank you for telling me" in said
    assert await flags_of(running) == []


async def answer_columbia(
    running: RunningBot, client: FakeUser, answers: list[str]
) -> list[SentMessage]:
    """Press Yes / No / I'd rather not under each question in turn; the last replies."""
    replies: list[SentMessage] = []
    for choice in answers:
        question = running.api.last_sent(client.chat_id)
        assert choice in question.button_texts, question.text
        replies = await running.press(client, choice, question)
    return replies


async def test_the_columbia_screen_when_turned_on_reaches_the_alerts_thread(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    # Off by default: a risk message asks nothing more.
    await running.send(client, "i want to die")
    alert = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "")
    )
    assert "Columbia" not in texts(running.api.sent_to(client.chat_id))
    await running.press(therapist, "Acknowledge", alert)

    said = texts(await running.send(therapist, "/columbia robin on"))
    assert "From now on, after a risk message Robin is asked" in said
    assert "Columbia screen is asked" in texts(await running.send(therapist, "/client robin"))

    clock.advance(timedelta(hours=2))
    replies = await running.send(client, "i keep thinking about killing myself")
    said = texts(replies)
    assert said.index("Thank you for telling me") < said.index("a few short yes-or-no")
    assert "wished you were dead" in said
    alert = await running.api.wait_for_sent(
        therapist.chat_id,
        lambda m: "Risk alert" in (m.text or "") and "keep thinking" in (m.text or ""),
    )
    # Wish yes, thoughts yes, method yes, intent no, plan no, acts yes, recent yes.
    last = await answer_columbia(running, client, ["Yes", "Yes", "Yes", "No", "No", "Yes", "Yes"])
    done = texts(last)
    assert "Thank you for answering. I've passed your answers on to Dr Fake Therapist" in done
    assert "call 112 now" in done  # the highest level: the emergency number again
    answers = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "answered the Columbia screen" in (m.text or "")
    )
    assert replied_to(answers) == alert.message_id
    text = answers.text or ""
    assert "• wish to be dead: yes" in text and "• some intention of acting on them: no" in text
    assert "Urgency: something done or prepared to end their life in the past three months" in text
    assert "highest level" in text and "Posner" in text
    assert "keep thinking" not in text  # the answers, not the words again
    [flag] = [f for f in await flags_of(running) if f.screen is not None]
    assert flag.screen == {
        "answers": {
            "wish": True,
            "thoughts": True,
            "method": True,
            "intent": False,
            "plan": False,
            "acts": True,
            "recent": True,
        },
        "done": True,
        "level": "recent_acts",
    }


async def test_the_columbia_screen_skips_as_published_and_can_be_declined(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/columbia robin on")
    await running.send(client, "i want to die")
    # No to thoughts: method, intent and plan are not asked; no to acts: not how recently.
    last = await answer_columbia(running, client, ["Yes", "No", "No"])
    assert "call 112 now" not in texts(last)
    answers = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "answered the Columbia screen" in (m.text or "")
    )
    assert "Urgency: thoughts only" in (answers.text or "")
    assert "method" not in (answers.text or "").split("Urgency")[0]

    # A second alert later: declining is kind, and the therapist hears it was declined.
    alert = next(
        m for m in running.api.sent_to(therapist.chat_id) if "Risk alert" in (m.text or "")
    )
    assert "Acknowledged" in texts(await running.press(therapist, "Acknowledge", alert))
    clock.advance(timedelta(hours=2))
    await running.send(client, "i want to kill myself")
    last = await answer_columbia(running, client, ["I'd rather not"])
    assert "That's all right. /sos shows the crisis lines" in texts(last)
    declined = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "chose to stop before the end" in (m.text or "")
    )
    assert "Urgency" not in (declined.text or "")

    # A question's button works once; the therapist can turn it off.
    assert "no longer asked" in texts(await running.send(therapist, "/columbia robin off"))
    clock.advance(timedelta(hours=2))
    said = texts(await running.send(client, "i want to die again"))
    assert "Thank you for telling me" in said and "yes-or-no" not in said


async def test_columbia_needs_a_client_and_on_or_off(running: RunningBot) -> None:
    therapist, client = await linked(running)
    assert "For example: /columbia robin on" in texts(await running.send(therapist, "/columbia"))
    assert "couldn't find a client" in texts(await running.send(therapist, "/columbia zed on"))
    assert "for therapists" in texts(await running.send(client, "/columbia robin on"))


async def test_a_therapists_telegram_reply_to_an_alert_is_not_screened_as_risk(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    await running.send(client, "i want to die")
    alert = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "")
    )
    quoting = "Re: i want to die. Calling you now."
    said = texts(
        await running.exchange(therapist, lambda: therapist.send_text(quoting, reply_to=alert))
    )
    for answer in ("Thank you for", "That sounds really hard", "call 112"):
        assert answer not in said
    assert len(await flags_of(running)) == 1
