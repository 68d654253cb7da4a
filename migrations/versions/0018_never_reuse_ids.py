"""Ids are never given twice: on SQLite every table with an integer ``id`` is recreated with
``AUTOINCREMENT`` (without it SQLite gives the highest id again once that row is deleted, so the id of an
erased person went to the next new one). Works on whatever tables exist when it runs: each is reflected and
copied (batch mode). On PostgreSQL nothing changes: its sequences never go back.

The people table's counter starts above every id a person ever had: the highest id now, plus one for each
erasure (an erased person whose id was above today's highest is counted there). Decision 0018.

Revision ID: 0018
Revises: 0010
Create Date: 2026-12-07 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tables_with_ids() -> list[str]:
    inspector = sa.inspect(op.get_bind())
    names = [n for n in inspector.get_table_names() if n not in ("alembic_version", "sqlite_sequence")]
    return [n for n in names if inspector.get_pk_constraint(n).get("constrained_columns") == ["id"]]


def _recreate(autoincrement: bool) -> None:
    for name in _tables_with_ids():
        with op.batch_alter_table(name, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _recreate(True)
    bind = op.get_bind()
    tables = set(sa.inspect(bind).get_table_names())
    if "people" in tables and "erasure_records" in tables:
        highest = bind.exec_driver_sql(
            "SELECT coalesce((SELECT max(id) FROM people), 0) + (SELECT count(*) FROM erasure_records)"
        ).scalar()
        bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'people'")
        bind.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES ('people', ?)", (int(highest or 0),))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _recreate(False)
