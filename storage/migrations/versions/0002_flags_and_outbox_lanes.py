"""risk flags; outbox priority lanes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 04:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("template_id", sa.String(length=40), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("imminent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["users.id"], name=op.f("fk_flags_client_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_flags_link_id_links"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
            name=op.f("fk_flags_entry_id_entries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["users.id"],
            name=op.f("fk_flags_acknowledged_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
    )
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flags_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flags_link_id"), ["link_id"], unique=False)
        batch_op.create_index(
            "ix_flags_open", ["acknowledged_at", "escalated_at", "created_at"], unique=False
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        # Existing rows keep their order: everything queued before lanes is a reminder (3).
        batch_op.add_column(
            sa.Column("lane", sa.SmallInteger(), nullable=False, server_default="3")
        )
        batch_op.create_index(
            "ix_outbox_status_lane", ["status", "lane", "not_before"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_lane")
        batch_op.drop_column("lane")
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index("ix_flags_open")
        batch_op.drop_index(batch_op.f("ix_flags_link_id"))
        batch_op.drop_index(batch_op.f("ix_flags_client_id"))
    op.drop_table("flags")
