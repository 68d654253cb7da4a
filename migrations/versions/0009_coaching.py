"""Coaching: each coach's summary day and time, and whether her alerts respect her quiet hours.

Revision ID: 0009
Revises: 0004
Create Date: 2026-11-27 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coach_settings",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("summary_weekday", sa.SmallInteger(), nullable=False),
        sa.Column("summary_time", sa.Time(), nullable=False),
        sa.Column("alerts_respect_quiet_hours", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("summary_weekday BETWEEN 0 AND 6", name=op.f("ck_coach_settings_summary_weekday_range")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_coach_settings_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_coach_settings")),
    )


def downgrade() -> None:
    op.drop_table("coach_settings")
