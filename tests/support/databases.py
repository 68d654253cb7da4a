"""The test databases: the backends each database test runs on, and a PostgreSQL database made and dropped per
test run (or per test, for the tests that migrate one themselves) when ``TRAMPOLINE_TEST_POSTGRES_URL`` is set."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get("TRAMPOLINE_TEST_POSTGRES_URL")


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason="TRAMPOLINE_TEST_POSTGRES_URL is not set"),
    ),
]


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(statement: str) -> None:
    assert POSTGRES_ADMIN_URL
    connection = await asyncpg.connect(asyncpg_dsn(POSTGRES_ADMIN_URL))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_postgres_database() -> str:
    """Create an empty database and return its SQLAlchemy URL."""
    assert POSTGRES_ADMIN_URL
    name = f"trampoline_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return (
        make_url(POSTGRES_ADMIN_URL)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
