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
from bot.i18n import moment, schedule_words, tr
from bot.render import answer_lines, buttons
from bot.runtime import Ctx, button_token, dialog_fresh
from conversations import engine
from conversations.digest import run_lengths
from conversations.schedules import (
    ScheduleError,
    describe_schedule,
    format_schedule,
    next_occurrence,
    parse_schedule,
)
from conversations.timezones import zone_label
from storage import files, flags, homework, outbox, people, privacy
from storage.models import Assignment, Entry, Link, User

PAGE = 3
"""Entries shown per page of /client."""
MAX_REPLY = 3000
REPLY_WAIT = timedelta(minutes=15)
"""How long a typed reply is waited for after Reply is tapped."""
STATUS = {"done": "done", "paused": "paused", "active": "in progress", "waiting": "waiting"}


def _therapist(ctx: Ctx) -> User | None:
    if ctx.user is None or ctx.user.role != "therapist":
        ctx.say(ctx.t("That command is for therapists. /help shows what you can do."))
        return None
    return ctx.user


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M")


async def status_line(ctx: Ctx, therapist: User, link: Link, client: User) -> str:
    """A client at a glance: last done, runs of done or missed, paused, unreachable."""
    zone = ZoneInfo(therapist.timezone)
    parts = []
    if client.blocked_at is not None:
        parts.append("⛔ can't be reached (blocked me)")
    if client.paused_at is not None:
        parts.append("⏸ paused their reminders")
    last = await homework.last_done_at(ctx.session, therapist_id=therapist.id, link_id=link.id)
    parts.append(f"last done {_when(last, zone)}" if last else "nothing done yet")
    for assignment in await homework.assignments_of_link(ctx.session, link_id=link.id):
        done, missed = run_lengths(
            await homework.recent_outcomes(
                ctx.session, assignment_id=assignment.id, until=ctx.now - GRACE
            )
        )
        title = ctx.rt.title_of(assignment.template_id).lower()
        if missed >= 2:
            parts.append(f"missed {missed} {title} in a row")
        elif done >= 2:
            parts.append(f"{title} {done} in a row")
    return "; ".join(parts)


