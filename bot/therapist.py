"""The therapist's side: /invite, /clients, /assign (one line or buttons), /digest.

::

    /assign robin gratitude daily 20:00 ─► assigned (an ambiguous name is asked back)
    /assign ─► [client] ─► [homework] ─► [schedule, or type one] ─► assigned
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot import authoring, caseload, library
from bot.digests import build_digest, digest_period, score_text
from bot.i18n import N_, in_sentence, moment, schedule_words, tr, zone_name
from bot.render import buttons
from bot.runtime import Ctx, button_token
from conversations import engine
from conversations.crisis import where_text
from conversations.engine import FlowError, resolve_params
from conversations.schedules import (
    Schedule,
    ScheduleError,
    format_schedule,
    local_date,
    next_occurrence,
    parse_schedule,
)
from conversations.templates import Template
from storage import flags, homework, outbox, people, privacy
from storage.models import Entry, Link, User

SCHEDULE_PRESETS = ("09:00", "20:00")
"""The times offered as buttons for a daily schedule in the /assign wizard."""
ONE_LINE = "/assign robin gratitude daily 20:00"
EXAMPLE = N_("For example: /assign robin gratitude daily 20:00")


def _therapist(ctx: Ctx) -> User | None:
    if ctx.user is None or ctx.user.role != "therapist":
        ctx.say(ctx.t("That command is for therapists. /help shows what you can do."))
        return None
    return ctx.user


async def invite(ctx: Ctx) -> None:
    """/invite [label]: a one-time client invite link."""
    therapist = _therapist(ctx)
    if therapist is None:
        return
    label = " ".join(ctx.args).strip()[:60] or None
    hours = ctx.rt.settings.invite_ttl_hours
    code = await people.create_code(
        ctx.session,
        kind="client",
        now=ctx.now,
        ttl=timedelta(hours=hours),
        therapist_id=therapist.id,
        label=label,
    )
    link = f"https://t.me/{ctx.bot_username}?start={code}"
    intro = (
        ctx.t(
            "Here is a one-time invite link for {label}. It works once and expires in {hours} "
            "hours:",
            label=label,
            hours=hours,
        )
        if label
        else ctx.t(
            "Here is a one-time invite link. It works once and expires in {hours} hours:",
            hours=hours,
        )
    )
    after = ctx.t(
        "Send it to your client. When they open it, I explain what they will share with you "
        "and ask for their consent first."
    )
    ctx.say(f"{intro}\n\n{link}\n\n{after}")


async def clients(ctx: Ctx) -> None:
    """/clients: every linked client and their homework."""
    therapist = _therapist(ctx)
    if therapist is None:
        return
    found = await people.therapist_clients(ctx.session, therapist_id=therapist.id)
    open_flags = await flags.open_flags_for_therapist(ctx.session, therapist_id=therapist.id)
    former = [(f, link, user) for f, link, user in open_flags if link.ended_at is not None]
    if not found and not former:
        ctx.say(ctx.t("You have no linked clients yet. /invite makes an invite link."))
        return
    zone = ZoneInfo(therapist.timezone)
    lines = [ctx.t("Your clients:")] if found else []
    rows: list[list[tuple[str, str]]] = []

    async def open_alerts(link: Link, name: str) -> None:
        # One alert per client: later risk messages joined the first, which is acknowledged.
        for joined, _, _ in flags.one_per_client([f for f in open_flags if f[1].id == link.id]):
            flag = joined[0]
            raised = caseload.when_words(flag.created_at, zone, ctx.lang)
            line = ctx.t("⚠️ Risk alert from {when} not yet acknowledged", when=raised)
            if len(joined) > 1:
                latest = caseload.when_words(joined[-1].created_at, zone, ctx.lang)
                line += " " + ctx.t(
                    "({count} messages, the latest {when})", count=len(joined), when=latest
                )
            lines.append("  " + line)
            token = await button_token(
                ctx,
                "ack",
                {
                    "flag": flag.id,
                    "raised": flag.created_at.isoformat(),
                    "until": joined[-1].created_at.isoformat(),  # what this line counted
                },
            )
            label = ctx.t("Acknowledge {name}, {when}", name=name, when=raised)
            rows.append([(label[:60], token)])

    for link, user in found:
        name = people.client_display_name(link, user)
        handle = f" (@{user.username})" if user.username else ""
        their_zone = zone_name(ZoneInfo(user.timezone), ctx.lang)
        lines.append(
            ctx.t("■ {name}{handle}, {zone} time", name=name, handle=handle, zone=their_zone)
        )
        status = await caseload.status_line(ctx, therapist, link, user)
        lines.append(f"  {status}")
        await open_alerts(link, name)
        for assignment in await homework.assignments_of_link(ctx.session, link_id=link.id):
            title = ctx.rt.title_of(assignment.template_id, ctx.lang)
            schedule = schedule_words(parse_schedule(assignment.schedule), ctx.lang)
            lines.append(f"  • {title}, {schedule}")
    if former:
        lines.append(ctx.t("No longer linked, with a risk alert still open:"))
    for link in {link.id: link for _, link, _ in former}.values():
        user = next(u for _, flag_link, u in former if flag_link.id == link.id)
        name = people.client_display_name(link, user)
        lines.append(f"■ {name}")
        await open_alerts(link, name)
    ctx.say("\n".join(lines), buttons=buttons(rows) if rows else None)


def _today(ctx: Ctx, person: User) -> date:
    """The person's local date, where an `every N days` schedule starts counting."""
    return local_date(ctx.now, ZoneInfo(person.timezone))


