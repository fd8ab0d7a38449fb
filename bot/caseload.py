"""A therapist's caseload: each client at a glance, one client's entries in full (paged,
photos included), a message to a client about an entry, and changing homework given.

::

    /client robin ─► status, homework [Pause] [Stop] ─► entries, each [Reply to Robin]
                                                     ─► [Older entries ▶] [◀ Newer]
    [Reply to Robin] ─► typed message ─► the client gets it, marked as from the therapist
    /unassign robin gratitude ─► stopped (entries kept; the client is told)
    /reschedule robin gratitude daily 09:00 ─► new schedule, next reminder recomputed
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from bot import authoring, library
from bot.digests import GRACE, score_text
from bot.i18n import N_, in_sentence, moment, schedule_words, tr, zone_name
from bot.render import answer_lines, buttons
from bot.runtime import Ctx, button_token, dialog_fresh
from conversations import engine
from conversations.digest import run_lengths
from conversations.schedules import (
    ScheduleError,
    format_schedule,
    next_occurrence,
    parse_schedule,
)
from storage import files, flags, homework, outbox, people, privacy
from storage.models import Assignment, Entry, Link, User

PAGE = 3
"""Entries shown per page of /client."""
MAX_REPLY = 3000
REPLY_WAIT = timedelta(minutes=15)
"""How long a typed reply is waited for after Reply is tapped."""
STATUS = {
    "done": N_("done"),
    "paused": N_("paused"),
    "active": N_("in progress"),
    "waiting": N_("waiting"),
}


def _therapist(ctx: Ctx) -> User | None:
    if ctx.user is None or ctx.user.role != "therapist":
        ctx.say(ctx.t("That command is for therapists. /help shows what you can do."))
        return None
    return ctx.user


def when_words(when: datetime, zone: ZoneInfo, language: str) -> str:
    """A moment in `zone`, in `language`: "Fri 04 Dec 19:30"."""
    return moment(when.astimezone(zone), language, "EEE dd MMM HH:mm")


async def status_line(ctx: Ctx, therapist: User, link: Link, client: User) -> str:
    """A client at a glance: last done, runs of done or missed, paused, unreachable."""
    zone = ZoneInfo(therapist.timezone)
    parts = []
    if client.blocked_at is not None:
        parts.append(ctx.t("⛔ can't be reached (blocked me)"))
    if client.paused_at is not None:
        parts.append(ctx.t("⏸ paused their reminders"))
    last = await homework.last_done_at(ctx.session, therapist_id=therapist.id, link_id=link.id)
    parts.append(
        ctx.t("last done {when}", when=when_words(last, zone, ctx.lang))
        if last
        else ctx.t("nothing done yet")
    )
    for assignment in await homework.assignments_of_link(ctx.session, link_id=link.id):
        done, missed = run_lengths(
            await homework.recent_outcomes(
                ctx.session, assignment_id=assignment.id, until=ctx.now - GRACE
            )
        )
        title = ctx.title(assignment.template_id)
        if missed >= 2:
            parts.append(ctx.t("missed {count} {title} in a row", count=missed, title=title))
        elif done >= 2:
            parts.append(ctx.t("{title} {count} in a row", title=title, count=done))
    return "; ".join(parts)


async def find_one(ctx: Ctx, therapist: User, query: str) -> tuple[Link, User] | None:
    """The one client `query` names, or None after saying why not."""
    matches = await people.find_clients(ctx.session, therapist_id=therapist.id, query=query)
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(people.client_display_name(link, user) for link, user in matches)
    ctx.say(
        ctx.t(
            "I couldn't find a client called “{query}”. /clients lists your clients.",
            query=query,
        )
        if not matches
        else ctx.t(
            "More than one client matches “{query}”: {names}. Use more of the name.",
            query=query,
            names=names,
        )
    )
    return None


# /client NAME: one client in full.
async def client(ctx: Ctx) -> None:
    """/client NAME: status, homework with buttons, and recent entries in full, paged."""
    therapist = _therapist(ctx)
    if therapist is None:
        return
    if not ctx.args:
        ctx.say(
            ctx.t("/client NAME shows a client's homework and entries, for example: /client robin")
        )
        return
    found = await find_one(ctx, therapist, " ".join(ctx.args))
    if found is not None:
        await show(ctx, therapist, *found, page=0)


async def open_token(ctx: Ctx, payload: dict[str, object]) -> None:
    """An Open CLIENT button under the digest: that client in full."""
    therapist = _therapist(ctx)
    found = await _own_link(ctx, therapist, payload.get("link"))
    if therapist is not None and found is not None:
        await show(ctx, therapist, *found, page=0)


async def page_token(ctx: Ctx, payload: dict[str, object]) -> None:
    """An Older or Newer entries button under /client."""
    therapist = _therapist(ctx)
    found = await _own_link(ctx, therapist, payload.get("link"))
    page = payload.get("page")
    if therapist is None or found is None or not isinstance(page, int):
        return
    ctx.edit_buttons(None)
    await show(ctx, therapist, *found, page=max(page, 0), header=False)


async def _own_link(ctx: Ctx, therapist: User | None, link_id: object) -> tuple[Link, User] | None:
    if therapist is None:
        return None
    found = (
        await people.client_of_therapist(ctx.session, therapist_id=therapist.id, link_id=link_id)
        if isinstance(link_id, int)
        else None
    )
    if found is None:
        ctx.say(ctx.t("That client is no longer linked with you. /clients lists your clients."))
    return found


async def audit_read(ctx: Ctx, therapist: User, link: Link) -> None:
    """Record in the audit log that a therapist read a client's entries."""
    await privacy.audit(
        ctx.session,
        actor=therapist,
        action="read_entries",
        subject=f"link {link.id}",
        now=ctx.now,
    )


