"""Crisis resources (operator data) and what the bot says when someone may be at risk.

The wording follows safe-messaging practice (shared/CLINICAL.md, "Responding to risk"):
acknowledge what the person wrote and that it sounds painful, say we are glad they said it,
give the resources plainly with the emergency number first when they may be in danger now,
encourage them to reach someone they trust, say their therapist is being told, never argue,
lecture or mention methods, and let them carry on with their homework afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from conversations.notes import N_, english
from conversations.notes import Words as Wordings
from conversations.timezones import country_of_zone
from conversations.yamldoc import DocumentError, Problem, load_document, load_document_file

MAX_RESOURCES_BYTES = 200_000
Language = Literal["en", "es"]


def _language_code(code: str) -> str:
    if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha() and code.islower()):
        raise ValueError(f"“{code}” is not a language code; use lower-case ones like en or es")
    return code


def _nonblank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


def _country_code(code: str) -> str:
    if not (len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()):
        raise ValueError(f"“{code}” is not a country code; use two capitals, like US or GB")
    return code


Words = Annotated[str, Field(max_length=300), AfterValidator(_nonblank)]
LocalText = Words | dict[Annotated[str, AfterValidator(_language_code)], Words]
"""One text, or one per language code."""
CountryCode = Annotated[str, AfterValidator(_country_code)]


def pick(text: LocalText, language: str) -> str:
    """The text in `language`, else in English, else the first one given."""
    if isinstance(text, str):
        return text
    return text.get(language) or text.get("en") or next(iter(text.values()))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CrisisLine(_Strict):
    """A line people can call or text, and how."""

    name: LocalText
    how: LocalText


class Region(_Strict):
    """What to offer in one country (or anywhere, for the default)."""

    name: LocalText
    emergency: LocalText
    checked: date
    """When this entry was last compared with its source."""
    lines: list[CrisisLine] = Field(min_length=1, max_length=5)


class CrisisResources(_Strict):
    """The operator's crisis resources file."""

    version: Literal[1] = 1
    directory: LocalText | None = None
    """Where to look when the person is somewhere else; added after a country's lines."""
    default: Region
    countries: dict[CountryCode, Region] = Field(default_factory=dict)

    def region(self, country: str | None) -> tuple[Region, bool]:
        """The region for a country code, and whether it is that country's own entry."""
        found = self.countries.get(country or "")
        return (found, True) if found is not None else (self.default, False)


MAX_REPLY = 3500
"""The longest crisis reply an operator's lines may make (a Telegram message holds 4,096)."""


def load_resources(path: str | os.PathLike[str] | None = None) -> CrisisResources:
    """The operator's file at `path`, or the shipped defaults; raises DocumentError, also
    when a reply built from them would not fit one Telegram message."""
    if path is not None:
        filename = os.fspath(path)
        loaded = load_document_file(path, CrisisResources, limit=MAX_RESOURCES_BYTES)
    else:
        filename = "conversations/crisis_resources.yaml"
        shipped = resources.files("conversations") / "crisis_resources.yaml"
        loaded = load_document(
            shipped.read_text(encoding="utf-8"), CrisisResources, filename=filename
        )
    problems = []
    for country in [None, *loaded.countries]:
        for language in _WORDS:
            text = crisis_reply(
                loaded,
                country,
                language=language,
                imminent=True,
                therapist="x" * 100,
                homework="x" * 100,
            )
            if len(text) > MAX_REPLY:
                where = f"countries.{country}" if country else "default"
                problems.append(
                    Problem(
                        None,
                        where,
                        f"makes a crisis reply of {len(text):,} characters in “{language}”; "
                        f"at most {MAX_REPLY:,} fit one message, so shorten its lines",
                    )
                )
    if problems:
        raise DocumentError(filename, problems)
    return loaded


def choose_country(*, zone: str | None, language_code: str | None) -> str | None:
    """Where the person probably is: their time zone's country, else a region in their
    Telegram language (``es-MX``), else unknown."""
    if zone:
        country = country_of_zone(zone)
        if country:
            return country
    if language_code:
        _, _, region = language_code.replace("_", "-").partition("-")
        if len(region) == 2 and region.isalpha():
            return region.upper()
    return None