async def assign(ctx: Ctx) -> None:
    """/assign CLIENT HOMEWORK SCHEDULE [setting=value ...], or the button wizard."""
    therapist = _therapist(ctx)
    if therapist is None:
        return
    if not ctx.args:
        await _wizard_clients(ctx, therapist)
        return
    words = split_assign(ctx.text.partition(" ")[2])
    example = ctx.t(EXAMPLE)
    if words is None:
        ctx.say(
            ctx.t(
                'A quote is not closed. Put text with spaces in quotes: title="Mind over mood". '
                "{example}",
                example=example,
            )
        )
        return
    settings = [w for w in words if "=" in w]
    templates = await authoring.templates_for(ctx, therapist)
    parsed = authoring.split_homework_words(
        [w for w in words if "=" not in w], templates, example=example, language=ctx.lang
    )
    if isinstance(parsed, str):
        ctx.say(parsed)
        return
    query, key, when_typed = parsed
    template = templates[key]
    params = tailoring(template, settings, ctx.lang)
    if isinstance(params, str):
        ctx.say(params)
        return
    try:
        schedule = parse_schedule(when_typed, today=_today(ctx, therapist))
    except ScheduleError as error:
        ctx.say(ctx.unreadable(error))
        return
    matches = await people.find_clients(ctx.session, therapist_id=therapist.id, query=query)
    if not matches:
        ctx.say(
            ctx.t(
                "I couldn't find a client called “{query}”. /clients lists your clients; "
                "/invite makes an invite link for a new one.",
                query=query,
            )
        )
        return
    if len(matches) > 1:
        rows = []
        for link, user in matches:
            token = await button_token(
                ctx,
                "assign",
                {
                    "link": link.id,
                    "template": key,
                    "schedule": format_schedule(schedule),
                    "params": params,
                },
            )
            handle = f" @{user.username}" if user.username else ""
            rows.append([(f"{people.client_display_name(link, user)}{handle}", token)])
        ctx.say(
            ctx.t("More than one client matches “{query}”. Which one?", query=query),
            buttons=buttons(rows),
        )
        return
    link, client = matches[0]
    await _create(ctx, therapist, link, client, key, template, schedule, params)


_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_WORD = re.compile(r"""([\w.]+)=(?:"([^"]*)"|'(.*?)'(?=\s|$)|‘([^’]*)’|(\S*))|"([^"]*)"|(\S+)""")


def split_assign(text: str) -> list[str] | None:
    """/assign's words: quotes only group a setting's value (`title="Mind over mood"`),
    so names like O'Brien stay whole; typographic quotes count as plain ones. None when a
    setting's quote is not closed."""
    words: list[str] = []
    for match in _WORD.finditer(text.translate(_QUOTES)):
        name, quoted, plain = match.group(1), match.group(6), match.group(7)
        if name is None:
            words.append(quoted if quoted is not None else plain)
            continue
        value = next((g for g in match.groups()[1:5] if g is not None), "")
        if value[:1] in {'"', "'", "‘"}:
            return None
        words.append(f"{name}={value}")
    return words


