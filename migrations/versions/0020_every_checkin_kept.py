"""Every check-in is its own record: a second check-in in the same week no longer replaces the first, so
her first note and her "contact me" are kept. The unique constraint on (person_id, week) becomes a plain
index. Decision 0015.

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# On SQLite batch mode copies the table: keep its AUTOINCREMENT (migration 0018), so ids are never given twice.
KEEP_IDS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None, table_kwargs=KEEP_IDS) as batch_op:
        batch_op.drop_constraint(op.f("uq_checkins_person_id_week"), type_="unique")
        batch_op.create_index(op.f("ix_checkins_person_id_week"), ["person_id", "week"], unique=False)


def downgrade() -> None:
    # Going back keeps only the latest check-in of each week, as the old schema can hold one.
    op.execute("DELETE FROM checkins WHERE id NOT IN (SELECT MAX(id) FROM checkins GROUP BY person_id, week)")
    with op.batch_alter_table("checkins", schema=None, table_kwargs=KEEP_IDS) as batch_op:
        batch_op.drop_index(op.f("ix_checkins_person_id_week"))
        batch_op.create_unique_constraint(op.f("uq_checkins_person_id_week"), ["person_id", "week"])
