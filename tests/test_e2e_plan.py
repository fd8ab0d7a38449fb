"""End to end: the safety plan. A client writes it (given once, as ordinary homework) and
/plan shows it in order, in their own words; /plan with none yet; in Spanish; the therapist
reads it in /client; given again, the newer plan is the one shown, and `plan.own_steps`
gives its steps 2 to 5 for a crisis reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import plan
from bot.clock import FixedClock
from bot.i18n import tr
from bot.runtime import Ctx
from storage import people
from tests.fake_bot_api import FakeUser, SentMessage
from tests.harness import RunningBot, code_in, register_therapist, texts, therapist_and_client

ROBINS_PLAN = [
    "I stop answering messages and stay in bed",
    "A hot shower, then my running playlist",
    None,  # people and places: skipped
    "Sam Fakename, my sister: 555-0100",
    "Dr Fake Therapist 555-0199; my doctor, Dr Notreal",
    None,  # safer surroundings: skipped
    "My cat Biscuit, and seeing the sea again",
]
HEADINGS = [
    "My warning signs",
    "Things I can do on my own",
    "People and places that take my mind off things",
    "People I can ask for help",
    "Professionals and crisis lines",
    "Making my surroundings safer",
    "My reasons for living",
]


async def answer(running: RunningBot, client: FakeUser, answers: list[str | None]) -> str:
    """Answer the plan's next questions (None: /skip); what the last answer brought."""
    said = ""
    for words in answers:
        said = texts(await running.send(client, "/skip" if words is None else words))
        assert "Please" not in said, said
    return said


async def write_plan(
    running: RunningBot, client: FakeUser, answers: list[str | None], save: str = "Save"
) -> list[SentMessage]:
    """Answer the plan's seven questions (None: /skip), then save it."""
    await answer(running, client, answers)
    return await running.press(client, save)


async def own_steps_of(running: RunningBot, client: FakeUser) -> list[tuple[str, str]]:
    """What a crisis reply would put first for this client (read as the bot reads it)."""
    async with running.runtime.db.reading() as session:
        user = await people.get_user(session, telegram_id=client.id)
        assert user is not None
        ctx = Ctx(
            rt=running.runtime,
            session=session,
            now=running.clock.now(),
            telegram_id=client.id,
            chat_id=client.chat_id,
            first_name=client.first_name,
            last_name=None,
            username=None,
            user=user,
        )
        return await plan.own_steps(ctx, user)


async def deliver(running: RunningBot, clock: FixedClock) -> None:
    for _ in range(4):  # one message a second to one chat
        clock.advance(timedelta(seconds=1))
        await running.tick()