def language_of(language_code: str | None) -> Language:
    """The language we can answer in, from Telegram's language code."""
    return "es" if (language_code or "").lower().startswith("es") else "en"


_WORDS: dict[Language, dict[str, str]] = {
    "en": {
        "thanks": "Thank you for telling me. It sounds like you are in a lot of pain right "
        "now, and I'm really glad you said it. You don't have to go through this alone.",
        "danger_first": "If you might act on these thoughts, or you are in danger now, "
        "please call {emergency} now.",
        "danger_after": "If you are in danger now, or you might act on these thoughts, "
        "please call {emergency}.",
        "talk_now": "You can talk to someone right now, for free:",
        "talk_any": "You can talk to someone any time, for free:",
        "trusted": "If you can, reach out to someone you trust and tell them how you are "
        "feeling, or ask them to stay with you.",
        "told": "I've let {therapist} know, so they can follow up with you. Nobody watches "
        "this chat in real time, so please use the lines above if you need someone now.",
        "unwatched": "Nobody watches this chat in real time, so please use the lines above "
        "if you need someone now.",
        "carry_on": "When you feel ready, you can carry on with your {homework} below, or "
        "/cancel to pause it. Everything you wrote is kept.",
        "again": "I hear you, and I'm glad you're telling me.",
        "again_told": "I've let {therapist} know about this message too.",
        "sos_more": "/sos shows these numbers again at any time.",
        "sos_danger": "If you are in danger now, please call {emergency}.",
        "where": "These are for {country}.",
        "sos_homework": "Your {homework} is kept where you left it: answer the last question "
        "whenever you're ready, or /cancel to pause it.",
        "check_in": "That sounds really hard, and I'm glad you wrote it down. Can I ask you "
        "plainly: are you having thoughts of hurting yourself, or of ending your life?",
        "check_in_help": "If you are, please tell someone you trust, or your therapist. You "
        "can also talk to someone right now, for free: /sos shows the lines. If you are in "
        "danger now, please call {emergency}.",
        "check_in_tap": "If you are, tap Yes and I'll let your therapist know. You can also "
        "talk to someone right now, for free: /sos shows the lines. If you are in danger now, "
        "please call {emergency}.",
        "check_in_yes": "Yes, I am",
        "check_in_no": "No, not that",
        "check_in_not": "Thank you for telling me. If that changes, /sos is always here, and "
        "so am I.",
        "plan_signs": "Thank you for writing this down. Knowing your warning signs is how the "
        "plan helps. If these thoughts are with you right now, /sos shows the lines.",
        "check_in_go_on": "If it's not that, that's all right: carry on below whenever you're "
        "ready.",
        "other_thanks": "Thank you for looking out for them. It sounds like someone you care "
        "about may be at risk, and that's a lot to carry.",
        "other_danger": "If they may be in danger now, call {emergency}, and stay with them "
        "until help comes.",
        "other_how": "Ways to help:\n"
        "• Stay with them, or keep talking, and listen without judging.\n"
        "• Ask them directly if they are thinking about suicide. Asking does not put the idea "
        "in their head.\n"
        "• If it's safe, help move away things they could use to hurt themselves.\n"
        "• Call a line together:",
        "other_you": "Look after yourself too: you can talk to one of these lines about how "
        "you feel, and to your therapist. And if you're having thoughts like these yourself, "
        "please say so here, or use /sos: the lines are for you too.",
        "own_plan": "Your own safety plan says:",
    },
    "es": {
        "thanks": "Gracias por contármelo. Parece que estás pasando por muchísimo dolor ahora "
        "mismo, y me alegra de verdad que lo hayas dicho. No tienes que pasar por esto a solas.",
        "danger_first": "Si podrías actuar según estos pensamientos o estás en peligro ahora, "
        "llama ya al {emergency}.",
        "danger_after": "Si estás en peligro ahora o podrías actuar según estos pensamientos, "
        "llama al {emergency}.",
        "talk_now": "Puedes hablar con alguien ahora mismo, gratis:",
        "talk_any": "Puedes hablar con alguien cuando quieras, gratis:",
        "trusted": "Si puedes, busca a alguien de confianza y cuéntale cómo te sientes, o "
        "pídele que se quede contigo.",
        "told": "Le he avisado a {therapist} para que pueda contactarte. Nadie lee este chat "
        "en tiempo real, así que si necesitas a alguien ahora, usa las líneas de arriba.",
        "unwatched": "Nadie lee este chat en tiempo real, así que si necesitas a alguien "
        "ahora, usa las líneas de arriba.",
        "carry_on": "Cuando te sientas con ánimo, puedes seguir con tu tarea ({homework}) aquí "
        "abajo, o escribir /cancel para pausarla. Todo lo que escribiste queda guardado.",
        "again": "Te escucho, y me alegra que me lo cuentes.",
        "again_told": "También le he avisado a {therapist} de este mensaje.",
        "sos_more": "Con /sos vuelves a ver estos números cuando quieras.",
        "sos_danger": "Si estás en peligro ahora, llama al {emergency}.",
        "where": "Estas líneas son de {country}.",
        "sos_homework": "Tu tarea ({homework}) queda guardada donde la dejaste: responde la última "
        "pregunta cuando quieras, o escribe /cancel para pausarla.",
        "check_in": "Eso suena muy duro, y me alegra que lo hayas escrito. ¿Puedo preguntarte "
        "con sencillez? ¿Estás teniendo pensamientos de hacerte daño, o de quitarte la vida?",
        "check_in_help": "Si es así, cuéntaselo a alguien de confianza o a tu terapeuta. "
        "También puedes hablar con alguien ahora mismo, gratis: /sos te muestra las líneas. "
        "Si estás en peligro ahora, llama al {emergency}.",
        "check_in_tap": "Si es así, toca «Sí, así es» y se lo haré saber a tu terapeuta. También "
        "puedes hablar con alguien ahora mismo, gratis: /sos te muestra las líneas. Si estás "
        "en peligro ahora, llama al {emergency}.",
        "check_in_yes": "Sí, así es",
        "check_in_no": "No, no es eso",
        "check_in_not": "Gracias por contármelo. Si eso cambia, /sos siempre está aquí, y yo "
        "también.",
        "plan_signs": "Gracias por escribirlo. Conocer tus señales de alerta es lo que hace "
        "que el plan ayude. Si estos pensamientos te acompañan ahora mismo, /sos te muestra "
        "las líneas.",
        "check_in_go_on": "Si no es eso, no pasa nada: sigue aquí abajo cuando quieras.",
        "other_thanks": "Gracias por preocuparte por esa persona. Parece que alguien que te "
        "importa puede estar en riesgo, y eso pesa mucho.",
        "other_danger": "Si puede estar en peligro ahora, llama al {emergency} y quédate con "
        "esa persona hasta que llegue ayuda.",
        "other_how": "Cómo ayudar:\n"
        "• Quédate con esa persona, o sigue hablando con ella, y escucha sin juzgar.\n"
        "• Pregúntale directamente si está pensando en el suicidio. Preguntarlo no le mete "
        "la idea en la cabeza.\n"
        "• Si es seguro, ayuda a apartar lo que podría usar para hacerse daño.\n"
        "• Llamad juntos a una línea:",
        "other_you": "Cuídate tú también: puedes hablar con estas líneas de cómo te sientes, "
        "y con tu terapeuta. Y si tú también tienes pensamientos así, dilo aquí, o usa /sos: "
        "las líneas también son para ti.",
        "own_plan": "Tu propio plan de seguridad dice:",
    },
}


