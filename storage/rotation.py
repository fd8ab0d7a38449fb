"""Re-encrypting every stored value under the primary key (`homework-bot rotate-key`), in
small batches while the bot keeps running; afterwards the old key can be removed.

The data keys (storage/keys.py) are values under the operator's key like any other, so they
are rewrapped here; what they encrypt stays as it is. A person's value still under the
operator's key (written before data keys existed) is moved under their data key.

Also the start-up check: a sample of every encrypted table must read with the keys given,
and everything must when a rotation was interrupted."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, Text, desc, inspect, select, text, type_coerce
from sqlalchemy.orm.attributes import flag_modified

from storage import crypto
from storage.db import Database, retrying
from storage.keys import OWNERS, UNDER_OPERATOR_KEY, owner_of
from storage.models import AuditRecord, Base

STARTED = "key_rotation_started"
FINISHED = "key_rotated"

OWNED_TABLES: dict[str, Any] = {model.__tablename__: model for model in OWNERS}
"""The tables whose rows belong to a person, by name: their values go under data keys."""


def encrypted_columns() -> Iterator[tuple[Table, Column[object], list[Column[object]]]]:
    """(table, its key column, its encrypted columns) for every table that has some."""
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, crypto.ENCRYPTED)]
        keys = list(table.primary_key.columns)
        if columns and len(keys) == 1:
            yield table, keys[0], columns


async def rotate_all(
    db: Database, *, batch: int = 200, progress: Callable[[str, int], None] | None = None
) -> int:
    """Re-encrypt every value an older key made; how many values were rewritten. Each batch
    is its own transaction, so the bot goes on serving meanwhile."""
    rewritten = 0
    for table, key, columns in encrypted_columns():
        last: object = None
        done_here = 0
        while True:
            query = select(key, *(type_coerce(c, Text) for c in columns)).order_by(key)
            if last is not None:
                query = query.where(key > last)
            size = max(1, batch // 20) if table.name == "files" else batch  # photos are big
            owned = OWNED_TABLES.get(table.name)
            async with db.transaction() as session:
                rows = (await session.execute(query.limit(size))).all()
                for row in rows:
                    if owned is not None:
                        done_here += await under_data_key(session, owned, row, columns)
                        continue
                    for column, value in zip(columns, row[1:], strict=True):
                        if not isinstance(value, str) or not crypto.needs_rotation(value):
                            continue
                        # Only if nobody wrote it meanwhile (their write is under the new
                        # key already): a value the bot changed is never put back.
                        result = await session.execute(
                            text(
                                f"UPDATE {table.name} SET {column.name} = :new "
                                f"WHERE {key.name} = :pk AND {column.name} = :old"
                            ),
                            {"new": crypto.rotate(value), "old": value, "pk": row[0]},
                        )
                        done_here += int(getattr(result, "rowcount", 0) or 0)
            if not rows:
                break
            last = rows[-1][0]
        rewritten += done_here
        if progress is not None:
            progress(table.name, done_here)
    return rewritten


async def under_data_key(session: Any, model: Any, row: Any, columns: list[Column[object]]) -> int:
    """Write again, through the ORM (which puts them under their owner's data key), the
    values of this row still under an operator's key; how many there were. The row is
    locked first, so a value the bot writes meanwhile is never put back."""
    bare = [
        (column.key, value)
        for column, value in zip(columns, row[1:], strict=True)
        if isinstance(value, str) and crypto.split(value)[0] is None
    ]
    if not bare:
        return 0
    obj = await session.get(model, row[0], with_for_update=True, populate_existing=True)
    if obj is None:
        return 0
    owner = await session.run_sync(lambda sync: owner_of(sync, obj))
    keyed = owner is not None and owner.erasing_at is None
    names = {c.key: a.key for a in inspect(model).column_attrs for c in a.columns}
    stale = [
        column
        for column, value in bare
        if (keyed and (model, names[column]) not in UNDER_OPERATOR_KEY)
        or crypto.needs_rotation(value)
    ]
    if not stale:
        return 0
    for column in stale:
        flag_modified(obj, names[column])
    await session.flush()
    return len(stale)


async def left_to_rotate(db: Database) -> int:
    """How many stored values the first key alone still cannot read (0 when done)."""
    left = 0
    for _table, _key, columns in encrypted_columns():
        async with db.reading() as session:
            for column in columns:
                values = (await session.execute(select(type_coerce(column, Text)))).scalars()
                left += sum(1 for v in values if isinstance(v, str) and crypto.needs_rotation(v))
    return left


async def started(db: Database, *, now: datetime) -> None:
    """Say in the audit log that a rotation began (see `interrupted`)."""
    async with db.transaction() as session:
        session.add(
            AuditRecord(at=now, actor_id=None, actor_role="operator", action=STARTED, subject="")
        )


async def interrupted(db: Database) -> datetime | None:
    """When a rotation began that never finished (its last word is "started"), if one did."""
    async with db.reading() as session:
        query = (
            select(AuditRecord.action, AuditRecord.at)
            .where(AuditRecord.action.in_((STARTED, FINISHED)))
            .order_by(desc(AuditRecord.id))
            .limit(1)
        )
        row = (await session.execute(query)).first()
    return row[1] if row is not None and row[0] == STARTED else None


def _readable(token: str, dialect: Any) -> bool:
    try:
        crypto.unseal(token, dialect)
    except crypto.Destroyed:
        return True  # its owner is being erased: nothing to read, nothing wrong
    except crypto.EncryptionKeyError:
        return False
    return True


async def unreadable_tables(db: Database, *, everything: bool = False) -> list[str]:
    """The encrypted tables with a value the keys given can't read: a sample of each (the
    first and last rows), or every value when `everything`. A data key another replica
    made meanwhile is loaded (DataKeyMissing goes through `retrying`)."""
    found: list[str] = []
    for table, key, columns in encrypted_columns():
        check = functools.partial(_table_unreadable, db, key, columns, everything)
        if await retrying(check):
            found.append(table.name)
    return found


async def _table_unreadable(
    db: Database, key: Column[object], columns: list[Column[object]], everything: bool
) -> bool:
    dialect = db.engine.dialect
    raw = [type_coerce(c, Text) for c in columns]
    if everything:
        queries = [select(*raw)]
    else:
        queries = [select(*raw).order_by(key).limit(3), select(*raw).order_by(desc(key)).limit(3)]
    async with db.reading() as session:
        for query in queries:
            for row in (await session.execute(query)).all():
                if any(isinstance(v, str) and not _readable(v, dialect) for v in row):
                    return True
    return False
