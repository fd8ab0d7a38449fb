"""One long-polling process per bot: Telegram gives each update to one getUpdates caller, so
two pollers would fight (409 Conflict) and split updates unpredictably.

On PostgreSQL the process holds an advisory lock for as long as it polls; on SQLite a lock
file beside the database. A second poller is refused at start with a clear message.
Replicas use webhooks instead (with a shared WEBHOOK_SECRET).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

REFUSED = (
    "Another process is already long polling this bot on this database. Run one poller, or "
    "run several replicas in webhook mode (run --webhook URL) with the same WEBHOOK_SECRET."
)


class SecondPoller(RuntimeError):
    """Another process polls already."""


def _key(bot_id: str) -> int:
    digest = hashlib.sha256(f"homework-bot poller {bot_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PollerLock:
    """Held while this process polls; `release` (or process exit) lets another poll."""

    def __init__(self, db: Database, bot_id: str) -> None:
        self.db = db
        self.bot_id = bot_id
        self._connection: AsyncConnection | None = None
        self._file: IO[str] | None = None

    async def acquire(self) -> None:
        """Take the lock, or raise SecondPoller."""
        url = make_url(self.db.url)
        if url.drivername.startswith("postgresql"):
            connection = await self.db.engine.connect()
            got = (
                await connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": _key(self.bot_id)}
                )
            ).scalar_one()
            await connection.commit()
            if not got:
                await connection.close()
                raise SecondPoller(REFUSED)
            self._connection = connection
            return
        database = url.database
        if not database or database == ":memory:":
            return
        name = f"{Path(database).name}.poller-{self.bot_id}.lock"
        self._file = _lock_file(Path(database).with_name(name))

    async def release(self) -> None:
        """Let another process poll."""
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": _key(self.bot_id)}
                )
                await self._connection.commit()
            await self._connection.close()
            self._connection = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _lock_file(path: Path) -> IO[str]:
    """An exclusive lock on `path`, held while the returned file stays open."""
    handle = open(path, "w")  # noqa: SIM115 - held open for the process's life
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise SecondPoller(REFUSED) from None
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
