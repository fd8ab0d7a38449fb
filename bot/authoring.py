"""Therapists' own homework: templates sent as documents, /templates, and /preview.

::

    a .yaml document ─► checked (errors by line and field) ─► stored as a new version
        ─► "/preview NAME" walks it as a client would (nothing stored)
        ─► "/assign CLIENT NAME SCHEDULE" gives it, like any built-in
"""

from __future__ import annotations

import logging
import textwrap
from typing import Any

from bot import library
from bot.i18n import in_sentence, tr
from bot.messages import shown_as, words
from bot.render import keyboard, question_text, review_text, summary_text
from bot.runtime import TEMPLATE_SUFFIXES, Ctx
from conversations import engine
from conversations.engine import Event, Flow, FlowError, State
from conversations.templates import (
    MAX_TEMPLATE_BYTES,
    Template,
    TemplateError,
    find_template,
    load_template,
)
from storage import homework
from storage import library as stored
from storage.models import User

log = logging.getLogger(__name__)

PREVIEW = "preview"
"""The marker a preview's answer buttons carry (a client's carry their entry's)."""
MAX_SHOWN_PROBLEMS = 15


def own_key(template_id: str, therapist: User) -> str:
    """The key a therapist's own template is stored under: theirs alone."""
    return f"{template_id}@{therapist.id}"


async def templates_for(ctx: Ctx, therapist: User) -> dict[str, Template]:
    """Every template this therapist may assign, by key: built-ins and their own (newest)."""
    found: dict[str, Template] = dict(ctx.rt.library)
    for row in await stored.own_templates(ctx.session, owner_id=therapist.id):
        template = await library.template_version(ctx.rt, ctx.session, row.key, row.version)
        if template is not None:
            found[row.key] = template
    return found


def find_key(templates: dict[str, Template], typed: str) -> str | None:
    """The key of the template a typed name means (own templates win over built-ins)."""
    own = {k: t for k, t in templates.items() if "@" in k}
    for pool in (own, templates):
        template = find_template(pool, typed)
        if template is not None:
            return next(k for k, t in pool.items() if t is template)
    return None


async def receive_template(ctx: Ctx) -> None:
    """A therapist sent a document: check it as a template, and keep it if it is good."""
    therapist = ctx.user
    document = ctx.document
    if therapist is None or document is None or ctx.bot is None:
        return
    name = document.file_name or "template.yaml"
    if not name.lower().endswith(TEMPLATE_SUFFIXES):
        ctx.say(
            ctx.t(
                "I can only read homework templates here: a .yaml text file. /templates shows "
                "what you have, and the template guide explains how to write one."
            )
        )
        return
    if (document.file_size or 0) > MAX_TEMPLATE_BYTES:
        ctx.say(ctx.t("That file is larger than 100 kB, the most a template may be."))
        return
    data = ctx.fetched.get(document.file_id)
    if data is None:
        ctx.say(
            ctx.t(
                "I couldn't fetch {name} from Telegram just now; could you send it again?",
                name=name,
            )
        )
        return
    try:
        text = data[: MAX_TEMPLATE_BYTES + 1].decode("utf-8-sig")
        template = load_template(text, filename=name)
    except UnicodeDecodeError:
        ctx.say(
            ctx.t("{name} is not UTF-8 text. Please save it as UTF-8 and send it again.", name=name)
        )
        return
    except TemplateError as error:
        # In the therapist's language; the field names are the template's own (English).
        shown = [p.worded(ctx.t) for p in error.problems[:MAX_SHOWN_PROBLEMS]]
        more = len(error.problems) - len(shown)
        if more > 0:
            shown.append(ctx.t("…and {more} more", more=more))
        ctx.say(
            ctx.t(
                "{name} has {count} problem(s), so it wasn't added:\n\n{problems}\n\n"
                "Fix them and send the file again.",
                name=name,
                count=len(error.problems),
                problems="\n".join(f"• {line}" for line in shown),
            )
        )
        return
    await _store(ctx, therapist, template, text)