def tailoring(
    template: Template, settings: list[str], language: str = "en"
) -> dict[str, Any] | str:
    """An assignment's own settings from `name=value` words, checked; or what is wrong
    (in `language`).

    Every template takes `instructions="..."` (said before it starts) and
    `prompt.STEP="..."` (new wording for one question); its own settings (like count=5,
    or a reading's title and link) are listed by /templates.
    """
    given: dict[str, Any] = {}
    prompts: dict[str, str] = {}
    for setting in settings:
        name, _, value = setting.partition("=")
        name = name.strip().lower()
        if name.startswith("prompt."):
            prompts[name.removeprefix("prompt.")] = value
        elif name == "instructions":
            given["instructions"] = value
        elif name in template.params:
            param = template.params[name]
            if param.type == "integer":
                if not value.strip().lstrip("-").isdecimal():
                    return tr(
                        language,
                        "{setting} must be a whole number, like {name}=5.",
                        setting=param.label or name,
                        name=name,
                    )
                given[name] = int(value)
            else:
                given[name] = value
        else:
            own = ", ".join(template.params) or tr(language, "none of its own")
            return tr(
                language,
                "{title} has no setting called {name}. Its settings: {settings}; and for every "
                'homework instructions="..." and prompt.QUESTION="...".',
                title=library.title_in(template, language),
                name=name,
                settings=own,
            )
    if prompts:
        given["prompts"] = prompts
    try:
        resolve_params(template, given)
    except FlowError as error:
        return str(error)
    return given  # only what the therapist gave: defaults stay the template's


async def _create(
    ctx: Ctx,
    therapist: User,
    link: Link,
    client: User,
    key: str,
    template: Template,
    schedule: Schedule,
    params: Mapping[str, Any] | None = None,
) -> None:
    zone = ZoneInfo(client.timezone)
    name = people.client_display_name(link, client)
    title = in_sentence(library.title_in(template, ctx.lang))
    described = schedule_words(schedule, ctx.lang)
    for existing in await homework.assignments_of_link(ctx.session, link_id=link.id):
        if existing.template_id == key and existing.schedule == format_schedule(schedule):
            ctx.say(
                ctx.t(
                    "{name} already has {title} {schedule}, so nothing was added.",
                    name=name,
                    title=title,
                    schedule=described,
                )
            )
            return
    first = next_occurrence(schedule, zone, ctx.now)
    if first is None:
        local_now = moment(ctx.now.astimezone(zone), ctx.lang, "dd MMM y HH:mm")
        ctx.say(
            ctx.t(
                "That time has already passed for {name} ({zone} time, now {now}). Please "
                "choose a later one.",
                name=name,
                zone=zone_name(zone, ctx.lang),
                now=local_now,
            )
        )
        return
    try:
        resolved = resolve_params(template, params or {})
    except FlowError as error:
        ctx.say(str(error))
        return
    assignment = await homework.create_assignment(
        ctx.session,
        link=link,
        template_id=key,
        params={k: v for k, v in (params or {}).items()},
        schedule=format_schedule(schedule),
        next_due_at=first,
        now=ctx.now,
    )
    local_first = first.astimezone(zone)
    unset = (client.dialog or {}).get("ask") == "time_zone"
    tailored = ", ".join(
        f"{k} {v}" for k, v in resolved.items() if k in (params or {}) and k != "prompts"
    )
    said = ctx.t(
        "Assigned {title} to {name}, {schedule} ({zone} time). First reminder: {day} at {time}.",
        title=title,
        name=name,
        schedule=described,
        zone=zone_name(zone, ctx.lang),
        day=moment(local_first, ctx.lang, "EEE dd MMM"),
        time=local_first.strftime("%H:%M"),
    )
    if tailored:
        said += "\n" + ctx.t("Tailored: {settings}.", settings=tailored)
    if unset:
        said += "\n\n" + ctx.t(
            "{name} hasn't chosen a time zone yet, so this is UTC for now; reminders follow "
            "their time zone once they choose one.",
            name=name,
        )
    ctx.say(said)
    await outbox.notify(
        ctx.session,
        person=client,
        kind="assigned",
        key=f"{assignment.id}:{assignment.created_at.timestamp():.6f}",
        text=tr(
            client.language,
            "{therapist} gave you new homework: {title}, {schedule}. I will remind you when it "
            "is time; /today shows what is due.",
            therapist=therapist.name,
            title=in_sentence(library.title_in(template, client.language)),
            schedule=schedule_words(schedule, client.language),
        ),
        now=ctx.now,
    )


