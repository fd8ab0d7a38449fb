"""End to end: a client's data rights. /export sends them everything as JSON and CSV;
/delete erases it all after a confirmation, carries on after a restart half-way, tells the
therapist, and leaves the client's words nowhere: not in any row (decrypted), the database
file and its log, the outbox or the logs."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, inspect, select, text, type_coerce

from bot import privacy
from bot.app import configure_logging
from bot.clock import FixedClock
from bot.delivery import deliver_outbox
from bot.settings import Settings
from storage import crypto
from storage.models import Base, DataKey, OutboxMessage, User
from tests.harness import RunningBot, link_client, raw_database_bytes, texts
from tests.test_e2e_library import linked, start

CANARY = "Quokka-Lantern-8821"


async def every_value(running: RunningBot) -> str:
    """Every column of every row, decrypted, as one string."""
    shown: list[str] = []
    async with running.runtime.db.reading() as session:
        for mapper in Base.registry.mappers:
            model = mapper.class_
            for row in (await session.execute(select(model))).scalars():
                values: dict[str, Any] = {
                    c.key: getattr(row, c.key) for c in inspect(model).column_attrs
                }
                shown.append(json.dumps(values, default=str, ensure_ascii=False))
    return "\n".join(shown)


async def deliver(running: RunningBot, clock: FixedClock, rounds: int = 4) -> None:
    for _ in range(rounds):
        clock.advance(timedelta(seconds=1))
        await running.tick()


async def test_a_client_exports_all_their_data(running: RunningBot, clock: FixedClock) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await start(running, client, "gratitude entry")
    await running.send(client, f"A walk by the sea {CANARY}")
    await running.send(client, "It was calm")
    await running.press(client, "Save")
    await running.send(client, f"/note about {CANARY}")
    replies = await running.send(client, "/export")
    assert "a copy of everything you've written here" in texts(replies)
    await deliver(running, clock)
    documents = {
        m.document_name or "": m.file_data or b""
        for m in running.api.sent_to(client.chat_id)
        if m.method == "sendDocument"
    }
    [json_name] = [n for n in documents if n.endswith(".json")]
    [csv_name] = [n for n in documents if n.endswith(".csv")]
    data = json.loads(documents[json_name])
    assert data["you"]["name"].startswith("Robin")
    assert data["therapists"][0]["name"] == "Dr Fake Therapist"
    [entry] = data["entries"]
    assert {"question": "Good thing 1", "answer": f"A walk by the sea {CANARY}"} in entry["answers"]
    assert any(CANARY in (n["text"] or "") for n in data["notes"])
    rows = list(csv.DictReader(io.StringIO(documents[csv_name].decode("utf-8"))))
    assert any(CANARY in r["answer"] for r in rows)
    # Nothing of theirs went to the therapist.
    assert not [m for m in running.api.sent_to(therapist.chat_id) if m.method == "sendDocument"]


async def test_delete_erases_everything_even_across_a_restart(
    running: RunningBot,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    configure_logging(Settings(_env_file=None, telegram_bot_token=running.api.token))  # type: ignore[call-arg, arg-type]
    caplog.set_level(logging.DEBUG)
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    for _ in range(3):
        await start(running, client, "gratitude entry")
        await running.send(client, f"Tea with a friend {CANARY}")
        await running.send(client, "Calm")
        await running.press(client, "Save")
        await running.press(client, "Too hard")
        await running.send(client, f"Comment {CANARY}")
        clock.advance(timedelta(days=1))
    await running.send(client, f"I want to kill myself {CANARY}")
    await running.send(therapist, "/digest")
    await deliver(running, clock)
    assert CANARY in texts(running.api.sent_to(therapist.chat_id))  # the alert named it
    assert CANARY in await every_value(running)
    replies = await running.send(client, "/delete")
    assert "It can't be undone" in texts(replies)
    replies = await running.press(client, "No, keep my data", replies[-1])
    assert "Nothing was deleted" in texts(replies)
    replies = await running.send(client, "/delete")
    replies = await running.press(client, "Yes, delete everything", replies[-1])
    assert "Deleting everything now" in texts(replies)
    # One small step, then the process stops; the next one carries on.
    monkeypatch.setattr(privacy, "ERASE_BATCH", 1)
    monkeypatch.setattr(privacy, "ERASE_STEPS", 1)
    await running.tick()
    assert CANARY not in await every_value(running)  # half-way: their key is gone already
    replies = await running.send(client, "hello?")
    assert "Your data is being deleted" in texts(replies)
    await running.restart()
    monkeypatch.setattr(privacy, "ERASE_STEPS", 20)
    await deliver(running, clock)
    told = texts(running.api.sent_to(therapist.chat_id))
    assert "Robin has deleted their data and left" in told
    assert "Everything you wrote here is deleted" in texts(running.api.sent_to(client.chat_id))
    assert CANARY not in await every_value(running)
    async with running.runtime.db.reading() as session:
        assert (
            await session.execute(select(User).where(User.telegram_id == client.id))
        ).scalar_one_or_none() is None
    if running.database_url.startswith("sqlite"):
        assert CANARY.encode() not in raw_database_bytes(tmp_path)
    assert all(CANARY not in r.getMessage() for r in caplog.records)
    replies = await running.send(client, "/today")
    assert "open the invite link" in texts(replies) or "invite" in texts(replies)
    digest = texts(await running.send(therapist, "/clients"))
    assert "Robin" not in digest


async def test_wrong_codes_are_slowed_down_and_logged_without_the_code(
    running: RunningBot, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = running.api.user(7301, "Sam")
    for n in range(5):
        replies = await running.send(stranger, f"/start WrongCode{n}xxxxxxxxxxxxxxxxxxxxxxx")
        assert "wait 15 minutes" not in texts(replies)
    replies = await running.send(stranger, "/start AnotherWrongCodexxxxxxxxxxxxxxxxxx")
    assert "please wait 15 minutes" in texts(replies)
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("repeated wrong codes" in w for w in warned)
    assert not any("WrongCode" in w for w in warned)
    clock.advance(timedelta(minutes=16))
    replies = await running.send(stranger, "/start StillWrongxxxxxxxxxxxxxxxxxxxxxxx")
    assert "wait 15 minutes" not in texts(replies)


async def test_privacy_says_plainly_who_sees_what(running: RunningBot) -> None:
    _, client = await linked(running)
    said = texts(await running.send(client, "/privacy"))
    assert "not end-to-end encrypted" in said and "/delete" in said and "/export" in said


async def test_either_side_ends_a_link_and_sharing_stops_at_once(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    replies = await running.send(client, "/unlink")
    assert "End your link with Dr Fake Therapist?" in texts(replies)
    replies = await running.press(client, "Yes, end the link with Dr Fake Therapist", replies[-1])
    assert "no longer see your homework" in texts(replies)
    await deliver(running, clock)
    assert "Robin ended their link with you" in texts(running.api.sent_to(therapist.chat_id))
    replies = await running.send(therapist, "/client robin")
    assert "couldn't find a client called" in texts(replies)
    replies = await running.send(therapist, "/export robin")
    assert "couldn't find a client called" in texts(replies)
    clock.advance(timedelta(days=1))
    await deliver(running, clock)
    assert "time for your" not in texts(running.api.sent_to(client.chat_id))


async def test_after_an_erasure_another_clients_alert_still_comes(
    running: RunningBot, clock: FixedClock
) -> None:
    therapist, client = await linked(running)
    other = running.api.user(9050, "Alex", username="alex_fake")
    await link_client(running, therapist, other, "Alex")
    await running.send(client, "I want to kill myself")
    await deliver(running, clock)
    replies = await running.send(client, "/delete")
    await running.press(client, "Yes, delete everything", replies[-1])
    await deliver(running, clock)
    since = len(running.api.sent_to(therapist.chat_id))
    await running.send(other, "I want to end my life")  # its flag may get the same id
    await deliver(running, clock)
    alerts = [
        m for m in running.api.sent_to(therapist.chat_id)[since:] if "Risk alert" in (m.text or "")
    ]
    assert alerts and "Alex" in (alerts[0].text or "")


async def test_a_client_is_told_when_their_export_cannot_be_made(
    running: RunningBot, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, client = await linked(running)

    async def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr("bot.exports._own_json", broken)
    await running.send(client, "/export")
    await deliver(running, clock)
    assert "couldn't make that export just now" in texts(running.api.sent_to(client.chat_id))


async def test_a_large_export_leaves_the_photos_out_and_says_so(
    running: RunningBot, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, client = await linked(running)
    monkeypatch.setattr("bot.exports.MAX_DOCUMENT_BYTES", 10)
    await running.send(client, "/export")
    await deliver(running, clock)
    [document] = [
        m.file_data or b""
        for m in running.api.sent_to(client.chat_id)
        if (m.document_name or "").endswith(".json")
    ]
    assert "photos_left_out" in json.loads(document)


FERNET_TOKEN = re.compile(rb"gAAAAA[A-Za-z0-9_\-]{40,}=*")


async def raw_table_files(running: RunningBot, folder: Path) -> bytes:
    """Every page of every table, index and TOAST table as it lies on disk, dead rows
    and free space included (PostgreSQL: pageinspect; SQLite: the file and its log)."""
    if running.database_url.startswith("sqlite"):
        return raw_database_bytes(folder)
    pages: list[bytes] = []
    async with running.runtime.db.engine.connect() as connection:
        await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        await connection.commit()
        relations = await connection.execute(
            text(
                "SELECT c.oid::regclass::text, pg_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 't', 'i')"
            )
        )
        for name, size in relations.all():
            for block in range(int(size) // 8192):
                page = await connection.execute(
                    text("SELECT get_raw_page(:name, :block)"), {"name": name, "block": block}
                )
                pages.append(bytes(page.scalar_one()))
    return b"".join(pages)


async def test_after_delete_no_copy_of_their_key_and_nothing_readable_is_left(
    running: RunningBot, clock: FixedClock, tmp_path: Path
) -> None:
    """Crypto-shredding: the client's data key is destroyed at /delete. Afterwards the raw
    table files hold neither the key (wrapped or not) nor a value that any key still in the
    database, or the operator's, can read back into their words."""
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await start(running, client, "gratitude entry")
    await running.send(client, f"Tea with a friend {CANARY}")
    await running.send(client, f"Calm {CANARY}")
    await running.press(client, "Save")
    await running.send(client, f"/note about {CANARY}")
    await running.send(client, f"I want to kill myself {CANARY}")
    await running.send(therapist, "/digest")
    await deliver(running, clock)
    assert CANARY in texts(running.api.sent_to(therapist.chat_id))  # the alert, the digest
    async with running.runtime.db.reading() as session:
        person = (
            await session.execute(select(User).where(User.telegram_id == client.id))
        ).scalar_one()
        assert person.data_key_id is not None
        person_id, key_id = person.id, person.data_key_id
        wrapped = (
            await session.execute(
                select(type_coerce(DataKey.key, Text)).where(DataKey.id == key_id)
            )
        ).scalar_one()
        key = (await session.execute(select(DataKey.key).where(DataKey.id == key_id))).scalar_one()
    # Everything of theirs is under their key, none of it under the operator's.
    owned = {
        "users": f"id = {person_id}",
        "links": f"client_id = {person_id}",
        "entries": f"client_id = {person_id}",
        "client_notes": f"client_id = {person_id}",
        "flags": f"client_id = {person_id}",
        "outbox": f"user_id = {person_id}",
        "assignments": f"link_id IN (SELECT id FROM links WHERE client_id = {person_id})",
    }
    async with running.runtime.db.reading() as session:
        for table, where in owned.items():
            columns = [
                c.name
                for c in Base.metadata.tables[table].columns
                if isinstance(c.type, crypto.ENCRYPTED)
                # Their chat id outlives their key (to say the erasure is done), and goes
                # with their row.
                and (table, c.name) != ("users", "chat_id")
            ]
            rows = (
                await session.execute(
                    text(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}")
                )
            ).all()
            assert rows, table
            tokens = [v for row in rows for v in row if v is not None]
            assert tokens and all(crypto.split(v)[0] == key_id for v in tokens), table
    before = await raw_table_files(running, tmp_path)
    assert wrapped.encode() in before  # the test can see a key where one lies
    replies = await running.send(client, "/delete")
    replies = await running.press(client, "Yes, delete everything", replies[-1])
    assert "Deleting everything now" in texts(replies)
    # From the confirmation on, nothing of theirs reads, though their rows are still there.
    assert CANARY not in await every_value(running)
    await deliver(running, clock)
    assert "Everything you wrote here is deleted" in texts(running.api.sent_to(client.chat_id))
    after = await raw_table_files(running, tmp_path)
    assert wrapped.encode() not in after and key.encode() not in after
    async with running.runtime.db.reading() as session:
        live = [str(k) for k in (await session.execute(select(DataKey.key))).scalars()]
    readers = MultiFernet([Fernet(k) for k in [*crypto.configured_keys(), *live]])
    tokens = FERNET_TOKEN.findall(after)
    assert tokens  # there is still encrypted data to look at (the therapist's)
    read_back = []
    for token in tokens:
        try:
            read_back.append(readers.decrypt(token).decode("utf-8", "replace"))
        except InvalidToken:
            continue  # made with their destroyed key (or cut off at a page's edge)
    assert read_back
    assert not [plain for plain in read_back if CANARY in plain or "Example" in plain]


async def test_what_waits_to_be_sent_to_a_client_who_deletes_is_withdrawn(
    running: RunningBot, clock: FixedClock
) -> None:
    """Their export was still waiting when they confirmed /delete: it is never sent (it
    would be read under their destroyed key), and nothing stops on it."""
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    replies = await running.send(client, "/export")
    assert "a copy of everything you've written here" in texts(replies)
    replies = await running.send(client, "/delete")
    replies = await running.press(client, "Yes, delete everything", replies[-1])
    assert "Deleting everything now" in texts(replies)
    # The outbox is sent every second, the erasure goes on every minute: the outbox first.
    assert running.application is not None
    for _ in range(3):
        clock.advance(timedelta(seconds=1))
        await deliver_outbox(running.runtime, running.application.bot)
    async with running.runtime.db.reading() as session:
        stuck = await session.execute(
            select(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending")))
        )
        assert not [m for m in stuck.scalars() if m.kind == "export"]
    await deliver(running, clock, rounds=6)
    sent = running.api.sent_to(client.chat_id)
    assert not [m for m in sent if m.method == "sendDocument"]
    assert "Everything you wrote here is deleted" in texts(sent)
