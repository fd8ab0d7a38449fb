"""Benchmark: building a therapist's digest (text, trend charts' data) grows linearly with
their clients.

Run: python -m bench.bench_digest            (10, 25 and 50 clients, 90 days of history
     each: a daily journal entry with a mood; SQLite; median of 5 builds)
     python -m bench.bench_digest --quick    (5, 10 and 20 clients, 30 days, 3 builds)
     options: --clients 10,25,50, --days 90, --databases sqlite,postgresql

For each size a fresh database is seeded through the storage layer: one therapist, N
clients each with a journal assignment, one due time a day and a finished entry for each
(its state a real engine state, encrypted with the bot's key). Then the digest of the last
day is built as the tick builds it (`bot.digests.build_digest`, chart data included; the
charts themselves are drawn later, when the outbox sends them, and are timed apart).

Target (the issue): the time grows linearly with clients. Shown: milliseconds per client at
each size, and each size's cost per client against the smallest's (1.0x is linear).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import insert, select, update

from bench.common import (
    median,
    new_key,
    postgres_available,
    prepare_database,
    say,
    scratch_database,
    seed,
    table,
    verdict,
)
from bot.app import build_application
from bot.charts import render
from bot.digests import build_digest
from bot.settings import Settings
from conversations import engine
from conversations.templates import load_library
from storage.db import Database
from storage.models import Assignment, Entry, Occurrence, User

NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
LINEAR = 1.5
"""Per-client cost at the largest size within this factor of the smallest's."""


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 30 days")
    parser.add_argument("--clients", help="clients per size, comma-separated (10,25,50)")
    parser.add_argument("--days", type=int, help="days of history (90; quick 30)")
    parser.add_argument("--rounds", type=int, help="builds per size (5; quick 3)")
    parser.add_argument("--databases", default="sqlite", help="sqlite,postgresql")
    return parser.parse_args(argv)


def journal_state(mood: int) -> dict[str, object]:
    """A finished journal entry's state, made by the engine itself."""
    flow = engine.compile_flow(load_library()["journal"])
    turn = engine.begin(flow)
    for event in (engine.Text("An ordinary day, some good parts"), engine.Text(str(mood))):
        turn = engine.advance(flow, turn.state, event)
    while not turn.finished:
        turn = engine.advance(flow, turn.state, engine.Text("save"))
    return turn.state.to_json()


async def seed_history(db: Database, clients: int, days: int) -> None:
    """One therapist, `clients` clients with a journal, `days` days of entries each."""
    seeded = await seed(db, clients, now=NOW - timedelta(days=days + 1), next_due_at=None)
    version = load_library()["journal"].version
    states = [journal_state(mood) for mood in range(3, 9)]
    async with db.transaction() as session:
        await session.execute(
            update(Assignment)
            .where(Assignment.id.in_(seeded.assignments))
            .values(template_id="journal", params={})
        )
        owners = {
            pk: t for pk, t in (await session.execute(select(User.id, User.telegram_id))).all()
        }
        by_telegram = {telegram: pk for pk, telegram in owners.items()}
        client_pks = [by_telegram[t] for t in seeded.clients]
    for assignment_id, client_pk in zip(seeded.assignments, client_pks, strict=True):
        async with db.transaction() as session:
            due = [NOW - timedelta(days=day, hours=1) for day in range(days, 0, -1)]
            occurrence_ids = list(
                (
                    await session.execute(
                        insert(Occurrence).returning(Occurrence.id),
                        [
                            {"assignment_id": assignment_id, "due_at": at, "created_at": at}
                            for at in due
                        ],
                    )
                ).scalars()
            )
            await session.execute(
                insert(Entry),
                [
                    {
                        "client_id": client_pk,
                        "assignment_id": assignment_id,
                        "occurrence_id": occurrence,
                        "template_id": "journal",
                        "template_version": version,
                        "params": {},
                        "state": states[index % len(states)],
                        "status": "done",
                        "started_at": at,
                        "updated_at": at + timedelta(minutes=5),
                        "completed_at": at + timedelta(minutes=5),
                    }
                    for index, (occurrence, at) in enumerate(zip(occurrence_ids, due, strict=True))
                ],
            )


async def measure(kind: str, clients: int, days: int, rounds: int) -> tuple[float, float]:
    """(median ms to build the digest, ms to draw one chart) for one size."""
    async with scratch_database(kind) as url:
        key = new_key()
        db = await prepare_database(url, key)
        try:
            await seed_history(db, clients, days)
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_bot_token=SecretStr("123456:bench"),
                database_url=url,
                encryption_key=SecretStr(key),
            )
            runtime = build_application(settings, db=db).bot_data["runtime"]
            times = []
            chart_ms = 0.0
            for _ in range(rounds):
                runtime.flows.clear()
                async with db.reading() as session:
                    await runtime.read_titles(session)
                    therapist = (
                        await session.execute(select(User).where(User.role == "therapist"))
                    ).scalar_one()
                    started = time.perf_counter()
                    digest = await build_digest(
                        session,
                        runtime,
                        therapist=therapist,
                        since=NOW - timedelta(days=1),
                        until=NOW,
                    )
                    times.append((time.perf_counter() - started) * 1000)
                assert len(digest.charts) == clients, "every client has a mood trend"
                started = time.perf_counter()
                render(digest.charts[0][2])
                chart_ms = (time.perf_counter() - started) * 1000
            return median(times), chart_ms
        finally:
            await db.dispose()


async def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sizes = [int(n) for n in (args.clients or ("5,10,20" if args.quick else "10,25,50")).split(",")]
    days = args.days or (30 if args.quick else 90)
    rounds = args.rounds or (3 if args.quick else 5)
    ok = True
    for kind in args.databases.split(","):
        if kind == "postgresql" and (why := await postgres_available()) is not None:
            say(f"PostgreSQL is not available ({why}): skipped")
            continue
        rows = []
        base: float | None = None
        for clients in sizes:
            ms, chart = await measure(kind, clients, days, rounds)
            per_client = ms / clients
            base = base or per_client
            rows.append(
                [
                    kind,
                    clients,
                    days,
                    f"{ms:.0f}",
                    f"{per_client:.1f}",
                    f"{per_client / base:.2f}x",
                    f"{chart:.0f}",
                ]
            )
        say(
            table(
                [
                    "database",
                    "clients",
                    "days",
                    "digest ms",
                    "ms/client",
                    "vs smallest",
                    "one chart drawn, ms",
                ],
                rows,
            )
        )
        growth = float(rows[-1][5].rstrip("x"))
        ok &= growth <= LINEAR
        say(
            verdict(
                f"linear, {kind}",
                growth <= LINEAR,
                f"{sizes[-1]} clients cost {growth:.2f}x per client what {sizes[0]} cost "
                f"(target: linear, within {LINEAR}x)",
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
