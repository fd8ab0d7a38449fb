"""longer template keys: a therapist's own templates are keyed id@therapist

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("assignments", "entries", "flags")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "template_id",
                existing_type=sa.String(length=40),
                type_=sa.String(length=80),
                existing_nullable=table == "flags",
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "template_id",
                existing_type=sa.String(length=80),
                type_=sa.String(length=40),
                existing_nullable=table == "flags",
            )
