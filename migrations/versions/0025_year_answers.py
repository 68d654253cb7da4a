"""Her own view of her year (issue 21 §7): the feedback of her last month and, three months after the end,
how she is now. Decision 0037.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "year_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("helped", sa.JSON(), nullable=False),
        sa.Column("hard", sa.JSON(), nullable=False),
        sa.Column("recommend", sa.String(length=8), nullable=True),
        sa.Column("now_doing", sa.String(length=16), nullable=True),
        sa.Column("words_ciphertext", sa.Text(), nullable=True),
        sa.Column("words_kind", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["people.id"], name=op.f("fk_year_answers_participant_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_year_answers")),
        sa.UniqueConstraint("participant_id", "kind", name=op.f("uq_year_answers_participant_id_kind")),
    )


def downgrade() -> None:
    op.drop_table("year_answers")
