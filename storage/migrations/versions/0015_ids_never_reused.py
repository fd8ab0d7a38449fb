"""ids never reused: SQLite tables whose rows are named by id get AUTOINCREMENT

A queued message or a button may name a row by its id after the row was deleted; without
AUTOINCREMENT SQLite hands the highest freed id to the next row (a photo of one practice's
client was sent to another practice). Each table is rebuilt with AUTOINCREMENT, keeping
every row and id; SQLite then counts on from the highest id kept, and the bot seeds that
count above every id still named in a queued message or a button when it starts
(storage/references.py). Foreign keys are off during migrations (storage/migrate.py), so
rebuilding a table never cascades into its children; they are checked afterwards.
PostgreSQL's sequences never reuse an id: nothing changes there.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "users",
    "codes",
    "links",
    "assignments",
    "occurrences",
    "entries",
    "files",
    "client_notes",
    "flags",
    "outbox",
    "audit_log",
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
