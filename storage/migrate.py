"""Alembic, driven from code: `homework-bot migrate` and every start call `upgrade`."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from storage.db import Database


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations, with no ini file needed."""
    config = Config()
    config.set_main_option("script_location", str(files("storage") / "migrations"))
    config.attributes["connection"] = connection
    return config


class MigrationError(RuntimeError):
    """A migration left the database inconsistent (it was rolled back)."""


def _foreign_keys(connection: Connection, on: bool) -> None:
    """SQLite's foreign key enforcement, set outside any transaction (inside one the
    pragma does nothing): a raw cursor, so no BEGIN is sent first."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


async def upgrade(database: Database) -> None:
    """Bring the schema up to date (a no-op when it already is).

    On SQLite foreign keys are off while migrations run: rebuilding a table (Alembic's
    batch mode) drops the old one, which would otherwise delete its children's rows in
    cascade. Whatever the migrations did is checked before it is committed."""

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), "head")
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                tables = ", ".join(sorted({str(row[0]) for row in broken}))
                raise MigrationError(f"a migration broke references in: {tables}")

    async with database.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            await connection.run_sync(_foreign_keys, False)
        try:
            await connection.run_sync(run)
            await connection.commit()
        finally:
            if sqlite:
                await connection.rollback()
                await connection.run_sync(_foreign_keys, True)
