"""Runs the real Application against the loopback fake Bot API, one update at a time."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.app import build_application, record_builtins
from bot.cli import therapist_code
from bot.clock import FixedClock
from bot.delivery import take_over
from bot.polling import Poller
from bot.render import ANSWER_PREFIX
from bot.runtime import Runtime, runtime_in
from bot.settings import Settings
from bot.ticker import tick
from storage.db import Database
from storage.migrate import upgrade
from tests.fake_bot_api import FakeBotApi, FakeUser, SentMessage

WAIT = 15.0


@dataclass
class RunningBot:
    """The bot under test: started, stopped and restarted on the same database."""

    api: FakeBotApi
    database_url: str
    clock: FixedClock
    key: str
    application: Application | None = None  # type: ignore[type-arg]
    db: Database | None = None
    poller: Poller | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    """Settings a test changes (a fallback chat, an acknowledgement window...)."""
    typed: bool = False
    """Buttons are not tapped but typed: `press` sends the button's words as a message (the
    journeys run this way too, see tests/test_e2e_typed_journeys.py). A homework answer is
    typed as its words; the options of a several-answer question are gathered as they are
    pressed and typed together, as one list, when its Done is pressed."""
    _handled: dict[int, asyncio.Event] = field(default_factory=dict)
    _gathered: dict[int, tuple[str, list[str]]] = field(default_factory=dict)
    """Typed mode: per chat, the several-answer question being answered (its buttons'
    prefix) and the options picked so far, typed together at its Done."""

    @property
    def settings(self) -> Settings:
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=SecretStr(self.api.token),
            telegram_api_url=f"{self.api.url}/bot",
            database_url=self.database_url,
            encryption_key=SecretStr(self.key),
            tick_seconds=3600,
            deliver_seconds=3600,
            **self.overrides,
        )

    @property
    def runtime(self) -> Runtime:
        assert self.application is not None
        return runtime_in(self.application)

    async def start(self) -> None:
        self.db = Database(self.database_url)
        await upgrade(self.db)
        await record_builtins(self.db)
        application = build_application(self.settings, db=self.db, clock=self.clock)
        application.add_handler(TypeHandler(Update, self._mark_handled), group=99)
        application.bot_data["runtime"].pause = self.clock.wait_until
        await application.initialize()
        # As `homework-bot run` does: what a stopped process left half done goes first.
        await take_over(runtime_in(application), application.bot, alone=True)
        await application.start()
        self.poller = Poller(application, long_poll=5)
        await self.poller.start()
        self.application = application

    async def stop(self) -> None:
        application = self.application
        if application is None:
            return
        self.application = None
        self.api.release_polling()
        if self.poller is not None:
            await self.poller.stop()
        await application.stop()
        await application.shutdown()
        if self.db is not None:
            await self.db.dispose()
            self.db = None

    async def restart(self) -> None:
        """A new process on the same database: nothing may be held in memory."""
        await self.stop()
        await self.start()

    async def _mark_handled(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        self._handled.setdefault(update.update_id, asyncio.Event()).set()

    async def handled_by_bot(self, update_id: int) -> None:
        event = self._handled.setdefault(update_id, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), WAIT)
        except TimeoutError:
            raise AssertionError(f"update {update_id} was not handled in time") from None

    async def exchange(self, user: FakeUser, queue: Callable[[], int]) -> list[SentMessage]:
        before = len(self.api.sent_to(user.chat_id))
        await self.handled_by_bot(queue())
        return self.api.sent_to(user.chat_id)[before:]

    async def send(self, user: FakeUser, text: str) -> list[SentMessage]:
        """The user types `text`; returns what the bot sent back."""
        return await self.exchange(user, lambda: user.send_text(text))

    async def press(
        self, user: FakeUser, button: str, message: SentMessage | None = None
    ) -> list[SentMessage]:
        """The user presses a button (by its text or data) on a message (default: the latest)."""
        label = self._typed_label(user, button) if self.typed and message is None else None
        if label == "":  # one option of several picked: typed with the others at Done
            return []
        if label is not None:
            return await self.send(user, label)
        return await self.exchange(user, lambda: user.press(button, message))

    def _typed_label(self, user: FakeUser, button: str) -> str | None:
        """The words to type for a button of the latest keyboard: None to tap it (it is not
        there), "" when it is one option of several, gathered to be typed at Done."""
        target = self.api.latest_with_keyboard(user.chat_id)
        flat = [pair for row in target.buttons for pair in row] if target else []
        found = next((p for p in flat if button in p), None)
        if found is None or not found[1]:
            return None
        label, data = found
        if not data.startswith(ANSWER_PREFIX):
            return label
        prefix, _, value = data.rpartition(":")
        if f"{prefix}:done" not in {d for _, d in flat}:
            return _option_words(label)  # one answer: its words, as a person would type them
        if self._gathered.get(user.chat_id, ("",))[0] != prefix:
            ticked = [_option_words(text) for text, _ in flat if text.startswith(TICK)]
            self._gathered[user.chat_id] = (prefix, ticked)
        picked = self._gathered[user.chat_id][1]
        if value != "done":
            words = _option_words(label)
            picked.remove(words) if words in picked else picked.append(words)
            return ""
        del self._gathered[user.chat_id]
        return ", ".join(picked) if picked else label

    async def press_data(
        self, user: FakeUser, data: str, message: SentMessage | None = None
    ) -> list[SentMessage]:
        """The user sends callback data of their own making."""
        return await self.exchange(user, lambda: user.press_data(data, message))

    async def sticker(self, user: FakeUser) -> list[SentMessage]:
        """The user sends a sticker."""
        return await self.exchange(user, user.send_sticker)

    async def photo(self, user: FakeUser) -> list[SentMessage]:
        """The user sends a photo."""
        return await self.exchange(user, user.send_photo)

    async def tick(self) -> None:
        """One beat of the ticker at the clock's current time."""
        assert self.application is not None
        await tick(self.runtime, self.application.bot)


