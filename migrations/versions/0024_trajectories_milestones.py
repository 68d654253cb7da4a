"""Her year (issue 21): a trajectory per participant (start, planned end, how it ended) and the milestones on
her path from volunteering to work. Organisations get the planned length (12 months by default). Every
participant already in the database gets a trajectory that starts on the day she was added.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 02:00:00
"""

import calendar
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def _plus_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("trajectory_months", sa.SmallInteger(), server_default="12", nullable=False))
    op.create_table(
        "trajectories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("planned_end_on", sa.Date(), nullable=False),
        sa.Column("status", _enum("status", "active", "completed", "left"), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("left_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["people.id"], name=op.f("fk_trajectories_participant_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["people.id"], name=op.f("fk_trajectories_coach_id_people"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trajectories")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_trajectories_participant_id")),
    )
    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("achieved_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("contract", sa.String(length=32), nullable=True),
        sa.Column("source", _enum("source", "her", "coach", "import", "bot"), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("note_ciphertext", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("minutes IS NULL OR minutes > 0", name=op.f("ck_milestones_minutes_positive")),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["people.id"], name=op.f("fk_milestones_participant_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_milestones_recorded_by_id_people"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    op.create_index("ix_milestones_participant_on", "milestones", ["participant_id", "achieved_on"])
    _backfill()


def _backfill() -> None:
    """A trajectory for every participant already here, from the day she was added, with her first coach."""
    bind = op.get_bind()
    people = bind.execute(sa.text("SELECT id, created_at FROM people WHERE role = 'participant'")).all()
    if not people:
        return
    coaches = dict(
        bind.execute(
            sa.text("SELECT participant_id, MIN(coach_id) FROM caseload WHERE ended_at IS NULL GROUP BY participant_id")
        ).all()
    )
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":  # stored naive UTC there, as bot/db/types.py UTCDateTime does
        now = now.replace(tzinfo=None)
    table = sa.table(
        "trajectories",
        sa.column("participant_id", sa.Integer()),
        sa.column("coach_id", sa.Integer()),
        sa.column("started_on", sa.Date()),
        sa.column("planned_end_on", sa.Date()),
        sa.column("status", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    rows = []
    for person_id, created in people:
        moment = datetime.fromisoformat(created) if isinstance(created, str) else created
        started = (moment if moment.tzinfo is None else moment.astimezone(UTC)).date()
        rows.append(
            {
                "participant_id": person_id,
                "coach_id": coaches.get(person_id),
                "started_on": started,
                "planned_end_on": _plus_months(started, 12),
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
        )
    op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_index("ix_milestones_participant_on", table_name="milestones")
    op.drop_table("milestones")
    op.drop_table("trajectories")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("trajectory_months")
