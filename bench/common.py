"""Shared parts of the end-to-end benchmarks: scratch databases, seeding, the bot (or the
echo-bot yardstick) in a process of its own, and clients that talk to it through the
loopback fake Bot API (tests/fake_bot_api.py).

The fake Bot API and the simulated clients run in the benchmark's own process; each bot
runs in a separate OS process (spawned, so it starts as the real one does), so the bot's
CPU is its own and the two share the machine the way a bot and Telegram would not. Both the
bot under test and its yardstick go through exactly the same fake server and clients in the
same run: compare their ratios, not absolute times (machines here are shared and noisy).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

# botproc also sets PTB_TIMEDELTA (PTB 22 warns when building RetryAfter without it).
from bench.botproc import BotSpec as BotSpec
from bench.botproc import cpu_seconds as cpu_seconds
from bench.botproc import profiler_missing as profiler_missing
from bench.botproc import rss_mb as rss_mb
from storage import crypto, people
from storage.db import Database
from storage.models import Assignment, Link, User
from tests.fake_bot_api import FakeBotApi, FakeUser, JsonDict, SentMessage

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
"""A database to connect to first; each run makes a scratch database beside it, and drops it."""

ROOT = Path(__file__).resolve().parent.parent

FIRST_CLIENT_ID = 1_000_000
"""Telegram ids (and chat ids) of seeded clients are this and up; therapists are 1 and up."""

CLIENTS_PER_THERAPIST = 100


# ---------------------------------------------------------------------------- small helpers


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 < fraction <= 1); NaN when there are no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(name: str, ok: bool, detail: str) -> str:
    return f"{'PASS' if ok else 'FAIL'} {name}: {detail}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain fixed-width table."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ---------------------------------------------------------------------------- databases


@contextlib.asynccontextmanager
async def scratch_database(kind: str) -> AsyncIterator[str]:
    """A fresh, empty database URL: an SQLite file in a temporary folder, or a PostgreSQL
    database made beside POSTGRES_URL (trust auth, CREATEDB) and dropped at the end."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(POSTGRES_URL).set(database=name).render_as_string(False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def postgres_available() -> str | None:
    """None when PostgreSQL answers at POSTGRES_URL, else why not."""
    engine = create_async_engine(POSTGRES_URL)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect means "not here"
        return f"{type(error).__name__}: {error}"
    finally:
        await engine.dispose()
    return None


async def prepare_database(url: str, key: str) -> Database:
    """Migrate and record the built-in templates, as `homework-bot run` does on start."""
    from bot.app import record_builtins
    from storage.migrate import upgrade

    crypto.configure_keys([key])
    db = Database(url)
    await upgrade(db)
    await record_builtins(db)
    return db


@dataclass
class Seeded:
    therapists: list[int]
    """Telegram ids."""
    clients: list[int]
    """Telegram ids (= chat ids), in seeding order."""
    assignments: list[int]
    """One gratitude assignment per client, same order."""


