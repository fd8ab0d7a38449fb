"""flags remember the message they were raised on (one flag per message)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:00:00

An early copy of 0002 created the flags table without this column; later copies had it.
Databases made by either end up the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _has_column() -> bool:
    columns = sa.inspect(op.get_bind()).get_columns("flags")
    return any(column["name"] == "message_id" for column in columns)


def upgrade() -> None:
    if not _has_column():
        with op.batch_alter_table("flags", schema=None) as batch_op:
            batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    if _has_column():
        with op.batch_alter_table("flags", schema=None) as batch_op:
            batch_op.drop_column("message_id")