TICK = "✓ "
_NUMBERED = re.compile(r"^(?:✓ )?\d+\. ")


def _option_words(label: str) -> str:
    """An option's words without its tick or number: "✓ 2. Tired" is typed "Tired"."""
    return _NUMBERED.sub("", label.removeprefix(TICK))


def texts(messages: list[SentMessage]) -> str:
    """Everything the person saw, as one string for assertions."""
    return "\n---\n".join(m.plain_text or "" for m in messages)


LINK = re.compile(r"https://t\.me/homework_test_bot\?start=([A-Za-z0-9_-]+)")


async def drop_connections(engine: AsyncEngine, *, polling_lock_only: bool = False) -> None:
    """What a network failure or a database restart does on PostgreSQL: every other
    connection to this database is ended (or only the one holding the polling lock)."""
    which = (
        "FROM pg_locks WHERE locktype = 'advisory'"
        if polling_lock_only
        else "FROM pg_stat_activity WHERE datname = current_database()"
    )
    async with engine.connect() as connection:
        await connection.execute(
            text(f"SELECT pg_terminate_backend(pid) {which} AND pid <> pg_backend_pid()")
        )
        await connection.commit()


def raw_database_bytes(folder: Path) -> bytes:
    """The SQLite file with its write-ahead log, byte for byte."""
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("test.sqlite3"))


def code_in(message_text: str) -> str:
    match = LINK.search(message_text)
    assert match, message_text
    return match.group(1)


async def register_therapist(running: RunningBot, therapist: FakeUser) -> None:
    code, link = await therapist_code(running.settings, name="Dr Fake Therapist")
    assert link == f"https://t.me/homework_test_bot?start={code}"
    replies = await running.send(therapist, f"/start {code}")
    assert "Welcome, Dr Fake Therapist! You are registered as a therapist." in texts(replies)
    assert "Which time zone are you in?" in texts(replies)
    replies = await running.press(therapist, "Berlin")
    assert "Got it: Berlin time" in texts(replies)
    replies = await running.press(therapist, "18:00")
    assert "Your digest will come daily at 18:00, Berlin time." in texts(replies)


async def link_client(
    running: RunningBot, therapist: FakeUser, client: FakeUser, label: str
) -> None:
    replies = await running.send(therapist, f"/invite {label}")
    code = code_in(texts(replies))
    replies = await running.send(client, f"/start {code}")
    consent = texts(replies)
    assert "Dr Fake Therapist invited you" in consent
    assert "the answers you write in your homework" in consent
    assert "I am not an emergency service" in consent
    replies = await running.press(client, "Yes, I agree")
    assert "You are now linked with Dr Fake Therapist." in texts(replies)
    replies = await running.send(client, "berlin")
    assert "Got it: Berlin time" in texts(replies)


async def therapist_and_client(
    running: RunningBot, *, assign: str | None = None
) -> tuple[FakeUser, FakeUser]:
    """Dana the therapist and Robin the client, linked; with `assign` ("gratitude daily
    20:00"), that homework given and its "new homework" notice sent."""
    therapist = running.api.user(5001, "Dana", username="dana_fake")
    client = running.api.user(5002, "Robin", last_name="Example", username="robin_example")
    await register_therapist(running, therapist)
    await link_client(running, therapist, client, "Robin")
    if assign is not None:
        await running.send(therapist, f"/assign robin {assign}")
        await running.tick()
    return therapist, client


async def open_with_keys(database_url: str, keys: list[str]) -> None:
    """Start-up's database checks (bot.app.open_database) with these operator keys."""
    from bot.app import open_database
    from bot.settings import Settings

    opened = await open_database(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token="123:FAKE",  # type: ignore[arg-type]
            database_url=database_url,
            encryption_key=",".join(keys),  # type: ignore[arg-type]
        )
    )
    await opened.dispose()