async def _wizard_clients(ctx: Ctx, therapist: User) -> None:
    found = await people.therapist_clients(ctx.session, therapist_id=therapist.id)
    if not found:
        ctx.say(ctx.t("You have no linked clients yet. /invite makes an invite link."))
        return
    rows = []
    for link, user in found:
        token = await button_token(ctx, "assign_client", {"link": link.id})
        rows.append([(people.client_display_name(link, user), token)])
    ctx.say(
        ctx.t("Who is the homework for? ({example}, in one line.)", example=ctx.t(EXAMPLE)),
        buttons=buttons(rows),
    )


async def assign_token(ctx: Ctx, action: str, payload: dict[str, object]) -> None:
    """A button of the /assign wizard or of an ambiguous /assign."""
    therapist = _therapist(ctx)
    if therapist is None:
        return
    link_id = payload.get("link")
    found = (
        await people.client_of_therapist(ctx.session, therapist_id=therapist.id, link_id=link_id)
        if isinstance(link_id, int)
        else None
    )
    if found is None:
        ctx.say(ctx.t("That client is no longer linked with you. /clients lists your clients."))
        return
    link, client = found
    ctx.edit_buttons(None)
    name = people.client_display_name(link, client)
    templates = await authoring.templates_for(ctx, therapist)
    if action == "assign_client":
        rows = []
        titled = sorted(
            (library.title_in(template, ctx.lang), key) for key, template in templates.items()
        )
        for title, key in titled:
            token = await button_token(ctx, "assign_homework", {"link": link.id, "template": key})
            rows.append([(title, token)])
        ctx.say(ctx.t("Which homework for {name}?", name=name), buttons=buttons(rows))
        return
    key = str(payload.get("template", ""))
    chosen = templates.get(key)
    if chosen is None:
        ctx.say(ctx.t("That homework is no longer available. /assign starts again."))
        return
    template = chosen
    if action == "assign_homework":
        therapist.dialog = {"ask": "assign_schedule", "link": link.id, "template": key}
        rows = []
        for time in SCHEDULE_PRESETS:
            token = await button_token(
                ctx, "assign", {"link": link.id, "template": key, "schedule": f"daily {time}"}
            )
            rows.append([(ctx.t("Daily {time}", time=time), token)])
        ctx.say(
            ctx.t(
                "When should {title} be due for {name}? Tap one, or type a schedule like daily "
                "19:30 or once {day} 18:00 ({zone} time). To tailor it (its own "
                "instructions, wording or settings), use one line, like {command} count=5",
                title=escape(in_sentence(library.title_in(template, ctx.lang))),
                name=name,
                day=(ctx.now.astimezone(ZoneInfo(client.timezone)) + timedelta(days=2)).date(),
                zone=zone_name(ZoneInfo(client.timezone), ctx.lang),
                command=ONE_LINE,
            ),
            buttons=buttons(rows),
        )
        return
    therapist.dialog = None
    params = payload.get("params")
    await _create(
        ctx,
        therapist,
        link,
        client,
        key,
        template,
        parse_schedule(str(payload["schedule"])),
        params if isinstance(params, dict) else None,
    )


