"""Privacy on both backends: key rotation, tampering detected, retention, the audit log,
and wrong codes slowed down; the Docker image's key rule."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Text, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import SetupError, setup_keys
from bot.settings import Settings
from storage import buttons, crypto, homework, keys, outbox, people, privacy, rotation
from storage.db import Database, retrying
from storage.migrate import upgrade
from storage.models import ButtonToken, ClientNote, DataKey, Link, OutboxMessage, User
from tests.harness import open_with_keys
from tests.test_storage import _client, _therapist

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


async def raw_names(db: Database) -> list[str]:
    async with db.reading() as session:
        query = select(type_coerce(User.name, Text))
        return [str(v) for v in (await session.execute(query)).scalars()]


async def raw_data_keys(db: Database) -> list[str]:
    async with db.reading() as session:
        query = select(type_coerce(DataKey.key, Text))
        return [str(v) for v in (await session.execute(query)).scalars()]


async def test_rotate_key_rewraps_every_data_key_and_the_old_key_can_go(db: Database) -> None:
    old = crypto.configured_keys()
    therapist = await _therapist(db)
    await _client(db, therapist, 9101, "Robin", "Robin Example")
    # Each person's values are under a data key of their own, wrapped by the operator's.
    assert all(crypto.split(v)[0] is not None for v in await raw_names(db))
    assert len(await raw_data_keys(db)) == 2
    new_key = Fernet.generate_key().decode()
    try:
        # The new key first, the old one after it (ENCRYPTION_KEY=new,old).
        crypto.configure_keys([new_key, *old])
        assert all(crypto.needs_rotation(v) for v in await raw_data_keys(db))
        assert not any(crypto.needs_rotation(v) for v in await raw_names(db))
        count = await rotation.rotate_all(db, batch=1)
        assert count >= 2
        assert not any(crypto.needs_rotation(v) for v in await raw_data_keys(db))
        crypto.configure_keys([new_key])  # the old key removed: everything still reads
        fresh = Database(db.url)  # a new process: its data keys unwrapped with the new key
        try:
            async with fresh.reading() as session:
                names = sorted(u.name for u in (await session.execute(select(User))).scalars())
        finally:
            await fresh.dispose()
        assert names == ["Dr Test Person", "Robin Example"]
        assert await rotation.rotate_all(db) == 0  # nothing left to do
    finally:
        crypto.configure_keys(old)


async def test_rotate_key_moves_older_values_under_their_owners_data_keys(db: Database) -> None:
    therapist = await _therapist(db)
    client, _link = await _client(db, therapist, 9101, "Robin", "Robin Example")
    legacy = crypto.encrypt(b"Robin Older")  # as written before data keys existed
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE users SET name = :v WHERE id = :id"), {"v": legacy, "id": client.id}
        )
    assert await rotation.rotate_all(db) == 1
    assert all(crypto.split(v)[0] is not None for v in await raw_names(db))
    async with db.reading() as session:
        again = await session.get(User, client.id)
        assert again is not None and again.name == "Robin Older"
    assert await rotation.rotate_all(db) == 0


async def test_a_tampered_value_is_detected_never_read(db: Database) -> None:
    therapist = await _therapist(db)
    async with db.transaction() as session:
        [token] = await raw_names(db)
        broken = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
        await session.execute(
            text("UPDATE users SET name = :v WHERE id = :id"), {"v": broken, "id": therapist.id}
        )
    with pytest.raises(crypto.EncryptionKeyError, match="cannot be decrypted"):
        async with db.reading() as session:
            await session.get(User, therapist.id)


async def test_retention_forgets_old_data_and_expired_tokens(db: Database) -> None:
    therapist = await _therapist(db)
    client, link = await _client(db, therapist, 9101, "Robin", "Robin Example")
    async with db.transaction() as session:
        await buttons.issue_token(
            session,
            user_id=client.id,
            action="x",
            payload={},
            now=NOW - timedelta(days=9),
            ttl=timedelta(days=1),
        )
        session.add(
            ClientNote(
                client_id=client.id,
                link_id=link.id,
                kind="note",
                text="old",
                created_at=NOW - timedelta(days=40),
            )
        )
        session.add(
            ClientNote(
                client_id=client.id,
                link_id=link.id,
                kind="note",
                text="new",
                created_at=NOW - timedelta(days=2),
            )
        )
    async with db.transaction() as session:
        gone = await privacy.forget_old(session, now=NOW, entries_before=NOW - timedelta(days=30))
    assert gone >= 2
    async with db.reading() as session:
        notes = [n.text for n in (await session.execute(select(ClientNote))).scalars()]
        tokens = (await session.execute(select(ButtonToken))).scalars().all()
    assert notes == ["new"] and tokens == []


async def test_wrong_codes_are_slowed_down_per_account(db: Database) -> None:
    async with db.transaction() as session:
        for n in range(privacy.MAX_WRONG_CODES):
            assert await privacy.code_attempts_left(session, telegram_id=7, now=NOW)
            assert await privacy.wrong_code(session, telegram_id=7, now=NOW) == n + 1
        assert not await privacy.code_attempts_left(session, telegram_id=7, now=NOW)
        assert await privacy.code_attempts_left(session, telegram_id=8, now=NOW)
        later = NOW + privacy.CODE_WINDOW
        assert await privacy.code_attempts_left(session, telegram_id=7, now=later)
        assert await privacy.wrong_code(session, telegram_id=7, now=later) == 1


async def test_the_audit_log_keeps_who_did_what(db: Database) -> None:
    therapist = await _therapist(db)
    async with db.transaction() as session:
        user = await session.get(User, therapist.id)
        await privacy.audit(session, actor=user, action="export", subject="link 3", now=NOW)
        await privacy.audit(session, actor=None, action="key_rotated", subject="9 values", now=NOW)
    async with db.reading() as session:
        records = await privacy.audit_records(session, since=NOW - timedelta(days=1))
        shown = [(r.actor_role, r.action, r.subject) for r in records]
    assert shown == [
        ("therapist", "export", "link 3"),
        ("operator", "key_rotated", "9 values"),
    ]


def test_the_docker_image_never_makes_a_key_in_the_data_volume(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        encryption_key_file=tmp_path / "secret",
        encryption_key_create=False,
    )
    with pytest.raises(SetupError, match="There is no encryption key"):
        setup_keys(settings)
    assert not (tmp_path / "secret").exists()


async def test_reads_of_a_clients_entries_take_the_therapist_acting(db: Database) -> None:
    dana = await _therapist(db)
    sam = await _therapist(db, telegram_id=9050)
    client, link = await _client(db, dana, 9101, "Robin", "Robin Example")
    async with db.transaction() as session:
        assignment = await homework.create_assignment(
            session,
            link=link,
            template_id="gratitude",
            params={},
            schedule="daily 20:00",
            next_due_at=None,
            now=NOW,
        )
        entry = await homework.start_entry(
            session,
            client_id=client.id,
            assignment=assignment,
            occurrence_id=None,
            template_id="gratitude",
            template_version=1,
            params={},
            state={},
            now=NOW,
        )
        homework.save_entry(entry, state={}, finished=True, now=NOW)
    async with db.reading() as session:
        for who, seen in ((dana.id, 1), (sam.id, 0)):
            ids = {"therapist_id": who, "link_id": link.id}
            assert len(await homework.entries_of_link(session, **ids)) == seen
            done = await homework.done_entries_of_link(
                session,
                therapist_id=who,
                link_id=link.id,
                since=NOW - timedelta(days=1),
                until=NOW + timedelta(days=1),
            )
            assert len(done) == seen
            found = await homework.entry_of_link(session, **ids, entry_id=entry.id)
            assert (found is not None) == bool(seen)
            assert (await homework.last_done_at(session, **ids) is not None) == bool(seen)


def _modes(folder: Path) -> dict[str, str]:
    return {p.name: oct(p.stat().st_mode & 0o777) for p in folder.iterdir()}


def _left_wide(folder: Path) -> Path:
    """Files an older version made readable by others."""
    older = folder / "older.sqlite3"
    for path, mode in ((older, 0o644), (Path(f"{older}-wal"), 0o664)):
        path.touch()
        path.chmod(mode)
    return older


async def test_the_sqlite_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh" / "fresh.sqlite3"
    fresh.parent.mkdir()
    db = Database(f"sqlite+aiosqlite:///{fresh}")
    try:
        await upgrade(db)
        async with db.transaction() as session:
            await session.execute(text("SELECT 1"))
        assert _modes(fresh.parent) == {
            "fresh.sqlite3": "0o600",
            "fresh.sqlite3-shm": "0o600",
            "fresh.sqlite3-wal": "0o600",
        }
    finally:
        await db.dispose()
    older = _left_wide(tmp_path)
    db = Database(f"sqlite+aiosqlite:///{older}")  # narrowed when it is opened
    await db.dispose()
    modes = _modes(tmp_path)
    assert (modes["older.sqlite3"], modes["older.sqlite3-wal"]) == ("0o600", "0o600")


async def test_a_data_key_another_process_made_is_loaded_when_first_needed(db: Database) -> None:
    other = Database(db.url)  # a second replica, its keys loaded before the client came
    try:
        await other.load_data_keys()
        therapist = await _therapist(db)
        client, _link = await _client(db, therapist, 9101, "Robin", "Robin Example")
        attempts = 0

        async def read() -> str:
            nonlocal attempts
            attempts += 1
            async with other.reading() as session:
                found = await session.get(User, client.id)
                assert found is not None
                return found.name

        assert await retrying(read) == "Robin Example"
        assert attempts == 2  # the first found a key it did not have, and loaded the keys
    finally:
        await other.dispose()


async def test_a_shredded_key_leaves_its_values_empty_not_an_error(db: Database) -> None:
    therapist = await _therapist(db)
    client, link = await _client(db, therapist, 9101, "Robin", "Robin Example")
    async with db.transaction() as session:
        person = await session.get(User, client.id)
        assert person is not None
        assert await keys.shred(session, person) is not None
    for reader in (db, Database(db.url)):  # this process, and one started afterwards
        try:
            async with reader.reading() as session:
                person = await session.get(User, client.id)
                assert person is not None and person.name == ""
                again = await session.get(Link, link.id)
                assert again is not None and again.label == ""
                other = await session.get(User, therapist.id)
                assert other is not None and other.name == "Dr Test Person"
        finally:
            if reader is not db:
                await reader.dispose()
    assert await rotation.unreadable_tables(db, everything=True) == []


async def test_after_an_interrupted_rotation_every_value_is_checked_at_start(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    old = crypto.configured_keys()
    therapist = await _therapist(db)
    for n in range(10):
        await _client(db, therapist, 9101 + n, f"Client{n}", f"Client{n} Example")
    new_key = Fernet.generate_key().decode()

    async def start(keys: list[str]) -> None:
        await open_with_keys(db.url, keys)

    try:
        crypto.configure_keys([new_key, *old])
        await rotation.started(db, now=NOW)
        assert await rotation.rotate_all(db) >= 11  # every data key, and more
        # ... but it was cut off: one person's name, in the middle, is still under the old key.
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE users SET name = :v WHERE id = 5"),
                {"v": Fernet(old[0]).encrypt(b"Client3 Example").decode()},
            )
        with pytest.raises(SetupError, match="Unreadable: users"):
            await start([new_key])
        assert "did not finish" in caplog.text
        await start([new_key, *old])  # with both keys it starts, and says so again
        # Finished (rotate-key records it), the new key alone is enough.
        await rotation.rotate_all(db)
        async with db.transaction() as session:
            await privacy.audit(
                session, actor=None, action=rotation.FINISHED, subject="done", now=NOW
            )
        assert await rotation.interrupted(db) is None
        caplog.clear()
        await start([new_key])
        assert "did not finish" not in caplog.text
    finally:
        crypto.configure_keys(old)


async def test_a_data_key_the_keys_cannot_unwrap_stops_the_start(db: Database) -> None:
    old = crypto.configured_keys()
    therapist = await _therapist(db)
    await _client(db, therapist, 9101, "Robin", "Robin Example")
    try:
        with pytest.raises(SetupError, match="cannot read the data already"):
            await open_with_keys(db.url, [Fernet.generate_key().decode()])
    finally:
        crypto.configure_keys(old)


async def test_two_first_writes_at_once_share_one_data_key(db: Database) -> None:
    """Someone stored before data keys existed gets one key, however many transactions
    write their first value at the same moment (PostgreSQL; SQLite has one writer)."""
    therapist = await _therapist(db)
    client, _link = await _client(db, therapist, 9101, "Robin", "Robin Example")
    async with db.transaction() as session:  # as a row written before migration 0017
        await session.execute(
            text("UPDATE users SET data_key_id = NULL WHERE id = :id"), {"id": client.id}
        )
    written, hold = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with db.transaction() as session:
            await outbox.notify_chat(
                session, chat_id=9101, user_id=client.id, kind="reminder", key="one",
                text="Time for your gratitude entry", now=NOW,
            )  # fmt: skip
            written.set()
            await hold.wait()

    async def second() -> None:
        await written.wait()
        async with db.transaction() as session:
            await outbox.notify_chat(
                session, chat_id=9101, user_id=client.id, kind="feedback", key="two",
                text="Thank you", now=NOW,
            )  # fmt: skip

    async def release() -> None:
        await written.wait()
        await asyncio.sleep(0.2)  # the second is waiting on the first's lock by now, or not
        hold.set()

    await asyncio.gather(first(), second(), release())
    async with db.reading() as session:
        person = await session.get(User, client.id)
        assert person is not None and person.data_key_id is not None
        raw = select(type_coerce(OutboxMessage.payload, Text))
        used = {crypto.split(v)[0] for v in (await session.execute(raw)).scalars()}
        assert used == {person.data_key_id}


async def _consent_in(session: AsyncSession, therapist: User, telegram_id: int) -> User:
    code = await people.create_code(
        session, kind="client", now=NOW, ttl=timedelta(hours=1), therapist_id=therapist.id
    )
    found = await people.check_code(session, code=code, now=NOW)
    assert not isinstance(found, str)
    user, _link = await people.accept_invite(
        session, code=found, telegram_id=telegram_id, chat_id=telegram_id,
        name="Robin Example", username=None, now=NOW,
    )  # fmt: skip
    return user


async def test_keys_loaded_while_a_key_is_being_made_leave_it_readable(db: Database) -> None:
    """A replica starting, or this process loading the keys again, while a client's key is
    made in a transaction still open: once it commits, their data reads everywhere."""
    therapist = await _therapist(db)
    made, go_on = asyncio.Event(), asyncio.Event()

    async def consent() -> int:
        async with db.transaction() as session:
            user = await _consent_in(session, therapist, 9101)
            made.set()
            await go_on.wait()
            return user.id

    task = asyncio.create_task(consent())
    await made.wait()
    other = Database(db.url)
    try:
        await other.load_data_keys()
        await db.load_data_keys()
        go_on.set()
        user_id = await task
        for reader in (db, other):

            async def read(reader: Database = reader) -> str:
                async with reader.reading() as session:
                    found = await session.get(User, user_id)
                    assert found is not None
                    return found.name

            assert await retrying(read) == "Robin Example"
        async with db.transaction() as session:  # and what they write next is kept
            found = await session.get(User, user_id)
            assert found is not None
            found.username = "robin_example"
    finally:
        await other.dispose()


async def test_a_savepoint_rolled_back_keeps_the_keys_made_before_it(db: Database) -> None:
    therapist = await _therapist(db)
    async with db.transaction() as session:
        user = await _consent_in(session, therapist, 9101)
        made = user.data_key_id
        with contextlib.suppress(ValueError):
            async with session.begin_nested():
                raise ValueError("one row of a batch could not be done")
        assert made in db.data_keys.keys
        user.username = "robin_example"  # a later write of theirs in the same transaction
    client, _link = await _client(db, therapist, 9102, "Sam", "Sam Example")
    async with db.transaction() as session:  # and a shred before a savepoint holds
        person = await session.get(User, client.id)
        assert person is not None
        await keys.shred(session, person)
        with contextlib.suppress(ValueError):
            async with session.begin_nested():
                raise ValueError("x")
    async with db.reading() as session:
        again = await session.get(User, client.id)
        assert again is not None and again.name == ""
        kept = await session.get(User, user.id)
        assert kept is not None and kept.name == "Robin Example"
