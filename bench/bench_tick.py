"""Benchmark: how long one tick takes to queue reminders for many due assignments.

Run: python bench/bench_tick.py [N]  (SQLite in a temporary folder; no network).
Target: 1,000 due reminders queued in under 10 seconds on the reference 2-core machine
(measured 4.1 to 4.9 s on 2026-11-21), so a burst at one popular time clears in seconds.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.settings import Settings
from bot.ticker import queue_due_reminders
from conversations.templates import load_library
from storage import crypto, homework, people
from storage.db import Database
from storage.migrate import upgrade

TARGET_SECONDS = 10.0
NOW = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)


async def main(count: int) -> None:
    crypto.configure_keys([Fernet.generate_key().decode()])
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}")
        await upgrade(db)
        async with db.transaction() as session:
            code = await people.create_code(
                session, kind="therapist", now=NOW, ttl=timedelta(hours=1)
            )
            row = await people.check_code(session, code=code, now=NOW)
            assert not isinstance(row, str)
            therapist = await people.register_therapist(
                session, code=row, telegram_id=1, chat_id=1, name="T", username=None, now=NOW
            )
            for index in range(count):
                invite = await people.create_code(
                    session,
                    kind="client",
                    now=NOW,
                    ttl=timedelta(hours=1),
                    therapist_id=therapist.id,
                )
                held = await people.check_code(session, code=invite, now=NOW)
                assert not isinstance(held, str)
                _, link = await people.accept_invite(
                    session,
                    code=held,
                    telegram_id=1000 + index,
                    chat_id=1000 + index,
                    name=f"Client {index}",
                    username=None,
                    now=NOW,
                )
                await homework.create_assignment(
                    session,
                    link=link,
                    template_id="gratitude",
                    params={"count": 3},
                    schedule="daily 19:00",
                    next_due_at=NOW,
                    now=NOW,
                )
        runtime = Runtime(
            settings=Settings(_env_file=None),  # type: ignore[call-arg]
            db=db,
            clock=FixedClock(NOW + timedelta(seconds=1)),
            library=load_library(),
        )
        started = time.perf_counter()
        queued = 0
        while True:
            batch = await queue_due_reminders(runtime)
            if not batch:
                break
            queued += batch
        elapsed = time.perf_counter() - started
        await db.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"queued {queued} reminders in {elapsed:.2f} s; peak resident memory {peak_mb:.0f} MB")
    if queued != count:
        raise SystemExit(f"expected {count} reminders, queued {queued}")
    if elapsed > TARGET_SECONDS * count / 1000:
        raise SystemExit(f"over target: {TARGET_SECONDS} s per 1,000 reminders")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