async def show(
    ctx: Ctx, therapist: User, link: Link, client_user: User, *, page: int, header: bool = True
) -> None:
    """One page of a client's entries (newest first), after their status and homework."""
    zone = ZoneInfo(therapist.timezone)
    name = people.client_display_name(link, client_user)
    await audit_read(ctx, therapist, link)
    if header:
        await _header(ctx, therapist, link, client_user, name)
    entries = await homework.recent_entries_of_link(
        ctx.session, therapist_id=therapist.id, link_id=link.id, limit=PAGE + 1, offset=page * PAGE
    )
    more, entries = len(entries) > PAGE, entries[:PAGE]
    if not entries:
        ctx.say(
            ctx.t("No entries from {name} yet.", name=name)
            if page == 0
            else ctx.t("No older entries.")
        )
    for entry in entries:
        text = await _entry_text(ctx, entry, zone)
        reply = await button_token(ctx, "reply", {"link": link.id, "entry": entry.id})
        label = ctx.t("Reply to {name}", name=name)
        ctx.say(text, buttons=buttons([[(label[:60], reply)]]), html=True)
        for stored in await files.files_for_therapist(
            ctx.session, therapist_id=therapist.id, entry_id=entry.id
        ):
            await outbox.notify(
                ctx.session,
                person=therapist,
                kind="photo",
                key=f"view:{entry.id}:{stored.id}:{ctx.update_id}",
                text=ctx.t(
                    "{name}'s {title}, {when} ({zone} time)",
                    name=name,
                    title=ctx.title(entry.template_id),
                    when=when_words(entry.updated_at, zone, ctx.lang),
                    zone=zone_name(zone, ctx.lang),
                ),
                now=ctx.now,
                extra={"file": stored.id, "entry": entry.id, "about": entry.client_id},
            )
    row = []
    if page > 0:
        newer = await button_token(ctx, "client_page", {"link": link.id, "page": page - 1})
        row.append((ctx.t("◀ Newer"), newer))
    if more:
        older = await button_token(ctx, "client_page", {"link": link.id, "page": page + 1})
        row.append((ctx.t("Older entries ▶"), older))
    if row:
        ctx.say(ctx.t("{name}: page {page}", name=name, page=page + 1), buttons=buttons([row]))


