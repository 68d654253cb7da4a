"""Alembic environment: async engines, batch mode for SQLite, the models' metadata as the target.

The program passes its own connection in ``config.attributes["connection"]`` (see ``bot/db/migrate.py``);
the ``alembic`` command line gets a fresh engine from the settings.
"""

import asyncio

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db.models import Base
from bot.db.types import UTCDateTime

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from bot.core.settings import load_settings

    return load_settings().database_url


def _render_item(type_: str, obj: object, _autogen_context: object) -> str | bool:
    # Migrations must not depend on the Python-side wrapper, only on what the database stores.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table instead
        compare_type=True,
        render_item=_render_item,
        **kwargs,
    )


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(_run_async())
    else:
        _run(connection)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
