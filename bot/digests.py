"""Gathering a therapist's digest from storage; what it says is composed in conversations/."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from conversations import engine
from conversations.digest import AssignmentReport, ClientReport, EntryReport, compose_digest
from conversations.schedules import describe_schedule, parse_schedule
from storage import homework, people
from storage.models import User

PERIOD = timedelta(hours=24)
GRACE = timedelta(hours=3)
"""A due time is judged done or missed only this long after it: nobody is flagged at 20:00
for homework due at 20:00."""


def _described(schedule: str) -> str:
    try:
        return describe_schedule(parse_schedule(schedule))
    except ValueError:
        return schedule  # damaged: show it as stored rather than lose the whole digest


async def build_digest(
    session: AsyncSession, rt: Runtime, *, therapist: User, since: datetime, until: datetime
) -> list[str]:
    """The digest for (since, until], for this therapist's own clients only."""
    entries = await homework.done_entries_for_therapist(
        session, therapist_id=therapist.id, since=since, until=until
    )
    reports = []
    for link, client in await people.therapist_clients(session, therapist_id=therapist.id):
        zone = ZoneInfo(client.timezone)
        assignments = []
        for assignment in await homework.assignments_of_link(session, link_id=link.id):
            due, done = await homework.occurrence_tally(
                session, assignment_id=assignment.id, since=since - GRACE, until=until - GRACE
            )
            assignments.append(
                AssignmentReport(
                    title=rt.title_of(assignment.template_id),
                    schedule=_described(assignment.schedule),
                    due=due,
                    done=done,
                    entries=sum(1 for e, _ in entries if e.assignment_id == assignment.id),
                )
            )
        finished = []
        for entry, entry_link in entries:
            if entry_link.id != link.id or entry.completed_at is None:
                continue
            template = rt.library.get(entry.template_id)
            if template is None:
                continue
            flow = engine.compile_flow(template, entry.params)
            answers = engine.State.from_json(entry.state).answers
            finished.append(
                EntryReport(
                    title=template.title,
                    completed_local=entry.completed_at.astimezone(zone),
                    line=engine.digest_line(flow, answers),
                )
            )
        reports.append(
            ClientReport(
                name=people.client_display_name(link, client),
                assignments=tuple(assignments),
                entries=tuple(finished),
            )
        )
    own = ZoneInfo(therapist.timezone)
    fmt = "%a %d %b %H:%M"
    period = f"{since.astimezone(own).strftime(fmt)} to {until.astimezone(own).strftime(fmt)}"
    return compose_digest(period=period, clients=reports)
