"""Service settings: small values the service makes for itself, such as the Telegram webhook secret.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_settings")),
    )


def downgrade() -> None:
    op.drop_table("service_settings")
