"""room for a photo step's key inside a group (group.round.step, up to 84 characters)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.alter_column(
            "step_key", existing_type=sa.String(length=80), type_=sa.String(length=120)
        )


def downgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.alter_column(
            "step_key", existing_type=sa.String(length=120), type_=sa.String(length=80)
        )
