"""The bot killed with SIGKILL at each boundary of an update, on SQLite and PostgreSQL.

Each test runs the real `homework-bot run` (long polling) as an OS process of its own,
against the loopback fake Bot API, kills it at one moment, starts it again on the same
database, and checks what the therapist would read: every answer under the question the
client was shown when they wrote it, nothing lost, nothing kept twice.

    before the commit   its transaction waits on a lock the test holds; killed there
    during the reply    the reply reaches the Bot API and is never delivered (swallowed)
    after the reply     the reply is delivered, and its answer never comes back
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from storage.db import Database
from storage.models import Entry
from tests.conftest import postgres_url_or_skip
from tests.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from tests.harness import drop_connections
from tests.processes import bot_environment, free_port, seed_practice, spawn_bot

WAIT = 30.0


@dataclass
class Killable:
    """`homework-bot run` as a child process, killed and started again at will."""

    api: FakeBotApi
    url: str
    key: str
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0
    logs: list[Path] = field(default_factory=list)

    async def start(self) -> None:
        env = bot_environment(self.api, self.url, self.key, free_port())
        env.update(TICK_SECONDS="0.2", DELIVER_SECONDS="0.2")
        self.runs += 1
        log = self.folder / f"run-{self.runs}.log"
        self.logs.append(log)
        polls = len(self.api.calls_of("getUpdates"))
        with log.open("wb") as out:
            self.process = spawn_bot(["run"], env, self.folder, out)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while len(self.api.calls_of("getUpdates")) <= polls:
            if self.process.poll() is not None:
                raise AssertionError(f"the bot exited:\n{log.read_text()[-3000:]}")
            if loop.time() > deadline:
                raise AssertionError(f"the bot did not start polling:\n{log.read_text()[-3000:]}")
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no finally block, no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        self.api.release_polling()  # its last getUpdates is answered at once
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def printed(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs)


@pytest.fixture(params=["sqlite", "postgresql"])
async def practice(
    request: pytest.FixtureRequest, tmp_path: Path, encryption_keys: str
) -> AsyncIterator[tuple[Killable, FakeUser]]:
    """A client with a gratitude entry to do, and the bot serving them."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'faults.sqlite3'}"
    else:
        url = await postgres_url_or_skip()
    async with FakeBotApi() as api:
        due = datetime.now(UTC).replace(second=0, microsecond=0)
        _, [chat] = await seed_practice(url, api, due, 1)
        bot = Killable(api, url, encryption_keys, tmp_path)
        try:
            await bot.start()
            client = api.user(chat, "Client0")
            yield bot, client
        finally:
            bot.stop()
            assert "Sorry, something went wrong" not in " ".join(
                m.plain_text or "" for m in api.sent_to(chat)
            )
            assert " ERROR bot." not in bot.printed()  # no handler failed, nothing was lost


async def say(api: FakeBotApi, user: FakeUser, words: str, expect: str) -> SentMessage:
    """The client types `words`; the bot's reply that contains `expect`."""
    user.send_text(words)
    return await api.wait_for_sent(user.chat_id, lambda m: expect in (m.plain_text or ""), WAIT)


async def begin_gratitude(bot: Killable, client: FakeUser) -> None:
    api = bot.api
    client.send_text("/today")
    today = await api.wait_for_sent(
        client.chat_id, lambda m: "Start gratitude entry" in m.button_texts, WAIT
    )
    client.press("Start gratitude entry", today)
    await api.wait_for_sent(client.chat_id, lambda m: "Good thing 1 of 3" in (m.text or ""), WAIT)
    await question_recorded_as_shown(bot.url)


async def question_recorded_as_shown(url: str) -> None:
    """Until the bot has recorded that its questions reached the clients (a step after the
    send itself): a test that then holds the database must not catch the bot between the
    two, or the restarted bot rightly asks the question again and the answer "crossed" it."""
    db = Database(url)
    try:
        async with asyncio.timeout(WAIT):
            while True:
                async with db.reading() as session:
                    entries = (await session.execute(select(Entry))).scalars().all()
                    if entries and all(0 < e.asked_rev == e.shown_rev for e in entries):
                        return
                await asyncio.sleep(0.05)
    finally:
        await db.dispose()


def _saying(words: str) -> Callable[[SentMessage], bool]:
    return lambda message: words in (message.text or "")


async def answers(url: str) -> dict[str, str]:
    """What the therapist would read: the client's entry's answers, by question."""
    db = Database(url)
    try:
        async with db.reading() as session:
            entry = (await session.execute(select(Entry))).scalar_one()
            return {str(k): str(v) for k, v in entry.state["answers"].items()}
    finally:
        await db.dispose()


async def test_killed_while_the_next_question_is_on_its_way(
    practice: tuple[Killable, FakeUser],
) -> None:
    """The answer was saved, its next question never arrived; the client, seeing nothing,
    sends the answer again. It is not kept as the answer to the question they never saw."""
    bot, client = practice
    api = bot.api
    await begin_gratitude(bot, client)
    arrived = api.swallow_sends(client.chat_id)
    client.send_text("A walk by the river")
    await asyncio.wait_for(arrived.wait(), WAIT)
    bot.kill()
    api.stop_swallowing(client.chat_id)
    client.send_text("A walk by the river")  # nothing came back: they send it again
    await bot.start()
    await api.wait_for_sent(client.chat_id, lambda m: "crossed on the way" in (m.text or ""), WAIT)
    shown = [m.text or "" for m in api.sent_to(client.chat_id)]
    assert any("Why do you think that happened?" in t for t in shown)  # sent first, at start
    await say(api, client, "The sun was out", "Good thing 2 of 3")
    assert await answers(bot.url) == {
        "good_things.1.what": "A walk by the river",
        "good_things.1.why": "The sun was out",
    }


