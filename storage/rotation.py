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
            async with db.transaction() as session:
                rows = (await session.execute(query.limit(batch))).all()
                for row in rows:
                    changed = {
                        column.name: crypto.rotate(value)
                        for column, value in zip(columns, row[1:], strict=True)
                        if isinstance(value, str) and crypto.needs_rotation(value)
                    }
                    if changed:
                        sets = ", ".join(f"{name} = :{name}" for name in changed)
                        await session.execute(
                            text(f"UPDATE {table.name} SET {sets} WHERE {key.name} = :pk"),
                            {**changed, "pk": row[0]},
                        )
                        done_here += len(changed)
            if not rows:
                break
            last = rows[-1][0]
        rewritten += done_here
        if progress is not None:
            progress(table.name, done_here)
    return rewritten
