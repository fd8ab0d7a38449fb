"""Benchmark: the bot's resident memory after 10,000 clients and 1,000 open conversations.

Run: python -m bench.bench_memory            (10,000 clients, 1,000 conversations; ~2 min)
     python -m bench.bench_memory --quick    (2,000 clients, 200 conversations)
     options: --clients N, --open N, --database sqlite|postgresql

The real bot (build_application, SystemClock, long polling in a process of its own) on a
seeded database: every client sends /today and gets its answer, then the first --open
clients press Start and answer the first question, leaving their gratitude entry open.
Resident set size (psutil if installed, else /proc/self/status VmRSS) is read in the bot
process right after start and at the end; the echo bot (the yardstick of bench_throughput)
takes one message from every client too, for comparison.

Target (the issue): at most 150 MB resident after 10,000 clients and 1,000 open conversations.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    BenchApi,
    BotProcess,
    BotSpec,
    Driver,
    ExchangeTimeout,
    new_key,
    postgres_available,
    prepare_database,
    register_users,
    say,
    scratch_database,
    seed,
    table,
    verdict,
)
from tests.fake_bot_api import FakeUser, SentMessage

TARGET_MB = 150.0
CONCURRENCY = 100


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 clients, 200 open")
    parser.add_argument("--clients", type=int, help="clients (10,000; quick 2,000)")
    parser.add_argument("--open", type=int, help="open conversations (1,000; quick 200)")
    parser.add_argument("--database", default="sqlite", help="sqlite or postgresql")
    args = parser.parse_args(argv)
    args.clients = args.clients or (2000 if args.quick else 10_000)
    args.open = args.open or (200 if args.quick else 1000)
    return args


async def drive(kind: str, driver: Driver, users: list[FakeUser], open_count: int) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)
    api = driver.api

    async def client(index: int, user: FakeUser) -> None:
        async with gate:
            try:
                if kind == "echo":
                    await driver.exchange(
                        user, "answer", lambda: user.send_text("hello"), _is("hello")
                    )
                    return
                today = await driver.exchange(
                    user,
                    "today",
                    lambda: user.send_text("/today"),
                    _button("Start gratitude entry"),
                )
                if index < open_count:
                    await driver.exchange(
                        user,
                        "start",
                        lambda: api.press_on(user, today, "Start gratitude entry"),
                        _contains("· 1 of"),
                    )
                    await driver.exchange(
                        user,
                        "answer",
                        lambda: user.send_text("A long walk by the river"),
                        _contains("· 2 of"),
                    )
            except ExchangeTimeout:
                driver.failures += 1

    await asyncio.gather(*(client(i, u) for i, u in enumerate(users)))


def _is(text: str) -> Callable[[SentMessage], bool]:
    return lambda m: m.text == text


def _button(text: str) -> Callable[[SentMessage], bool]:
    return lambda m: text in m.button_texts


def _contains(text: str) -> Callable[[SentMessage], bool]:
    return lambda m: text in (m.text or "")


async def measure(
    kind: str, url: str, key: str, clients: list[int], open_count: int
) -> dict[str, Any]:
    async with BenchApi() as api:
        users = register_users(api, clients)
        bot = BotProcess(
            BotSpec(kind=kind, api_url=api.url, token=api.token, key=key, database_url=url)
        )
        ready = await bot.start()
        driver = Driver(api)
        await drive(kind, driver, users, open_count)
        end = await bot.command("end")
        await bot.stop(api)
    return {
        "bot": kind,
        "start": ready["rss"],
        "end": end["rss"],
        "peak": end["peak"],
        "exchanges": len(driver.exchanges),
        "failures": driver.failures,
    }


async def main(args: argparse.Namespace) -> int:
    if args.database == "postgresql" and (why := await postgres_available()):
        say(f"PostgreSQL is not reachable ({why}); nothing measured")
        return 0
    key = new_key()
    now = datetime.now(UTC)
    async with scratch_database(args.database) as url:
        db = await prepare_database(url, key)
        seeded = await seed(db, args.clients, now=now, next_due_at=now + timedelta(days=1))
        await db.dispose()
        results = [
            await measure("echo", url, key, seeded.clients, 0),
            await measure("homework", url, key, seeded.clients, args.open),
        ]
    rows = [
        [
            r["bot"],
            args.clients,
            args.open if r["bot"] == "homework" else 0,
            r["exchanges"],
            r["failures"],
            f"{r['start']:.0f}",
            f"{r['end']:.0f}",
            f"{r['peak']:.0f}",
        ]
        for r in results
    ]
    say()
    say(
        table(
            [
                "bot",
                "clients",
                "open",
                "exchanges",
                "failed",
                "RSS at start MB",
                "RSS at end MB",
                "peak MB",
            ],
            rows,
        )
    )
    say()
    echo, bot = results
    say(
        f"the bot grew {bot['end'] - bot['start']:.0f} MB; the echo bot "
        f"{echo['end'] - echo['start']:.0f} MB; the bot ends at {bot['end'] / echo['end']:.2f}x "
        "the echo bot's resident size"
    )
    say(
        verdict(
            f"resident memory after {args.clients:,} clients and {args.open:,} open conversations "
            f"({args.database})",
            bot["end"] <= TARGET_MB,
            f"{bot['end']:.0f} MB = {bot['end'] / TARGET_MB:.2f}x the {TARGET_MB:.0f} MB target",
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse())))