async def test_killed_after_the_question_arrived_before_it_was_marked(
    practice: tuple[Killable, FakeUser],
) -> None:
    """The question reached the client, the process died before hearing so: the client's
    answer, written under it, is never kept elsewhere, and nothing is lost."""
    bot, client = practice
    api = bot.api
    await begin_gratitude(bot, client)
    api.hold_after_sending(client.chat_id)
    await say(api, client, "A walk by the river", "Why do you think that happened?")
    bot.kill()
    api.hold_after_sending(client.chat_id).set()  # answers flow again for the next process
    client.send_text("The sun was out")  # written under the question they saw
    await bot.start()
    said = await api.wait_for_sent(
        client.chat_id,
        lambda m: "crossed on the way" in (m.text or "") or "Good thing 2 of 3" in (m.text or ""),
        WAIT,
    )
    if "crossed on the way" in (said.text or ""):  # it met the question shown again
        await say(api, client, "The sun was out", "Good thing 2 of 3")
    assert await answers(bot.url) == {
        "good_things.1.what": "A walk by the river",
        "good_things.1.why": "The sun was out",
    }


async def test_killed_before_the_commit(practice: tuple[Killable, FakeUser]) -> None:
    """The answer's transaction never committed: after the restart Telegram gives the
    update again, and it is kept once, under the question it answered."""
    bot, client = practice
    api = bot.api
    await begin_gratitude(bot, client)
    blocker = Database(bot.url)
    try:
        async with blocker.engine.connect() as connection:
            # The test holds what the update's transaction needs, so it waits there.
            if blocker.engine.dialect.name == "sqlite":
                await connection.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the write lock
            else:
                await connection.execute(text("SELECT id FROM users FOR UPDATE"))
            update_id = client.send_text("A walk by the river")
            await api.wait_until_updates_fetched(update_id, WAIT)
            await asyncio.sleep(0.5)  # inside its transaction, waiting for the lock
            bot.kill()
            await connection.rollback()
    finally:
        await blocker.dispose()
    await bot.start()
    await api.wait_for_sent(
        client.chat_id, lambda m: "Why do you think that happened?" in (m.text or ""), WAIT
    )
    await say(api, client, "The sun was out", "Good thing 2 of 3")
    assert await answers(bot.url) == {
        "good_things.1.what": "A walk by the river",
        "good_things.1.why": "The sun was out",
    }


async def test_an_alert_on_its_way_when_killed_goes_out_within_seconds_of_the_restart(
    practice: tuple[Killable, FakeUser],
) -> None:
    """Not when the dead sender's lease (3 minutes) runs out: at once, before any update."""
    bot, client = practice
    api = bot.api
    therapist = 8000
    arrived = api.swallow_sends(therapist)
    client.send_text("I want to kill myself")
    await api.wait_for_sent(
        client.chat_id, lambda m: "You can talk to someone any time" in (m.text or ""), WAIT
    )
    await asyncio.wait_for(arrived.wait(), WAIT)  # the alert is on its way
    bot.kill()
    api.stop_swallowing(therapist)
    loop = asyncio.get_running_loop()
    await bot.start()
    started = loop.time()
    alert = await api.wait_for_sent(therapist, lambda m: "Risk alert" in (m.text or ""), WAIT)
    assert loop.time() - started < 5
    assert "I want to kill myself" in (alert.text or "")


async def test_dropped_connections_during_a_burst_lose_and_misfile_nothing(
    tmp_path: Path, encryption_keys: str
) -> None:
    """PostgreSQL: every connection of the bot cut three times while 30 clients answer at
    once. Each transaction that met it ran again: every answer is kept, once, under its
    question, and nobody reads "Sorry"."""
    url = await postgres_url_or_skip()
    async with FakeBotApi() as api:
        due = datetime.now(UTC).replace(second=0, microsecond=0)
        _, chats = await seed_practice(url, api, due, 30)
        bot = Killable(api, url, encryption_keys, tmp_path)
        await bot.start()
        try:
            clients = [api.user(chat, f"Client{n}") for n, chat in enumerate(chats)]
            await asyncio.gather(*(begin_gratitude(bot, client) for client in clients))

            async def answer(n: int, client: FakeUser) -> None:
                for words, then in ((f"walk {n}", "Why do you think"), (f"sun {n}", "2 of 3")):
                    client.send_text(words)
                    await api.wait_for_sent(client.chat_id, _saying(then), WAIT, since=0)

            async def cut() -> None:
                admin = Database(url)
                try:
                    for _ in range(3):
                        await asyncio.sleep(0.3)
                        await drop_connections(admin.engine)
                finally:
                    await admin.dispose()

            await asyncio.gather(cut(), *(answer(n, c) for n, c in enumerate(clients)))
            db = Database(url)
            try:
                async with db.reading() as session:
                    entries = (await session.execute(select(Entry))).scalars()
                    kept = sorted(sorted(dict(e.state["answers"]).items()) for e in entries)
            finally:
                await db.dispose()
            expected = sorted(
                [("good_things.1.what", f"walk {n}"), ("good_things.1.why", f"sun {n}")]
                for n in range(len(clients))
            )
            assert kept == expected
            for client in clients:
                said = " ".join(m.plain_text or "" for m in api.sent_to(client.chat_id))
                assert "Sorry, something went wrong" not in said
                assert "crossed on the way" not in said
        finally:
            bot.stop()
