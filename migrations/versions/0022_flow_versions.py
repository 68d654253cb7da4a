"""A conversation remembers the version of its flow, so a step renamed in a newer version does not strand
a woman waiting at it (decision 0023).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("flow_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("flow_version")
