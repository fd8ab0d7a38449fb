"""One long-polling process per bot: Telegram gives each update to one getUpdates caller, so
two pollers would fight (409 Conflict) and split updates unpredictably.

On PostgreSQL the process holds an advisory lock for as long as it polls; on SQLite a lock
file beside the database. A second poller is refused at start with a clear message.
Replicas use webhooks instead (with a shared WEBHOOK_SECRET).

An advisory lock lives as long as its connection: a dropped connection loses it silently,
and another process could then start polling. So the poller checks it every few seconds
(`keep`): it takes it again when it can, and stops polling when another process has it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)

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
            self._connection = await self._advisory_lock()
            if self._connection is None:
                raise SecondPoller(REFUSED)
            return
        database = url.database
        if not database or database == ":memory:":
            return
        name = f"{Path(database).name}.poller-{self.bot_id}.lock"
        self._file = _lock_file(Path(database).with_name(name))

    async def _advisory_lock(self) -> AsyncConnection | None:
        """A connection holding the advisory lock, or None when another process holds it."""
        connection = await self.db.engine.connect()
        try:
            got = (
                await connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": _key(self.bot_id)}
                )
            ).scalar_one()
            await connection.commit()
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return None
        return connection

    async def keep(self) -> bool:
        """Check the lock is still held, taking it again if its connection was lost; False
        when another process has it now (this one must stop polling)."""
        if self._connection is None:
            return True  # SQLite: a lock file stays locked while this process lives
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
            return True
        except Exception as error:  # any failure means the connection, and the lock, are gone
            log.warning("the long-polling lock's connection was lost: %s", type(error).__name__)
        with contextlib.suppress(Exception):
            await self._connection.close()
        self._connection = None
        try:
            self._connection = await self._advisory_lock()
        except Exception as error:  # the database is unreachable: not safe to go on polling
            log.error("could not take the long-polling lock again: %s", type(error).__name__)
            return False
        if self._connection is None:
            log.error("another process took the long-polling lock: this one stops polling")
            return False
        log.info("took the long-polling lock again")
        return True

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
