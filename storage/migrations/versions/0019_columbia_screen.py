"""the Columbia screen: turned on per client by their therapist, its answers kept on the flag

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 14:00:00

Both columns are encrypted by their types (storage/crypto.py), like every value of a
client's: `links.columbia` (an EncryptedBool; empty is off) and `flags.screen` (an
EncryptedDict of the answers). Added columns, so SQLite needs no rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("links", sa.Column("columbia", sa.Text(), nullable=True))
    op.add_column("flags", sa.Column("screen", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_column("screen")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_column("columbia")