async def _header(ctx: Ctx, therapist: User, link: Link, client_user: User, name: str) -> None:
    zone = ZoneInfo(client_user.timezone)
    lines = [
        f"■ {name}" + (f" (@{client_user.username})" if client_user.username else ""),
        ctx.t(
            "Their time zone: {zone}. Times below are yours ({own}).",
            zone=zone_name(zone, ctx.lang),
            own=zone_name(ZoneInfo(therapist.timezone), ctx.lang),
        ),
        await status_line(ctx, therapist, link, client_user),
    ]
    open_flags = [
        f
        for f, flag_link, _ in await flags.open_flags_for_therapist(
            ctx.session, therapist_id=therapist.id
        )
        if flag_link.id == link.id
    ]
    if open_flags:
        raised = when_words(open_flags[0].created_at, ZoneInfo(therapist.timezone), ctx.lang)
        line = ctx.t("⚠️ Risk alert from {when} not yet acknowledged", when=raised)
        if len(open_flags) > 1:
            latest = when_words(open_flags[-1].created_at, ZoneInfo(therapist.timezone), ctx.lang)
            line += " " + ctx.t(
                "({count} messages, the latest {when})", count=len(open_flags), when=latest
            )
        lines.append(line + " " + ctx.t("(see /clients)"))
    if link.columbia:
        lines.append(ctx.t("The Columbia screen is asked after their risk messages."))
    rows = []
    assignments = await homework.assignments_of_link(ctx.session, link_id=link.id)
    lines.append(
        ctx.t("Homework:") if assignments else ctx.t("No homework given. /assign gives some.")
    )
    for assignment in assignments:
        title = ctx.rt.title_of(assignment.template_id, ctx.lang)
        schedule = _schedule_words(assignment, ctx.lang)
        lines.append(
            ctx.t("• {title}, {schedule} (reminders paused)", title=title, schedule=schedule)
            if assignment.paused_at
            else f"• {title}, {schedule}"
        )
        toggle = "resume" if assignment.paused_at else "pause"
        switch = (
            ctx.t("▶ Resume {title}", title=in_sentence(title))
            if assignment.paused_at
            else ctx.t("⏸ Pause {title}", title=in_sentence(title))
        )
        row = [
            (
                switch[:60],
                await button_token(ctx, "homework_" + toggle, {"assignment": assignment.id}),
            ),
            (
                ctx.t("Stop {title}", title=in_sentence(title))[:60],
                await button_token(ctx, "homework_stop", {"assignment": assignment.id}),
            ),
        ]
        rows.append(row)
    export = await button_token(ctx, "export", {"link": link.id})
    rows.append([(ctx.t("Export entries (CSV and PDF)"), export)])
    ctx.say("\n".join(lines), buttons=buttons(rows))


def _schedule_words(assignment: Assignment, language: str) -> str:
    try:
        return schedule_words(parse_schedule(assignment.schedule), language)
    except ScheduleError:
        return assignment.schedule


async def _entry_text(ctx: Ctx, entry: Entry, zone: ZoneInfo) -> str:
    title = ctx.rt.title_of(entry.template_id, ctx.lang)
    when = when_words(entry.completed_at or entry.updated_at, zone, ctx.lang)
    status = ctx.t(STATUS[entry.status]) if entry.status in STATUS else entry.status
    head = f"<b>{escape(title)}</b>, {when}, {status}"
    score = score_text(entry.scores, ctx.lang)
    if score:
        head += f" [{escape(score)}]"
    found = await library.entry_state(ctx.rt, ctx.session, entry)
    if found is None:
        return head + "\n" + ctx.t("(this entry could not be shown)")
    flow, state = found
    lines = answer_lines(engine.summarize(flow, state.answers))
    return "\n".join([head, *(lines or [ctx.t("(nothing written yet)")])])


