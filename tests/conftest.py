"""Shared fixtures: databases on SQLite and PostgreSQL, keys, a clock that only moves when told."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FixedClock
from storage import crypto
from storage.db import Database
from storage.migrate import upgrade
from tests.fake_bot_api import FakeBotApi
from tests.harness import RunningBot

# PTB 22 warns when building RetryAfter unless told to use timedeltas; warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "true")

# Tests read their own switches here; the product reads settings only through bot.settings.
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
POSTGRES_REQUIRED = os.environ.get("TEST_POSTGRES_REQUIRED") == "1"

TEST_KEY = Fernet.generate_key().decode()

# The wall clock moved for a whole run (TEST_WALL_CLOCK=2026-12-06T20:30:00+00:00), ticking
# on from there, to find tests that read it: none may, since the bot's time is injected.
# .ci/clocks runs the suite so at several instants, each in two far-apart time zones (TZ).
WALL_CLOCK = os.environ.get("TEST_WALL_CLOCK")


def pytest_configure(config: pytest.Config) -> None:
    if WALL_CLOCK:
        traveller = time_machine.travel(datetime.fromisoformat(WALL_CLOCK), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


@pytest.fixture(autouse=True)
def encryption_keys() -> str:
    """Every test runs with a known key installed."""
    crypto.configure_keys([TEST_KEY])
    return TEST_KEY


@pytest.fixture
def clock() -> FixedClock:
    """Saturday 21 November 2026, 10:00 UTC, until a test moves it."""
    return FixedClock(datetime(2026, 11, 21, 10, 0, tzinfo=UTC))


# Each run works in a scratch database of its own beside TEST_POSTGRES_URL's, so two runs
# (a developer's and CI's) never drop each other's tables.
SCRATCH_DATABASE = f"homework_test_{uuid.uuid4().hex[:12]}"
_scratch_made = False


def _scratch_url() -> str:
    return make_url(POSTGRES_URL).set(database=SCRATCH_DATABASE).render_as_string(False)


async def _reset_postgres() -> None:
    global _scratch_made
    if not _scratch_made:
        admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as connection:
                await connection.execute(text(f'CREATE DATABASE "{SCRATCH_DATABASE}"'))
        finally:
            await admin.dispose()
        _scratch_made = True
    engine = create_async_engine(_scratch_url())
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def _drop_scratch() -> None:
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(
                text(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}" WITH (FORCE)')
            )
    finally:
        await admin.dispose()


@pytest.fixture(autouse=True, scope="session")
def drop_scratch_database() -> Iterator[None]:
    """Remove this run's scratch PostgreSQL database at the end."""
    yield
    if _scratch_made:
        asyncio.run(_drop_scratch())


async def postgres_url_or_skip() -> str:
    """A clean PostgreSQL database, or a skip that says why (a failure when CI requires it)."""
    try:
        await _reset_postgres()
    except Exception as error:  # any connection failure means "no server here"
        reason = f"PostgreSQL not reachable at {POSTGRES_URL} ({type(error).__name__}: {error})"
        if POSTGRES_REQUIRED:
            pytest.fail(reason + "; TEST_POSTGRES_REQUIRED=1")
        pytest.skip(reason + "; set TEST_POSTGRES_URL to run these tests")
    return _scratch_url()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
    return await postgres_url_or_skip()


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file database."""
    return f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
async def api(clock: FixedClock) -> AsyncIterator[FakeBotApi]:
    """The fake Bot API; messages are dated by the test's clock, as the bot reads time."""
    async with FakeBotApi(now=lambda: clock.now().timestamp()) as server:
        yield server


@pytest.fixture
async def running(
    api: FakeBotApi, database_url: str, clock: FixedClock, encryption_keys: str
) -> AsyncIterator[RunningBot]:
    bot = RunningBot(api=api, database_url=database_url, clock=clock, key=encryption_keys)
    await bot.start()
    yield bot
    await bot.stop()
