"""End to end: a seeded month of varied homework (every built-in kind, three clients,
missed days, a "too hard", a note, a PHQ-9 series) makes the digest described, in words
and a chart per client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FixedClock
from conversations import engine
from conversations.trends import MAX_PANELS
from storage import homework, notes
from storage.models import Assignment, Entry, Link, User
from tests.fake_bot_api import FakeUser
from tests.harness import RunningBot, link_client, register_therapist, texts
from tests.test_library import LIBRARY, PRODUCT_KINDS, measure_total, spread, walk
from tests.test_trends import png_size

NOW = datetime(2026, 12, 21, 17, 30, tzinfo=UTC)  # a Monday, 18:30 in Berlin
MEASURES = ("phq9", "gad7")


async def assignment_of(running: RunningBot, client: FakeUser, template: str) -> Assignment:
    async with running.runtime.db.transaction() as session:
        query = (
            select(Assignment)
            .join(Link, Link.id == Assignment.link_id)
            .join(User, User.id == Link.client_id)
            .where(User.telegram_id == client.id)
        )
        found = (await session.execute(query)).scalars()
        [assignment] = [a for a in found if a.template_id == template]  # encrypted: read here
        return assignment


async def seed_entry(
    running: RunningBot, assignment: Assignment, when: datetime, turn: engine.Turn
) -> None:
    """A finished entry, as the bot would have saved it, at `when`."""
    async with running.runtime.db.transaction() as session:
        link = await session.get(Link, assignment.link_id)
        assert link is not None
        occurrence = await homework.record_occurrence(
            session, assignment_id=assignment.id, due_at=when - timedelta(minutes=30), now=when
        )
        entry = await homework.start_entry(
            session,
            client_id=link.client_id,
            assignment=assignment,
            occurrence_id=occurrence,
            template_id=assignment.template_id,
            template_version=LIBRARY[assignment.template_id].version,
            params={},
            state=turn.state.to_json(),
            now=when,
        )
        scored = engine.score(
            engine.compile_flow(LIBRARY[assignment.template_id]), turn.state.answers
        )
        homework.save_entry(
            entry,
            state=turn.state.to_json(),
            finished=True,
            now=when,
            scores={"name": scored.name, "total": scored.total, "band": scored.band}
            if scored
            else None,
        )


async def test_a_seeded_month_makes_the_digest_described(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist = running.api.user(9001, "Dana", username="dana_fake")
    await register_therapist(running, therapist)
    clients = [
        running.api.user(9100 + n, name, username=f"{name.lower()}_fake")
        for n, name in enumerate(("Robin", "Sam", "Alex"))
    ]
    for client in clients:
        await link_client(running, therapist, client, client.first_name)
    robin, sam, alex = clients
    kinds = sorted(PRODUCT_KINDS)
    for index, kind in enumerate(kinds):  # every kind given to someone, daily
        owner = clients[index % 3] if kind not in MEASURES else robin
        replies = await running.send(therapist, f"/assign {owner.first_name} {kind} daily 20:00")
        assert "Assigned" in texts(replies), (kind, texts(replies))
    await running.send(therapist, "/settings")
    replies = await running.press(therapist, "Weekly instead")
    await running.press(therapist, "Mon", replies[-1])
    # A month: every kind done a few times; a PHQ-9 each week, falling; Sam's recent misses.
    start = NOW - timedelta(days=28)
    for index, kind in enumerate(kinds):
        owner = clients[index % 3] if kind not in MEASURES else robin
        assignment = await assignment_of(running, owner, kind)
        if kind in MEASURES:
            for week, total in enumerate((16, 13, 10, 7)):
                when = start + timedelta(days=7 * week + 3, hours=1)
                await seed_entry(
                    running,
                    assignment,
                    when,
                    measure_total(kind, spread(total, 9 if kind == "phq9" else 7)),
                )
            continue
        last, _ = walk(engine.compile_flow(LIBRARY[kind]))
        days = (2, 9, 16, 23, 26) if owner is not sam else (2, 9, 16)
        for day in days:
            await seed_entry(running, assignment, start + timedelta(days=day, hours=2), last)
        if owner is sam:
            async with running.runtime.db.transaction() as session:
                for missed in range(3):  # reminded, not done, three days in a row
                    due = NOW - timedelta(days=missed + 1, hours=2)
                    await homework.record_occurrence(
                        session, assignment_id=assignment.id, due_at=due, now=due
                    )
    async with running.runtime.db.transaction() as session:
        alex_row = (
            await session.execute(select(User).where(User.telegram_id == alex.id))
        ).scalar_one()
        link = (
            await session.execute(select(Link).where(Link.client_id == alex_row.id))
        ).scalar_one()
        done = (
            (
                await session.execute(
                    select(Entry)
                    .where(Entry.client_id == alex_row.id)
                    .order_by(Entry.completed_at.desc())
                )
            )
            .scalars()
            .first()
        )
        await notes.add_note(
            session,
            client_id=alex_row.id,
            link_id=link.id,
            kind="feedback",
            rating="too hard",
            text="Too many steps",
            entry=done,
            now=NOW - timedelta(days=1),
        )
    clock.set(NOW - timedelta(days=2))
    await running.send(robin, "/note Can we talk about work stress?")
    clock.set(NOW)
    await running.tick()  # Monday 18:30 Berlin: the weekly digest falls due
    for _ in range(6):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    said = running.api.sent_to(therapist.chat_id)
    everything = texts([m for m in said if m.method == "sendMessage"])
    assert "Your digest (Mon 14 Dec 18:00 to Mon 21 Dec 18:00, Berlin time)" in everything
    attention = everything[everything.index("Needs attention\n") :]
    assert attention.index("• Sam: ") < attention.index("■")
    assert "missed 3 times in a row" in attention[: attention.index("■")]
    assert "• Alex: found" in attention and "too hard" in attention
    assert "[PHQ-9 7 (mild), down 3 since" in everything
    assert "“Can we talk about work stress?”" in everything
    for kind in kinds:
        if kind in MEASURES:
            continue
        assert running.runtime.title_of(kind) in everything, kind
    charts = [m for m in said if m.method == "sendPhoto"]
    assert {c.caption.split(":")[0] for c in charts if c.caption} >= {"Robin"}
    for chart in charts:
        width, height = png_size(chart.file_data or b"")
        # One panel per series, at most MAX_PANELS (Robin's has four: two measures, two trends).
        assert 800 <= width <= 1100 and 300 <= height <= 150 * (1.2 + 2.1 * MAX_PANELS)
