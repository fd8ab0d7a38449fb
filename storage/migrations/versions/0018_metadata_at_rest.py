"""metadata at rest: Telegram ids hashed, chat ids, kinds and template ids encrypted

A copy of the database without the key no longer shows who uses the bot (their Telegram
ids), which homework or measures a client does, or which risk flags were imminent. The
columns change type here; their values are rewritten by the bot when it starts with its
keys (storage/at_rest.py), since a migration has no keys: until then they read as before
the change, plain. Stop every replica before upgrading.

- users.telegram_id, codes.pending_telegram_id, code_attempts.telegram_id: a keyed hash
  (the id hash key, made once and kept in `secrets`, wrapped by the operator's key);
- users.chat_id and outbox.chat_id encrypted; outbox.chat_key, the chat's hash, counts the
  per-chat limit in their place; outbox keys hashed (crypto.hash_key);
- outbox.kind, template ids (assignments, entries, client notes, flags), how a client
  rated a homework, and a flag's kind, source, imminence and escalation reason encrypted.

SQLite rebuilds these tables (AUTOINCREMENT kept, and the count of ids handed out, so no
id is given twice).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TO_TEXT: dict[str, list[tuple[str, Any, str | None]]] = {
    "users": [("chat_id", sa.BigInteger(), "chat_id::text")],
    "assignments": [("template_id", sa.String(80), None)],
    "entries": [("template_id", sa.String(80), None)],
    "client_notes": [("template_id", sa.String(80), None), ("rating", sa.String(16), None)],
    "flags": [
        ("kind", sa.String(16), None),
        ("source", sa.String(16), None),
        ("template_id", sa.String(80), None),
        ("imminent", sa.Boolean(), "CASE WHEN imminent THEN '1' ELSE '0' END"),
        ("escalation", sa.String(24), None),
    ],
    "outbox": [("chat_id", sa.BigInteger(), "chat_id::text"), ("kind", sa.String(24), None)],
}


def _sequences() -> dict[str, int]:
    """SQLite's count of ids handed out per table (a rebuild would restart it at the
    highest id left, giving a deleted row's id again)."""
    rows = op.get_bind().exec_driver_sql("SELECT name, seq FROM sqlite_sequence").fetchall()
    return {str(name): int(seq) for name, seq in rows}


def _restore(sequences: dict[str, int]) -> None:
    bind = op.get_bind()
    for name, seq in sequences.items():
        bind.exec_driver_sql(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (seq, name)
        )


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    sequences = _sequences() if sqlite else {}
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_secrets")),
    )
    for table, columns in TO_TEXT.items():
        with op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": True}) as batch:
            for name, old, using in columns:
                batch.alter_column(name, existing_type=old, type_=sa.Text(), postgresql_using=using)
            if table == "outbox":
                batch.add_column(sa.Column("chat_key", sa.BigInteger(), nullable=True))
                batch.drop_index("ix_outbox_chat_slot")
                batch.create_index("ix_outbox_chat_key_slot", ["chat_key", "slot_at"])
    if sqlite:
        _restore(sequences)


def downgrade() -> None:
    raise NotImplementedError(
        "Telegram ids are kept only as hashes from 0018 on: they can't be put back."
    )