async def find_one(ctx: Ctx, therapist: User, query: str) -> tuple[Link, User] | None:
    """The one client `query` names, or None after saying why not."""
    matches = await people.find_clients(ctx.session, therapist_id=therapist.id, query=query)
    if len(matches) == 1:
        return matches[0]
    ctx.say(
        f"I couldn't find a client called “{query}”. /clients lists your clients."
        if not matches
        else f"More than one client matches “{query}”: "
        + ", ".join(people.client_display_name(link, user) for link, user in matches)
        + ". Use more of the name."
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


async def show(
    ctx: Ctx, therapist: User, link: Link, client_user: User, *, page: int, header: bool = True
) -> None:
    """One page of a client's entries (newest first), after their status and homework."""
    zone = ZoneInfo(therapist.timezone)
    name = people.client_display_name(link, client_user)
    await privacy.audit(
        ctx.session,
        actor=therapist,
        action="read_entries",
        subject=f"link {link.id}",
        now=ctx.now,
    )
    if header:
        await _header(ctx, therapist, link, client_user, name)
    entries = await homework.recent_entries_of_link(
        ctx.session, therapist_id=therapist.id, link_id=link.id, limit=PAGE + 1, offset=page * PAGE
    )
    more, entries = len(entries) > PAGE, entries[:PAGE]
    if not entries:
        ctx.say(f"No entries from {name} yet." if page == 0 else "No older entries.")
    for entry in entries:
        text = await _entry_text(ctx, entry, zone)
        reply = await button_token(ctx, "reply", {"link": link.id, "entry": entry.id})
        ctx.say(text, buttons=buttons([[(f"Reply to {name}"[:60], reply)]]), html=True)
        for stored in await files.files_for_therapist(
            ctx.session, therapist_id=therapist.id, entry_id=entry.id
        ):
            await outbox.notify(
                ctx.session,
                person=therapist,
                kind="photo",
                key=f"view:{entry.id}:{stored.id}:{ctx.update_id}",
                text=f"{name}'s {ctx.rt.title_of(entry.template_id).lower()}, "
                f"{_when(entry.updated_at, zone)} ({zone_label(zone)} time)",
                now=ctx.now,
                extra={"file": stored.id},
            )
    row = []
    if page > 0:
        newer = await button_token(ctx, "client_page", {"link": link.id, "page": page - 1})
        row.append(("◀ Newer", newer))
    if more:
        older = await button_token(ctx, "client_page", {"link": link.id, "page": page + 1})
        row.append(("Older entries ▶", older))
    if row:
        ctx.say(f"{name}: page {page + 1}", buttons=buttons([row]))


async def _header(ctx: Ctx, therapist: User, link: Link, client_user: User, name: str) -> None:
    zone = ZoneInfo(client_user.timezone)
    lines = [
        f"■ {name}" + (f" (@{client_user.username})" if client_user.username else ""),
        f"Their time zone: {zone_label(zone)}. Times below are yours "
        f"({zone_label(ZoneInfo(therapist.timezone))}).",
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
        lines.append(f"⚠️ {len(open_flags)} risk alert(s) not yet acknowledged (see /clients)")
    rows = []
    assignments = await homework.assignments_of_link(ctx.session, link_id=link.id)
    lines.append("Homework:" if assignments else "No homework given. /assign gives some.")
    for assignment in assignments:
        title = ctx.rt.title_of(assignment.template_id)
        paused = " (reminders paused)" if assignment.paused_at else ""
        lines.append(f"• {title}, {_schedule_words(assignment)}{paused}")
        toggle = "resume" if assignment.paused_at else "pause"
        row = [
            (
                f"{'▶ Resume' if assignment.paused_at else '⏸ Pause'} {title.lower()}"[:60],
                await button_token(ctx, "homework_" + toggle, {"assignment": assignment.id}),
            ),
            (
                f"Stop {title.lower()}"[:60],
                await button_token(ctx, "homework_stop", {"assignment": assignment.id}),
            ),
        ]
        rows.append(row)
    export = await button_token(ctx, "export", {"link": link.id})
    rows.append([("Export entries (CSV and PDF)", export)])
    ctx.say("\n".join(lines), buttons=buttons(rows))


def _schedule_words(assignment: Assignment) -> str:
    try:
        return describe_schedule(parse_schedule(assignment.schedule))
    except ScheduleError:
        return assignment.schedule


async def _entry_text(ctx: Ctx, entry: Entry, zone: ZoneInfo) -> str:
    title = ctx.rt.title_of(entry.template_id)
    when = _when(entry.completed_at or entry.updated_at, zone)
    status = STATUS.get(entry.status, entry.status)
    head = f"<b>{escape(title)}</b>, {when}, {status}"
    score = score_text(entry.scores)
    if score:
        head += f" [{escape(score)}]"
    found = await library.entry_state(ctx.rt, ctx.session, entry)
    if found is None:
        return head + "\n(this entry could not be shown)"
    flow, state = found
    lines = answer_lines(engine.summarize(flow, state.answers))
    return "\n".join([head, *(lines or ["(nothing written yet)"])])


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
        f"What would you like to tell {name} about their "
        f"{ctx.rt.title_of(entry.template_id).lower()}? Type it here; it reaches them marked as "
        "from you. /cancel to stop."
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
        title=ctx.rt.title_of(entry.template_id, language).lower(),
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
    ctx.say(f"Sent to {people.client_display_name(link, client_user)}, marked as from you.")


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
    title = ctx.rt.title_of(assignment.template_id).lower()
    name = people.client_display_name(link, client_user)
    if action == "homework_stop":
        sure = await button_token(ctx, "homework_stop_sure", {"assignment": assignment.id})
        ctx.say(
            f"Stop {title} for {name}? No more reminders; everything they wrote is kept.",
            buttons=buttons([[("Yes, stop it", sure)]]),
        )
    elif action == "homework_stop_sure":
        ctx.edit_buttons(None)
        await stop(ctx, therapist, client_user, assignment, title, name)
    else:
        pause = action == "homework_pause"
        if pause == (assignment.paused_at is not None):  # an old button, already done
            ctx.say(f"The reminders of {title} are already {'paused' if pause else 'on'}.")
            return
        await set_paused(ctx, therapist, client_user, [assignment], name, pause)


async def stop(
    ctx: Ctx, therapist: User, client_user: User, assignment: Assignment, title: str, name: str
) -> None:
    """Take homework back: no more reminders; entries are kept; the client is told."""
    assignment.active = False
    assignment.next_due_at = None
    ctx.say(f"Stopped {title} for {name}. Their entries are kept; /assign gives it again.")
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
            title=ctx.rt.title_of(assignment.template_id, client_user.language).lower(),
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
    titles = ", ".join(ctx.rt.title_of(a.template_id).lower() for a in chosen)
    for assignment in chosen:
        assignment.paused_at = ctx.now if pause else None
    language = client_user.language
    theirs = ", ".join(ctx.rt.title_of(a.template_id, language).lower() for a in chosen)
    if pause:
        ctx.say(f"Paused reminders of {titles} for {name}. /resume turns them back on.")
        text = tr(
            language,
            "{therapist} paused the reminders of your {titles} for now.",
            therapist=therapist.name,
            titles=theirs,
        )
    else:
        ctx.say(f"Reminders of {titles} for {name} are back on.")
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
            f"{command} CLIENT HOMEWORK, for example: {command} robin gratitude. "
            "/clients lists your clients."
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
            f"{name} has no homework called “{wanted}”. /client {words[0]} shows what they have."
            if wanted
            else f"{name} has no homework at the moment."
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
        titles = ", ".join(ctx.rt.title_of(a.template_id).lower() for a in chosen)
        ctx.say(f"{name} has {titles}. Which one? For example: /unassign {ctx.args[0]} gratitude")
        return
    [assignment] = chosen
    title = ctx.rt.title_of(assignment.template_id).lower()
    await stop(ctx, therapist, client_user, assignment, title, name)


async def reschedule(ctx: Ctx) -> None:
    """/reschedule CLIENT HOMEWORK SCHEDULE: a new schedule for homework already given."""
    therapist = _therapist(ctx)
    if therapist is None:
        return
    example = "For example: /reschedule robin gratitude daily 09:00"
    templates = await authoring.templates_for(ctx, therapist)
    parsed = (
        authoring.split_homework_words(list(ctx.args), templates, example=example)
        if ctx.args
        else f"/reschedule gives homework already given a new schedule. {example}"
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
    title = templates[key].title.lower()
    if assignment is None:
        ctx.say(f"{name} doesn't have {title}. /assign gives it. {example}")
        return
    zone = ZoneInfo(client_user.timezone)
    try:
        schedule = parse_schedule(typed_schedule, today=ctx.now.astimezone(zone).date())
    except ScheduleError as error:
        ctx.say(str(error))
        return
    first = next_occurrence(schedule, zone, ctx.now)
    if first is None:
        ctx.say(f"That time has already passed for {name}. Please choose a later one.")
        return
    assignment.schedule = format_schedule(schedule)
    assignment.next_due_at = first
    described = describe_schedule(schedule)
    ctx.say(
        f"{title.capitalize()} for {name} is now {described} ({zone_label(zone)} time). "
        f"Next reminder: {first.astimezone(zone):%a %d %b at %H:%M}."
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
            title=ctx.rt.title_of(assignment.template_id, client_user.language).lower(),
            schedule=schedule_words(schedule, client_user.language),
        ),
        now=ctx.now,
    )
