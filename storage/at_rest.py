"""Metadata stored before it was hidden (migration 0018), rewritten when the bot starts
with its keys: Telegram ids replaced by their keyed hash, outbox keys hashed, chat ids,
kinds and template ids encrypted (under their owner's data key, as the bot writes them).

A migration has no keys, so it only changes the columns' types; this finishes the work.
Each batch is one transaction and each value is changed only if it is still the one read,
so it can be stopped and run again; once it has finished, a Secret says so and later
starts skip it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Table, Text, and_, not_, or_, select, text, type_coerce

from storage import crypto
from storage.db import Database
from storage.keys import put_secret
from storage.models import Base, Code, CodeAttempt, OutboxMessage, Secret, User
from storage.rotation import OWNED_TABLES, under_data_key

BATCH = 200

HASHED: list[tuple[Any, str]] = [
    (User, "telegram_id"),
    (Code, "pending_telegram_id"),
    (CodeAttempt, "telegram_id"),
]
"""Columns that hold a Telegram id, by model and attribute."""

PLAIN_BEFORE = {
    "users": ["chat_id"],
    "assignments": ["template_id"],
    "entries": ["template_id"],
    "client_notes": ["template_id", "rating"],
    "flags": ["kind", "source", "template_id", "imminent", "escalation"],
    "outbox": ["chat_id", "kind"],
}
"""The columns migration 0018 encrypted, by table (users first: the owner of every other
row must be readable when that row is put under their key)."""


DONE = "metadata_hidden"
"""The Secret saying every value stored before 0018 was rewritten (later starts skip it)."""


async def hide_plain_metadata(db: Database) -> int:
    """Rewrite every value still stored as it was before 0018; how many were."""
    async with db.reading() as session:
        if (await session.execute(select(Secret.name).where(Secret.name == DONE))).first():
            return 0
    changed = 0
    for model, name in HASHED:
        changed += await _hash_ids(db, model.__table__, name)
    changed += await _outbox_keys(db)
    for table_name, names in PLAIN_BEFORE.items():
        table = Base.metadata.tables[table_name]
        changed += await _encrypt(db, table, [table.c[name] for name in names])
    async with db.transaction() as session:
        await put_secret(session, DONE, "0018")
    return changed


async def _hash_ids(db: Database, table: Table, name: str) -> int:
    column = type_coerce(table.c[name], BigInteger)
    key = next(iter(table.primary_key.columns))
    raw_key = type_coerce(key, BigInteger) if key.name == name else key
    changed = 0
    while True:
        async with db.transaction() as session:
            keys = crypto.data_keys_of(session.get_bind().dialect)
            query = select(raw_key, column).where(column < crypto.ID_SPACE).limit(BATCH)
            rows = (await session.execute(query)).all()
            for row_key, value in rows:
                hashed = crypto.hash_id(int(value), keys)
                result = await session.execute(
                    text(
                        f"UPDATE {table.name} SET {name} = :new "
                        f"WHERE {key.name} = :key AND {name} = :old"
                    ),
                    {"new": hashed, "old": value, "key": row_key},
                )
                changed += int(getattr(result, "rowcount", 0) or 0)
        if len(rows) < BATCH:
            return changed


def _plain(column: Any) -> Any:
    """SQL true for a value that is not a token (crypto.sealed says for sure)."""
    raw = type_coerce(column, Text)
    return and_(raw.is_not(None), not_(raw.like("gAAAA%")), not_(raw.like("d%:gAAAA%")))


async def _outbox_keys(db: Database) -> int:
    """Outbox keys hashed (crypto.hash_key), and each row's chat hash (the per-chat limit)."""
    table = OutboxMessage.__table__
    assert isinstance(table, Table)
    chat = type_coerce(table.c.chat_id, Text)
    changed = 0
    last = 0
    while True:
        async with db.transaction() as session:
            keys = crypto.data_keys_of(session.get_bind().dialect)
            dialect = session.get_bind().dialect
            query = (
                select(table.c.id, table.c.dedupe_key, chat, table.c.chat_key)
                .where(
                    table.c.id > last,
                    or_(
                        not_(table.c.dedupe_key.startswith(crypto.HASHED_KEY)),
                        table.c.chat_key.is_(None),
                    ),
                )
                .order_by(table.c.id)
                .limit(BATCH)
            )
            rows = (await session.execute(query)).all()
            for row_id, dedupe, chat_id, chat_key in rows:
                values: dict[str, Any] = {}
                if not dedupe.startswith(crypto.HASHED_KEY):
                    values["dedupe_key"] = crypto.hash_key(dedupe, keys)
                if chat_key is None:
                    values["chat_key"] = crypto.hash_id(_chat(chat_id, dialect), keys)
                result = await session.execute(
                    table.update()
                    .where(table.c.id == row_id, table.c.dedupe_key == dedupe)
                    .values(**values)
                )
                changed += int(getattr(result, "rowcount", 0) or 0)
        if len(rows) < BATCH:
            return changed
        last = rows[-1][0]


def _chat(value: str, dialect: Any) -> int:
    if not crypto.sealed(value):
        return int(value)
    try:
        return int(crypto.unseal(value, dialect))
    except crypto.Destroyed:
        return 0  # its owner was erased: it is never sent


def _as_bytes(column: Column[Any], value: object) -> bytes:
    if isinstance(column.type, crypto.EncryptedBool):
        return b"1" if str(value).strip().lower() in ("1", "true", "t") else b"0"
    if isinstance(column.type, crypto.EncryptedInt):
        return b"%d" % int(str(value).strip())
    return str(value).encode("utf-8")


async def _encrypt(db: Database, table: Table, columns: list[Column[Any]]) -> int:
    """Encrypt the plain values of these columns: under the operator's key first, then
    (through the ORM, as the bot writes them) under their owner's data key."""
    key = next(iter(table.primary_key.columns))
    raw = [type_coerce(column, Text) for column in columns]
    model = OWNED_TABLES.get(table.name)
    changed = 0
    last: Any = None
    while True:
        async with db.transaction() as session:
            query = select(key, *raw).where(or_(*(_plain(c) for c in columns)))
            if last is not None:
                query = query.where(key > last)
            rows = (await session.execute(query.order_by(key).limit(BATCH))).all()
            for row in rows:
                new = list(row[1:])
                for index, (column, value) in enumerate(zip(columns, row[1:], strict=True)):
                    if value is None or crypto.sealed(value):
                        continue
                    new[index] = crypto.encrypt(_as_bytes(column, value))
                    result = await session.execute(
                        table.update()
                        .where(key == row[0], type_coerce(column, Text) == value)
                        .values({column.name: type_coerce(new[index], Text)})
                    )
                    changed += int(getattr(result, "rowcount", 0) or 0)
                if model is not None:
                    await under_data_key(session, model, (row[0], *new), columns)
        if len(rows) < BATCH:
            return changed
        last = rows[-1][0]