async def _store(ctx: Ctx, therapist: User, template: Template, text: str) -> None:
    key = own_key(template.id, therapist)
    latest = await stored.latest_version(ctx.session, key=key)
    if latest is not None and latest.version >= template.version:
        if latest.version == template.version and latest.source == text:
            ctx.say(
                ctx.t(
                    "You already have “{title}” version {version}.",
                    title=template.title,
                    version=template.version,
                )
            )
            return
        ctx.say(
            ctx.t(
                "You already have “{title}” version {version}. Templates never change once "
                "given, so entries keep their questions: raise `version:` to {next} and send "
                "it again.",
                title=template.title,
                version=latest.version,
                next=latest.version + 1,
            )
        )
        return
    previous = (
        await library.template_version(ctx.rt, ctx.session, key, latest.version) if latest else None
    )
    await stored.add_version(
        ctx.session,
        key=key,
        version=template.version,
        owner_id=therapist.id,
        title=template.title,
        source=text,
        now=ctx.now,
    )
    ctx.rt.titles[key] = template.title
    asked = sum(1 for s in engine.compile_flow(template).steps if s.kind.asks)
    said = [
        ctx.t(
            "Added “{title}” (version {version}, {asked} questions).\n\n"
            "/preview {name} walks through it as a client would. "
            "To give it: /assign CLIENT {name} daily 20:00",
            title=template.title,
            version=template.version,
            asked=asked,
            name=in_sentence(template.title),
        )
    ]
    if latest:
        said.append(ctx.t("Clients already doing an earlier version finish that one."))
    left_out = await _settings_left_out(ctx, key, template, previous)
    if left_out:
        said.append(left_out)
    ctx.say("\n\n".join(said))


async def _settings_left_out(
    ctx: Ctx, key: str, template: Template, previous: Template | None
) -> str:
    """Tell the therapist which running assignments had settings this version dropped
    (a value an older assignment stored only because it was the default is no news)."""
    assert ctx.user is not None  # a therapist sent it
    affected: set[str] = set()
    count = 0
    defaults = {n: p.default for n, p in (previous.params if previous else {}).items()}
    for assignment in await homework.active_assignments_of_template(
        ctx.session, therapist_id=ctx.user.id, template_id=key
    ):
        left_out = {
            name
            for name in set(assignment.params) - set(engine.fit_params(template, assignment.params))
            if not (name in defaults and assignment.params[name] == defaults[name])
        }
        if left_out:
            count += 1
            affected |= left_out
    if not count:
        return ""
    names = ", ".join(sorted(affected))
    if count == 1:
        return ctx.t(
            "1 running assignment had settings this version no longer takes ({names}): from "
            "now on they use this version's defaults.",
            names=names,
        )
    return ctx.t(
        "{count} running assignments had settings this version no longer takes ({names}): "
        "from now on they use this version's defaults.",
        count=count,
        names=names,
    )


DESCRIPTION_SHOWN = 110
"""Characters of each description in /templates (whole words; /preview shows it all)."""


async def list_templates(ctx: Ctx) -> None:
    """/templates: the built-in homework and the therapist's own."""
    therapist = ctx.user
    if therapist is None or therapist.role != "therapist":
        ctx.say(ctx.t("That command is for therapists. /help shows what you can do."))
        return
    lines = [ctx.t("Built-in homework:")]
    for template in sorted(ctx.rt.library.values(), key=lambda t: t.title):
        about = textwrap.shorten(template.description, DESCRIPTION_SHOWN, placeholder="…")
        lines.append(f"• {template.title} — {about}")
    own = await stored.own_templates(ctx.session, owner_id=therapist.id)
    lines += ["", ctx.t("Your own:") if own else ctx.t("You have no templates of your own yet.")]
    lines += [
        "• " + ctx.t("{title} (version {version})", title=row.title, version=row.version)
        for row in own
    ]
    lines += [
        "",
        ctx.t(
            "To add your own, send a template file (.yaml) here. Start from a built-in one "
            "(see the template guide) or write one from scratch. /preview NAME walks through "
            "any of them as a client would."
        ),
    ]
    ctx.say("\n".join(lines))


