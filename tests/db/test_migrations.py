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


async def test_the_women_already_here_get_a_year_from_the_day_they_were_added(empty_database_url: str) -> None:
    """Migration 0024: every participant already in the database gets a trajectory, with her coach."""
    from sqlalchemy import text

    db = Database(empty_database_url)
    try:
        await upgrade(db, "0023")
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO organisations (id, name, default_locale, timezone, created_at, buddy_asked_first)"
                    " VALUES (1, 'Foyer', 'nl', 'Europe/Brussels', '2026-03-31 10:00:00', false)"
                )
            )
            for person_id, role in ((1, "coach"), (2, "participant"), (3, "buddy")):
                await connection.execute(
                    text(
                        "INSERT INTO people (id, organisation_id, role, locale, timezone, status, quiet_start,"
                        " quiet_end, created_at, updated_at) VALUES (:id, 1, :role, 'ar', 'Europe/Brussels',"
                        " 'active', '22:00:00', '07:00:00', '2026-03-31 10:00:00', '2026-03-31 10:00:00')"
                    ),
                    {"id": person_id, "role": role},
                )
            await connection.execute(
                text(
                    "INSERT INTO caseload (coach_id, participant_id, assigned_at) VALUES (1, 2, '2026-03-31 10:00:00')"
                )
            )
        await upgrade(db)
        async with db.engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT participant_id, coach_id, started_on, planned_end_on, status FROM trajectories")
                )
            ).all()
    finally:
        await db.dispose()
    assert [(r[0], r[1], str(r[2]), str(r[3]), r[4]) for r in rows] == [(2, 1, "2026-03-31", "2027-03-31", "active")]
