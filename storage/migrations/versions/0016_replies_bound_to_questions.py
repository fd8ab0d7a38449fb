"""replies bound to questions: which question reached the client, and who holds a claim

Every reply is recorded in the outbox with the state it shows; an entry counts the
questions asked (asked_rev) and remembers the latest one that reached the client
(shown_rev, with its message id). Claims name the process that holds them, and each
process beats in `senders`, so a dead sender's alerts and replies are taken over within
seconds instead of when their lease runs out.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("asked_rev", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("shown_rev", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("shown_message", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))
    op.create_table(
        "senders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_senders")),
    )
    op.create_index(op.f("ix_senders_seen_at"), "senders", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_senders_seen_at"), table_name="senders")
    op.drop_table("senders")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_column("shown_message")
        batch_op.drop_column("shown_rev")
        batch_op.drop_column("asked_rev")
