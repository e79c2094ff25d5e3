"""deals: the assigned sales engineer

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite adds it in place (a batch copy of deals is refused by its foreign keys).
    op.add_column("deals", sa.Column("sales_engineer_slack_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("deals", "sales_engineer_slack_id")
