"""Storage contract: the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage import buttons, crypto, homework, people
from storage.db import Database
from storage.models import Link, User

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def _therapist(db: Database, telegram_id: int = 9001) -> User:
    async with db.transaction() as session:
        code = await people.create_code(session, kind="therapist", now=NOW, ttl=HOUR)
        row = await people.check_code(session, code=code, now=NOW)
        assert not isinstance(row, str)
        return await people.register_therapist(
            session,
            code=row,
            telegram_id=telegram_id,
            chat_id=telegram_id,
            name="Dr Test Person",
            username="dr_test",
            now=NOW,
        )


async def _client(
    db: Database, therapist: User, telegram_id: int, label: str | None, name: str
) -> tuple[User, Link]:
    async with db.transaction() as session:
        code = await people.create_code(
            session, kind="client", now=NOW, ttl=HOUR, therapist_id=therapist.id, label=label
        )
        row = await people.check_code(session, code=code, now=NOW)
        assert not isinstance(row, str)
        return await people.accept_invite(
            session,
            code=row,
            telegram_id=telegram_id,
            chat_id=telegram_id,
            name=name,
            username=None,
            now=NOW,
        )


async def test_codes_are_single_use_and_expire(db: Database) -> None:
    async with db.transaction() as session:
        code = await people.create_code(session, kind="therapist", now=NOW, ttl=HOUR)
        assert len(code) >= 32
    async with db.transaction() as session:
        assert await people.check_code(session, code="nope", now=NOW) == "unknown"
        assert await people.check_code(session, code=code, now=NOW + 2 * HOUR) == "expired"
        row = await people.check_code(session, code=code, now=NOW)
        assert not isinstance(row, str)
        await people.register_therapist(
            session, code=row, telegram_id=1, chat_id=1, name="A", username=None, now=NOW
        )
    async with db.transaction() as session:
        assert await people.check_code(session, code=code, now=NOW) == "used"


async def test_codes_are_stored_only_as_hashes(db: Database) -> None:
    async with db.transaction() as session:
        code = await people.create_code(session, kind="therapist", now=NOW, ttl=HOUR)
    async with db.transaction() as session:
        stored = (await session.execute(text("SELECT code_hash FROM codes"))).scalar_one()
    assert stored != code and stored == people.hash_code(code)


async def test_held_invite_then_consent_links_client(db: Database) -> None:
    therapist = await _therapist(db)
    async with db.transaction() as session:
        code = await people.create_code(
            session, kind="client", now=NOW, ttl=HOUR, therapist_id=therapist.id, label="Robin"
        )
        row = await people.check_code(session, code=code, now=NOW)
        assert not isinstance(row, str)
        await people.hold_invite(session, code=row, telegram_id=555)
    async with db.transaction() as session:
        # Nothing but the pending link is kept before consent.
        assert await people.get_user(session, telegram_id=555) is None
        held = await people.find_held_invite(session, telegram_id=555, now=NOW)
        assert held is not None
        client, _link = await people.accept_invite(
            session,
            code=held,
            telegram_id=555,
            chat_id=555,
            name="Robin Fake",
            username="rf",
            now=NOW,
        )
    async with db.transaction() as session:
        found = await people.find_clients(session, therapist_id=therapist.id, query="ROBIN")
        assert [u.id for _, u in found] == [client.id]
        assert await people.find_held_invite(session, telegram_id=555, now=NOW) is None
        assert await people.check_code(session, code=code, now=NOW) == "used"


async def test_client_lookup_is_limited_to_own_clients(db: Database) -> None:
    first = await _therapist(db, 1)
    second = await _therapist(db, 2)
    await _client(db, first, 10, "Robin", "Robin One")
    await _client(db, first, 11, None, "Robin Two")
    _, other_link = await _client(db, second, 12, "Robin", "Robin Three")
    async with db.transaction() as session:
        mine = await people.find_clients(session, therapist_id=first.id, query="robin")
        assert sorted(u.name for _, u in mine) == ["Robin One"]
        prefix = await people.find_clients(session, therapist_id=first.id, query="rob")
        assert sorted(u.name for _, u in prefix) == ["Robin One", "Robin Two"]
        assert (
            await people.client_of_therapist(session, therapist_id=first.id, link_id=other_link.id)
            is None
        )


async def test_due_assignments_occur_once(db: Database) -> None:
    therapist = await _therapist(db)
    client, link = await _client(db, therapist, 20, "Robin", "Robin Fake")
    async with db.transaction() as session:
        assignment = await homework.create_assignment(
            session,
            link=link,
            template_id="gratitude",
            params={"count": 3},
            schedule="daily 20:00",
            next_due_at=NOW,
            now=NOW,
        )
    async with db.transaction() as session:
        due = await homework.claim_due_assignments(session, now=NOW, limit=10)
        assert [(a.id, u.id) for a, u in due] == [(assignment.id, client.id)]
        first = await homework.record_occurrence(
            session, assignment_id=assignment.id, due_at=NOW, now=NOW
        )
        again = await homework.record_occurrence(
            session, assignment_id=assignment.id, due_at=NOW, now=NOW
        )
        assert first is not None and again is None
    async with db.transaction() as session:
        assert await homework.occurrence_tally(
            session, assignment_id=assignment.id, since=NOW - HOUR, until=NOW + HOUR
        ) == homework.Tally(due=1)
        assert (
            await homework.occurrence_tally(
                session, assignment_id=assignment.id, since=NOW, until=NOW + HOUR
            )
            == homework.Tally()
        )
        for hours, status in ((1, "skipped"), (2, "paused"), (3, "missed"), (4, "unreachable")):
            await homework.record_occurrence(
                session,
                assignment_id=assignment.id,
                due_at=NOW + hours * HOUR,
                now=NOW,
                status=status,
            )
        tally = await homework.occurrence_tally(
            session, assignment_id=assignment.id, since=NOW - HOUR, until=NOW + 9 * HOUR
        )
        assert tally == homework.Tally(due=5, skipped=1, paused=1, not_reminded=2)
        assert tally.missed == 1
        assert await homework.claim_due_assignments(session, now=NOW - HOUR, limit=10) == []


async def test_entries_pause_resume_and_complete(db: Database) -> None:
    therapist = await _therapist(db)
    client, link = await _client(db, therapist, 30, None, "Alex Example")
    async with db.transaction() as session:
        assignment = await homework.create_assignment(
            session,
            link=link,
            template_id="thought_record",
            params={},
            schedule="daily 20:00",
            next_due_at=NOW,
            now=NOW,
        )
        first = await homework.start_entry(
            session,
            client_id=client.id,
            assignment=None,
            occurrence_id=None,
            template_id="gratitude",
            template_version=1,
            params={},
            state={"position": 0},
            now=NOW,
        )
        second = await homework.start_entry(
            session,
            client_id=client.id,
            assignment=assignment,
            occurrence_id=None,
            template_id="thought_record",
            template_version=1,
            params={},
            state={"position": 0},
            now=NOW,
        )
    async with db.transaction() as session:
        current = await homework.open_entry(session, client_id=client.id)
        assert current is not None and current.id == second.id
        paused = await homework.paused_entries(session, client_id=client.id)
        assert [e.id for e in paused] == [first.id]
        homework.save_entry(current, state={"position": 9}, finished=True, now=NOW)
    async with db.transaction() as session:
        done = await homework.done_entries_for_therapist(
            session, therapist_id=therapist.id, since=NOW - HOUR, until=NOW + HOUR
        )
        assert [(e.id, e.state) for e, _ in done] == [(second.id, {"position": 9})]
        assert (
            await homework.client_entry(session, client_id=client.id + 999, entry_id=first.id)
            is None
        )


async def test_buttons_sent_by_the_outbox_never_replace_newer_ones(db: Database) -> None:
    therapist = await _therapist(db)

    def offered(at: datetime, label: str) -> dict[str, object]:
        return {"at": at.isoformat(), "choices": [[[label, "x"]]], "confirm": False}

    async with db.transaction() as session:
        await people.remember_offered(session, user_id=therapist.id, offered=offered(NOW, "A"))
    async with db.transaction() as session:
        # A reminder whose send began before the reply that offered "A" finished later.
        early = offered(NOW - timedelta(seconds=1), "Old")
        await people.remember_offered(session, user_id=therapist.id, offered=early)
    async with db.reading() as session:
        kept = await people.get_user_by_id(session, user_id=therapist.id)
        assert kept is not None and kept.offered == offered(NOW, "A")
    async with db.transaction() as session:
        later = offered(NOW + timedelta(seconds=1), "New")
        await people.remember_offered(session, user_id=therapist.id, offered=later)
    async with db.reading() as session:
        kept = await people.get_user_by_id(session, user_id=therapist.id)
        assert kept is not None and kept.offered == later


async def test_button_tokens_belong_to_one_person(db: Database) -> None:
    therapist = await _therapist(db)
    async with db.transaction() as session:
        token = await buttons.issue_token(
            session,
            user_id=therapist.id,
            action="start",
            payload={"assignment": 1},
            now=NOW,
            ttl=HOUR,
        )
    async with db.transaction() as session:
        assert (
            await buttons.redeem_token(session, token=token, user_id=therapist.id + 1, now=NOW)
            == "not_yours"
        )
        assert (
            await buttons.redeem_token(
                session, token=token, user_id=therapist.id, now=NOW + 2 * HOUR
            )
            == "expired"
        )
        assert (
            await buttons.redeem_token(session, token="x" * 30, user_id=therapist.id, now=NOW)
            == "unknown"
        )
        row = await buttons.redeem_token(session, token=token, user_id=therapist.id, now=NOW)
        assert not isinstance(row, str) and row.payload == {"assignment": 1}


async def test_sensitive_columns_are_encrypted_at_rest(db: Database) -> None:
    therapist = await _therapist(db)
    client, _ = await _client(db, therapist, 40, "Robin", "Robin Fake")
    async with db.transaction() as session:
        await homework.start_entry(
            session,
            client_id=client.id,
            assignment=None,
            occurrence_id=None,
            template_id="gratitude",
            template_version=1,
            params={},
            state={"answers": {"what": "my secret answer"}},
            now=NOW,
        )
    async with db.transaction() as session:
        raw_state = (await session.execute(text("SELECT state FROM entries"))).scalar_one()
        raw_names = [r for (r,) in await session.execute(text("SELECT name FROM users"))]
        raw_label = (await session.execute(text("SELECT label FROM links"))).scalar_one()
    assert "secret" not in raw_state
    assert not any("Robin" in n or "Dr Test" in n for n in raw_names)
    assert "Robin" not in raw_label


async def test_migrations_are_idempotent(db: Database) -> None:
    from storage.migrate import upgrade

    await upgrade(db)
    async with db.transaction() as session:
        version = (
            await session.execute(text("SELECT version_num FROM alembic_version"))
        ).scalar_one()
    assert version == "0019"


async def test_migrations_build_exactly_the_models(db: Database) -> None:
    """The migrated schema matches the models: nothing a migration forgot, nothing extra."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_a_0001_outbox_row_survives_the_upgrade_in_the_reminder_lane(
    database_url: str,
) -> None:
    """Rows queued before lanes existed keep their place: they become reminders (lane 3)."""
    from storage.migrate import alembic_config

    database = Database(database_url)
    try:

        def to_0001(connection: Connection) -> None:
            from alembic import command

            command.upgrade(alembic_config(connection), "0001")

        async with database.engine.connect() as connection:
            await connection.run_sync(to_0001)
            await connection.execute(
                text(
                    "INSERT INTO outbox (dedupe_key, chat_id, kind, payload, status, not_before,"
                    " attempts, created_at) VALUES ('reminder:1', 1, 'reminder', 'x', 'pending',"
                    " '2026-11-21 10:00:00', 0, '2026-11-21 10:00:00')"
                )
            )
            await connection.commit()
        from storage.migrate import upgrade

        await upgrade(database)
        async with database.transaction() as session:
            lane = (await session.execute(text("SELECT lane FROM outbox"))).scalar_one()
        assert lane == 3
    finally:
        await database.dispose()


