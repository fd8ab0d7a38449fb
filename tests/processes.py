"""Bot processes for the tests that need a real OS process: replicas, kill -9 faults.

`homework-bot run` in a child process against the loopback fake Bot API, with a database
seeded directly (a therapist, clients, homework due now), so a test starts where it matters.
"""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from storage import homework, people
from storage.db import Database
from storage.migrate import upgrade
from tests.fake_bot_api import FakeBotApi
from tests.travelled import bot_command, child_environment

SECRET = "replica-test-secret-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(api: FakeBotApi, url: str, key: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_URL=f"{api.url}/bot",
        DATABASE_URL=url,
        ENCRYPTION_KEY=key,
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        TICK_SECONDS="0.3",
        DELIVER_SECONDS="0.2",
        PYTHONUNBUFFERED="1",
    )
    return env


def spawn_bot(
    args: list[str], env: dict[str, str], cwd: Path, out: IO[bytes] | int
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        bot_command(*args),
        env=child_environment(env),
        cwd=cwd,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


async def seed_practice(
    url: str, api: FakeBotApi, due: datetime, clients: int
) -> tuple[int, list[int]]:
    """A therapist with clients whose reminders, and whose digest, are due now."""
    db = Database(url)
    await upgrade(db)
    hhmm = due.strftime("%H:%M")
    try:
        async with db.transaction() as session:
            code = await people.create_code(
                session, kind="therapist", now=due, ttl=timedelta(hours=1)
            )
            row = await people.check_code(session, code=code, now=due)
            assert not isinstance(row, str)
            therapist = await people.register_therapist(
                session, code=row, telegram_id=8000, chat_id=8000, name="Dr Fake", username=None,
                now=due,
            )  # fmt: skip
            therapist.digest_time = hhmm
            therapist.digest_next_at = due
            chats = []
            for n in range(clients):
                api.user(8100 + n, f"Client{n}")
                invite = await people.create_code(
                    session, kind="client", now=due, ttl=timedelta(hours=1),
                    therapist_id=therapist.id, label=None,
                )  # fmt: skip
                found = await people.check_code(session, code=invite, now=due)
                assert not isinstance(found, str)
                client, link = await people.accept_invite(
                    session, code=found, telegram_id=8100 + n, chat_id=8100 + n,
                    name=f"Client{n} Example", username=None, now=due,
                )  # fmt: skip
                await homework.create_assignment(
                    session, link=link, template_id="gratitude", params={},
                    schedule=f"daily {hhmm}", next_due_at=due, now=due,
                )  # fmt: skip
                chats.append(client.telegram_id)
            api.user(8000, "Dana")
            return therapist.telegram_id, chats
    finally:
        await db.dispose()
