"""Gathering a therapist's digest from storage; what it says is composed in conversations/."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import library, progress
from bot.i18n import N_, in_sentence, moment, schedule_words, tr, wording, zone_name
from bot.runtime import Runtime, token_for
from conversations import engine
from conversations.crisis import where_text
from conversations.digest import (
    AlertReport,
    AssignmentReport,
    ClientReport,
    EntryReport,
    NoteReport,
    compose_digest,
    most_urgent_first,
    run_lengths,
)
from conversations.schedules import Daily, Weekly, parse_schedule
from storage import flags, homework, notes, people
from storage.models import Entry, Flag, User

ButtonRows = list[list[list[str]]]


@dataclass(frozen=True)
class Digest:
    """A digest's messages, and the open risk flags that get Acknowledge buttons."""

    messages: list[str]
    open_flags: list[tuple[int, datetime, str, datetime]]
    """(first flag's id, raised at, client's name, the latest joined flag's time) of each
    open alert: plain values, so a digest outlives its session."""
    charts: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    """(link id, client's name, chart spec) for each client with a trend to show."""
    clients: list[tuple[int, str]] = field(default_factory=list)
    """(link id, name) of the clients the digest has something about, most urgent first."""

    async def open_buttons(
        self, session: AsyncSession, *, therapist: User, now: datetime
    ) -> ButtonRows:
        """Open CLIENT buttons for the last message: their entries in full, and their
        homework to pause, stop or answer (see bot/caseload.py)."""
        shown: list[list[str]] = []
        for link_id, name in self.clients[:MAX_OPEN_BUTTONS]:
            token = await token_for(
                session,
                owner_id=therapist.id,
                action="client_open",
                payload={"link": link_id},
                now=now,
            )
            shown.append([tr(therapist.language, "Open {name}", name=name)[:40], token])
        return [shown[i : i + 2] for i in range(0, len(shown), 2)]

    async def keyboards(
        self, session: AsyncSession, *, therapist: User, now: datetime
    ) -> list[ButtonRows]:
        """Buttons per message: Acknowledge under the first, Open CLIENT under the last."""
        rows: list[ButtonRows] = [[] for _ in self.messages]
        if rows:
            rows[0] += await self.buttons(session, therapist=therapist, now=now)
            rows[-1] += await self.open_buttons(session, therapist=therapist, now=now)
        return rows

    async def queue_charts(
        self, session: AsyncSession, *, therapist: User, key: str, now: datetime
    ) -> int:
        """Each client's chart through the outbox, after the digest's words."""
        zone = zone_name(ZoneInfo(therapist.timezone), therapist.language)
        queued = 0
        for link_id, name, spec in self.charts:
            caption = tr(
                therapist.language,
                "{name}: trends over the last 90 days ({zone} time)",
                name=name,
                zone=zone,
            )
            queued += await progress.queue_chart(
                session,
                person=therapist,
                kind="chart",
                key=f"{therapist.id}:{link_id}:{key}",
                caption=caption,
                spec=spec,
                now=now,
                link_id=link_id,
            )
        return queued

    async def buttons(self, session: AsyncSession, *, therapist: User, now: datetime) -> ButtonRows:
        """Acknowledge buttons for the first message, one per open flag (a few at most)."""
        zone = ZoneInfo(therapist.timezone)
        rows: ButtonRows = []
        for flag_id, raised_at, name, latest in self.open_flags[:MAX_ACK_BUTTONS]:
            token = await token_for(
                session,
                owner_id=therapist.id,
                action="ack",
                payload={
                    "flag": flag_id,
                    "raised": raised_at.isoformat(),
                    "until": latest.isoformat(),  # what the digest's line counted
                },
                now=now,
            )
            when = moment(raised_at.astimezone(zone), therapist.language, "EEE HH:mm")
            label = tr(therapist.language, "Acknowledge {name}, {when}", name=name, when=when)
            rows.append([[label[:60], token]])
        return rows


MAX_ACK_BUTTONS = 8
MAX_OPEN_BUTTONS = 6


def digest_schedule(therapist: User, default_time: str) -> Daily | Weekly:
    """When a therapist's digest comes: daily, or weekly on their chosen day."""
    at = time.fromisoformat(therapist.digest_time or default_time)
    if therapist.digest_weekday is None:
        return Daily(at)
    return Weekly(frozenset({therapist.digest_weekday}), at)


