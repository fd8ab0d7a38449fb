"""Benchmark: the cost of an answer with 1,000,000 stored answers (entries) against an empty
database, measured in the same run.

Run: python -m bench.bench_history            (1,000,000 entries; SQLite and PostgreSQL;
     2 rounds of 3 s warm-up + 10 s on each database; about 6 minutes)
     python -m bench.bench_history --quick    (100,000 entries; rounds of 2 s + 6 s)
     options: --entries N, --databases sqlite,postgresql, --clients N (active), --profile

Two databases are seeded alike: 10,000 clients (quick: 1,000) with a gratitude assignment
each. One of them also gets the history: every client the same number of past daily due
times (occurrences) each with a completed entry, 1,000,000 entries in all, inserted with
INSERT ... SELECT (the encrypted columns carry one real ciphertext, made with the bot's key).
Then the same active clients (50) do gratitude entries through the real bot (as in
bench_throughput) on each database in turn, and answers per second, latency and the bot's
CPU per answer are compared.

Target (the issue): an answer costs at most 1.2x with the history than without (cost read
as 1 / answers per second; the bot's CPU per answer and the median latency are shown too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bench.common import (
    BenchApi,
    BotSpec,
    LoadResult,
    Seeded,
    median,
    new_key,
    postgres_available,
    prepare_database,
    profiler_missing,
    register_users,
    run_load,
    say,
    scratch_database,
    seed,
    table,
    verdict,
)
from conversations import engine
from conversations.templates import load_library
from storage import crypto
from storage.db import Database

TARGET = 1.2
COUNT = 3


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 entries, 1 short round")
    parser.add_argument("--entries", type=int, help="stored entries (1,000,000; quick 100,000)")
    parser.add_argument("--stored-clients", type=int, help="clients (10,000; quick 1,000)")
    parser.add_argument("--clients", type=int, default=50, help="active clients")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, help="rounds (2, the order swapped each round)")
    parser.add_argument("--warmup", type=float, help="seconds (3; quick 2)")
    parser.add_argument("--seconds", type=float, help="seconds measured (10; quick 6)")
    parser.add_argument("--profile", action="store_true", help="profile the bot (pyinstrument)")
    args = parser.parse_args(argv)
    args.entries = args.entries or (100_000 if args.quick else 1_000_000)
    args.stored_clients = args.stored_clients or (1000 if args.quick else 10_000)
    args.rounds = args.rounds or 2
    args.warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 3.0)
    args.seconds = args.seconds or (6.0 if args.quick else 10.0)
    return args


async def add_history(db: Database, per_client: int, now: datetime) -> float:
    """`per_client` past due times with a completed entry for every assignment; seconds."""
    template = load_library()["gratitude"]
    flow = engine.compile_flow(template, {"count": COUNT})
    state = engine.begin(flow).state.to_json()
    params = crypto.encrypt(json.dumps({"count": COUNT}).encode())
    stored_state = crypto.encrypt(json.dumps(state, separators=(",", ":")).encode())
    base = (now - timedelta(days=1)).replace(microsecond=0)
    started = time.perf_counter()
    async with db.transaction() as session:
        if session.get_bind().dialect.name == "sqlite":
            stamp = base.strftime("%Y-%m-%d %H:%M:%S")
            await session.execute(
                text(
                    "INSERT INTO occurrences (assignment_id, due_at, created_at, status) "
                    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i + 1 < :per) "
                    "SELECT a.id, datetime(:base, '-' || n.i || ' days') || '.000000', "
                    "datetime(:base, '-' || n.i || ' days') || '.000000', 'due' "
                    "FROM assignments a CROSS JOIN n"
                ),
                {"per": per_client, "base": stamp},
            )
        else:
            await session.execute(
                text(
                    "INSERT INTO occurrences (assignment_id, due_at, created_at, status) "
                    "SELECT a.id, CAST(:base AS timestamptz) - make_interval(days => n.i), "
                    "CAST(:base AS timestamptz) - make_interval(days => n.i), 'due' "
                    "FROM assignments a CROSS JOIN generate_series(0, :per - 1) AS n(i)"
                ),
                {"per": per_client, "base": base},
            )
        await session.execute(
            text(
                "INSERT INTO entries (client_id, assignment_id, occurrence_id, template_id, "
                "template_version, params, state, status, started_at, updated_at, "
                "completed_at) "
                "SELECT l.client_id, o.assignment_id, o.id, 'gratitude', :version, :params, "
                ":state, 'done', o.due_at, o.due_at, o.due_at "
                "FROM occurrences o JOIN assignments a ON a.id = o.assignment_id "
                "JOIN links l ON l.id = a.link_id"
            ),
            {"version": template.version, "params": params, "state": stored_state},
        )
    await analyze(db)
    return time.perf_counter() - started


async def analyze(db: Database) -> None:
    """Fresh planner statistics, as autovacuum (PostgreSQL) or an operator would keep."""
    async with db.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()


async def count_entries(db: Database) -> int:
    async with db.transaction() as session:
        return int((await session.execute(text("SELECT count(*) FROM entries"))).scalar_one())


async def measure_database(args: argparse.Namespace, database: str) -> list[list[object]]:
    key = new_key()
    now = datetime.now(UTC)
    rows: list[list[object]] = []
    async with scratch_database(database) as empty_url, scratch_database(database) as full_url:
        seeded: dict[str, Seeded] = {}
        for name, url in (("empty", empty_url), ("history", full_url)):
            db = await prepare_database(url, key)
            seeded[name] = await seed(
                db,
                args.stored_clients,
                now=now,
                next_due_at=now + timedelta(days=1),
                params={"count": COUNT},
            )
            if name == "history":
                per_client = max(1, args.entries // args.stored_clients)
                seconds = await add_history(db, per_client, now)
                say(f"{database}: {await count_entries(db):,} entries stored in {seconds:.0f} s")
            else:
                await analyze(db)
            await db.dispose()
        results: dict[str, list[LoadResult]] = {"empty": [], "history": []}
        for round_number in range(1, args.rounds + 1):
            order = [("empty", empty_url), ("history", full_url)]
            for name, url in order if round_number % 2 else order[::-1]:
                async with BenchApi() as api:
                    users = register_users(api, seeded[name].clients[: args.clients])
                    spec = BotSpec(
                        kind="homework",
                        api_url=api.url,
                        token=api.token,
                        key=key,
                        database_url=url,
                        profile=args.profile and name == "history",
                    )
                    result = await run_load(
                        name,
                        spec,
                        api,
                        users,
                        warmup=args.warmup,
                        measure=args.seconds,
                        questions=2 * COUNT,
                    )
                results[name].append(result)
                say(
                    f"{database} {name} round {round_number}: {result.per_second:.0f} answers/s, "
                    f"p50 {1000 * result.p50:.1f} ms, bot CPU "
                    f"{result.bot_cpu_per_exchange_ms:.2f} ms/answer"
                )
                if result.profile:
                    say(result.profile)
    empty, full = results["empty"], results["history"]
    cost = median([e.per_second / f.per_second for e, f in zip(empty, full, strict=True)])
    cpu = median(
        [
            f.bot_cpu_per_exchange_ms / e.bot_cpu_per_exchange_ms
            for e, f in zip(empty, full, strict=True)
        ]
    )
    p50 = median([f.p50 / e.p50 for e, f in zip(empty, full, strict=True)])
    rows.append(
        [
            database,
            f"{args.entries:,}",
            f"{median([r.per_second for r in empty]):.0f}",
            f"{median([r.per_second for r in full]):.0f}",
            f"{cost:.2f}x",
            f"{cpu:.2f}x",
            f"{p50:.2f}x",
            sum(r.failures for r in empty + full),
        ]
    )
    return rows


async def main(args: argparse.Namespace) -> int:
    if args.profile and (missing := profiler_missing()):
        say(missing)
        args.profile = False
    rows: list[list[object]] = []
    for database in [d for d in args.databases.split(",") if d]:
        if database == "postgresql" and (why := await postgres_available()):
            say(f"skipping PostgreSQL: {why}")
            continue
        rows += await measure_database(args, database)
    say()
    say(
        table(
            [
                "database",
                "entries",
                "empty answers/s",
                "history answers/s",
                "cost ratio",
                "bot CPU ratio",
                "p50 ratio",
                "failed",
            ],
            rows,
        )
    )
    say()
    for row in rows:
        ratio = float(str(row[4]).rstrip("x"))
        say(
            verdict(
                f"per-answer cost with {row[1]} entries, {row[0]}",
                ratio <= TARGET,
                f"{ratio:.2f}x the empty database's (target <= {TARGET}x)",
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse())))