def _lines(region: Region, language: str) -> list[str]:
    return [f"• {pick(line.name, language)}: {pick(line.how, language)}" for line in region.lines]


def _where(
    resources_: CrisisResources, region: Region, own: bool, words: dict[str, str], language: str
) -> list[str]:
    if not own:
        return []
    where = words["where"].format(country=pick(region.name, language))
    if resources_.directory is not None:
        where += " " + pick(resources_.directory, language)
    return [where]


PlanSteps = Sequence[tuple[str, str]]
"""A client's own safety plan steps 2 to 5, as (heading, their words)."""


def _plan(plan: PlanSteps, words: dict[str, str]) -> list[str]:
    if not plan:
        return []
    return [words["own_plan"] + "\n" + "\n".join(f"• {head}: {said}" for head, said in plan)]


def crisis_reply(
    resources_: CrisisResources,
    country: str | None,
    *,
    language: Language,
    imminent: bool,
    therapist: str | None,
    homework: str | None,
    repeat: bool = False,
    plan: PlanSteps = (),
) -> str:
    """What a person who wrote risk language is told at once.

    `imminent` puts the emergency number first; `therapist` (who is being told) is None when
    nobody is; `homework` names the conversation they may carry on with; `repeat` is a
    shorter answer for another such message soon after the first; `plan`, the client's own
    safety plan steps, comes before the crisis lines (after the emergency number, when the
    words suggest danger now).
    """
    words = _WORDS[language]
    region, own = resources_.region(country)
    emergency = pick(region.emergency, language)
    if repeat:
        parts = [
            words["again"] + " " + words["danger_first"].format(emergency=emergency),
            *_plan(plan, words),
            "\n".join(_lines(region, language)),
            words["again_told"].format(therapist=therapist) if therapist else words["sos_more"],
        ]
    else:
        danger = words["danger_first" if imminent else "danger_after"].format(emergency=emergency)
        talk = "\n".join([words["talk_now" if imminent else "talk_any"], *_lines(region, language)])
        parts = [words["thanks"]]
        mine = _plan(plan, words)
        parts += [danger, *mine, talk] if imminent else [*mine, talk, danger]
        parts += _where(resources_, region, own, words, language)
        parts.append(words["trusted"])
        parts.append(words["told"].format(therapist=therapist) if therapist else words["unwatched"])
    if homework:
        parts.append(words["carry_on"].format(homework=homework))
    return "\n\n".join(parts)


