"""Shared fixtures: a clean environment for settings, and a fresh, migrated database per test on SQLite
and, when ``TRAMPOLINE_TEST_POSTGRES_URL`` is set, on PostgreSQL too (each test run creates its own
PostgreSQL database and drops it at the end). The fixtures of tests/support (the bot, Telegram, WhatsApp) are
loaded here for every folder."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.core.clock import FakeClock
from bot.core.crypto import Cipher
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import Base
from tests.support.databases import (
    BACKENDS,
    asyncpg_dsn,
    create_postgres_database,
    drop_postgres_database,
)
from tests.support.harness import TEST_KEY

pytest_plugins = ["tests.support.fixtures", "tests.support.telegram", "tests.support.whatsapp"]

SETTING_PREFIXES = ("TRAMPOLINE_", "TELEGRAM_", "WHATSAPP_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting leaks in from the developer's shell or a .env file; the working directory is empty."""
    for name in list(os.environ):
        if name.startswith(SETTING_PREFIXES) and name != "TRAMPOLINE_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


# -- PostgreSQL: one database per test run ---


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    url = create_postgres_database()
    asyncio.run(_migrate(url))
    yield url
    drop_postgres_database(url)


async def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


# -- SQLite: migrate once, copy the file per test ---


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh database with the current schema and no rows."""
    if request.param == "sqlite":
        path = tmp_path / "trampoline.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_template")
    asyncio.run(_truncate_all(url))
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    # Sealed with the test key, as the service seals with its own (bot.db.sealing).
    database = Database(database_url, sealer=Cipher([TEST_KEY]))
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
