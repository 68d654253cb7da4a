"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from bot.db.engine import Database
from bot.db.migrate import current_revision, head_revision, is_current, upgrade
from bot.db.models import Base
from tests.support.databases import BACKENDS, create_postgres_database, drop_postgres_database


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrations_and_models_agree(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        assert not await is_current(db)
        await upgrade(db)
        assert await current_revision(db) == head_revision()
        async with db.engine.connect() as connection:
            differences = await connection.run_sync(_differences)
            tables = await connection.run_sync(_tables)
    finally:
        await db.dispose()
    assert differences == []
    assert tables == {*Base.metadata.tables, "alembic_version"}


async def test_upgrade_is_idempotent_and_downgrade_reverses_it(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await upgrade(db)
        await upgrade(db)
        assert await is_current(db)
        async with db.engine.connect() as connection:
            await connection.run_sync(_downgrade_to_base)
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_tables) == {"alembic_version"}
        await upgrade(db)
        assert await is_current(db)
    finally:
        await db.dispose()


def _downgrade_to_base(connection: Connection) -> None:
    from alembic import command

    from bot.db.migrate import alembic_config

    config = alembic_config()
    with connection.begin():
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
