"""Privacy on both backends: key rotation, tampering detected, retention, the audit log,
and wrong codes slowed down; the Docker image's key rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Text, select, text, type_coerce

from bot.app import SetupError, setup_keys
from bot.settings import Settings
from storage import buttons, crypto, homework, privacy, rotation
from storage.db import Database
from storage.migrate import upgrade
from storage.models import ButtonToken, ClientNote, User
from tests.test_storage import _client, _therapist

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


async def raw_names(db: Database) -> list[str]:
    async with db.reading() as session:
        query = select(type_coerce(User.name, Text))
        return [str(v) for v in (await session.execute(query)).scalars()]


async def test_rotate_key_rewrites_every_value_and_the_old_key_can_go(db: Database) -> None:
    old = crypto.configured_keys()
    therapist = await _therapist(db)
    await _client(db, therapist, 9101, "Robin", "Robin Example")
    new_key = Fernet.generate_key().decode()
    try:
        # The new key first, the old one after it (ENCRYPTION_KEY=new,old).
        crypto.configure_keys([new_key, *old])
        before = await raw_names(db)
        assert all(crypto.needs_rotation(v) for v in before)
        count = await rotation.rotate_all(db, batch=1)
        assert count >= 2
        after = await raw_names(db)
        assert not any(crypto.needs_rotation(v) for v in after)
        crypto.configure_keys([new_key])  # the old key removed: everything still reads
        async with db.reading() as session:
            names = sorted(u.name for u in (await session.execute(select(User))).scalars())
        assert names == ["Dr Test Person", "Robin Example"]
        assert await rotation.rotate_all(db) == 0  # nothing left to do
    finally:
        crypto.configure_keys(old)


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
