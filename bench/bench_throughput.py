"""Benchmark: answers per second through real homework conversations, and reply latency,
against a bare python-telegram-bot echo bot measured in the same run.

Run: python -m bench.bench_throughput            (full: 50 and 500 clients, SQLite and
     PostgreSQL, 3 rounds of 5 s warm-up + 20 s measured; about 8 minutes)
     python -m bench.bench_throughput --quick    (1 round of 2 s + 6 s; under 2 minutes)
     add --profile to run the bot under pyinstrument and print where its time goes.

Each simulated client does gratitude entries (count=10: 20 questions) one after another:
/today, the Start button, every question answered in words, Save, and waits for the bot's
answer before its next message. The yardstick is an Application with one MessageHandler
that replies with the text, run with the same concurrency (256 updates in flight) on the
same loopback fake Bot API, with the same clients (each sends a line, waits for its echo).
Both bots poll getUpdates in a process of their own; the real bot runs with a real
SystemClock on an SQLite file or a scratch PostgreSQL database
(BENCH_POSTGRES_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432/test: a
database `bench_<random>` is made beside it and dropped at the end).

Targets (the issue): throughput >= 1.0x the echo bot's, p99 latency <= 2x the echo bot's,
at 50 and 500 concurrent clients, on both databases. Read the ratios and medians (rounds
alternate echo and bot), not the absolute figures: machines here are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

from bench.common import (
    BenchApi,
    BotSpec,
    LoadResult,
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

THROUGHPUT_TARGET = 1.0
P99_TARGET = 2.0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s + 6 s")
    parser.add_argument("--clients", default="50,500", help="concurrent clients, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, help="echo/bot pairs per size (default 3; quick 1)")
    parser.add_argument("--warmup", type=float, help="seconds before measuring (5; quick 2)")
    parser.add_argument("--seconds", type=float, help="seconds measured (20; quick 6)")
    parser.add_argument("--count", type=int, default=10, help="good things per entry (1-10)")
    parser.add_argument("--profile", action="store_true", help="profile the bot (pyinstrument)")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 5.0)
    args.seconds = args.seconds or (6.0 if args.quick else 20.0)
    return args


def row(database: str, result: LoadResult, round_number: int) -> list[object]:
    return [
        database,
        result.clients,
        result.name,
        round_number,
        f"{result.per_second:.0f}",
        f"{1000 * result.p50:.1f}",
        f"{1000 * result.p99:.1f}",
        f"{result.bot_cpu_per_exchange_ms:.2f}",
        f"{100 * result.bot_cpu / result.seconds:.0f}%",
        f"{100 * result.driver_cpu / result.seconds:.0f}%",
        result.failures,
    ]


HEADERS = [
    "database",
    "clients",
    "bot",
    "round",
    "answers/s",
    "p50 ms",
    "p99 ms",
    "bot CPU ms/answer",
    "bot CPU",
    "driver CPU",
    "failed",
]


async def main(args: argparse.Namespace) -> int:
    if args.profile and (missing := profiler_missing()):
        say(missing)
        args.profile = False
    sizes = [int(n) for n in args.clients.split(",") if n]
    key = new_key()
    now = datetime.now(UTC)
    rows: list[list[object]] = []
    summary: list[tuple[str, int, float, float, float, float]] = []
    profiles: list[str] = []
    for database in [d for d in args.databases.split(",") if d]:
        if database == "postgresql" and (why := await postgres_available()):
            say(f"skipping PostgreSQL: {why}")
            continue
        async with scratch_database(database) as url:
            db = await prepare_database(url, key)
            seeded = await seed(
                db,
                max(sizes),
                now=now,
                next_due_at=now + timedelta(days=1),
                params={"count": args.count},
            )
            await db.dispose()
            for size in sizes:
                ratios: list[float] = []
                p99s: list[float] = []
                echo_rates: list[float] = []
                bot_rates: list[float] = []
                for round_number in range(1, args.rounds + 1):
                    results: dict[str, LoadResult] = {}
                    for kind in ("echo", "homework"):
                        async with BenchApi() as api:
                            users = register_users(api, seeded.clients[:size])
                            spec = BotSpec(
                                kind=kind,
                                api_url=api.url,
                                token=api.token,
                                key=key,
                                database_url=url,
                                profile=args.profile and kind == "homework",
                            )
                            result = await run_load(
                                kind,
                                spec,
                                api,
                                users,
                                warmup=args.warmup,
                                measure=args.seconds,
                                questions=2 * args.count,
                            )
                        results[kind] = result
                        rows.append(row(database, result, round_number))
                        say(table(HEADERS, [rows[-1]]).splitlines()[-1])
                        if result.profile:
                            profiles.append(f"{database}, {size} clients:\n{result.profile}")
                    echo, bot = results["echo"], results["homework"]
                    echo_rates.append(echo.per_second)
                    bot_rates.append(bot.per_second)
                    ratios.append(bot.per_second / echo.per_second)
                    p99s.append(bot.p99 / echo.p99)
                summary.append(
                    (
                        database,
                        size,
                        median(ratios),
                        median(p99s),
                        median(echo_rates),
                        median(bot_rates),
                    )
                )
    say()
    say(table(HEADERS, rows))
    for text in profiles:
        say()
        say(text)
    say()
    for database, size, ratio, p99, echo_rate, bot_rate in summary:
        where = f"{database}, {size} clients"
        say(
            verdict(
                f"throughput {where}",
                ratio >= THROUGHPUT_TARGET,
                f"{ratio:.2f}x the echo bot (median {bot_rate:.0f} vs {echo_rate:.0f} answers/s; "
                f"target >= {THROUGHPUT_TARGET:.1f}x)",
            )
        )
        say(
            verdict(
                f"p99 latency {where}",
                p99 <= P99_TARGET,
                f"{p99:.2f}x the echo bot's (median of rounds; target <= {P99_TARGET:.1f}x)",
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse())))
