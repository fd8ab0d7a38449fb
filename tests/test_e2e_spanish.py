"""A Spanish-speaking client, end to end: onboarding and a thought record, all in Spanish."""

from __future__ import annotations

from bot.cli import therapist_code
from bot.i18n import tr
from tests.harness import RunningBot, code_in, register_therapist, texts


async def test_a_spanish_speaking_client_does_onboarding_and_a_thought_record(
    running: RunningBot,
) -> None:
    therapist = running.api.user(9101, "Dana", username="dana_fake")
    await register_therapist(running, therapist)
    client = running.api.user(9102, "Lucía", username="lucia_fake", language_code="es-MX")
    code = code_in(texts(await running.send(therapist, "/invite Lucía")))

    # The consent is in her language, with its buttons, and typed "sí" is a yes.
    consent = texts(await running.send(client, f"/start {code}"))
    assert "¡Hola, Lucía! Dr Fake Therapist te invitó" in consent
    offered = running.api.sent_to(client.chat_id)[-1].buttons
    assert [label for label, _ in offered[0]] == [
        tr("es", "Yes, I agree"),
        tr("es", "No, thank you"),
    ]
    linked = texts(await running.send(client, "sí"))
    assert "Dr Fake Therapist" in linked and "You are now linked" not in linked
    assert "¿En qué zona horaria estás?" in linked
    zone = texts(await running.send(client, "Ciudad de México"))
    assert "hora de Ciudad de México" in zone and "Got it" not in zone

    # Homework is given by the therapist (who may type her name without its accent, and the
    # homework's Spanish title, and its schedule in Spanish), and reaches her in Spanish.
    assigned = texts(
        await running.send(therapist, "/assign lucia registro de pensamientos a diario 20:00")
    )
    assert "Assigned thought record to Lucía, daily at 20:00" in assigned
    await running.tick()
    notice = texts(running.api.sent_to(client.chat_id)[-1:])
    assert "te dio una nueva tarea: registro de pensamientos" in notice
    today = texts(await running.send(client, "/today"))
    assert "Tus tareas:" in today and "Registro de pensamientos" in today
    first = texts(await running.press(client, "Empezar registro de pensamientos"))
    assert "Registro de pensamientos · 1 de 11" in first
    assert "¿Qué estaba pasando?" in first

    answers = [
        "Una reunión de trabajo",
        "tristeza",
        "70",
        "Nadie me escucha",
        "Nadie me escucha",
        "Me interrumpieron dos veces",
        "Ana me pidió mi opinión después",
    ]
    for answer in answers:
        said = texts(await running.send(client, answer))
        assert "I need" not in said and "Please" not in said, said
    # Thinking traps: several chosen at once by their numbers.
    balanced = texts(await running.send(client, "5, 7"))
    assert "Registro de pensamientos · 9 de 11" in balanced
    await running.send(client, "Algunas personas no me escucharon, otras sí")
    # How much she believes it is optional: its Skip button's words, typed, pass it.
    after = texts(await running.send(client, "Saltar"))
    assert "Antes sentiste «tristeza» con una fuerza de 70" in after
    review = texts(await running.send(client, "40"))
    assert tr("es", "Here is everything you wrote. Save it, or change an answer first.") in review
    assert "Creer que sabes lo que piensan los demás" in review
    done = texts(await running.press(client, tr("es", "Save")))
    assert tr("es", "{title}: done.", title="Registro de pensamientos") in done
    assert "Una reunión de trabajo" in done and "Buen trabajo" in done
    assert "Thank you" not in done and "Here is" not in done

    # Her /help and /settings speak Spanish; the therapist's digest stays in English.
    assert "Esto es lo que puedo hacer por ti" in texts(await running.send(client, "/help"))
    assert "Idioma: Español" in texts(await running.send(client, "/settings"))
    digest = texts(await running.send(therapist, "/digest"))
    assert "Lucía" in digest and "Una reunión de trabajo" in digest


async def test_a_spanish_speaking_therapist_reads_a_templates_problems_in_spanish(
    running: RunningBot,
) -> None:
    from tests.test_e2e_library import SLEEP_V1, send_document

    therapist = running.api.user(9201, "Dra Falsa", username="dra_falsa", language_code="es")
    code, _ = await therapist_code(running.settings, name="Dra Falsa")
    welcome = texts(await running.send(therapist, f"/start {code}"))
    registered = "Welcome, {name}! You are registered as a therapist."
    assert tr("es", registered, name="Dra Falsa") in welcome
    await running.send(therapist, "Berlin")
    await running.send(therapist, "18:00")
    broken = SLEEP_V1.replace("max: 24}", "min: 30, max: 24, colour: blue}")
    said = texts(await send_document(running, therapist, "sueño.yaml", broken.encode()))
    assert "sueño.yaml" in said and "so it wasn't added" not in said
    # A field's type, a validator's own rule and the "unknown field" help, all in Spanish.
    assert "línea 7, steps[0].colour: campo desconocido; un paso number puede tener" in said
    assert "línea 7, steps[0].max: debe ser mayor que min (30)" in said
    assert "line 7" not in said and "must be" not in said
