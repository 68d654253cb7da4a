"""Profiles (the onboarding intake), alerts for coaches, encrypted check-in notes, inbound outcome,
answers to strangers in the outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:53:04.167443
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["people.id"], name=op.f("fk_alerts_coach_id_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["people.id"],
            name=op.f("fk_alerts_participant_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_coach_id"), ["coach_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "profiles",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("age_group", sa.String(length=16), nullable=True),
        sa.Column("has_children", sa.Boolean(), nullable=True),
        sa.Column("needs_childcare", sa.Boolean(), nullable=True),
        sa.Column("single_parent", sa.Boolean(), nullable=True),
        sa.Column("schooling", sa.String(length=16), nullable=True),
        sa.Column("ever_paid_job", sa.Boolean(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("local_language_level", sa.String(length=16), nullable=True),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("availability", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_profiles_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_profiles")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_ciphertext", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("note_kind", sa.String(length=16), nullable=True))

    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        # Rows from before this revision were all processed.
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=False, server_default="processed"))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient", sa.String(length=64), nullable=True))
        batch_op.alter_column("person_id", existing_type=sa.INTEGER(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("person_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("recipient")

    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_column("outcome")

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("note_kind")
        batch_op.drop_column("note_ciphertext")

    op.drop_table("profiles")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_participant_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_coach_id"))

    op.drop_table("alerts")