def sos_text(
    resources_: CrisisResources,
    country: str | None,
    *,
    language: Language,
    homework: str | None = None,
    plan: PlanSteps = (),
) -> str:
    """/sos: the resources plainly, emergency number first, then the client's own plan."""
    words = _WORDS[language]
    region, own = resources_.region(country)
    parts = [
        words["sos_danger"].format(emergency=pick(region.emergency, language)),
        *_plan(plan, words),
        "\n".join([words["talk_any"], *_lines(region, language)]),
        *_where(resources_, region, own, words, language),
        words["trusted"],
        words["unwatched"],
    ]
    if homework:
        parts.append(words["sos_homework"].format(homework=homework))
    return "\n\n".join(parts)


def check_in_reply(
    resources_: CrisisResources,
    country: str | None,
    *,
    language: Language,
    homework: bool,
    buttons: bool = False,
) -> str:
    """The gentle question for words the screen is unsure of: no alarm, no alert, the way
    to /sos and the emergency number (`buttons`: Yes tells the therapist)."""
    words = _WORDS[language]
    region, _ = resources_.region(country)
    parts = [
        words["check_in"],
        words["check_in_tap" if buttons else "check_in_help"].format(
            emergency=pick(region.emergency, language)
        ),
    ]
    if homework:
        parts.append(words["check_in_go_on"])
    return "\n\n".join(parts)


def crisis_words(language: Language) -> dict[str, str]:
    """The crisis replies' own words in `language` (button labels, short lines)."""
    return _WORDS[language]


def helping_reply(resources_: CrisisResources, country: str | None, *, language: Language) -> str:
    """For someone worried about another person at risk: how to help, and the same lines
    to call together (CLINICAL.md, "Safety planning")."""
    words = _WORDS[language]
    region, own = resources_.region(country)
    return "\n\n".join(
        [
            words["other_thanks"],
            words["other_danger"].format(emergency=pick(region.emergency, language)),
            "\n".join([words["other_how"], *_lines(region, language)]),
            *_where(resources_, region, own, words, language),
            words["other_you"],
        ]
    )


