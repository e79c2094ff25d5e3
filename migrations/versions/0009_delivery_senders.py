"""deliveries record who sent them and where, for rate limits

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slack_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("channel_id", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_deliveries_user", ["user_id", "received_at"], unique=False)
        batch_op.create_index("ix_deliveries_channel", ["channel_id", "received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slack_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_channel")
        batch_op.drop_index("ix_deliveries_user")
        batch_op.drop_column("channel_id")
        batch_op.drop_column("user_id")
