"""A stateful property test: whatever faults strike, the therapist's view of every entry
equals what the client answered to the question they were shown.

Hypothesis drives a client through gratitude entries (each answer a token of its own)
while it injects the faults a deployment meets: Bot API 429s, 5xx, 403 (the client blocked
the bot for a while) and answers lost after the send, Telegram redelivering an update, the
client sending their last answer again, the database connections dropped, the bot
restarted, time passing. After every step, each
answer kept in the database must be a token the client typed while the latest question
they had received was that very question; and nobody ever reads "Sorry".
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select
from telegram import Update

from bot.clock import FixedClock
from conversations import engine
from conversations.templates import load_library
from storage.models import Entry
from tests.conftest import TEST_KEY, _reset_postgres, _scratch_url
from tests.fake_bot_api import FakeBotApi
from tests.harness import RunningBot, drop_connections, link_client, register_therapist

T = TypeVar("T")
STEPS = [step.key for step in engine.compile_flow(load_library()["gratitude"], {}).steps]
POSITION = re.compile(r"· (\d+) of (\d+)")


class Faults(RuleBasedStateMachine):
    """One practice on one database; each rule one thing that happens to it."""

    backend = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = TemporaryDirectory()
        self.clock = FixedClock(datetime(2026, 11, 21, 10, 0, tzinfo=UTC))
        self.typed: dict[str, set[str]] = {}
        """Each token the client typed, and the questions they had in front of them each
        time they typed it (the same words may rightly answer two questions)."""
        self.last: str | None = None
        self.count = 0
        self.blocked = False
        self.run(self._start())

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    async def _start(self) -> None:
        if self.backend == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(self.folder.name) / 'faults.sqlite3'}"
        else:
            await _reset_postgres()
            url = _scratch_url()
        self.api = FakeBotApi(now=lambda: self.clock.now().timestamp())
        await self.api.start()
        self.bot = RunningBot(api=self.api, database_url=url, clock=self.clock, key=TEST_KEY)
        await self.bot.start()
        therapist = self.api.user(7001, "Dana", username="dana_fake")
        self.client = self.api.user(7002, "Robin", last_name="Example", username="robin_ex")
        await register_therapist(self.bot, therapist)
        await link_client(self.bot, therapist, self.client, "Robin")
        await self.bot.send(therapist, "/assign robin gratitude daily 20:00")
        await self._begin()

    async def _begin(self) -> None:
        self._unblock()
        await self.bot.send(self.client, "/today")
        for _ in range(5):  # a reply Telegram refused for now comes with time
            today = [
                m
                for m in self.api.sent_to(self.client.chat_id)
                if "Start gratitude entry" in m.button_texts
            ]
            if today:
                await self.bot.press(self.client, "Start gratitude entry", today[-1])
                return
            self.clock.advance(timedelta(seconds=5))
            await self.bot.tick()
        raise AssertionError("/today never answered")

    def teardown(self) -> None:
        async def stop() -> None:
            await self.bot.stop()
            await self.api.stop()

        self.run(stop())
        self.loop.close()
        self.folder.cleanup()

    # What the client has in front of them.
    def seen(self) -> str | None:
        """The question of the latest question message the client received, by its key."""
        for message in reversed(self.api.sent_to(self.client.chat_id)):
            found = POSITION.search(message.plain_text or "")
            if found:
                return STEPS[int(found.group(1)) - 1]
            if "Here is everything you wrote" in (message.plain_text or ""):
                return "review"
            if "Gratitude entry: done" in (message.plain_text or ""):
                return "done"
        return None

    def _unblock(self) -> None:
        """Whatever the client does next, they have unblocked the bot first."""
        if self.blocked:
            self.api.unblock(self.client.chat_id)
            self.blocked = False

    async def _type(self, words: str) -> None:
        self._unblock()
        before = len(self.api.sent_to(self.client.chat_id))
        update_id = self.client.send_text(words)
        try:
            await self.bot.handled_by_bot(update_id)
        finally:
            said = " ".join(
                m.plain_text or "" for m in self.api.sent_to(self.client.chat_id)[before:]
            )
            assert "Sorry, something went wrong" not in said

    # The client.
    @precondition(lambda self: self.seen() in STEPS)
    @rule()
    def answer(self) -> None:
        self.count += 1
        token = f"answer-{self.count}"
        self.typed[token] = {str(self.seen())}
        self.last = token
        self.run(self._type(token))

    @precondition(lambda self: self.last is not None and self.seen() in STEPS)
    @rule()
    def send_the_last_answer_again(self) -> None:
        """Nothing seemed to come back, so they send it again: the same words."""
        assert self.last is not None
        self.typed[self.last].add(str(self.seen()))
        self.run(self._type(self.last))

    def _review(self) -> Any:
        return next(
            m
            for m in reversed(self.api.sent_to(self.client.chat_id))
            if "Here is everything you wrote" in (m.plain_text or "")
        )

    # A review whose buttons are gone (its Save went through; what comes next is on its
    # way) can't be pressed: the client waits for it.
    @precondition(
        lambda self: (
            self.seen() == "review"
            and any(text == "Save" for row in self._review().buttons for text, _ in row)
        )
    )
    @rule()
    def save(self) -> None:
        review = self._review()
        self._unblock()
        self.run(self.bot.press(self.client, "Save", review))

    @precondition(lambda self: self.seen() == "done")
    @rule()
    def begin_again(self) -> None:
        self.clock.advance(timedelta(hours=1))
        self.run(self._begin())

    # Telegram.
    @rule(code=st.sampled_from([429, 500, 502, 0]))
    def the_next_send_fails(self, code: int) -> None:
        """429 and 5xx: nothing arrives; 0: it arrives and the bot never hears so."""
        chat = self.client.chat_id
        if code == 429:
            self.api.rate_limit_once(chat, retry_after=2)
        elif code:
            self.api.fail_once(chat, code)
        else:
            self.api.drop_after_sending(chat)

    @rule()
    def the_client_blocks_the_bot_for_a_while(self) -> None:
        """403: what the bot sends them fails until they unblock it and write again."""
        self.api.block(self.client.chat_id)
        self.blocked = True

    @rule()
    def telegram_sends_the_last_update_again(self) -> None:
        """A webhook answered slowly, or two replicas got it: the very same update."""
        sent = self.api.last_update(self.client.chat_id)
        application = self.bot.application
        if sent is not None and application is not None:
            update = Update.de_json(sent, application.bot)
            processor = application.update_processor
            self.run(processor.process_update(update, application.process_update(update)))

    # The process and its database.
    @rule()
    def time_passes(self) -> None:
        """What waits in the outbox (a reply Telegram refused for now) is sent."""
        self.clock.advance(timedelta(seconds=5))
        self.run(self.bot.tick())

    @rule()
    def the_bot_restarts(self) -> None:
        self.run(self.bot.restart())

    @rule()
    def the_database_connections_drop(self) -> None:
        self.run(self._drop_connections())

    async def _drop_connections(self) -> None:
        db = self.bot.db
        assert db is not None
        if db.engine.dialect.name == "postgresql":
            await drop_connections(db.engine)
        else:
            await db.dispose()  # every pooled connection closed under the bot

    # What the therapist reads.
    @invariant()
    def every_answer_is_under_the_question_it_answered(self) -> None:
        for state in self.run(self._entries()):
            answers = state.get("answers")
            for key, value in (answers if isinstance(answers, dict) else {}).items():
                if isinstance(value, str) and value in self.typed:
                    assert key in self.typed[value], (value, key, self.typed[value])

    async def _entries(self) -> list[dict[str, object]]:
        db = self.bot.db
        assert db is not None
        async with db.reading() as session:
            return [dict(e.state) for e in (await session.execute(select(Entry))).scalars()]


class OnSQLite(Faults):
    backend = "sqlite"


class OnPostgreSQL(Faults):
    backend = "postgresql"


SETTINGS = settings(
    max_examples=8,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_answers_stay_under_their_questions_on_sqlite() -> None:
    OnSQLite.TestCase.settings = SETTINGS
    OnSQLite.TestCase().runTest()


def test_answers_stay_under_their_questions_on_postgresql() -> None:
    try:
        asyncio.run(_reset_postgres())
    except Exception as error:
        from tests.conftest import POSTGRES_REQUIRED

        if POSTGRES_REQUIRED:
            raise
        pytest.skip(f"PostgreSQL not reachable: {error}")
    OnPostgreSQL.TestCase.settings = SETTINGS
    OnPostgreSQL.TestCase().runTest()
