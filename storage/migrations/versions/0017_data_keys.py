"""data keys: each person's data under a key of their own, wrapped by the operator's

Erasing someone deletes their data key first (its id is kept in destroyed_keys); whatever
was written with it, including the dead copies of rows PostgreSQL keeps until a vacuum and
the write-ahead log, can't be read after that. Values written before this migration stay
under the operator's key until `homework-bot rotate-key` moves them under their owner's
data key.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "destroyed_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_destroyed_keys")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_key_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("data_key_id")
    op.drop_table("destroyed_keys")
    op.drop_table("data_keys")
