"""slack_deliveries: an index on received_at for the retention purge

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_received", "slack_deliveries", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_received", table_name="slack_deliveries")
