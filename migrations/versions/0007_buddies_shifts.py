"""Buddies and volunteer shifts: buddy profiles (region, capacity), the order of the double opt-in, agreed
meetings, and what a participant says after a shift.

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-27 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "buddy_profiles",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity BETWEEN 0 AND 20", name=op.f("ck_buddy_profiles_capacity_range")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_buddy_profiles_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_buddy_profiles")),
    )
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("buddy_asked_first", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("buddy_matches") as batch:
        batch.add_column(sa.Column("buddy_first", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("meeting_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("meetings", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("volunteer_shifts") as batch:
        batch.add_column(sa.Column("feedback", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("note_ciphertext", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("volunteer_shifts") as batch:
        batch.drop_column("note_ciphertext")
        batch.drop_column("feedback")
    with op.batch_alter_table("buddy_matches") as batch:
        batch.drop_column("meetings")
        batch.drop_column("meeting_at")
        batch.drop_column("buddy_first")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("buddy_asked_first")
    op.drop_table("buddy_profiles")