async def typed_schedule(ctx: Ctx, text: str) -> None:
    """The schedule typed in the /assign wizard."""
    therapist = ctx.user
    assert therapist is not None
    dialog = therapist.dialog or {}
    found = await people.client_of_therapist(
        ctx.session, therapist_id=therapist.id, link_id=int(dialog.get("link", 0))
    )
    key = str(dialog.get("template", ""))
    template = (await authoring.templates_for(ctx, therapist)).get(key)
    if found is None or template is None:
        therapist.dialog = None
        ctx.say(ctx.t("That client or homework is no longer available. /assign starts again."))
        return
    try:
        schedule = parse_schedule(text, today=_today(ctx, found[1]))
    except ScheduleError as error:
        ctx.say(ctx.t("{error} Or /cancel to stop.", error=ctx.unreadable(error)))
        return
    therapist.dialog = None
    await _create(ctx, therapist, found[0], found[1], key, template, schedule)


async def digest_now(ctx: Ctx) -> None:
    """/digest: the digest for the last day (or week, for a weekly digest), now."""
    therapist = _therapist(ctx)
    if therapist is None:
        return
    since = ctx.now - digest_period(therapist)
    digest = await build_digest(
        ctx.session, ctx.rt, therapist=therapist, since=since, until=ctx.now
    )
    keyboards = await digest.keyboards(ctx.session, therapist=therapist, now=ctx.now)
    await privacy.audit(
        ctx.session, actor=therapist, action="digest", subject="asked for", now=ctx.now
    )
    for message, rows in zip(digest.messages, keyboards, strict=True):
        keyboard = buttons([[(label, data) for label, data in row] for row in rows])
        ctx.say(message, buttons=keyboard if rows else None)
    await digest.queue_charts(
        ctx.session, therapist=therapist, key=f"now:{ctx.update_id}", now=ctx.now
    )


RECENT = 5
ENTRY_STATUS = {"done": N_("done"), "paused": N_("paused"), "active": N_("in progress")}


async def recent_entries(ctx: Ctx, payload: dict[str, object]) -> None:
    """The Recent entries button under an alert: a client's latest entries and risk flags."""
    therapist = _therapist(ctx)
    link_id = payload.get("link")
    if therapist is None:
        return
    found = (
        await people.client_of_therapist(ctx.session, therapist_id=therapist.id, link_id=link_id)
        if isinstance(link_id, int)
        else None
    )
    if found is None:
        ctx.say(ctx.t("That client is no longer linked with you. /clients lists your clients."))
        return
    link, client = found
    await caseload.audit_read(ctx, therapist, link)
    zone = ZoneInfo(therapist.timezone)
    name = people.client_display_name(link, client)
    lines = [
        ctx.t("{name}: recent entries ({zone} time)", name=name, zone=zone_name(zone, ctx.lang))
    ]
    for entry in await homework.recent_entries_of_link(
        ctx.session, therapist_id=therapist.id, link_id=link.id, limit=RECENT
    ):
        title = ctx.rt.title_of(entry.template_id, ctx.lang)
        status = ctx.t(ENTRY_STATUS[entry.status]) if entry.status in ENTRY_STATUS else entry.status
        when = caseload.when_words(entry.updated_at, zone, ctx.lang)
        line = await _entry_line(ctx, entry)
        lines.append(f"• {title}, {when}, {status}: {line}")
    if len(lines) == 1:
        lines.append(ctx.t("No entries yet."))
    risk = await flags.flags_of_link(
        ctx.session, therapist_id=therapist.id, link_id=link.id, limit=RECENT
    )
    if risk:
        lines += ["", ctx.t("Risk alerts:")]
    for flag in risk:
        when = caseload.when_words(flag.created_at, zone, ctx.lang)
        state = ctx.t("acknowledged") if flag.acknowledged_at else ctx.t("NOT acknowledged")
        where = where_text(flag.source, ctx.title(flag.template_id or ""), ctx.t)
        lines.append(
            ctx.t(
                "• {when}, {where}, {state}: “{excerpt}”",
                when=when,
                where=where,
                state=state,
                excerpt=flag.excerpt,
            )
        )
    ctx.say("\n".join(lines))


async def _entry_line(ctx: Ctx, entry: Entry) -> str:
    """An entry in one short line; a damaged one is said to be so, never crashes the list."""
    found = await library.entry_state(ctx.rt, ctx.session, entry)
    if found is None:
        return ctx.t("(this entry could not be shown)")
    flow, state = found
    line = engine.digest_line(flow, state.answers) or ctx.t("(empty)")
    score = score_text(entry.scores, ctx.lang)
    return f"[{score}] {line}" if score else line
