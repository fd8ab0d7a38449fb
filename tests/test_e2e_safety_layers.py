"""End to end: the safety screen's second layer, as a client and a therapist meet it.

One open alert per client (later risk messages join it in its thread, one Acknowledge
settles them all), someone else at risk (how to help, no alert about the writer), the
gentle check-in, and a therapist's words to a client never screened as risk.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from conversations import risk, risk_model
from storage.models import Flag
from tests import test_e2e_safety as safety_tests
from tests.fake_bot_api import FakeUser, SentMessage
from tests.harness import RunningBot, texts

# The same bot as the first safety tests: a fallback chat, a 20-minute window to acknowledge.
running = safety_tests.running
linked = safety_tests.linked
FALLBACK_CHAT = safety_tests.FALLBACK_CHAT


async def first_alert(running: RunningBot) -> tuple[FakeUser, FakeUser, SentMessage]:
    """Dana and Robin, linked, and the alert Robin's first risk message brought Dana."""
    therapist, client = await linked(running)
    await running.send(client, "i want to die")
    alert = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "")
    )
    return therapist, client, alert


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
    therapist, client, alert = await first_alert(running)
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
    # The digest then lists that alert once, with its count, not once per message.
    digest = texts(await running.send(therapist, "/digest"))
    assert digest.count("(acknowledged") == 1 and "(acknowledged; 3 messages)" in digest

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
    clock.advance(timedelta(minutes=3))
    await running.send(client, "i want to kill myself")
    await running.api.wait_for_sent(therapist.chat_id, lambda m: "wrote again" in (m.text or ""))
    clock.advance(timedelta(minutes=25))
    await running.tick()
    clock.advance(timedelta(minutes=5))  # the joined message's own window runs out too
    await running.tick()
    [escalation] = running.api.sent_to(FALLBACK_CHAT)  # one alert, one escalation
    assert "Robin" in (escalation.text or "")
    assert "i want" not in (escalation.text or "")  # never their words
    assert all(f.escalated_at is not None for f in await flags_of(running))


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
        therapist.chat_id, lambda m: "chose not to answer the Columbia screen" in (m.text or "")
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


async def test_a_therapists_own_risk_words_elsewhere_get_the_lines_not_a_client_alert(
    running: RunningBot,
) -> None:
    therapist, _client, alert = await first_alert(running)
    # A Telegram reply to the alert reaches no client (yet): it is screened as anything else.
    words = "honestly some days I want to kill myself too"
    said = texts(
        await running.exchange(therapist, lambda: therapist.send_text(words, reply_to=alert))
    )
    assert "Thank you for telling me" in said and "112" in said
    assert "I've let" not in said
    assert len(await flags_of(running)) == 1  # the client's, none about the therapist


async def test_a_follow_up_still_on_its_way_is_not_settled_unseen(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client, alert = await first_alert(running)
    # The next message's follow-up can't be sent yet (Telegram refuses it for now).
    running.api.fail_once(therapist.chat_id, 502)
    clock.advance(timedelta(minutes=2))
    await running.send(client, "i have the pills ready and i'm doing it tonight")
    replies = await running.press(therapist, "Acknowledge", alert)
    assert "settled too" not in texts(replies)
    found = await flags_of(running)
    assert [f.acknowledged_at is not None for f in found] == [True, False]
    # It arrives later, in the thread; the alert's button settles it then.
    clock.advance(timedelta(seconds=30))
    await running.tick()
    later = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "pills ready" in (m.text or "")
    )
    assert replied_to(later) == alert.message_id
    clients = texts(await running.send(therapist, "/clients"))
    assert "not yet acknowledged" in clients
    listed = running.api.last_sent(therapist.chat_id)
    ack = next(b for row in listed.buttons for b, _ in row if b.startswith("Acknowledge"))
    await running.press(therapist, ack, listed)
    assert all(f.acknowledged_at is not None for f in await flags_of(running))