def digest_period(therapist: User) -> timedelta:
    """What one digest covers: a day, or a week."""
    return PERIOD if therapist.digest_weekday is None else timedelta(days=7)


def describe_digest(therapist: User, default_time: str) -> str:
    """ "daily at 18:00" or "every Monday at 18:00", in the therapist's language."""
    return schedule_words(digest_schedule(therapist, default_time), therapist.language)


PERIOD = timedelta(hours=24)
GRACE = timedelta(hours=3)
"""A due time is judged done or missed only this long after it: nobody is flagged at 20:00
for homework due at 20:00."""


def _described(schedule: str, language: str) -> str:
    try:
        return schedule_words(parse_schedule(schedule), language)
    except ValueError:
        return schedule  # damaged: show it as stored rather than lose the whole digest


BANDS = (N_("minimal"), N_("mild"), N_("moderate"), N_("moderately severe"), N_("severe"))
"""The published bands of the built-in measures, worded for the therapist (a band of a
therapist's own measure shows as written)."""


def score_text(scores: Mapping[str, Any] | None, language: str = "en") -> str:
    """A measure's score for the therapist: "PHQ-9 12 (moderate)"."""
    if not scores or "total" not in scores:
        return ""
    band = tr(language, str(scores.get("band", "")).lower())
    return f"{scores.get('name', 'Score')} {scores['total']} ({band})"


def score_change(
    entry: Entry, scored: Sequence[Entry], zone: ZoneInfo, language: str = "en"
) -> str:
    """How a measure's score moved since the same measure's previous one on this link."""
    name = (entry.scores or {}).get("name")
    total = (entry.scores or {}).get("total")
    if entry.completed_at is None or not isinstance(total, int | float):
        return ""
    earlier = [
        e
        for e in scored
        if e.completed_at is not None
        and e.completed_at < entry.completed_at
        and (e.scores or {}).get("name") == name
        and isinstance((e.scores or {}).get("total"), int | float)
    ]
    if not earlier:
        return ""
    before = earlier[-1]
    assert before.completed_at is not None and before.scores is not None
    local = before.completed_at.astimezone(zone)
    when = local.strftime("%a %d %b") if language == "en" else moment(local, language, "EEE d MMM")
    moved = total - before.scores["total"]
    by = format(abs(moved), "g")
    if moved == 0:
        return tr(language, "same as on {when}", when=when)
    if moved > 0:
        return tr(language, "up {by} since {when}", by=by, when=when)
    return tr(language, "down {by} since {when}", by=by, when=when)


def _alerts(
    rt: Runtime, raised: Iterable[Flag], zone: ZoneInfo, language: str
) -> tuple[AlertReport, ...]:
    return tuple(
        AlertReport(
            raised_local=flag.created_at.astimezone(zone),
            where=where_text(
                flag.source,
                in_sentence(rt.title_of(flag.template_id or "", language)),
                wording(language).t,
            ),
            excerpt=flag.excerpt,
            acknowledged=flag.acknowledged_at is not None,
            settled=flag.acknowledged_at,
        )
        for flag in sorted(raised, key=lambda f: (f.created_at, f.id))
    )


