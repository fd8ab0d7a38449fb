"""The webhook, /healthz and /metrics over HTTP; one poller per bot; the webhook secret rule."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import event
from telegram import Bot
from telegram.ext import Application

from bot.app import (
    SetupError,
    build_application,
    check_no_webhook,
    record_builtins,
    webhook_secret,
)
from bot.clock import FixedClock
from bot.replicas import PollerLock, SecondPoller
from bot.runtime import Runtime
from bot.settings import Settings
from bot.ticker import tick
from bot.web import SECRET_HEADER, start_web
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import postgres_url_or_skip
from tests.fake_bot_api import FakeBotApi, FakeUser
from tests.harness import drop_connections

SECRET = "a-shared-secret-for-every-replica"


@dataclass
class Served:
    api: FakeBotApi
    application: Application  # type: ignore[type-arg]
    runtime: Runtime
    url: str

    async def post(self, update: dict[str, object], secret: str = SECRET) -> int:
        async with aiohttp.ClientSession() as http:
            response = await http.post(
                f"{self.url}/telegram", json=update, headers={SECRET_HEADER: secret}
            )
            return response.status

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http:
            response = await http.get(f"{self.url}{path}")
            return response.status, await response.text()

    def update_of(self, update_id: int) -> dict[str, object]:
        return next(u for u in self.api.pending_updates if u["update_id"] == update_id)


@pytest.fixture
async def served(
    api: FakeBotApi, database_url: str, clock: FixedClock, encryption_keys: str
) -> AsyncIterator[Served]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=SecretStr(api.token),
        telegram_api_url=f"{api.url}/bot",
        database_url=database_url,
        encryption_key=SecretStr(encryption_keys),
        tick_seconds=3600,
        deliver_seconds=3600,
    )
    db = Database(database_url)
    await upgrade(db)
    await record_builtins(db)
    application = build_application(settings, db=db, clock=clock)
    runtime = application.bot_data["runtime"]
    await application.initialize()
    await application.start()
    server = await start_web(application, runtime, listen="127.0.0.1", port=0, secret=SECRET)
    try:
        yield Served(api, application, runtime, f"http://127.0.0.1:{server.port}")
    finally:
        server.stop()
        await application.stop()
        await application.shutdown()
        await db.dispose()


async def _reply_to(served: Served, user: FakeUser, text: str) -> str:
    update_id = user.send_text(text)
    since = len(served.api.calls)
    assert await served.post(served.update_of(update_id)) == 200
    sent = await served.api.wait_for_sent(user.chat_id, since=since, timeout=10)
    return sent.text or ""


async def test_updates_come_in_with_the_secret_only(served: Served) -> None:
    stranger = served.api.user(7001, "Sam")
    update_id = stranger.send_text("/help")
    assert await served.post(served.update_of(update_id), secret="wrong") == 403
    assert await served.post(served.update_of(update_id), secret="") == 403
    assert served.api.sent_to(stranger.chat_id) == []
    said = await _reply_to(served, stranger, "/help")
    assert "invite link" in said
    async with aiohttp.ClientSession() as http:
        for body in (
            b"{not json",
            b"[1, 2]",
            b'"an update"',
            b"{}",
            b'{"update_id": "7"}',
            b'{"update_id": true}',
            b'{"update_id": 7, "message": "not a message"}',
            b'{"update_id": 8, "message": {"text": "no chat"}}',
        ):
            response = await http.post(
                f"{served.url}/telegram", data=body, headers={SECRET_HEADER: SECRET}
            )
            assert response.status == 400, body
    # The server still serves a real update after all that.
    assert "invite link" in await _reply_to(served, stranger, "/help")


async def test_healthz_reports_the_database_and_the_tick(served: Served, clock: FixedClock) -> None:
    status, body = await served.get("/healthz")
    assert status == 200 and json.loads(body) == {"ok": True, "database": "ok", "tick": "ok"}
    clock.advance(timedelta(hours=5))  # no tick for five hours: unfit
    status, body = await served.get("/healthz")
    assert status == 503 and json.loads(body)["tick"] == "not yet"
    await tick(served.runtime, served.application.bot)
    status, _ = await served.get("/healthz")
    assert status == 200
    db = served.runtime.db
    for engine in (db.engine, db.reader_engine):
        if engine is not None:
            await engine.dispose()
            event.listen(engine.sync_engine, "do_connect", _refuse)
    status, body = await served.get("/healthz")
    assert status == 503 and json.loads(body)["database"].startswith("unreachable")


def _refuse(*_connecting: object) -> None:
    raise ConnectionRefusedError("the database is down")


async def test_metrics_count_updates_and_the_outbox(served: Served) -> None:
    stranger = served.api.user(7002, "Sam")
    await _reply_to(served, stranger, "/help")
    await tick(served.runtime, served.application.bot)
    status, body = await served.get("/metrics")
    assert status == 200
    assert 'homework_updates_total{outcome="handled"}' in body
    assert "homework_handler_seconds_bucket" in body
    assert 'homework_outbox_depth{lane="alert"} 0.0' in body
    assert "homework_last_tick_timestamp_seconds" in body
    assert "Sam" not in body


async def test_one_poller_per_bot_and_database(database_url: str) -> None:
    db = Database(database_url)
    try:
        first = PollerLock(db, "123456")
        await first.acquire()
        with pytest.raises(SecondPoller, match="Another process is already long polling"):
            await PollerLock(db, "123456").acquire()
        other_bot = PollerLock(db, "654321")
        await other_bot.acquire()  # another bot on the same database may poll
        await other_bot.release()
        await first.release()
        again = PollerLock(db, "123456")
        await again.acquire()
        await again.release()
    finally:
        await db.dispose()


async def _drop_lock_connections(db: Database) -> None:
    """What a network failure does to a poller: its lock's connection is gone."""
    await drop_connections(db.engine, polling_lock_only=True)