async def test_flags_made_by_the_first_copy_of_0002_gain_their_message_ids(
    database_url: str,
) -> None:
    """A database migrated to 0002 before flags had message ids works after the upgrade."""
    from alembic import command
    from sqlalchemy import inspect

    from storage.migrate import alembic_config, upgrade

    database = Database(database_url)
    try:

        def to_0002_without_column(connection: Connection) -> None:
            command.upgrade(alembic_config(connection), "0002")
            if any(c["name"] == "message_id" for c in inspect(connection).get_columns("flags")):
                connection.execute(text("ALTER TABLE flags DROP COLUMN message_id"))

        async with database.engine.connect() as connection:
            await connection.run_sync(to_0002_without_column)
            await connection.commit()
        await upgrade(database)

        def columns(connection: Connection) -> list[str]:
            return [c["name"] for c in inspect(connection).get_columns("flags")]

        async with database.engine.connect() as connection:
            assert "message_id" in await connection.run_sync(columns)
    finally:
        await database.dispose()


@pytest.mark.parametrize("url", ["sqlite:///x.db", "postgresql://u@h/d", "postgres://u@h/d"])
def test_plain_urls_get_async_drivers(url: str) -> None:
    from storage.db import normalise_url

    assert "+aiosqlite" in normalise_url(url) or "+asyncpg" in normalise_url(url)