async def build_digest(
    session: AsyncSession, rt: Runtime, *, therapist: User, since: datetime, until: datetime
) -> Digest:
    """The digest for (since, until], for this therapist's own clients only; open risk
    flags whenever raised."""
    entries_by_link: dict[int, list[Entry]] = {}
    for done_entry, done_link in await homework.done_entries_for_therapist(
        session, therapist_id=therapist.id, since=since, until=until
    ):
        entries_by_link.setdefault(done_link.id, []).append(done_entry)
    open_flags = await flags.open_flags_for_therapist(session, therapist_id=therapist.id)
    own = ZoneInfo(therapist.timezone)
    language = therapist.language
    reports = []
    charts: list[tuple[int, str, dict[str, Any]]] = []
    for link, client in await people.therapist_clients(session, therapist_id=therapist.id):
        name = people.client_display_name(link, client)
        spec = await progress.link_chart(
            rt,
            session,
            therapist_id=therapist.id,
            link_id=link.id,
            name=name,
            zone=own,
            until=until,
            language=language,
        )
        if spec is not None:
            charts.append((link.id, name, spec))
        entries = entries_by_link.get(link.id, [])
        assignments = []
        for assignment in await homework.assignments_of_link(session, link_id=link.id):
            tally = await homework.occurrence_tally(
                session, assignment_id=assignment.id, since=since - GRACE, until=until - GRACE
            )
            streak, missed_in_a_row = run_lengths(
                await homework.recent_outcomes(
                    session, assignment_id=assignment.id, until=until - GRACE
                )
            )
            assignments.append(
                AssignmentReport(
                    title=rt.title_of(assignment.template_id, language),
                    schedule=_described(assignment.schedule, language),
                    due=tally.due,
                    done=tally.done,
                    entries=sum(1 for e in entries if e.assignment_id == assignment.id),
                    skipped=tally.skipped,
                    paused=tally.paused,
                    not_reminded=tally.not_reminded,
                    paused_now=assignment.paused_at is not None,
                    streak=streak,
                    missed_in_a_row=missed_in_a_row if assignment.paused_at is None else 0,
                )
            )
        finished = []
        unreadable = 0
        scored = [
            e
            for e in await homework.scored_entries_of_link(
                session, therapist_id=therapist.id, link_id=link.id, until=until
            )
            if e.scores and e.completed_at is not None
        ]
        for entry in entries:
            if entry.completed_at is None:
                continue
            found = await library.entry_state(rt, session, entry, language=language)
            if found is None:
                unreadable += 1  # logged without its text; the rest of the digest goes on
                continue
            flow, state = found
            finished.append(
                EntryReport(
                    title=flow.title,
                    completed_local=entry.completed_at.astimezone(own),
                    line=engine.digest_line(flow, state.answers),
                    score=score_text(entry.scores, language),
                    change=score_change(entry, scored, own, language),
                )
            )
        raised = {f.id: f for f, flag_link, _ in open_flags if flag_link.id == link.id}
        for flag in await flags.flags_of_link(
            session, therapist_id=therapist.id, link_id=link.id, limit=20
        ):
            if since < flag.created_at <= until:
                raised.setdefault(flag.id, flag)
        said = await notes.notes_of_link(
            session, therapist_id=therapist.id, link_id=link.id, since=since, until=until
        )
        reports.append(
            ClientReport(
                name=people.client_display_name(link, client),
                link_id=link.id,
                notes=tuple(
                    NoteReport(
                        written_local=n.created_at.astimezone(own),
                        text=n.text or "",
                        rating=n.rating or "",
                        about=in_sentence(rt.title_of(n.template_id, language))
                        if n.template_id
                        else "",
                    )
                    for n in said
                ),
                assignments=tuple(assignments),
                entries=tuple(finished),
                alerts=_alerts(rt, raised.values(), own, language),
                unreadable=unreadable,
                paused_since=client.paused_at.astimezone(own) if client.paused_at else None,
                unreachable_since=client.blocked_at.astimezone(own) if client.blocked_at else None,
            )
        )
    # A client who has left still shows while a flag raised with this therapist is open.
    former: dict[int, tuple[str, list[Flag]]] = {}
    for flag, link, client in open_flags:
        if link.ended_at is not None:
            name = tr(
                language,
                "{name} (no longer linked)",
                name=people.client_display_name(link, client),
            )
            former.setdefault(link.id, (name, []))[1].append(flag)
    for name, raised_flags in former.values():
        reports.append(
            ClientReport(
                name=name,
                assignments=(),
                entries=(),
                alerts=_alerts(rt, raised_flags, own, language),
                former=True,
            )
        )
    words = wording(language)
    period = tr(
        language,
        "{start} to {end}, {zone} time",
        start=words.day_time(since.astimezone(own)),
        end=words.day_time(until.astimezone(own)),
        zone=zone_name(own, language),
    )
    return Digest(
        messages=compose_digest(period=period, clients=reports, wording=words),
        open_flags=[
            (
                joined[0].id,
                joined[0].created_at,
                people.client_display_name(link, u),
                joined[-1].created_at,
            )
            for joined, link, u in flags.one_per_client(open_flags)
        ],
        clients=[
            (c.link_id, c.name)
            for c in most_urgent_first(reports)
            if c.link_id is not None and not c.quiet and not c.former
        ],
        # A chart comes with clients the digest has something about, not every quiet one.
        charts=[c for c in charts if c[0] in {r.link_id for r in reports if not r.quiet}],
    )