# A message to the client about an entry.
async def reply_token(ctx: Ctx, payload: dict[str, object]) -> None:
    """Reply to CLIENT under an entry: ask for the message."""
    therapist = _therapist(ctx)
    found = await _own_link(ctx, therapist, payload.get("link"))
    entry_id = payload.get("entry")
    if therapist is None or found is None or not isinstance(entry_id, int):
        return
    link, client_user = found
    entry = await _entry_of_link(ctx, link, entry_id)
    if entry is None:
        ctx.say(ctx.t("That entry is no longer here."))
        return
    therapist.dialog = {
        "ask": "reply",
        "link": link.id,
        "entry": entry.id,
        "at": ctx.now.isoformat(),
    }
    name = people.client_display_name(link, client_user)
    ctx.say(
        ctx.t(
            "What would you like to tell {name} about their {title}? Type it here; it reaches "
            "them marked as from you. /cancel to stop.",
            name=name,
            title=ctx.title(entry.template_id),
        )
    )


async def _entry_of_link(ctx: Ctx, link: Link, entry_id: int) -> Entry | None:
    return await homework.entry_of_link(
        ctx.session, therapist_id=link.therapist_id, link_id=link.id, entry_id=entry_id
    )


async def send_reply(ctx: Ctx, text: str) -> None:
    """The therapist's typed message: through the outbox to the client, marked as theirs."""
    therapist = ctx.user
    assert therapist is not None
    dialog = therapist.dialog or {}
    therapist.dialog = None
    if not dialog_fresh(dialog, ctx.now, REPLY_WAIT):
        ctx.say(
            ctx.t(
                "It's been a while since you tapped Reply, so I haven't sent that. Tap Reply "
                "under the entry again to send a message."
            )
        )
        return
    found = await _own_link(ctx, therapist, dialog.get("link"))
    entry_id = dialog.get("entry")
    if found is None or not isinstance(entry_id, int):
        return
    link, client_user = found
    entry = await _entry_of_link(ctx, link, entry_id)
    if entry is None:
        ctx.say(ctx.t("That entry is no longer here, so nothing was sent."))
        return
    client_zone = ZoneInfo(client_user.timezone)
    language = client_user.language
    done_at = (entry.completed_at or entry.updated_at).astimezone(client_zone)
    heading = tr(
        language,
        "💬 From {therapist}, your therapist, about your {title} of {day}:",
        therapist=therapist.name,
        title=in_sentence(ctx.rt.title_of(entry.template_id, language)),
        day=moment(done_at, language, "EEE d MMM"),
    )
    footer = tr(language, "(/note sends an answer for your next session.)")
    await outbox.notify(
        ctx.session,
        person=client_user,
        kind="feedback",
        key=f"{therapist.id}:{ctx.update_id}",
        text=f"{heading}\n\n{text.strip()[:MAX_REPLY]}\n\n{footer}",
        now=ctx.now,
    )
    ctx.say(
        ctx.t(
            "Sent to {name}, marked as from you.",
            name=people.client_display_name(link, client_user),
        )
    )


# Changing homework given: stop, pause and resume, a new schedule.
async def _own_assignment(ctx: Ctx, therapist: User, assignment_id: object) -> Assignment | None:
    assignment = (
        await homework.therapist_assignment(
            ctx.session, therapist_id=therapist.id, assignment_id=assignment_id
        )
        if isinstance(assignment_id, int)
        else None
    )
    if assignment is None:
        ctx.edit_buttons(None)
        ctx.say(ctx.t("That homework is no longer given. /clients shows what is."))
    return assignment