async def seed(
    db: Database,
    clients: int,
    *,
    now: datetime,
    next_due_at: datetime | None,
    schedule: str = "daily 20:00",
    params: dict[str, Any] | None = None,
    timezone: str = "UTC",
    chunk: int = 2000,
) -> Seeded:
    """Therapists (one per CLIENTS_PER_THERAPIST clients) registered through the storage
    functions (a code, then register_therapist); clients, their consented links and one
    gratitude assignment each inserted in bulk with exactly the fields
    `people.accept_invite` and `homework.create_assignment` set (one by one, 10,000
    clients would take minutes to seed)."""
    params = {"count": 3} if params is None else params
    therapist_ids: list[int] = []
    therapist_rows: list[int] = []
    async with db.transaction() as session:
        for number in range(max(1, -(-clients // CLIENTS_PER_THERAPIST))):
            code = await people.create_code(
                session, kind="therapist", now=now, ttl=timedelta(hours=1), label=None
            )
            row = await people.check_code(session, code=code, now=now)
            assert not isinstance(row, str)
            telegram_id = number + 1
            therapist = await people.register_therapist(
                session,
                code=row,
                telegram_id=telegram_id,
                chat_id=telegram_id,
                name=f"Dr Bench {number}",
                username=None,
                now=now,
            )
            therapist_ids.append(telegram_id)
            therapist_rows.append(therapist.id)
    client_ids = [FIRST_CLIENT_ID + index for index in range(clients)]
    assignment_ids: list[int] = []
    for start in range(0, clients, chunk):
        batch = client_ids[start : start + chunk]
        async with db.transaction() as session:
            users = [
                {
                    "telegram_id": telegram_id,
                    "chat_id": telegram_id,
                    "role": "client",
                    "name": f"Client {telegram_id - FIRST_CLIENT_ID}",
                    "username": None,
                    "timezone": timezone,
                    "language": "en",
                    "created_at": now,
                }
                for telegram_id in batch
            ]
            user_rows = (await session.execute(insert(User).returning(User.id), users)).scalars()
            user_pks = list(user_rows)
            links = [
                {
                    "therapist_id": therapist_rows[(start + offset) // CLIENTS_PER_THERAPIST],
                    "client_id": pk,
                    "label": None,
                    "consented_at": now,
                }
                for offset, pk in enumerate(user_pks)
            ]
            link_pks = list(
                (await session.execute(insert(Link).returning(Link.id), links)).scalars()
            )
            assignments = [
                {
                    "link_id": pk,
                    "template_id": "gratitude",
                    "params": params,
                    "schedule": schedule,
                    "next_due_at": next_due_at,
                    "active": True,
                    "created_at": now,
                }
                for pk in link_pks
            ]
            assignment_ids += list(
                (
                    await session.execute(insert(Assignment).returning(Assignment.id), assignments)
                ).scalars()
            )
    return Seeded(therapist_ids, client_ids, assignment_ids)


# ---------------------------------------------------------------------------- the fake API


class BenchApi(FakeBotApi):
    """The loopback fake Bot API, with each chat's incoming messages handed to a queue
    (waiting through FakeBotApi.wait_for_sent scans every call: too slow for thousands)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Update ids never repeat at Telegram, and the bot remembers those it handled (in
        # its database): each fake server starts where no earlier run on that database was.
        self._update_ids = itertools.count(int(time.time() * 1000))
        self.inboxes: dict[int, asyncio.Queue[tuple[float, SentMessage]]] = {}
        self.on_sent: Callable[[float, SentMessage], None] | None = None

    async def __aenter__(self) -> BenchApi:
        await self.start()
        return self

    def person(self, telegram_id: int, name: str) -> FakeUser:
        self.inboxes[telegram_id] = asyncio.Queue()
        return self.user(telegram_id, name)

    def _store_sent(
        self,
        method: str,
        params: dict[str, Any],
        chat: JsonDict,
        content: JsonDict,
        **extra: Any,
    ) -> JsonDict:
        result = super()._store_sent(method, params, chat, content, **extra)
        sent = self.sent_messages[-1]
        moment = time.perf_counter()
        if self.on_sent is not None:
            self.on_sent(moment, sent)
        inbox = self.inboxes.get(sent.chat_id)
        if inbox is not None:
            inbox.put_nowait((moment, sent))
        return result

    def press_on(self, user: FakeUser, message: SentMessage, button: str) -> int:
        """Press a button (by its text) on a known message, without scanning every message."""
        for text_, data in (pair for row in message.buttons for pair in row):
            if text_ == button:
                return self.queue_callback(user.user, message, data)
        raise AssertionError(f"no button {button!r} on {message.text!r}: {message.buttons}")


# ---------------------------------------------------------------------------- bot processes


class BotProcess:
    """A bot in an OS process of its own (`python -m bench.botproc`, which imports only what
    the bot imports), steered with JSON lines on its stdin and stdout."""

    def __init__(self, spec: BotSpec) -> None:
        self.spec = spec
        self.process: asyncio.subprocess.Process | None = None
        self.stopped: dict[str, Any] = {}

    async def start(self, timeout: float = 60) -> dict[str, float]:  # noqa: ASYNC109
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.botproc",
            json.dumps(asdict(self.spec)),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            limit=2**24,
        )
        ready: dict[str, float] = await self._expect("ready", timeout)
        return ready

    async def _expect(self, what: str, timeout: float) -> Any:  # noqa: ASYNC109
        assert self.process is not None and self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"the bot process ended (waiting for {what}); see its log above")
        kind, value = json.loads(line)
        if kind != what:
            raise RuntimeError(f"bot process: expected {what}, got {kind}: {value}")
        return value

    async def command(self, what: str) -> dict[str, float]:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(f"{what}\n".encode())
        await self.process.stdin.drain()
        result: dict[str, float] = await self._expect(what, 60)
        return result

    async def stop(self, api: FakeBotApi | None = None) -> dict[str, Any]:
        assert self.process is not None
        if api is not None:
            api.release_polling()
        try:
            self.stopped = await self.command("stop")
        finally:
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.stopped


# ---------------------------------------------------------------------------- clients


class ExchangeTimeout(Exception):
    pass


class ClientDone(Exception):
    """The run is over: the client stops before its next message."""


QUESTION = re.compile(r"· (\d+) of (\d+)")


def _actionable(message: SentMessage) -> bool:
    """A message a client doing homework acts on: a question, the review, the summary, or
    /today's list with its Start button."""
    return (
        QUESTION.search(message.text or "") is not None
        or "Save" in message.button_texts
        or "Start gratitude entry" in message.button_texts
        or ": done.</b>" in (message.text or "")
    )


@dataclass
class Exchange:
    kind: str
    started: float
    latency: float


@dataclass
class Driver:
    """Clients that each send one message, wait for the bot's answer, and send the next."""

    api: BenchApi
    timeout: float = 60.0
    exchanges: list[Exchange] = field(default_factory=list)
    failures: int = 0
    entries_saved: int = 0
    stop_at: float = float("inf")

    async def exchange(
        self,
        user: FakeUser,
        kind: str,
        act: Callable[[], int],
        expect: Callable[[SentMessage], bool],
    ) -> SentMessage:
        """Do `act` (queue an update); wait for the bot's message that `expect` accepts."""
        if time.perf_counter() >= self.stop_at:
            raise ClientDone
        inbox = self.api.inboxes[user.id]
        while not inbox.empty():
            inbox.get_nowait()
        started = time.perf_counter()
        act()
        deadline = started + self.timeout
        while True:
            try:
                at, message = await asyncio.wait_for(
                    inbox.get(), max(deadline - time.perf_counter(), 0.001)
                )
            except TimeoutError:
                raise ExchangeTimeout(f"{kind} for chat {user.id}: no answer") from None
            if expect(message):
                self.exchanges.append(Exchange(kind, started, at - started))
                return message

    async def echo_client(self, user: FakeUser, number: int) -> None:
        """The yardstick's client: a line of text, its echo, the next line."""
        for turn in itertools.count():
            line = f"Good thing {turn} from client {number}: a walk by the river"
            await self.exchange(user, "answer", _typing(user, line), _exactly(line))

    async def homework_client(self, user: FakeUser, number: int, questions: int) -> None:
        """A client doing gratitude entries one after another: /today, Start, every
        question answered in words, Save, /today again. It acts on what the bot last showed,
        so a client whose entry was left open (an earlier run) carries on with it."""
        api = self.api
        shown = await self.exchange(user, "today", _typing(user, "/today"), _actionable)
        for turn in itertools.count():
            found = QUESTION.search(shown.text or "")
            if "Start gratitude entry" in shown.button_texts:
                act, kind = _pressing(api, user, shown, "Start gratitude entry"), "start"
            elif found is not None:
                step = int(found.group(1))
                answer = (
                    f"A walk by the river with friend {number} ({turn}.{step})"
                    if step % 2
                    else f"Because the sun came out, day {turn}.{step}"
                )
                act, kind = _typing(user, answer), "answer"
            elif "Save" in shown.button_texts:
                act, kind = _pressing(api, user, shown, "Save"), "save"
            else:  # the summary: this entry is saved
                self.entries_saved += 1
                act, kind = _typing(user, "/today"), "today"
            shown = await self.exchange(user, kind, act, _actionable)

    async def run(self, clients: Sequence[Any]) -> None:
        """Run client coroutines; one that times out counts as a failure and stops."""

        async def guarded(client: Any) -> None:
            try:
                await client
            except ExchangeTimeout:
                self.failures += 1
            except ClientDone:
                pass

        await asyncio.gather(*(guarded(c) for c in clients))


def _typing(user: FakeUser, text: str) -> Callable[[], int]:
    return lambda: user.send_text(text)


def _pressing(
    api: BenchApi, user: FakeUser, message: SentMessage, button: str
) -> Callable[[], int]:
    return lambda: api.press_on(user, message, button)


def _exactly(text: str) -> Callable[[SentMessage], bool]:
    return lambda m: m.text == text


@dataclass
class LoadResult:
    """One run of clients against one bot, measured over a window after a warm-up."""

    name: str
    clients: int
    seconds: float
    exchanges: int
    answers: int
    latencies: list[float]
    failures: int
    entries_saved: int
    bot_cpu: float
    driver_cpu: float
    bot_rss: float
    profile: str = ""

    @property
    def per_second(self) -> float:
        return self.exchanges / self.seconds if self.seconds else float("nan")

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)

    @property
    def bot_cpu_per_exchange_ms(self) -> float:
        return 1000 * self.bot_cpu / self.exchanges if self.exchanges else float("nan")


async def run_load(
    name: str,
    spec: BotSpec,
    api: BenchApi,
    users: Sequence[FakeUser],
    *,
    warmup: float,
    measure: float,
    questions: int = 6,
) -> LoadResult:
    """Start the bot, run every client for warm-up plus the measured window, stop the bot.

    Counted: exchanges (a client's message and the bot's answer to it) that completed
    inside the window, with their latencies: from the update being queued at the fake server to the
    answer arriving there (the long-polling hop included, as a real client would see it)."""
    bot = BotProcess(spec)
    await bot.start()
    driver = Driver(api)
    begin = time.perf_counter() + warmup
    end = begin + measure
    driver.stop_at = end
    if spec.kind == "echo":
        clients = [driver.echo_client(u, i) for i, u in enumerate(users)]
    else:
        clients = [driver.homework_client(u, i, questions) for i, u in enumerate(users)]
    running = asyncio.ensure_future(driver.run(clients))
    await asyncio.sleep(max(begin - time.perf_counter(), 0))
    started = await bot.command("begin")
    driver_started = cpu_seconds()
    await asyncio.sleep(max(end - time.perf_counter(), 0))
    ended = await bot.command("end")
    driver_cpu = cpu_seconds() - driver_started
    try:
        await asyncio.wait_for(running, driver.timeout + 30)
    except TimeoutError:
        running.cancel()
    stopped = await bot.stop(api)
    done = [e for e in driver.exchanges if begin <= e.started + e.latency <= end]
    return LoadResult(
        name=name,
        clients=len(users),
        seconds=measure,
        exchanges=len(done),
        answers=sum(1 for e in done if e.kind == "answer"),
        latencies=[e.latency for e in done],
        failures=driver.failures,
        entries_saved=driver.entries_saved,
        bot_cpu=ended["cpu"] - started["cpu"],
        driver_cpu=driver_cpu,
        bot_rss=ended["rss"],
        profile=str(stopped.get("profile", "")),
    )


def new_key() -> str:
    return Fernet.generate_key().decode()


def register_users(api: BenchApi, telegram_ids: Sequence[int]) -> list[FakeUser]:
    return [api.person(t, f"Client {t - FIRST_CLIENT_ID}") for t in telegram_ids]


def say(line: str = "") -> None:
    print(line, flush=True)
    sys.stdout.flush()
