"""Engines and transactions: one transaction per unit of work, opened here and only here."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import crypto

T = TypeVar("T")

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///homework-bot.sqlite3"

TRANSIENT_STATES = frozenset(
    {
        "40001",  # serialization failure
        "40P01",  # deadlock detected
        "55P03",  # lock not available
        "57P01",  # the server ended the connection (pg_terminate_backend, a restart)
        "57P02",
        "57P03",
        "08000",  # connection exceptions
        "08001",
        "08003",
        "08004",
        "08006",
    }
)
"""PostgreSQL error classes that running the whole transaction again may cure."""


LOST_CONNECTION = frozenset(
    {
        "ConnectionDoesNotExistError",
        "AdminShutdownError",
        "CannotConnectNowError",
        "ConnectionFailureError",
        "PostgresConnectionError",
        "ConnectionResetError",
        "BrokenPipeError",
    }
)
"""Driver errors (by class name, through SQLAlchemy's wrapping) that mean the connection
was lost under the transaction."""


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what caused it, and so on (each once: a cycle ends the walk)."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        cause = cause.__cause__ or cause.__context__


def is_transient(error: BaseException) -> bool:
    """True for a fault that running the whole unit of work again may cure: a lost
    connection, a serialization failure or deadlock, SQLite's busy database."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    for cause in causes(error):
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if state in TRANSIENT_STATES or type(cause).__name__ in LOST_CONNECTION:
            return True
        message = str(cause).lower()
        if "database is locked" in message or "database is busy" in message:
            return True
        if "another operation is in progress" in message:  # asyncpg, after a lost connection
            return True
        if isinstance(cause, ConnectionError | TimeoutError):
            return True
        if isinstance(cause, crypto.DataKeyMissing):
            return True  # the keys were loaded again on the way out: storage/keys.py
    return False


async def retrying(work: Callable[[], Awaitable[T]], *, attempts: int = 6) -> T:
    """Run `work` (a whole unit of work: its own transaction) again on a transient fault,
    a bounded number of times, backing off a little more each time."""
    for attempt in range(attempts):
        try:
            return await work()
        except Exception as error:
            if not is_transient(error) or attempt + 1 == attempts:
                raise
            await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
    raise AssertionError("unreachable")  # the loop returns or raises


def normalise_url(url: str) -> str:
    """Pick the async driver for plain `sqlite://` and `postgresql://` URLs."""
    parsed = make_url(url)
    if parsed.drivername in {"sqlite", "sqlite+pysqlite"}:
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def create_engine(url: str, *, writing: bool = True) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and explicit BEGIN IMMEDIATE (plain
    BEGIN when not `writing`: reads never wait for, nor hold, the write lock)."""
    url = normalise_url(url)
    # hide_parameters: a logged statement (echo, an error) never shows the values in it.
    if not make_url(url).drivername.startswith("sqlite"):
        return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling breaks savepoints; we say BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows are overwritten with zeros, not left in free pages of the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue instead of failing.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT of this session's database (for ON CONFLICT: PostgreSQL's or SQLite's)."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def insert_unless_exists(
    session: AsyncSession,
    model: Any,
    values: dict[str, Any],
    *,
    unique: list[str],
    returning: str = "id",
) -> int | None:
    """Insert a row and return its id, or None when one with the same `unique` columns exists.

    One statement (ON CONFLICT DO NOTHING) on both SQLite and PostgreSQL, so two replicas
    racing for the same key cannot both win.
    """
    statement = (
        dialect_insert(session)(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
    ).returning(getattr(model, returning))
    created = (await session.execute(statement)).scalar_one_or_none()
    return None if created is None else int(created)


SQLITE_FILES = ("", "-wal", "-shm", "-journal")


def keep_private(url: str) -> None:
    """An SQLite database file (with its WAL and shared-memory files) readable by this user
    only: made so before SQLite creates it, and narrowed if an older run left it wider.
    SQLite gives the files it adds the database file's own permissions."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return
    path = parsed.database
    assert path is not None
    if path.startswith("file:"):
        return  # a URI names its own options; the operator chose them
    if not os.path.exists(path):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        except FileNotFoundError:
            return  # no such folder: SQLite says so when it connects
    for suffix in SQLITE_FILES:
        try:
            if os.stat(path + suffix).st_mode & 0o077:
                os.chmod(path + suffix, 0o600)
        except FileNotFoundError:
            continue


async def _wait_for_older_snapshots(connection: Any, *, seconds: float = 10.0) -> None:
    """Wait (a while at most) until no session of the server, in any database, holds a
    transaction or a snapshot older than now. VACUUM FULL copies a deleted row that some
    snapshot may still see, and its own snapshot reaches back to the oldest transaction
    still running anywhere on the server: until those end, it would keep a destroyed key."""
    from sqlalchemy import text

    # Every transaction id below this one had ended or was running when we began.
    now = text("SELECT (pg_snapshot_xmax(pg_current_snapshot())::text::bigint % 4294967296)")
    line = int((await connection.execute(now)).scalar_one())
    older = text(
        "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ("
        "age(backend_xmin) > age(CAST(:line AS xid)) OR "
        "age(backend_xid) > age(CAST(:line AS xid)))"
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (await connection.execute(older, {"line": line})).scalar_one():
        if loop.time() > deadline:
            return  # VACUUM FULL still runs; the erasure tick scrubs again at the end
        await asyncio.sleep(0.05)


class Database:
    """The engine and the one way to open a transaction."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        keep_private(self.url)
        self.engine = create_engine(self.url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._readers = self._sessions
        self._writer: asyncio.Lock | None = None
        if is_sqlite(self.engine):
            self._writer = asyncio.Lock()
            self.reader_engine: AsyncEngine | None = create_engine(self.url, writing=False)
            self._readers = async_sessionmaker(self.reader_engine, expire_on_commit=False)
        else:
            self.reader_engine = None
        # The data keys (storage/keys.py) this database's values are read and written with.
        self.data_keys = crypto.DataKeys()
        crypto.register(self.engine.dialect, self.data_keys)
        if self.reader_engine is not None:
            crypto.register(self.reader_engine.dialect, self.data_keys)

    async def load_data_keys(self) -> None:
        """Unwrap every data key in the database with the operator's keys (EncryptionKeyError
        when they can't)."""
        from storage import keys  # the models import this module's neighbours, not it

        self.data_keys.loaded = True
        try:
            for _ in range(2):
                async with self._readers() as session:
                    try:
                        await keys.load(session, self.data_keys)
                    finally:
                        await session.rollback()
                if self.data_keys.id_key is not None:
                    break
                # Made once for the database, the first time it is opened with keys.
                async with self._writing() as session:
                    await keys.make_id_key(session)
        except BaseException:
            self.data_keys.loaded = False
            raise

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        if self._writer is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        async with self._writer, self._sessions() as session, session.begin():
            yield session

    async def _keys_ready(self) -> None:
        if (not self.data_keys.loaded or self.data_keys.stale) and crypto.configured_keys():
            # Not migrated yet (no key table), or the operator's keys are not the ones set
            # up yet (open_database loads them itself and says what is wrong): loaded on
            # the next transaction, or when a value needs one.
            with contextlib.suppress(DBAPIError, crypto.EncryptionKeyError):
                await self.load_data_keys()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction: committed on success, rolled back on error.

        On SQLite one writer at a time is the rule; writers of this process queue on an
        asyncio lock instead of in SQLite's busy handler, which sleeps and polls.

        A value under a data key another process made since ours were loaded: the keys are
        loaded again and the error (transient: see `retrying`) goes on up."""
        await self._keys_ready()
        try:
            async with self._writing() as session:
                yield session
        except Exception as error:
            await self._reload_if_missing(error)
            raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only: on SQLite it never takes the write lock (nothing it
        changes is committed)."""
        await self._keys_ready()
        try:
            async with self._readers() as session:
                try:
                    yield session
                finally:
                    await session.rollback()
        except Exception as error:
            await self._reload_if_missing(error)
            raise

    async def _reload_if_missing(self, error: BaseException) -> None:
        if any(isinstance(cause, crypto.DataKeyMissing) for cause in causes(error)):
            await self.load_data_keys()

    async def scrub_erased(self, *tables: str, wait: float = 10.0) -> None:
        """Leave no copy of what was deleted (a data key first) in the live database.
        PostgreSQL keeps a deleted or updated row's old bytes in its page until the table is
        rewritten (VACUUM FULL: the key table is small; `tables` names more, such as the
        outbox, whose emptied payloads were under the operator's key). SQLite zeroes them
        (secure_delete) and the write-ahead log is folded into the file and emptied."""
        from sqlalchemy import text

        async with self.engine.connect() as connection:
            if is_sqlite(self.engine):
                raw = await connection.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                # Waiting for readers at most `wait`, not the busy timeout writers use.
                await driver.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
                try:
                    cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    busy = await cursor.fetchone()
                finally:
                    await driver.execute("PRAGMA busy_timeout=30000")
                if busy is not None and busy[0]:
                    raise TimeoutError("a reader kept the write-ahead log from being emptied")
                return
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await _wait_for_older_snapshots(autocommit, seconds=wait)
            names = ", ".join(dict.fromkeys(("data_keys", *tables)))
            await autocommit.execute(text("SET lock_timeout = '5s'"))
            try:
                await autocommit.execute(text(f"VACUUM FULL {names}"))
            finally:
                await autocommit.execute(text("RESET lock_timeout"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self.reader_engine is not None:
            await self.reader_engine.dispose()