async def homework_token(ctx: Ctx, action: str, payload: dict[str, object]) -> None:
    """Pause, Resume or Stop under /client (Stop asks first)."""
    therapist = _therapist(ctx)
    if therapist is None:
        return
    assignment = await _own_assignment(ctx, therapist, payload.get("assignment"))
    if assignment is None:
        return
    found = await people.client_of_therapist(
        ctx.session, therapist_id=therapist.id, link_id=assignment.link_id
    )
    if found is None:
        return
    link, client_user = found
    title = ctx.title(assignment.template_id)
    name = people.client_display_name(link, client_user)
    if action == "homework_stop":
        sure = await button_token(ctx, "homework_stop_sure", {"assignment": assignment.id})
        ctx.say(
            ctx.t(
                "Stop {title} for {name}? No more reminders; everything they wrote is kept.",
                title=title,
                name=name,
            ),
            buttons=buttons([[(ctx.t("Yes, stop it"), sure)]]),
        )
    elif action == "homework_stop_sure":
        ctx.edit_buttons(None)
        await stop(ctx, therapist, client_user, assignment, title, name)
    else:
        pause = action == "homework_pause"
        if pause == (assignment.paused_at is not None):  # an old button, already done
            ctx.say(
                ctx.t("The reminders of {title} are already paused.", title=title)
                if pause
                else ctx.t("The reminders of {title} are already on.", title=title)
            )
            return
        await set_paused(ctx, therapist, client_user, [assignment], name, pause)


async def stop(
    ctx: Ctx, therapist: User, client_user: User, assignment: Assignment, title: str, name: str
) -> None:
    """Take homework back: no more reminders; entries are kept; the client is told."""
    assignment.active = False
    assignment.next_due_at = None
    ctx.say(
        ctx.t(
            "Stopped {title} for {name}. Their entries are kept; /assign gives it again.",
            title=title,
            name=name,
        )
    )
    await outbox.notify(
        ctx.session,
        person=client_user,
        kind="assigned",
        key=f"stopped:{assignment.id}:{assignment.created_at.timestamp():.6f}",
        text=tr(
            client_user.language,
            "{therapist} has taken {title} off your homework for now. Everything you wrote is "
            "kept.",
            therapist=therapist.name,
            title=in_sentence(ctx.rt.title_of(assignment.template_id, client_user.language)),
        ),
        now=ctx.now,
    )


async def set_paused(
    ctx: Ctx,
    therapist: User,
    client_user: User,
    chosen: list[Assignment],
    name: str,
    pause: bool,
) -> None:
    """Pause or resume the reminders of some of a client's homework; the client is told."""
    titles = ", ".join(ctx.title(a.template_id) for a in chosen)
    for assignment in chosen:
        assignment.paused_at = ctx.now if pause else None
    language = client_user.language
    theirs = ", ".join(in_sentence(ctx.rt.title_of(a.template_id, language)) for a in chosen)
    if pause:
        ctx.say(
            ctx.t(
                "Paused reminders of {titles} for {name}. /resume turns them back on.",
                titles=titles,
                name=name,
            )
        )
        text = tr(
            language,
            "{therapist} paused the reminders of your {titles} for now.",
            therapist=therapist.name,
            titles=theirs,
        )
    else:
        ctx.say(ctx.t("Reminders of {titles} for {name} are back on.", titles=titles, name=name))
        text = tr(
            language,
            "{therapist} turned the reminders of your {titles} back on.",
            therapist=therapist.name,
            titles=theirs,
        )
    await outbox.notify(
        ctx.session,
        person=client_user,
        kind="paused",
        key=f"{client_user.id}:{ctx.update_id}",
        text=text,
        now=ctx.now,
    )


async def pick(
    ctx: Ctx, therapist: User, command: str, words: list[str]
) -> tuple[Link, User, str, list[Assignment]] | None:
    """CLIENT [HOMEWORK] from a command's words: the client and their matching homework
    (all of it when no homework is named), or None after saying why not."""
    if not words:
        ctx.say(
            ctx.t(
                "{command} CLIENT HOMEWORK, for example: {command} robin gratitude. "
                "/clients lists your clients.",
                command=command,
            )
        )
        return None
    found = await find_one(ctx, therapist, words[0])
    if found is None:
        return None
    link, client_user = found
    name = people.client_display_name(link, client_user)
    wanted = " ".join(words[1:]).strip().lower()
    chosen = [
        a
        for a in await homework.assignments_of_link(ctx.session, link_id=link.id)
        if not wanted or wanted in ctx.rt.title_of(a.template_id).lower() or wanted == a.template_id
    ]
    if not chosen:
        ctx.say(
            ctx.t(
                "{name} has no homework called “{wanted}”. /client {client} shows what they have.",
                name=name,
                wanted=wanted,
                client=words[0],
            )
            if wanted
            else ctx.t("{name} has no homework at the moment.", name=name)
        )
        return None
    return link, client_user, name, chosen


