"""Re-encrypting every stored value under the primary key (`homework-bot rotate-key`), in
small batches while the bot keeps running; afterwards the old key can be removed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import Column, Table, Text, select, text, type_coerce

from storage import crypto
from storage.crypto import EncryptedBytes, EncryptedJSON, EncryptedText
from storage.db import Database
from storage.models import Base

ENCRYPTED_TYPES = (EncryptedText, EncryptedBytes, EncryptedJSON)


def encrypted_columns() -> Iterator[tuple[Table, Column[object], list[Column[object]]]]:
    """(table, its key column, its encrypted columns) for every table that has some."""
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, ENCRYPTED_TYPES)]
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
            async with db.transaction() as session:
                rows = (await session.execute(query.limit(size))).all()
                for row in rows:
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


async def left_to_rotate(db: Database) -> int:
    """How many stored values the first key alone still cannot read (0 when done)."""
    left = 0
    for _table, _key, columns in encrypted_columns():
        async with db.reading() as session:
            for column in columns:
                values = (await session.execute(select(type_coerce(column, Text)))).scalars()
                left += sum(1 for v in values if isinstance(v, str) and crypto.needs_rotation(v))
    return left
