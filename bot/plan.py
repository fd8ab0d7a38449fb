"""The client's own safety plan (the built-in `safety_plan` homework): /plan shows the one
saved last, step by step in their own words, and its steps 2 to 5 are there for a crisis
reply and /sos to put before the general lines (`own_steps`).

::

    /plan ─► latest saved plan: each step's heading and their words (empty steps left out)
          ─► none yet, given as homework: how to start it now [Start safety plan]
          ─► none yet, not given: their therapist can make one with them
          (mid-homework: then the open question again)

`own_steps` only reads (it changes no entry and says nothing), so a crisis reply may call it
whatever the chat is doing. Never log a plan's words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot import homework, library
from bot.i18n import LANGUAGES, in_sentence, moment
from bot.render import buttons
from bot.runtime import Ctx, button_token
from conversations import engine, risk
from conversations.engine import Flow
from conversations.kinds.base import Answer
from storage import homework as entries
from storage.models import User

PLAN = "safety_plan"
"""The built-in template whose entries are a client's safety plans."""
STEPS = ("warning_signs", "coping", "distraction", "people", "professionals", "safer", "reasons")
"""Every step /plan shows: the six of Stanley and Brown (2012), then reasons for living."""
OWN_STEPS = ("coping", "distraction", "people", "professionals")
"""Steps 2 to 5: what the client can do, and whom they can reach, before the general lines."""
SIGNS = frozenset({"warning_signs"})
"""Step 1, where a client names what a hard time looks like for them (risk words and all)."""


def plan_steps(
    flow: Flow, answers: Mapping[str, Answer], *, only: Sequence[str] = STEPS
) -> list[tuple[str, str]]:
    """(heading, their words) of the plan's steps in `only` that they wrote, in the plan's
    order; a step left empty or skipped is left out."""
    return list(engine.summarize(flow, {key: answers[key] for key in only if key in answers}))


async def _latest(
    ctx: Ctx, client: User, language: str
) -> tuple[Flow, Mapping[str, Answer], datetime] | None:
    """The client's latest saved plan: its flow in `language`, its answers and when it was
    saved; None when there is none, or it cannot be read (logged without its words)."""
    entry = await entries.latest_done_entry_of_template(
        ctx.session, client_id=client.id, template_id=PLAN
    )
    if entry is None:
        return None
    found = await library.entry_state(ctx.rt, ctx.session, entry, language=language)
    if found is None:
        return None
    flow, state = found
    return flow, state.answers, entry.completed_at or entry.updated_at


async def own_steps(ctx: Ctx, client: User) -> list[tuple[str, str]]:
    """(heading, their words) of steps 2 to 5 (coping, distraction, people, professionals)
    of the client's latest saved safety plan, in that order and in the client's language;
    empty when there is none. Only reads, so a crisis reply or /sos may call it anywhere."""
    language = client.language if client.language in LANGUAGES else "en"
    found = await _latest(ctx, client, language)
    if found is None:
        return []
    flow, answers, _ = found
    # A step whose words are risk (written there in a hard moment) is never read back to
    # them as a way to cope: /plan still shows it, and the therapist reads it in /client.
    return [
        (heading, words)
        for heading, words in plan_steps(flow, answers, only=OWN_STEPS)
        if risk.screen(words) is None
    ]


def plan_text(heading: str, steps: Sequence[tuple[str, str]], footer: str) -> str:
    """The plan as one HTML message: its heading, then each step's heading and words."""
    lines = [f"<b>{escape(heading)}</b>"]
    for label, words in steps:
        lines += ["", f"<b>{escape(label)}</b>", escape(words)]
    return "\n".join([*lines, "", escape(footer)])


async def show_plan(ctx: Ctx) -> None:
    """/plan: the client's latest saved safety plan, or how to make one; mid-homework, the
    open question follows again."""
    client = ctx.user
    if client is None or client.role != "client":
        ctx.say(
            ctx.t(
                "/plan shows a client their own safety plan. You can read your clients' plans "
                "with /client NAME."
            )
        )
        return
    found = await _latest(ctx, client, ctx.lang)
    steps = plan_steps(found[0], found[1]) if found is not None else []
    open_entry = await homework.open_entry_of(ctx)
    if found is not None and steps:
        flow, _, saved = found
        day = moment(saved.astimezone(ZoneInfo(client.timezone)), ctx.lang, "EEE d MMM")
        heading = ctx.t("Your {title}, saved {day}:", title=in_sentence(flow.title), day=day)
        footer = ctx.t(
            "/sos shows crisis lines any time. Your therapist can help you go over your plan "
            "and change it."
        )
        ctx.say(plan_text(heading, steps, footer), html=True)
    elif open_entry is not None and open_entry.template_id == PLAN:
        ctx.say(ctx.t("You are writing your safety plan now. Once it is saved, /plan shows it."))
    else:
        await _none_yet(ctx, client)
    if open_entry is not None:
        await homework.show_current(ctx, open_entry)


async def _none_yet(ctx: Ctx, client: User) -> None:
    """No plan saved: start it now if it is their homework, else make one with their
    therapist."""
    given = [
        assignment
        for assignment in await entries.client_assignments(ctx.session, client_id=client.id)
        if assignment.template_id == PLAN
    ]
    if not given:
        ctx.say(
            ctx.t(
                "You don't have a safety plan here yet. It's a short list, in your own words, "
                "of what helps when things get hard. You can make one with your therapist: "
                "ask them about it. /sos shows crisis lines any time."
            )
        )
        return
    title = in_sentence(ctx.rt.title_of(PLAN, ctx.lang))
    token = await button_token(ctx, "start", {"assignment": given[0].id})
    ctx.say(
        ctx.t(
            "You haven't saved a safety plan yet. It's a short list, in your own words, of "
            "what helps when things get hard. You can make it with your therapist, or start it "
            "now: tap below, or type “{title}”. /sos shows crisis lines any time.",
            title=title,
        ),
        buttons=buttons([[(ctx.t("Start {title}", title=title), token)]]),
    )
