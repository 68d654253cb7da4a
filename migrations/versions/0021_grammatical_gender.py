"""A coach's or buddy's grammatical gender: how texts about her speak of her ("your coach" is feminine in
Arabic, Pashto, Tigrinya, Somali, French... when she is a woman). Null means neutral wording. Decision 0016.

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("grammatical_gender", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("grammatical_gender")
