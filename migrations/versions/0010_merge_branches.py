"""Merge the branches that grew in parallel from 0004: privacy (0006), buddies and shifts (0007), coaching
(0009). No schema change of its own.

Revision ID: 0010
Revises: 0006, 0007, 0009
Create Date: 2026-11-27 02:30:00
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | tuple[str, ...] | None = ("0006", "0007", "0009")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