async def test_a_lost_polling_lock_is_taken_again_or_polling_stops() -> None:
    """PostgreSQL's advisory lock (a lock file can't be lost while its process lives)."""
    db = Database(await postgres_url_or_skip())
    try:
        first = PollerLock(db, "123456")
        await first.acquire()
        assert await first.keep()
        await _drop_lock_connections(db)
        assert await first.keep()  # nobody else had taken it: taken again
        with pytest.raises(SecondPoller):
            await PollerLock(db, "123456").acquire()
        await _drop_lock_connections(db)
        second = PollerLock(db, "123456")
        await second.acquire()  # another process starts polling meanwhile
        assert not await first.keep()  # the first must stop
        assert await second.keep()
        await second.release()
        await first.release()
    finally:
        await db.dispose()


async def test_replicas_on_postgresql_need_a_shared_webhook_secret(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        plain = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
        if database_url.startswith("sqlite"):
            assert len(webhook_secret(plain, db)) >= 32  # one process: its own secret
        else:
            with pytest.raises(SetupError, match="WEBHOOK_SECRET is not set"):
                webhook_secret(plain, db)
        given = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=database_url,
            webhook_secret=SecretStr(SECRET),
        )
        assert webhook_secret(given, db) == SECRET
    finally:
        await db.dispose()


async def test_long_polling_never_deletes_a_webhook_unasked(api: FakeBotApi) -> None:
    bot = Bot(api.token, base_url=f"{api.url}/bot")
    async with bot:
        await check_no_webhook(bot, replace=False)  # none set: polling may start
        await bot.set_webhook(url="https://bot.example/telegram", secret_token=SECRET)
        with pytest.raises(SetupError, match="--replace-webhook"):
            await check_no_webhook(bot, replace=False)
        assert (await bot.get_webhook_info()).url == "https://bot.example/telegram"
        await check_no_webhook(bot, replace=True)
