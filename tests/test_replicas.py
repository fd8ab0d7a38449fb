"""Two bot processes on one PostgreSQL database, behind the loopback Bot API, counted.

Each process is the real `homework-bot run --webhook` in an OS process of its own. Updates
are pushed to both (each one twice, to both, as a redelivery would); reminders and digests
fall due while both tick. Every update is answered once, every reminder, digest and alert
is sent once, and one process killed with SIGKILL loses nothing the other can't carry.
A second long poller is refused with a clear message.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.replicas import PollerLock, SecondPoller
from bot.web import SECRET_HEADER
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import postgres_url_or_skip
from tests.fake_bot_api import FakeBotApi
from tests.harness import drop_connections
from tests.processes import SECRET, bot_environment, free_port, seed_practice, spawn_bot
from tests.travelled import bot_command, child_environment

CLIENTS = 12
WAIT = 60.0


@pytest.fixture
async def postgres_url() -> str:
    return await postgres_url_or_skip()


class Replica:
    def __init__(self, api: FakeBotApi, url: str, key: str, folder: Path, name: str) -> None:
        self.port = free_port()
        self.log = folder / f"{name}.log"
        with self.log.open("wb") as out:  # the child keeps its own copy of the file
            self.process = spawn_bot(
                ["run", "--webhook", f"http://127.0.0.1:{self.port}"],
                bot_environment(api, url, key, self.port),
                folder,
                out,
            )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self) -> None:
        deadline = asyncio.get_running_loop().time() + WAIT
        async with aiohttp.ClientSession() as http:
            while asyncio.get_running_loop().time() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(f"replica exited:\n{self.log.read_text()[-3000:]}")
                try:
                    async with http.get(f"{self.base}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"replica not ready:\n{self.log.read_text()[-3000:]}")

    async def push(self, update: dict[str, object]) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{self.base}/telegram", json=update, headers={SECRET_HEADER: SECRET}
            ) as response,
        ):
            return response.status

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    running: list[Replica] = []
    yield running
    for replica in running:
        replica.stop()


async def _settled(url: str) -> None:
    """Wait until nothing is left in the outbox to send."""
    db = Database(url)
    try:
        deadline = asyncio.get_running_loop().time() + WAIT
        while asyncio.get_running_loop().time() < deadline:
            async with db.transaction() as session:
                rows = (await session.execute(select(OutboxMessage.status))).scalars().all()
            if rows and all(status not in ("pending", "sending", "attempting") for status in rows):
                return
            await asyncio.sleep(0.2)
        raise AssertionError("the outbox did not empty in time")
    finally:
        await db.dispose()


async def _wait_for(condition: object, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT
    while asyncio.get_running_loop().time() < deadline:
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
async def loopback() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def test_two_processes_send_everything_exactly_once(
    loopback: FakeBotApi,
    postgres_url: str,
    encryption_keys: str,
    replicas: list[Replica],
    tmp_path: Path,
) -> None:
    api = loopback
    due = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    therapist_id, clients = await seed_practice(postgres_url, api, due, CLIENTS)
    replicas += [Replica(api, postgres_url, encryption_keys, tmp_path, n) for n in ("a", "b")]
    await asyncio.gather(*(replica.ready() for replica in replicas))

    # Reminders and the digest fall due while both tick: each goes out once.
    def reminded() -> int:
        return sum(
            1
            for chat in clients
            for m in api.sent_to(chat)
            if "time for your gratitude entry" in (m.text or "")
        )

    def digested() -> list[object]:
        return [m for m in api.sent_to(therapist_id) if (m.text or "").startswith("Your digest")]

    await _wait_for(lambda: reminded() >= CLIENTS, "every reminder")
    # The digest is made on a tick of its own, perhaps after the reminders have all gone.
    await _wait_for(lambda: len(digested()) >= 1, "the digest")
    await _settled(postgres_url)
    per_client = Counter(
        chat
        for chat in clients
        for m in api.sent_to(chat)
        if "time for your gratitude entry" in (m.text or "")
    )
    assert per_client == Counter({chat: 1 for chat in clients})
    assert len(digested()) == 1

    # Every update goes to both replicas (a redelivery): each is answered once.
    before = {chat: len(api.sent_to(chat)) for chat in clients}
    for n, chat in enumerate(clients):
        pushed = api.user(chat, f"Client{n}").send_text("/today")
        update = next(u for u in api.pending_updates if u["update_id"] == pushed)
        first, second = (replicas[0], replicas[1]) if n % 2 else (replicas[1], replicas[0])
        assert await first.push(update) == 200
        assert await second.push(update) == 200

    def answered(chat: int) -> int:
        return len(api.sent_to(chat)) - before[chat]

    await _wait_for(lambda: all(answered(chat) >= 1 for chat in clients), "every /today reply")
    await _settled(postgres_url)
    assert {chat: answered(chat) for chat in clients} == {chat: 1 for chat in clients}
    assert all("ratitude entry" in (api.sent_to(chat)[-1].text or "") for chat in clients), [
        api.sent_to(chat)[-1].text for chat in clients
    ]

    # Risk language through one replica, redelivered to the other: one alert, once.
    risky = api.user(clients[0], "Client0")
    pushed = risky.send_text("I want to kill myself")
    update = next(u for u in api.pending_updates if u["update_id"] == pushed)
    assert await replicas[0].push(update) == 200
    assert await replicas[1].push(update) == 200
    await _wait_for(
        lambda: any("Risk alert" in (m.text or "") for m in api.sent_to(therapist_id)), "the alert"
    )
    await _settled(postgres_url)
    alerts = [m for m in api.sent_to(therapist_id) if "Risk alert" in (m.text or "")]
    assert len(alerts) == 1

    # One replica killed outright: the other carries on alone.
    replicas[0].kill()
    late = api.user(clients[1], "Client1")
    pushed = late.send_text("/help")
    update = next(u for u in api.pending_updates if u["update_id"] == pushed)
    since = len(api.calls)
    assert await replicas[1].push(update) == 200
    reply = await api.wait_for_sent(clients[1], since=since, timeout=WAIT)
    assert "/today" in (reply.text or "")


async def test_a_second_poller_is_refused_clearly(
    loopback: FakeBotApi, postgres_url: str, encryption_keys: str, tmp_path: Path
) -> None:
    env = bot_environment(loopback, postgres_url, encryption_keys, free_port())
    first = spawn_bot(["run"], env, tmp_path, subprocess.DEVNULL)
    try:
        await _wait_for(
            lambda: loopback.calls_of("getUpdates") or first.poll() is not None, "polling"
        )
        assert first.poll() is None
        second = await asyncio.to_thread(
            subprocess.run,
            bot_command("run"),
            env=child_environment(env),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0
        assert "Another process is already long polling this bot" in second.stdout + second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        try:
            first.wait(timeout=15)
        except subprocess.TimeoutExpired:
            first.kill()


async def test_a_poller_that_loses_its_lock_stops_polling(
    loopback: FakeBotApi, postgres_url: str, encryption_keys: str, tmp_path: Path
) -> None:
    """Its lock's connection dropped and another poller took the lock: it stops, saying so."""
    env = {**bot_environment(loopback, postgres_url, encryption_keys, free_port())}
    env["POLLER_CHECK_SECONDS"] = "0.3"
    log = tmp_path / "first.log"
    with log.open("wb") as out:
        first = spawn_bot(["run"], env, tmp_path, out)
    db = Database(postgres_url)
    other = PollerLock(db, loopback.token.partition(":")[0])
    try:
        await _wait_for(
            lambda: loopback.calls_of("getUpdates") or first.poll() is not None, "polling"
        )
        for _ in range(20):  # its connection dropped, and the lock taken before it checks
            await drop_connections(db.engine, polling_lock_only=True)
            try:
                await other.acquire()
                break
            except SecondPoller:
                continue  # it took the lock again first: drop it once more
        else:
            raise AssertionError("the first poller always took its lock again")
        await asyncio.to_thread(first.wait, 30)
        assert first.returncode != 0
        printed = log.read_text()
        assert "Stopped polling: another process took this bot's long-polling lock" in printed
        polls = len(loopback.calls_of("getUpdates"))
        await asyncio.sleep(1)
        assert len(loopback.calls_of("getUpdates")) == polls  # nobody polls any more
    finally:
        await other.release()
        await db.dispose()
        if first.poll() is None:
            first.kill()
