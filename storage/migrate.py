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


async def upgrade(database: Database) -> None:
    """Bring the schema up to date (a no-op when it already is)."""

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), "head")

    async with database.engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()
