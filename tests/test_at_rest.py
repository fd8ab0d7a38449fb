"""Metadata at rest: a copy of the database without the key shows no Telegram id, no
homework or measure a client does, no kind of risk flag or message. Ids are found by a
keyed hash that rotate-key never changes; a database written before this (migration 0018)
is rewritten when the bot starts with its keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, delete, select, text

from bot.clock import FixedClock
from storage import at_rest, crypto, homework, outbox, people, privacy
from storage.db import Database
from storage.migrate import alembic_config, upgrade
from storage.models import (
    Assignment,
    Base,
    ClientNote,
    CodeAttempt,
    Flag,
    OutboxMessage,
    Secret,
    User,
)
from tests.harness import (
    RunningBot,
    link_client,
    open_with_keys,
    raw_database_bytes,
    register_therapist,
)

THERAPIST = 7_382_911_456
CLIENT = 7_382_911_457
STRANGER = 7_382_911_458
"""Telegram ids long enough that finding one by chance is out of the question."""

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def raw_values(db: Database) -> dict[str, list[tuple[str, object]]]:
    """Every value of every table as it lies in the database, by table: (column, value)."""
    found: dict[str, list[tuple[str, object]]] = {}
    async with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            result = await connection.execute(text(f"SELECT * FROM {table.name}"))
            names = list(result.keys())
            found[table.name] = [
                (n, v) for row in result.all() for n, v in zip(names, row, strict=True)
            ]
    return found


def test_a_hashed_id_lies_apart_from_every_telegram_id_and_hashes_to_itself() -> None:
    keys = crypto.DataKeys()
    keys.id_key = b"k" * 32
    for telegram_id in (1, CLIENT, 2**52, -1_001_234_567_890):
        hashed = crypto.hash_id(telegram_id, keys)
        assert crypto.ID_SPACE <= hashed < 2**63
        assert crypto.hash_id(hashed, keys) == hashed
    assert crypto.hash_id(CLIENT, keys) != crypto.hash_id(THERAPIST, keys)
    other = crypto.DataKeys()
    other.id_key = b"j" * 32
    assert crypto.hash_id(CLIENT, other) != crypto.hash_id(CLIENT, keys)
    with pytest.raises(crypto.EncryptionKeyError):
        crypto.hash_id(CLIENT, crypto.DataKeys())


def test_an_outbox_key_is_hashed_part_by_part_so_prefixes_still_match() -> None:
    keys = crypto.DataKeys()
    keys.id_key = b"k" * 32
    whole = crypto.hash_key(f"reply:{CLIENT}:41:2", keys)
    prefix = crypto.hash_key(f"reply:{CLIENT}:41:", keys, prefix=True)
    assert whole.startswith(prefix) and prefix.endswith(":")
    assert str(CLIENT) not in whole and "reply" not in whole
    assert not whole.startswith(crypto.hash_key(f"reply:{CLIENT}:4:", keys, prefix=True))
    # A prefix begins the keys that go on after it, not the key it is itself.
    assert not crypto.hash_key("breathing:5", keys).startswith(
        crypto.hash_key("breathing:5:", keys, prefix=True)
    )
    assert crypto.hash_key("breathing:5:2", keys).startswith(
        crypto.hash_key("breathing:5:", keys, prefix=True)
    )
    assert crypto.hash_key("crisis:1:2", keys) != crypto.hash_key("reply:1:2", keys)
    # Every key has one shape, and two of one kind share no part: the kind can't be told.
    shapes = {len(crypto.hash_key(k, keys)) for k in ("alert", "reminder:9", f"snooze:{WHEN}:x")}
    assert len(shapes) == 1
    one, two = crypto.hash_key("reminder:1", keys), crypto.hash_key("reminder:2", keys)
    assert not set(one[2:].split(":")) & set(two[2:].split(":"))
    long = f"snooze:1:{WHEN.isoformat()}:{(WHEN + timedelta(seconds=1)).isoformat()}"
    assert crypto.hash_key(long, keys) != crypto.hash_key(long[:-1] + "1", keys)


async def test_a_stolen_copy_shows_no_telegram_id_homework_or_kind_of_risk(
    running: RunningBot, clock: FixedClock, database_url: str, tmp_path: Path
) -> None:
    therapist = running.api.user(THERAPIST, "Dana")
    client = running.api.user(CLIENT, "Robin")
    await register_therapist(running, therapist)
    await link_client(running, therapist, client, "Robin")
    await running.send(therapist, "/assign robin phq9 daily 12:00")
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await running.send(client, "I'm going to end it tonight, I have the pills ready")
    await running.send(client, "/note to talk about the weekend")
    stranger = running.api.user(STRANGER, "Kim")
    await running.send(stranger, "/start not-a-real-code")  # a wrong code is counted
    for _ in range(4):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    assert running.db is not None
    async with running.db.reading() as session:
        [flag] = (await session.execute(select(Flag))).scalars()
        assert flag.imminent and flag.kind == "risk"
        kinds = set((await session.execute(select(OutboxMessage.kind))).scalars())
        assert {"alert", "reply"} <= kinds
        found = await people.get_user(session, telegram_id=CLIENT)
        assert found is not None and found.chat_id == CLIENT
        given = {a.template_id for a in (await session.execute(select(Assignment))).scalars()}
        assert given == {"phq9", "gratitude"}
        assert await session.get(CodeAttempt, STRANGER) is not None  # found by the hash
    stored = await raw_values(running.db)
    assert stored["code_attempts"]
    words = {str(THERAPIST), str(CLIENT), str(STRANGER), "phq9", "gratitude"}
    for table, values in stored.items():
        if table == "templates":
            continue  # the library of homework, as written: about no one
        for column, value in values:
            shown = str(value)
            assert not any(word in shown for word in words), (table, column)
            assert shown not in {"risk", "alert", "reply", "crisis", "reminder", "homework"}, (
                table,
                column,
            )
    for column, value in stored["flags"]:
        if column in ("kind", "source", "imminent"):
            assert crypto.sealed(value), column
    if database_url.startswith("sqlite"):
        raw = raw_database_bytes(tmp_path)
        for telegram_id in (THERAPIST, CLIENT, STRANGER):
            assert telegram_id.to_bytes(6, "big") not in raw  # SQLite's 6-byte integer
            assert str(telegram_id).encode() not in raw


async def test_people_are_found_by_the_same_hash_after_rotate_key(
    running: RunningBot, clock: FixedClock
) -> None:
    """rotate-key rewraps the id hash key but never changes it."""
    from cryptography.fernet import Fernet

    from storage.rotation import left_to_rotate, rotate_all

    therapist = running.api.user(THERAPIST, "Dana")
    client = running.api.user(CLIENT, "Robin")
    await register_therapist(running, therapist)
    await link_client(running, therapist, client, "Robin")
    assert running.db is not None
    before = dict(await raw_values(running.db))["secrets"]
    crypto.configure_keys([Fernet.generate_key().decode(), *crypto.configured_keys()])
    await rotate_all(running.db)
    assert await left_to_rotate(running.db) == 0
    crypto.configure_keys(crypto.configured_keys()[:1])  # the old key is gone
    running.db.data_keys.id_key = None
    running.db.data_keys.loaded = False
    await running.db.load_data_keys()
    assert (await raw_values(running.db))["secrets"] != before  # rewrapped
    async with running.db.reading() as session:
        for telegram_id in (THERAPIST, CLIENT):
            person = await people.get_user(session, telegram_id=telegram_id)
            assert person is not None and person.chat_id == telegram_id
    replies = await running.send(client, "/help")
    assert replies  # still known: not greeted as a stranger
    assert "invite" not in (replies[-1].text or "").lower()


def _token(value: dict[str, Any] | str) -> str:
    plain = value if isinstance(value, str) else json.dumps(value)
    return crypto.encrypt(plain.encode())


async def test_a_database_from_before_0018_is_hidden_when_the_bot_starts(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:

        def to_0017(connection: Connection) -> None:
            command.upgrade(alembic_config(connection), "0017")

        async with database.engine.connect() as connection:
            await connection.run_sync(to_0017)
            rows = [
                "INSERT INTO users (id, telegram_id, chat_id, role, name, timezone, language,"
                f" created_at) VALUES (1, {THERAPIST}, {THERAPIST}, 'therapist', :dana, 'UTC',"
                " 'en', :when)",
                "INSERT INTO users (id, telegram_id, chat_id, role, name, timezone, language,"
                f" created_at) VALUES (2, {CLIENT}, {CLIENT}, 'client', :robin, 'UTC', 'en',"
                " :when)",
                "INSERT INTO users (id, telegram_id, chat_id, role, name, timezone, language,"
                " created_at) VALUES (3, 55, 55, 'client', :robin, 'UTC', 'en', :when)",
                "DELETE FROM users WHERE id = 3",
                "INSERT INTO codes (id, code_hash, kind, therapist_id, created_at, expires_at,"
                f" pending_telegram_id) VALUES (1, 'h', 'client', 1, :when, :later, {CLIENT})",
                "INSERT INTO code_attempts (telegram_id, window_start, failures)"
                f" VALUES ({CLIENT}, :when, 2)",
                "INSERT INTO links (id, therapist_id, client_id, consented_at)"
                " VALUES (1, 1, 2, :when)",
                "INSERT INTO assignments (id, link_id, template_id, params, schedule, active,"
                " created_at) VALUES (1, 1, 'phq9', :empty, 'daily 12:00', :yes, :when)",
                "INSERT INTO entries (id, client_id, assignment_id, template_id,"
                " template_version, params, state, status, started_at, updated_at)"
                " VALUES (1, 2, 1, 'phq9', 1, :empty, :empty, 'done', :when, :when)",
                "INSERT INTO flags (id, client_id, link_id, kind, source, template_id,"
                " excerpt, text, imminent, created_at, escalation) VALUES (1, 2, 1, 'risk',"
                " 'homework', 'phq9', :words, :words, :yes, :when, 'undeliverable')",
                "INSERT INTO client_notes (id, client_id, link_id, template_id, kind, rating,"
                " created_at) VALUES (1, 2, 1, 'gratitude', 'feedback', 'too hard', :when)",
                "INSERT INTO outbox (id, dedupe_key, user_id, chat_id, kind, lane, payload,"
                " status, not_before, attempts, created_at) VALUES (1,"
                f" 'alert:1', 1, {THERAPIST}, 'alert', 0, :alert, 'pending', :when, 0, :when)",
            ]
            values = {
                "dana": _token("Dana Fake"),
                "robin": _token("Robin Example"),
                "empty": _token({}),
                "words": _token("a fake risk sentence"),
                "alert": _token({"text": "an alert", "about": 2}),
                "when": WHEN.replace(tzinfo=None),
                "later": (WHEN + timedelta(days=7)).replace(tzinfo=None),
                "yes": True,
            }
            for statement in rows:
                used = {k: v for k, v in values.items() if f":{k}" in statement}
                await connection.execute(text(statement), used)
            if connection.dialect.name == "postgresql":  # ids given by hand: count past them
                await connection.execute(text("SELECT setval('users_id_seq', 3)"))
            await connection.commit()
        await upgrade(database)
        await database.load_data_keys()
        assert await at_rest.hide_plain_metadata(database) > 0
        async with database.transaction() as session:  # forget it finished: look again
            await session.execute(delete(Secret).where(Secret.name == at_rest.DONE))
        assert await at_rest.hide_plain_metadata(database) == 0  # nothing was left
        assert await at_rest.hide_plain_metadata(database) == 0

        stored = await raw_values(database)
        for table, found in stored.items():
            if table == "templates":
                continue
            for column, value in found:
                shown = str(value)
                assert str(CLIENT) not in shown and str(THERAPIST) not in shown, (table, column)
                assert shown not in {"phq9", "gratitude", "risk", "alert", "homework"}, column
                assert shown not in {"undeliverable", "too hard"}, column
                assert not shown.startswith("alert:"), column
        async with database.transaction() as session:
            client = await people.get_user(session, telegram_id=CLIENT)
            assert client is not None and client.chat_id == CLIENT and client.data_key_id
            assert await people.find_held_invite(session, telegram_id=CLIENT, now=WHEN)
            assert await privacy.code_attempts_left(session, telegram_id=CLIENT, now=WHEN)
            assert await privacy.wrong_code(session, telegram_id=CLIENT, now=WHEN) == 3
            [flag] = (await session.execute(select(Flag))).scalars()
            assert (flag.kind, flag.source, flag.template_id) == ("risk", "homework", "phq9")
            [note] = (await session.execute(select(ClientNote))).scalars()
            assert (note.template_id, note.rating) == ("gratitude", "too hard")
            assert flag.imminent is True and flag.escalation == "undeliverable"
            running = await homework.active_assignments_of_template(
                session, therapist_id=1, template_id="phq9"
            )
            assert [a.id for a in running] == [1]
            message = await session.get(OutboxMessage, 1)
            assert message is not None
            assert (message.kind, message.chat_id) == ("alert", THERAPIST)
            assert message.chat_key == crypto.hash_id(THERAPIST, database.data_keys)
            newcomer = User(
                telegram_id=1234,
                chat_id=1234,
                role="client",
                name="Sam Fake",
                created_at=WHEN,
            )
            session.add(newcomer)
            await session.flush()
            assert newcomer.id > 3  # the deleted top id is not handed out again
        # The alert queued before goes out under its own hashed key, once.
        async with database.transaction() as session:
            assert not await outbox.enqueue(
                session,
                kind="alert",
                key="1",
                chat_id=THERAPIST,
                user_id=1,
                payload={"text": "again"},
                now=WHEN,
            )
    finally:
        await database.dispose()


async def test_a_wrong_key_is_refused_before_anything_is_hashed_or_made(
    database_url: str,
) -> None:
    """A wrong key must not make the id hash key (wrapped by it, no one could be found
    later) or hash anyone: here the newest person's name is under a data key since
    destroyed, so only an older value, under the operator's key, can tell."""
    from cryptography.fernet import Fernet

    from bot.app import SetupError

    old = crypto.configured_keys()
    database = Database(database_url)
    try:
        await upgrade(database)
        async with database.engine.connect() as connection:
            await connection.execute(
                text(
                    "INSERT INTO codes (id, code_hash, kind, label, created_at, expires_at,"
                    f" pending_telegram_id) VALUES (1, 'h', 'client', :label, :when, :when,"
                    f" {CLIENT})"
                ),
                {"label": _token("Robin"), "when": WHEN.replace(tzinfo=None)},
            )
            for user_id, name in ((1, _token("Dana Fake")), (2, "d7:" + _token("Sam Fake"))):
                await connection.execute(
                    text(
                        "INSERT INTO users (id, telegram_id, chat_id, role, name, timezone,"
                        f" language, created_at) VALUES ({user_id}, {user_id}, '{user_id}',"
                        " 'client', :name, 'UTC', 'en', :when)"
                    ),
                    {"name": name, "when": WHEN.replace(tzinfo=None)},
                )
            await connection.commit()
        with pytest.raises(SetupError, match="cannot read the data already"):
            await open_with_keys(database.url, [Fernet.generate_key().decode()])
        stored = await raw_values(database)
        assert stored["secrets"] == []
        assert ("pending_telegram_id", CLIENT) in stored["codes"]
        assert ("telegram_id", 1) in stored["users"]
    finally:
        crypto.configure_keys(old)
        await database.dispose()