UNSURE = "I am so tired of all of this, I just want it to stop"


@pytest.fixture
def unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's band for a check-in widened, so UNSURE (which it scores high, but no
    rule matches) falls in it whatever the shipped weights say of it."""
    shipped = risk_model.models()
    assert risk.screen(UNSURE) is None
    widened = dataclasses.replace(shipped, alert=0.9999, check_in=0.05)
    monkeypatch.setattr(risk_model, "models", lambda: widened)


async def test_an_unsure_message_gets_a_check_in_and_yes_makes_it_an_alert(
    running: RunningBot, unsure: None
) -> None:
    therapist, client = await linked(running)
    words = UNSURE
    replies = await running.send(client, words)
    check_in = replies[-1]
    said = texts(replies)
    assert "are you having thoughts of hurting yourself" in said
    assert check_in.button_texts == ["Yes, I am", "No, not that"]
    assert await flags_of(running) == []
    said = texts(await running.press(client, "Yes, I am", check_in))
    assert "Thank you for telling me" in said and "I've let Dr Fake Therapist know" in said
    alert = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "")
    )
    assert "I just want it to stop" in (alert.text or "")
    assert "whether they were having thoughts of hurting themselves or of ending their life" in (
        alert.text or ""
    )
    [flag] = await flags_of(running)
    assert flag.text == words


async def test_unsure_words_right_after_an_alert_join_it_without_a_check_in(
    running: RunningBot, clock: FixedClock, unsure: None
) -> None:
    therapist, client, alert = await first_alert(running)
    clock.advance(timedelta(minutes=2))
    replies = await running.send(client, UNSURE)
    said = texts(replies)
    assert "are you having thoughts of hurting yourself" not in said
    assert all(m.button_texts != ["Yes, I am", "No, not that"] for m in replies)
    assert "I hear you" in said and "I've let Dr Fake Therapist know about this message" in said
    follow_up = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "wrote again" in (m.text or "")
    )
    assert "I just want it to stop" in (follow_up.text or "")
    assert replied_to(follow_up) == alert.message_id
    assert len(await flags_of(running)) == 2
    # A short unsure line is never sure enough to join it: it is asked about.
    clock.advance(timedelta(minutes=1))
    replies = await running.send(client, "I just want it to stop")
    assert "are you having thoughts of hurting yourself" in texts(replies)
    assert len(await flags_of(running)) == 2
    # Once the alert is acknowledged, unsure words are asked about again.
    await running.press(therapist, "Acknowledge", alert)
    clock.advance(timedelta(minutes=2))
    replies = await running.send(client, UNSURE + " again")
    assert "are you having thoughts of hurting yourself" in texts(replies)


async def test_no_to_a_check_in_is_answered_kindly_and_nothing_is_kept(
    running: RunningBot, unsure: None
) -> None:
    _therapist, client = await linked(running)
    replies = await running.send(client, UNSURE)
    said = texts(await running.press(client, "No, not that", replies[-1]))
    assert "Thank you for telling me. If that changes, /sos is always here" in said
    assert await flags_of(running) == []


async def test_a_follow_up_waits_for_the_alert_it_replies_to(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    running.api.fail_once(therapist.chat_id, 502)  # the alert itself must be tried again
    await running.send(client, "i want to die")
    clock.advance(timedelta(minutes=1))
    await running.send(client, "i want to kill myself tonight")
    for _ in range(4):
        clock.advance(timedelta(seconds=5))
        await running.tick()
    sent = [m for m in running.api.sent_to(therapist.chat_id) if "Robin" in (m.text or "")]
    alert = next(m for m in sent if "Risk alert" in (m.text or ""))
    follow_up = next(m for m in sent if "wrote again" in (m.text or ""))
    assert sent.index(alert) < sent.index(follow_up)
    assert replied_to(follow_up) == alert.message_id


async def test_a_check_in_answered_by_typing_its_button(running: RunningBot, unsure: None) -> None:
    therapist, client = await linked(running)
    await running.send(client, UNSURE)
    said = texts(await running.send(client, "Yes, I am"))
    assert "Thank you for telling me" in said and "not sure what to do" not in said
    await running.api.wait_for_sent(therapist.chat_id, lambda m: "Risk alert" in (m.text or ""))


async def test_a_rule_match_about_someone_else_is_how_to_help(running: RunningBot) -> None:
    therapist, client = await linked(running)
    said = texts(
        await running.send(client, "my brother said he wants to end it all, what should I do?")
    )
    assert "Ways to help" in said and "I've let" not in said
    assert "thoughts like these yourself" in said  # and the way back, if it is theirs too
    assert await flags_of(running) == []
    # A therapist worried about someone gets the same, and nothing else after it.
    said = texts(
        await running.send(therapist, "My client told me she wants to kill herself, I feel awful")
    )
    assert "Ways to help" in said and "not sure what to do" not in said


async def test_after_an_alert_that_never_reached_the_therapist_the_next_is_its_own(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    running.api.block(therapist.chat_id)
    await running.send(client, "i want to die")
    await running.tick()
    # Refused: the fallback chat is told (by the alert lane's own task, so waited for).
    await running.api.wait_for_sent(FALLBACK_CHAT, lambda m: True)
    assert len(running.api.sent_to(FALLBACK_CHAT)) == 1
    running.api.unblock(therapist.chat_id)
    await running.send(therapist, "/clients")
    clock.advance(timedelta(minutes=2))
    await running.send(client, "i want to kill myself")
    alert = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "")
    )
    assert alert.buttons and replied_to(alert) is None  # an alert, not a follow-up to none
    clock.advance(timedelta(minutes=25))
    await running.tick()
    assert len(running.api.sent_to(FALLBACK_CHAT)) == 2  # its own escalation, in time


async def test_someone_elses_overdose_gets_how_to_help_and_sugar_gets_nothing(
    running: RunningBot,
) -> None:
    therapist, client = await linked(running)
    said = texts(
        await running.send(client, "my brother took an overdose 20 minutes ago what do I do")
    )
    assert "Ways to help" in said and "not sure what to do" not in said
    said = texts(await running.send(client, "I had an overdose of sugar today lol"))
    assert "Ways to help" not in said and "Risk alert" not in said
    assert await flags_of(running) == []
    await running.tick()
    assert not [m for m in running.api.sent_to(therapist.chat_id) if "Risk alert" in (m.text or "")]


async def test_a_check_in_mid_homework_answered_by_typing_its_yes_in_full(
    running: RunningBot, unsure: None
) -> None:
    therapist, client = await linked(running)
    await safety_tests.start_gratitude(running, therapist, client)
    said = texts(await running.send(client, UNSURE))
    assert "are you having thoughts of hurting yourself" in said and "2 of 6" in said
    # Typed in full, the check-in's Yes is its answer, not the homework's next one.
    said = texts(await running.send(client, "yes, I am"))
    assert "Thank you for telling me" in said and "2 of 6" in said
    alert = await running.api.wait_for_sent(
        therapist.chat_id, lambda m: "Risk alert" in (m.text or "")
    )
    assert "I just want it to stop" in (alert.text or "")
    # A short "yes" later is the homework's answer: the check-in is answered.
    said = texts(await running.send(client, "Yes, I am"))
    assert "3 of 6" in said and "Thank you for telling me" not in said
    [flag] = await flags_of(running)
    assert flag.text == UNSURE


async def test_a_spanish_check_in_answered_by_typing_its_no(
    running: RunningBot, unsure: None
) -> None:
    _therapist, client = await linked(running)
    await running.send(client, "/language es")
    await running.send(client, "estoy tan cansada de todo esto, solo quiero que pare ya")
    said = texts(await running.send(client, "no, no es eso"))
    assert "Gracias por contármelo" in said
    assert await flags_of(running) == []