async def test_a_photo_deep_in_a_group_has_room_for_its_key(db: Database) -> None:
    from storage import files

    therapist = await _therapist(db)
    client, _ = await _client(db, therapist, 31, None, "Alex Example")
    key = f"{'g' * 40}.20.{'p' * 40}"  # the longest a group's step key can be
    async with db.transaction() as session:
        entry = await homework.start_entry(
            session,
            client_id=client.id,
            assignment=None,
            occurrence_id=None,
            template_id="creative",
            template_version=1,
            params={},
            state={"v": 2},
            now=NOW,
        )
        await files.keep_file(
            session,
            client_id=client.id,
            entry_id=entry.id,
            step_key=key,
            mime="image/jpeg",
            data=b"\x89PNG",
            now=NOW,
        )
    async with db.transaction() as session:
        kept = await files.files_for_therapist(
            session, therapist_id=therapist.id, entry_id=entry.id
        )
        assert kept == []  # not homework this therapist gave: nothing is shared


async def test_reading_never_waits_for_the_write_lock(sqlite_url: str) -> None:
    import asyncio

    from storage.migrate import upgrade

    database = Database(sqlite_url)
    await upgrade(database)
    try:
        async with database.transaction() as writing:
            await writing.execute(
                text("INSERT INTO send_clock (id, next_at) VALUES (7, '2026-11-21 10:00:00')")
            )
            # The write lock is held here; a read goes ahead at once, and sees the last commit.
            async with asyncio.timeout(5):
                async with database.reading() as session:
                    seen = (
                        await session.execute(text("SELECT count(*) FROM send_clock"))
                    ).scalar_one()
        assert seen == 0
    finally:
        await database.dispose()


