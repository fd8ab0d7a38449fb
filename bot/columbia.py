"""The Columbia screen after a risk message, for clients whose therapist turned it on.

::

    /columbia CLIENT on|off (therapist) ─► link.columbia
    risk message, the client's first in an alert ─► crisis reply, then the offer and the
        first question, with Yes / No / I'd rather not (buttons only: typed words still go
        to any homework open)
    each press ─► the answer kept on the flag (encrypted) ─► the next question, or done:
        thanks, the emergency number again at the protocol's highest level, and the
        therapist gets the answers and their urgency in the alert's thread

The questions, skip rules and levels are conversations/columbia.py's (the published screen).
"""

from __future__ import annotations

import logging

from bot import caseload
from bot.i18n import N_, tr
from bot.render import buttons
from bot.runtime import Ctx, button_token
from conversations import columbia
from conversations.columbia import ASKED, WORDS, Language
from conversations.crisis import pick
from storage import flags, people
from storage.models import Flag, Link, User

log = logging.getLogger(__name__)

NAMES = {
    "wish": N_("wish to be dead"),
    "thoughts": N_("thoughts of killing themselves"),
    "method": N_("thought about how (a method)"),
    "intent": N_("some intention of acting on them"),
    "plan": N_("worked out a plan, and intend to carry it out"),
    "acts": N_("ever done, begun or prepared anything to end their life"),
    "recent": N_("that within the past three months"),
}
"""The protocol's questions as the therapist reads them (marked for translation below)."""

LEVELS = {
    "none": N_("no to every question"),
    "thoughts": N_("thoughts only (no method, intent or plan)"),
    "method": N_("thoughts with a method"),
    "intent": N_("thoughts with intent to act"),
    "plan": N_("a plan, with intent"),
    "recent_acts": N_("something done or prepared to end their life in the past three months"),
    "past_acts": N_("something done or prepared to end their life, longer ago"),
}


async def set_columbia(ctx: Ctx) -> None:
    """/columbia CLIENT on|off: ask the Columbia screen after this client's risk messages."""
    therapist = ctx.user
    if therapist is None or therapist.role != "therapist":
        ctx.say(ctx.t("/columbia is for therapists."))
        return
    choice = ctx.args[-1].casefold() if ctx.args else ""
    if len(ctx.args) < 2 or choice not in ("on", "off"):
        ctx.say(
            ctx.t(
                "/columbia CLIENT on asks that client the Columbia screen's short questions "
                "after a risk message, and sends you their answers with the alert; /columbia "
                "CLIENT off stops it. For example: /columbia robin on"
            )
        )
        return
    found = await caseload.find_one(ctx, therapist, " ".join(ctx.args[:-1]))
    if found is None:
        return
    link, client = found
    link.columbia = choice == "on" or None
    name = people.client_display_name(link, client)
    ctx.say(
        ctx.t(
            "From now on, after a risk message {name} is asked the Columbia screen's short "
            "yes-or-no questions, and their answers reach you in the alert's thread. They can "
            "always decline.",
            name=name,
        )
        if link.columbia
        else ctx.t("{name} is no longer asked the Columbia screen after a risk message.", name=name)
    )


async def offer(ctx: Ctx, client: User, link: Link | None, flag: Flag, told: str) -> None:
    """After the crisis reply: the offer and the first question, when it is on for them
    (`told`: the therapist who will read the answers)."""
    if link is None or not link.columbia or flag.screen is not None:
        return
    language = _language(client)
    flag.screen = {"answers": {}}
    first = columbia.next_question({})
    assert first is not None
    words = WORDS[language]
    opening = words["offer"].format(therapist=told)
    await _ask(ctx, flag, first, language, opening)


async def _ask(ctx: Ctx, flag: Flag, question: str, language: Language, before: str = "") -> None:
    words = WORDS[language]
    token = await button_token(ctx, "columbia", {"flag": flag.id, "q": question})
    text = "\n\n".join(part for part in (before, ASKED[language][question]) if part)
    ctx.say(
        text,
        buttons=buttons(
            [
                [(words["yes"], f"{token}:yes"), (words["no"], f"{token}:no")],
                [(words["stop"], f"{token}:stop")],
            ]
        ),
        urgent=True,
    )