# Previews: the therapist walks a template as a client would; nothing is stored.
async def preview(ctx: Ctx) -> None:
    """/preview NAME: walk through a homework as a client would, storing nothing."""
    therapist = ctx.user
    if therapist is None or therapist.role != "therapist":
        ctx.say(ctx.t("That command is for therapists. /help shows what you can do."))
        return
    typed = " ".join(ctx.args).strip()
    templates = await templates_for(ctx, therapist)
    key = find_key(templates, typed) if typed else None
    if key is None:
        known = ", ".join(sorted(in_sentence(t.title) for t in templates.values()))
        ctx.say(
            ctx.t(
                "Which homework? For example: /preview thought record. Homework I know: {known}.",
                known=known,
            )
        )
        return
    template = templates[key]
    flow = engine.compile_flow(template)
    turn = engine.begin(flow)
    therapist.dialog = {
        "ask": PREVIEW,
        "key": key,
        "version": template.version,
        "state": turn.state.to_json(),
    }
    opening = ctx.t(
        "Preview of “{title}”: you see what a client sees. Nothing is saved, and /cancel ends it.",
        title=template.title,
    )
    ctx.say(opening + (f"\n\n{template.description}" if template.description else ""))
    _show(ctx, flow, turn)


async def preview_event(ctx: Ctx, event: Event) -> bool:
    """An answer (typed, a button, /skip or /back) inside a preview; False if none is open."""
    therapist = ctx.user
    dialog: dict[str, Any] = (therapist.dialog or {}) if therapist is not None else {}
    if therapist is None or dialog.get("ask") != PREVIEW:
        return False
    template = await library.template_version(
        ctx.rt, ctx.session, str(dialog.get("key")), int(dialog.get("version", 0))
    )
    try:
        flow = engine.compile_flow(template) if template is not None else None
        state = State.from_json(dialog.get("state", {}), flow) if flow is not None else None
    except (FlowError, ValueError):
        flow, state = None, None
    if flow is None or state is None:
        therapist.dialog = None
        ctx.say(ctx.t("That preview can no longer be shown. /preview starts again."))
        return True
    turn = engine.advance(flow, state, event, shown_as(ctx.lang))
    if turn.waiting is not None:
        # Nobody waits in a preview: say when the rest would come, and go on.
        says = (*turn.says, ctx.t("(For a client, the next part comes on its follow-up day.)"))
        turn = engine.resume(flow, turn.state)
        turn = engine.Turn(turn.state, says + turn.says, turn.question, turn.review)
    for effect in turn.effects:
        if isinstance(effect, engine.RaiseFlag):
            ctx.say(ctx.t("(For a client, that answer would raise a risk alert to you at once.)"))
        elif isinstance(effect, engine.Breathe):
            ctx.say(ctx.t("(For a client, paced breathing messages would follow here.)"))
    if turn.finished:
        therapist.dialog = None
    else:
        therapist.dialog = {**dialog, "state": turn.state.to_json()}
    if isinstance(event, engine.Press):
        ctx.edit_buttons(None)
    _show(ctx, flow, turn)
    if turn.finished:
        ctx.say(ctx.t("That was the whole preview. Nothing was saved."))
    return True


def _show(ctx: Ctx, flow: Flow, turn: engine.Turn) -> None:
    for said in turn.says:
        ctx.say(words(said))
    if turn.question is not None:
        ctx.say(
            question_text(flow.title, turn.question, ctx.lang),
            buttons=keyboard(turn.question.buttons, PREVIEW, turn.question.position, ctx.lang),
            html=True,
        )
    elif turn.review is not None:
        ctx.say(
            review_text(flow.title, turn.review, ctx.lang),
            buttons=keyboard(turn.review.buttons, PREVIEW, flow.review_position, ctx.lang),
            html=True,
        )
    elif turn.finished:
        ctx.say(summary_text(flow.title, turn.summary, flow.outro, ctx.lang), html=True)


def split_homework_words(
    args: list[str], templates: dict[str, Template], *, example: str, language: str = "en"
) -> tuple[str, str, str] | str:
    """(client words, homework key, schedule words) from a command's words (/assign,
    /reschedule), or a kind error in `language` ending with `example`."""
    known = ", ".join(
        sorted(in_sentence(library.title_in(t, language)) for t in templates.values())
    )
    for start in range(1, len(args)):
        for end in range(len(args), start, -1):
            key = find_key(templates, " ".join(args[start:end]))
            if key is None:
                continue
            schedule = " ".join(args[end:])
            if not schedule:
                return tr(
                    language,
                    "When should {title} be due? Add a schedule like daily 20:00 or once "
                    "2026-12-01 18:00. {example}",
                    title=in_sentence(library.title_in(templates[key], language)),
                    example=example,
                )
            return " ".join(args[:start]), key, schedule
    return tr(
        language,
        "I couldn't tell which homework you mean. Homework I know: {known}. {example}",
        known=known,
        example=example,
    )