async def test_an_in_place_change_to_an_encrypted_document_is_saved(db: Database) -> None:
    therapist = await _therapist(db)
    async with db.transaction() as session:
        user = await session.get(User, therapist.id)
        assert user is not None
        user.dialog = {"ask": "time_zone"}
    async with db.transaction() as session:
        user = await session.get(User, therapist.id)
        assert user is not None and user.dialog is not None
        user.dialog["ask"] = "digest_time"  # changed in place, not replaced
    async with db.reading() as session:
        user = await session.get(User, therapist.id)
        assert user is not None and user.dialog == {"ask": "digest_time"}


async def test_an_id_freed_by_a_deletion_is_never_handed_out_again(db: Database) -> None:
    """A queued photo names its file by id: a new file must never take an erased one's."""
    from storage import files

    therapist = await _therapist(db)
    client, link = await _client(db, therapist, 9101, "Robin", "Robin Example")
    async with db.transaction() as session:
        assignment = await homework.create_assignment(
            session, link=link, template_id="creative", params={}, schedule="daily 20:00",
            next_due_at=NOW, now=NOW,
        )  # fmt: skip
        entry = await homework.start_entry(
            session, client_id=client.id, assignment=assignment, occurrence_id=None,
            template_id="creative", template_version=1, params={}, state={}, now=NOW,
        )  # fmt: skip
        kept = await files.keep_file(
            session, client_id=client.id, entry_id=entry.id, step_key="photo",
            mime="image/jpeg", data=b"first", now=NOW,
        )  # fmt: skip
        erased = await files.keep_file(
            session, client_id=client.id, entry_id=entry.id, step_key="other",
            mime="image/jpeg", data=b"second", now=NOW,
        )  # fmt: skip
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM files WHERE id = :id"), {"id": erased.id})
        await session.execute(text("DELETE FROM entries WHERE id = :id"), {"id": entry.id})
    async with db.transaction() as session:
        again = await homework.start_entry(
            session, client_id=client.id, assignment=assignment, occurrence_id=None,
            template_id="creative", template_version=1, params={}, state={}, now=NOW,
        )  # fmt: skip
        newer = await files.keep_file(
            session, client_id=client.id, entry_id=again.id, step_key="photo",
            mime="image/jpeg", data=b"third", now=NOW,
        )  # fmt: skip
    assert again.id > entry.id
    assert newer.id > erased.id > kept.id


