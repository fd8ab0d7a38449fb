"""The Columbia protocol's short screen, asked after a risk message where a therapist has
turned it on for that client.

Source: the Columbia-Suicide Severity Rating Scale (C-SSRS), Screen Version (Posner K,
Brown GK, Stanley B, et al. 2011, Am J Psychiatry 168:1266-1277; © The Research Foundation
for Mental Hygiene, Inc.), free to use for clinical and non-profit purposes. Its questions
are asked about the past month, yes or no, in its order and with its skip: questions 3 to 5
only after a yes to question 2; question 6's "how recently" only after a yes to it. The
wording below keeps each question's meaning in plainer words (CLINICAL.md asks for warm,
short, plain language at the client); the therapist reads the answers with the protocol's
own names.

Its levels, as the therapist is told them: thoughts only (a wish to be dead, or thoughts
of killing oneself, without a method); a method; intent; a plan; recent acts (something
done or prepared to end one's life in the past three months); an act longer ago.

Pure: questions, the next question, the urgency; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "es"]

QUESTIONS: tuple[str, ...] = ("wish", "thoughts", "method", "intent", "plan", "acts", "recent")
"""The screen's questions by name, in order (``recent`` asks how long ago ``acts`` was)."""

ASKED: dict[Language, dict[str, str]] = {
    "en": {
        "wish": "In the past month, have you wished you were dead, or wished you could go "
        "to sleep and not wake up?",
        "thoughts": "In the past month, have you had any thoughts of killing yourself?",
        "method": "Have you been thinking about how you might do this?",
        "intent": "Have you had these thoughts and had some intention of acting on them?",
        "plan": "Have you started to work out, or worked out, the details of how to kill "
        "yourself? And do you intend to carry out this plan?",
        "acts": "Have you ever done anything, started to do anything, or prepared to do "
        "anything to end your life?",
        "recent": "Was that in the past three months?",
    },
    "es": {
        "wish": "En el último mes, ¿has deseado estar muerto o muerta, o poder dormirte y "
        "no despertar?",
        "thoughts": "En el último mes, ¿has tenido pensamientos de quitarte la vida?",
        "method": "¿Has pensado en cómo podrías hacerlo?",
        "intent": "¿Has tenido estos pensamientos con alguna intención de llevarlos a cabo?",
        "plan": "¿Has empezado a pensar, o has pensado ya, los detalles de cómo quitarte la "
        "vida? ¿Tienes intención de llevar a cabo ese plan?",
        "acts": "¿Alguna vez has hecho algo, empezado a hacer algo o preparado algo para "
        "quitarte la vida?",
        "recent": "¿Fue en los últimos tres meses?",
    },
}

WORDS: dict[Language, dict[str, str]] = {
    "en": {
        "offer": "If it's all right, {therapist} would like you to answer a few short "
        "yes-or-no questions, so they know how best to help. You can stop at any time.",
        "yes": "Yes",
        "no": "No",
        "stop": "I'd rather not",
        "thanks": "Thank you for answering. I've passed your answers on to {therapist}.",
        "thanks_nobody": "Thank you for answering.",
        "urgent": "Please, if you might act on these thoughts, call {emergency} now, or one "
        "of the lines /sos shows. You deserve support right now.",
        "stopped": "That's all right. /sos shows the crisis lines whenever you need them.",
    },
    "es": {
        "offer": "Si te parece bien, a {therapist} le gustaría que respondieras unas "
        "preguntas breves de sí o no, para saber cómo ayudarte mejor. Puedes parar cuando "
        "quieras.",
        "yes": "Sí",
        "no": "No",
        "stop": "Prefiero no responder",
        "thanks": "Gracias por responder. Le he pasado tus respuestas a {therapist}.",
        "thanks_nobody": "Gracias por responder.",
        "urgent": "Por favor, si podrías actuar según estos pensamientos, llama ya al "
        "{emergency} o a una de las líneas que muestra /sos. Mereces apoyo ahora mismo.",
        "stopped": "No pasa nada. /sos te muestra las líneas de crisis cuando las necesites.",
    },
}

Level = Literal["none", "thoughts", "method", "intent", "plan", "recent_acts", "past_acts"]


def next_question(answers: dict[str, bool]) -> str | None:
    """The next question to ask, given the answers so far; None when the screen is done."""
    for name in QUESTIONS:
        if name in answers:
            continue
        if name in ("method", "intent", "plan") and not answers.get("thoughts"):
            continue  # asked only after a yes to question 2
        if name == "recent" and not answers.get("acts"):
            continue
        return name
    return None


@dataclass(frozen=True)
class Urgency:
    """What the answers say, most urgent first: its level and whether it is high."""

    level: Level
    high: bool
    """Intent, a plan, or acts in the past three months: the protocol's highest level."""


def urgency(answers: dict[str, bool]) -> Urgency:
    """The protocol's level from the answers given (a question left unanswered is no)."""
    if answers.get("acts") and answers.get("recent"):
        return Urgency("recent_acts", True)
    if answers.get("thoughts") and answers.get("plan"):
        return Urgency("plan", True)
    if answers.get("thoughts") and answers.get("intent"):
        return Urgency("intent", True)
    if answers.get("thoughts") and answers.get("method"):
        return Urgency("method", False)
    if answers.get("acts"):
        return Urgency("past_acts", False)
    if answers.get("wish") or answers.get("thoughts"):
        return Urgency("thoughts", False)
    return Urgency("none", False)
