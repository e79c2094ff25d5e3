"""approval requests keep the paused agent run; steps know when they were asked and what they replaced

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deal_link", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("agent_run", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True))
        batch_op.add_column(sa.Column("resumed_at", core.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("approval_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalated_from", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("approval_steps", schema=None) as batch_op:
        batch_op.drop_column("created_at")
        batch_op.drop_column("escalated_from")
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_column("resumed_at")
        batch_op.drop_column("agent_run")
        batch_op.drop_column("deal_link")
