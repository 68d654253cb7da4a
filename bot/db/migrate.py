"""Apply the Alembic migrations from inside the running program (``trampoline db upgrade`` and
``trampoline run``), on the program's own engine, so the async event loop is not nested."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from bot.core.paths import migrations_dir
from bot.db.engine import Database


class MigrationError(Exception):
    """The schema could not be brought up to date; the message says why in one line."""


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url is not None:
        # ConfigParser interpolation: a literal % in a password must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(db: Database, revision: str = "heads") -> None:
    """Bring the schema up to ``revision``. On SQLite, foreign keys are off while migrating (a batch
    migration copies and drops tables) and checked afterwards."""
    config = alembic_config()
    async with db.engine.connect() as connection:
        await connection.run_sync(_upgrade, config, revision, db.is_sqlite)


def _upgrade(connection: Connection, config: Config, revision: str, is_sqlite: bool) -> None:
    raw: Any = connection.connection.dbapi_connection
    if is_sqlite:
        # Outside any transaction (the driver is in autocommit mode), as SQLite requires for this pragma.
        raw.cursor().execute("PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            if is_sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise MigrationError(f"migration left {len(broken)} rows with broken foreign keys")
    finally:
        if is_sqlite:
            raw.cursor().execute("PRAGMA foreign_keys=ON")


async def current_revisions(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        heads = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
    return set(heads)


async def current_revision(db: Database) -> str | None:
    """The applied revision (several, comma-separated, while migration branches are not merged)."""
    return ",".join(sorted(await current_revisions(db))) or None


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def head_revision() -> str | None:
    return ",".join(sorted(head_revisions())) or None


async def is_current(db: Database) -> bool:
    return await current_revisions(db) == head_revisions()
