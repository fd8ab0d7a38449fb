"""the send clock's hold: how long Telegram asked every sender to wait (a 429)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("send_clock", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("send_clock", schema=None) as batch_op:
        batch_op.drop_column("held_until")