async def test_rebuilding_sqlite_tables_for_never_reused_ids_keeps_every_row(
    sqlite_url: str,
) -> None:
    """0015 rebuilds tables that children point at: no row is lost, none cascades away."""
    from alembic import command

    from storage.migrate import alembic_config, upgrade

    database = Database(sqlite_url)
    try:

        def to_0014(connection: Connection) -> None:
            command.upgrade(alembic_config(connection), "0014")

        async with database.engine.connect() as connection:
            await connection.run_sync(to_0014)
            await connection.commit()
        # Rows as the bot at 0014 wrote them (today's models have columns 0014 lacks).
        name = crypto.encrypt(b"Robin Example")
        rows = [
            "INSERT INTO users (id, telegram_id, chat_id, role, name, timezone, language, "
            "created_at) VALUES (1, 1001, 1001, 'therapist', :name, 'UTC', 'en', :now)",
            "INSERT INTO users (id, telegram_id, chat_id, role, name, timezone, language, "
            "created_at) VALUES (2, 9101, 9101, 'client', :name, 'UTC', 'en', :now)",
            "INSERT INTO links (id, therapist_id, client_id, consented_at) VALUES (1, 1, 2, :now)",
            "INSERT INTO assignments (link_id, template_id, params, schedule, active, "
            "created_at) VALUES (1, 'gratitude', :name, 'daily 20:00', 1, :now)",
        ]
        async with database.engine.begin() as connection:
            for row in rows:
                await connection.execute(text(row), {"name": name, "now": NOW.replace(tzinfo=None)})
        counted = "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM links), " \
            "(SELECT count(*) FROM assignments), (SELECT max(id) FROM users)"  # fmt: skip
        async with database.reading() as session:
            before = (await session.execute(text(counted))).one()
        await upgrade(database)
        async with database.reading() as session:
            after = (await session.execute(text(counted))).one()
            listed = await session.execute(text("SELECT name, sql FROM sqlite_master"))
            tables = {str(name): str(sql) for name, sql in listed}
            checks = (await session.execute(text("PRAGMA foreign_keys"))).scalar_one()
        assert after == before == (2, 1, 1, 2)
        for name in ("users", "links", "assignments", "entries", "files", "flags", "outbox"):
            assert "AUTOINCREMENT" in tables[name], name
        assert checks == 1  # foreign keys are enforced again after the migration
    finally:
        await database.dispose()