async def on_button(ctx: Ctx, payload: dict[str, object], sub: str, *, country: str | None) -> None:
    """A Yes, No or I'd-rather-not under one of the screen's questions (`country`: where
    the client probably is, for the emergency number)."""
    client = ctx.user
    flag_id, question = payload.get("flag"), payload.get("q")
    flag = await flags.get_flag(ctx.session, flag_id=flag_id) if isinstance(flag_id, int) else None
    if client is None or flag is None or flag.client_id != client.id or flag.screen is None:
        ctx.toast(ctx.t("That button is no longer active."))
        return
    state = dict(flag.screen)
    answers = {str(k): bool(v) for k, v in dict(state.get("answers") or {}).items()}
    ctx.edit_buttons(None)
    if state.get("done") or question not in ASKED["en"] or question in answers:
        ctx.toast(ctx.t("That question is answered already."))
        return
    link = await people.get_link(ctx.session, link_id=flag.link_id) if flag.link_id else None
    if link is None or link.ended_at is not None:
        # The link ended since it was offered: the screen ends, its answers unsent.
        flag.screen = {"answers": answers, "done": True, "stopped": True}
        ctx.say(WORDS[_language(client)]["stopped"])
        return
    language = _language(client)
    words = WORDS[language]
    if sub == "stop":
        flag.screen = {"answers": answers, "done": True, "stopped": True}
        ctx.say(words["stopped"])
        await _tell_therapist(ctx, client, flag, answers, stopped=True)
        return
    answers[str(question)] = sub == "yes"
    following = columbia.next_question(answers)
    if following is not None:
        flag.screen = {"answers": answers}
        await _ask(ctx, flag, following, language)
        return
    urgency = columbia.urgency(answers)
    flag.screen = {"answers": answers, "done": True, "level": urgency.level}
    told = await _tell_therapist(ctx, client, flag, answers, stopped=False)
    said = [words["thanks"].format(therapist=told) if told else words["thanks_nobody"]]
    if urgency.high:
        region, _ = ctx.rt.resources.region(country)
        said.append(words["urgent"].format(emergency=pick(region.emergency, language)))
    ctx.say("\n\n".join(said), urgent=urgency.high)
    log.info("columbia screen completed for flag %s (%s)", flag.id, urgency.level)


def answers_text(answers: dict[str, bool], language: str, *, stopped: bool) -> str:
    """The answers as the therapist reads them, with the protocol's level."""
    lines = []
    for name in columbia.QUESTIONS:
        if name in answers:
            said = tr(language, "yes") if answers[name] else tr(language, "no")
            lines.append(f"• {tr(language, NAMES[name])}: {said}")
    urgency = columbia.urgency(answers)
    lines.append("")
    lines.append(
        tr(language, "Urgency: {level}.", level=tr(language, LEVELS[urgency.level]))
        if not stopped
        else tr(language, "They chose to stop before the end; the answers above are all given.")
    )
    if urgency.high:
        lines.append(tr(language, "⚠️ This is the protocol's highest level: please reach them now."))
    lines.append(tr(language, "Source: C-SSRS Screen Version (Posner et al. 2011)."))
    return "\n".join(lines)


async def _tell_therapist(
    ctx: Ctx, client: User, flag: Flag, answers: dict[str, bool], *, stopped: bool
) -> str | None:
    """The answers in the alert's thread (a reply, so it notifies); who was told."""
    link = await people.get_link(ctx.session, link_id=flag.link_id) if flag.link_id else None
    therapist = (
        await people.get_user_by_id(ctx.session, user_id=link.therapist_id) if link else None
    )
    if link is None or link.ended_at is not None:
        return None  # no longer linked: their answers are nobody else's to read
    if therapist is None or therapist.blocked_at is not None:
        return None
    language = therapist.language
    name = people.client_display_name(link, client)
    heading = (
        tr(language, "{client} answered the Columbia screen:", client=name)
        if answers
        else tr(language, "{client} chose not to answer the Columbia screen.", client=name)
    )
    await flags.tell_in_thread(
        ctx.session,
        therapist=therapist,
        flag=flag,
        head=flag,  # the screen is offered only after a flag that opened its alert
        key=f"{flags.alert_key(flag)}:screen",
        text=heading + ("\n" + answers_text(answers, language, stopped=stopped) if answers else ""),
        now=ctx.now,
    )
    ctx.urgent = True
    return therapist.name


def _language(client: User) -> Language:
    return "es" if client.language == "es" else "en"