async def unassign(ctx: Ctx) -> None:
    """/unassign CLIENT HOMEWORK: take homework back (entries are kept)."""
    therapist = _therapist(ctx)
    if therapist is None:
        return
    picked = await pick(ctx, therapist, "/unassign", ctx.args)
    if picked is None:
        return
    _, client_user, name, chosen = picked
    if len(chosen) > 1:
        titles = ", ".join(ctx.title(a.template_id) for a in chosen)
        ctx.say(
            ctx.t(
                "{name} has {titles}. Which one? For example: /unassign {client} gratitude",
                name=name,
                titles=titles,
                client=ctx.args[0],
            )
        )
        return
    [assignment] = chosen
    title = ctx.title(assignment.template_id)
    await stop(ctx, therapist, client_user, assignment, title, name)


async def reschedule(ctx: Ctx) -> None:
    """/reschedule CLIENT HOMEWORK SCHEDULE: a new schedule for homework already given."""
    therapist = _therapist(ctx)
    if therapist is None:
        return
    example = ctx.t("For example: /reschedule robin gratitude daily 09:00")
    templates = await authoring.templates_for(ctx, therapist)
    parsed = (
        authoring.split_homework_words(
            list(ctx.args), templates, example=example, language=ctx.lang
        )
        if ctx.args
        else ctx.t(
            "/reschedule gives homework already given a new schedule. {example}", example=example
        )
    )
    if isinstance(parsed, str):
        ctx.say(parsed)
        return
    query, key, typed_schedule = parsed
    found = await find_one(ctx, therapist, query)
    if found is None:
        return
    link, client_user = found
    name = people.client_display_name(link, client_user)
    assignment = next(
        (
            a
            for a in await homework.assignments_of_link(ctx.session, link_id=link.id)
            if a.template_id == key
        ),
        None,
    )
    title = in_sentence(library.title_in(templates[key], ctx.lang))
    if assignment is None:
        ctx.say(
            ctx.t(
                "{name} doesn't have {title}. /assign gives it. {example}",
                name=name,
                title=title,
                example=example,
            )
        )
        return
    zone = ZoneInfo(client_user.timezone)
    try:
        schedule = parse_schedule(typed_schedule, today=ctx.now.astimezone(zone).date())
    except ScheduleError as error:
        ctx.say(ctx.unreadable(error))
        return
    first = next_occurrence(schedule, zone, ctx.now)
    if first is None:
        ctx.say(
            ctx.t("That time has already passed for {name}. Please choose a later one.", name=name)
        )
        return
    assignment.schedule = format_schedule(schedule)
    assignment.next_due_at = first
    local_first = first.astimezone(zone)
    ctx.say(
        ctx.t(
            "{title} for {name} is now {schedule} ({zone} time). Next reminder: {day} at {time}.",
            title=title[:1].upper() + title[1:],
            name=name,
            schedule=schedule_words(schedule, ctx.lang),
            zone=zone_name(zone, ctx.lang),
            day=moment(local_first, ctx.lang, "EEE dd MMM"),
            time=local_first.strftime("%H:%M"),
        )
    )
    await outbox.notify(
        ctx.session,
        person=client_user,
        kind="assigned",
        key=f"rescheduled:{assignment.id}:{ctx.update_id}",
        text=tr(
            client_user.language,
            "{therapist} changed your {title} to {schedule}.",
            therapist=therapist.name,
            title=in_sentence(ctx.rt.title_of(assignment.template_id, client_user.language)),
            schedule=schedule_words(schedule, client_user.language),
        ),
        now=ctx.now,
    )