async def test_a_client_writes_a_safety_plan_and_plan_shows_it_in_order(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await therapist_and_client(running)
    assigned = texts(
        await running.send(therapist, "/assign robin safety plan once 2026-11-21 18:00")
    )
    assert "Assigned safety plan to Robin, once on" in assigned
    await deliver(running, clock)
    assert "gave you new homework: safety plan" in texts(running.api.sent_to(client.chat_id))
    assert await own_steps_of(running, client) == []

    # None saved yet, but it is their homework: how to start it, with a button.
    none_yet = (await running.send(client, "/plan"))[-1]
    assert "You haven't saved a safety plan yet" in (none_yet.plain_text or "")
    assert "type “safety plan”" in (none_yet.plain_text or "")
    assert none_yet.button_texts == ["Start safety plan"]
    first = texts(await running.press(client, "Start safety plan", none_yet))
    assert "It's yours, in your own words" in first and "calm moment" in first
    assert "Safety plan · 1 of 7" in first and "What tells you a hard time" in first

    # Mid-plan, /plan says so and asks the question again.
    again = texts(await running.send(client, "/plan"))
    assert "You are writing your safety plan now" in again
    assert again.rindex("What tells you a hard time") > again.index("writing your safety plan")

    done = texts(await write_plan(running, client, ROBINS_PLAN))
    assert "Safety plan: done." in done
    assert "Your safety plan is saved. /plan shows it to you any time" in done
    assert "How was this one for you?" not in done  # a plan is not rated

    shown = (await running.send(client, "/plan"))[0]
    said = shown.plain_text or ""
    assert said.startswith("Your safety plan, saved Sat 21 Nov:")
    written = [(h, w) for h, w in zip(HEADINGS, ROBINS_PLAN, strict=True) if w is not None]
    places = [said.index(f"{heading}\n{words}") for heading, words in written]
    assert places == sorted(places)  # each heading over their words, in the plan's order
    assert "People and places that take my mind off things" not in said
    assert "Making my surroundings safer" not in said
    assert "/sos shows crisis lines any time" in said
    assert "<b>My warning signs</b>" in (shown.text or "")  # headings in bold

    assert await own_steps_of(running, client) == [
        ("Things I can do on my own", "A hot shower, then my running playlist"),
        ("People I can ask for help", "Sam Fakename, my sister: 555-0100"),
        ("Professionals and crisis lines", "Dr Fake Therapist 555-0199; my doctor, Dr Notreal"),
    ]


async def test_plan_with_no_plan_and_none_given_points_to_the_therapist(
    running: RunningBot,
) -> None:
    therapist, client = await therapist_and_client(running)
    replies = await running.send(client, "/plan")
    said = texts(replies)
    assert "You don't have a safety plan here yet" in said
    assert "make one with your therapist" in said and "/sos" in said
    assert [b for m in replies for b in m.button_texts] == []
    assert await own_steps_of(running, client) == []
    # Other homework saved is not a plan.
    await running.send(therapist, "/assign robin journal once 2026-11-21 18:00")
    start = await running.send(client, "/today")
    await running.press(client, "Start journal entry", start[-1])
    await running.send(client, "Dinner with an old friend")
    await running.send(client, "/skip")
    await running.press(client, "Save")
    assert "You don't have a safety plan here yet" in texts(await running.send(client, "/plan"))
    # A therapist is told where plans are read.
    assert "/client NAME" in texts(await running.send(therapist, "/plan"))


async def test_a_spanish_speaking_client_writes_and_reads_her_plan_in_spanish(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist = running.api.user(9301, "Dana", username="dana_fake")
    await register_therapist(running, therapist)
    client = running.api.user(9302, "Lucía", username="lucia_fake", language_code="es")
    code = code_in(texts(await running.send(therapist, "/invite Lucía")))
    await running.send(client, f"/start {code}")
    await running.send(client, "sí")
    await running.send(client, "Madrid")
    assigned = texts(
        await running.send(therapist, "/assign lucia plan de seguridad once 2026-11-21 18:00")
    )
    assert "Assigned safety plan to Lucía" in assigned
    await deliver(running, clock)

    none_yet = texts(await running.send(client, "/plan"))
    assert "Todavía no has guardado un plan de seguridad" in none_yet
    assert "escribe «plan de seguridad»" in none_yet
    # Typing its name starts it, as the line says.
    first = texts(await running.send(client, "plan de seguridad"))
    assert "Es tuyo, con tus propias palabras" in first
    assert "Plan de seguridad · 1 de 7" in first
    answers = [
        "Dejo de contestar mensajes",
        "Una ducha caliente y música",
        "El parque de la calle Falsa",
        "Sam Falso, 555-0100",
        None,
        None,
        "Mi gato Bizcocho",
    ]
    done = texts(await write_plan(running, client, answers, save=tr("es", "Save")))
    assert "Tu plan de seguridad está guardado" in done

    said = texts(await running.send(client, "/plan"))
    assert said.startswith("Tu plan de seguridad, guardado el sáb 21 nov:")
    assert said.index("Mis señales de alerta\nDejo de contestar mensajes") < said.index(
        "Lo que puedo hacer por mi cuenta\nUna ducha caliente y música"
    )
    assert "Mis razones para vivir\nMi gato Bizcocho" in said
    assert "Profesionales y líneas de crisis" not in said
    assert "Your" not in said and "My warning signs" not in said
    assert await own_steps_of(running, client) == [
        ("Lo que puedo hacer por mi cuenta", "Una ducha caliente y música"),
        ("Personas y lugares que me distraen", "El parque de la calle Falsa"),
        ("Personas a las que puedo pedir ayuda", "Sam Falso, 555-0100"),
    ]
    # Her therapist reads it in English headings, her words as written.
    entry = texts(await running.send(therapist, "/client lucia"))
    assert "Safety plan, " in entry and "My warning signs: Dejo de contestar mensajes" in entry


async def test_the_therapist_reads_the_plan_in_client_and_gives_it_again(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await therapist_and_client(running)
    await running.send(therapist, "/assign robin safety plan once 2026-11-21 18:00")
    start = await running.send(client, "/today")
    await running.press(client, "Start safety plan", start[-1])
    await write_plan(running, client, ROBINS_PLAN)

    said = texts(await running.send(therapist, "/client robin"))
    assert "Safety plan, once on" in said  # the homework given
    assert "Safety plan, Sat 21 Nov" in said and ", done" in said  # and the entry in full
    for heading, words in zip(HEADINGS, ROBINS_PLAN, strict=True):
        if words is not None:
            assert f"• {heading}: {words}" in said
    assert "Making my surroundings safer" not in said

    # A week on it is given again, once; its reminder starts it, and /plan shows the new one.
    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    assigned = texts(
        await running.send(
            therapist,
            '/assign robin plan once 2026-11-28 12:00 prompt.people="Who at the climbing club?"',
        )
    )
    assert "Assigned safety plan to Robin, once on" in assigned
    clock.set(datetime(2026, 11, 28, 11, 0, tzinfo=UTC))  # 12:00 in Berlin
    await deliver(running, clock)
    [reminder] = [
        m for m in running.api.sent_to(client.chat_id) if "time for your" in (m.text or "")
    ]
    assert "safety plan" in (reminder.text or "")
    first = texts(await running.press(client, "Start now", reminder))
    assert "Safety plan · 1 of 7" in first
    asked = await answer(running, client, ["Skipping meals", "Call Sam", None])
    assert "Safety plan · 4 of 7" in asked and "Who at the climbing club?" in asked  # tailored
    await write_plan(running, client, [None, None, "Keys with Sam", None])
    shown = texts(await running.send(client, "/plan"))
    assert shown.startswith("Your safety plan, saved Sat 28 Nov:")
    assert "Skipping meals" in shown and "I stop answering messages" not in shown
    assert "Making my surroundings safer\nKeys with Sam" in shown
    assert "My reasons for living" not in shown
    assert await own_steps_of(running, client) == [("Things I can do on my own", "Call Sam")]
    # Both stay with the therapist, newest first.
    said = texts(await running.send(therapist, "/client robin"))
    assert said.index("Skipping meals") < said.index("I stop answering messages")


async def plan_started(running: RunningBot, clock: FixedClock) -> tuple[FakeUser, FakeUser]:
    """Robin, given the safety plan by their therapist, at its first question."""
    therapist, client = await therapist_and_client(running)
    await running.send(therapist, "/assign robin safety plan once 2026-11-21 18:00")
    await deliver(running, clock)
    start = (await running.send(client, "/plan"))[-1]
    await running.press(client, "Start safety plan", start)
    return therapist, client


async def test_the_clients_own_plan_comes_first_after_a_risk_message_and_in_sos(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await plan_started(running, clock)
    # Risk words in the plan's own warning signs are the plan working: no alert, no lines.
    signs = "When I start thinking everyone would be better off if I was dead"
    said = texts(await running.send(client, signs))
    assert "Thank you for telling me" not in said and "2 of 7" in said
    await write_plan(running, client, ROBINS_PLAN[1:])
    await running.tick()
    assert not [m for m in running.api.sent_to(therapist.chat_id) if "Risk alert" in (m.text or "")]

    said = texts(await running.send(client, "i want to die"))
    mine = said.index("Your own safety plan says:")
    assert said.index("Thank you for telling me") < mine
    assert (
        mine < said.index("A hot shower, then my running playlist") < said.index("TelefonSeelsorge")
    )
    assert "Sam Fakename, my sister: 555-0100" in said
    assert "I stop answering messages" not in said  # step 1 is theirs to read in /plan
    assert "seeing the sea" not in said  # reasons for living: in /plan

    sos = texts(await running.send(client, "/sos"))
    assert sos.index("please call 112") < sos.index("Your own safety plan says:")
    assert sos.index("Dr Fake Therapist 555-0199") < sos.index("TelefonSeelsorge")


async def test_risk_words_beyond_the_plans_warning_signs_are_answered_in_full(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await plan_started(running, clock)
    await running.send(client, "I stop answering messages and stay in bed")
    # Step 2 is how they cope: a plain disclosure here is risk now, answered and alerted.
    said = texts(await running.send(client, "honestly I want to kill myself, I can't do this"))
    assert "Thank you for telling me" in said and "I've let Dr Fake Therapist know" in said
    await running.api.wait_for_sent(therapist.chat_id, lambda m: "Risk alert" in (m.text or ""))
    # A note mid-plan is screened as a note: the lines, and it joins the open alert.
    clock.advance(timedelta(hours=1))
    said = texts(await running.send(client, "/note I want to die"))
    assert "crisis" in said.lower() or "112" in said


async def test_risk_written_in_a_plans_step_is_never_read_back_as_a_way_to_cope(
    running: RunningBot, clock: FixedClock
) -> None:
    _therapist, client = await plan_started(running, clock)
    await running.send(client, "Thinking I want to die, not sleeping")
    said = texts(await running.send(client, "Tonight I'm going to kill myself, I have the pills"))
    assert "Thank you for telling me" in said  # answered in full, and alerted
    await write_plan(running, client, ["Music", None, None, None, None])
    sos = texts(await running.send(client, "/sos"))
    assert "kill myself" not in sos and "take my mind off things: Music" in sos
    clock.advance(timedelta(hours=2))
    said = texts(await running.send(client, "i want to die"))
    assert "kill myself" not in said
