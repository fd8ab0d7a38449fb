"""Trend charts: one per client in the therapist's digest, and /progress for the client.

The data is gathered here; the chart is drawn only when the outbox sends it (bot/charts.py,
in a worker thread), so no database transaction waits on matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import library
from bot.i18n import tr, wording
from bot.runtime import Ctx, Runtime
from conversations.schedules import local_date
from conversations.trends import Done, Series, chart_spec, progress_sentence, trends
from storage import homework, outbox
from storage.models import Entry, User

WINDOW = timedelta(days=90)
"""How far back a chart looks."""


async def done_of(
    rt: Runtime, session: AsyncSession, entries: Sequence[Entry], language: str = "en"
) -> list[Done]:
    """Finished entries as trends read them, worded in `language` (a measure's bands);
    unreadable ones are left out, logged."""
    done = []
    for entry in entries:
        if entry.completed_at is None:
            continue
        found = await library.entry_state(rt, session, entry, language=language)
        if found is not None:
            flow, state = found
            done.append(Done(flow, state.answers, entry.completed_at, entry.scores))
    return done


async def link_chart(
    rt: Runtime,
    session: AsyncSession,
    *,
    therapist_id: int,
    link_id: int,
    name: str,
    zone: ZoneInfo,
    until: datetime,
    language: str = "en",
) -> dict[str, Any] | None:
    """The chart spec for one client's trends on this therapist's link, or None with nothing
    to chart (titled in `language`)."""
    entries = await homework.done_entries_of_link(
        session, therapist_id=therapist_id, link_id=link_id, since=until - WINDOW, until=until
    )
    title = tr(language, "{name}: the last 90 days", name=name)
    series = trends(await done_of(rt, session, entries, language))
    return chart_spec(title, series, zone.key, t=wording(language).t, language=language)


async def progress(ctx: Ctx) -> None:
    """/progress: the client's own trends as a chart, and one plain sentence about them."""
    client = ctx.user
    assert client is not None
    if client.role != "client":
        ctx.say(ctx.t("/progress is for clients: it shows them how their homework is going."))
        return
    zone = ZoneInfo(client.timezone)
    entries = await homework.done_entries_of_client(
        ctx.session, client_id=client.id, since=ctx.now - WINDOW, until=ctx.now
    )
    done = await done_of(ctx.rt, ctx.session, entries, ctx.lang)
    series = trends(done)
    mood = mood_of(series)
    days = [local_date(d.completed_at, zone) for d in done]
    ctx.say(progress_sentence(days, mood, today=local_date(ctx.now, zone), zone=zone, t=ctx.t))
    spec = chart_spec(ctx.t("How it's going"), series, zone.key, t=ctx.t, language=ctx.lang)
    if spec is None:
        return
    ctx.say(ctx.t("Here is a chart of it; it comes in a moment."))
    await queue_chart(
        ctx.session,
        person=client,
        kind="progress",
        key=f"{client.id}:{ctx.update_id}",
        caption=ctx.t("Your homework over the last 90 days"),
        spec=spec,
        now=ctx.now,
    )


async def queue_chart(
    session: AsyncSession,
    *,
    person: User,
    kind: str,
    key: str,
    caption: str,
    spec: dict[str, Any],
    now: datetime,
    link_id: int | None = None,
) -> bool:
    """A chart through the outbox: drawn and sent as a photo when its turn comes. A chart
    of one client for their therapist names their link, so erasing them withdraws it."""
    extra: dict[str, Any] = {"chart": spec}
    if link_id is not None:
        extra["link"] = link_id
    return await outbox.notify(
        session, person=person, kind=kind, key=key, text=caption, now=now, extra=extra
    )


def mood_of(series: Sequence[Series]) -> Series | None:
    """The mood series, if there is one."""
    return next((s for s in series if s.name == "Mood"), None)