ASKED = N_(
    "When the bot then asked whether they were having thoughts of hurting themselves or of "
    "ending their life, they answered yes."
)
"""Under an alert raised by Yes to a check-in: the words alone were not clear risk."""


@dataclass(frozen=True)
class Written:
    """What an alert or its follow-up tells of one risk message: who, when, where, the
    words, and whether they read as imminent."""

    client: str
    when: str
    where: str
    excerpt: str
    imminent: bool
    asked: bool = False
    """The client said yes to a check-in about these words."""


def follow_up_text(written: Written, t: Wordings = english) -> str:
    """A later risk message of a client whose alert is still open: sent in the alert's
    thread, since that alert's one Acknowledge settles both."""
    client, when, where = written.client, written.when, written.where
    excerpt, imminent, asked = written.excerpt, written.imminent, written.asked
    lines = [
        t("⚠️ {client} wrote again, {when}, {where}:", client=client, when=when, where=where),
        f"“{excerpt}”",
    ]
    if asked:
        lines += ["", t(ASKED)]
    if imminent:
        lines += ["", t("The words suggest they may be in danger now (a plan, a time or a means).")]
    lines += ["", t("This joins their open alert: Acknowledge there settles all of it.")]
    return "\n".join(lines)


WHERE = {
    "homework": N_("in their {homework}"),
    "message": N_("outside homework"),
    "setup": N_("while answering a setup question"),
    "note": N_("in a note or comment for you"),
    "edited": N_("in an edited message"),
    "caption": N_("in a photo caption"),
}


def where_text(source: str, homework: str | None, t: Wordings = english) -> str:
    """Where a flag was raised, for the therapist: "in their thought record"."""
    return t(WHERE.get(source, WHERE["message"]), homework=homework or t("homework"))


def alert_text(
    written: Written, *, shown: str, ack_minutes: float, fallback: bool, t: Wordings = english
) -> str:
    """The therapist's alert: who, when, where, the sentence, and what was done already."""
    client, when, where = written.client, written.when, written.where
    excerpt, imminent, asked = written.excerpt, written.imminent, written.asked
    lines = [
        t("⚠️ Risk alert: {client}", client=client),
        "",
        t(
            "{client} wrote something that may mean they are at risk, {when}, {where}:",
            client=client,
            when=when,
            where=where,
        ),
        f"“{excerpt}”",
    ]
    if asked:
        lines += ["", t(ASKED)]
    if imminent:
        lines += [
            "",
            t("The words suggest they may be in danger now (a plan, a time or a means)."),
        ]
    minutes = format(ack_minutes, "g")
    lines += [
        "",
        t(
            "They were shown crisis lines ({shown}) at once and told that you would be informed.",
            shown=shown,
        ),
        t(
            "Please tap Acknowledge when you have seen this; if it is not acknowledged within "
            "{minutes} minutes, the practice's backup contact is told.",
            minutes=minutes,
        )
        if fallback
        else t("Please tap Acknowledge when you have seen this."),
    ]
    return "\n".join(lines)


ESCALATION_REASONS = {
    "unacknowledged": "has not been acknowledged by {therapist} for {minutes:g} minutes",
    "undeliverable": "could not be delivered to {therapist} (they may have blocked the bot)",
    "no_therapist": "was raised by a client who has no linked therapist",
}


def escalation_text(
    *, client: str, therapist: str | None, raised: str, reason: str, minutes: float
) -> str:
    """The operator's fallback chat: who needs follow-up, and why; never the client's words."""
    why = ESCALATION_REASONS[reason].format(
        therapist=therapist or "their therapist", minutes=minutes
    )
    about = f"{client} (a client of {therapist})" if therapist else client
    return (
        f"⚠️ Risk alert needs a person: the alert for {about}, raised {raised}, {why}.\n\n"
        "Please make sure someone follows up with them today. "
        "(What the client wrote is not shared here.)"
    )
