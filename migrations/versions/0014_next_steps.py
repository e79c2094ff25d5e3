"""next steps of deals with owners and due dates, follow-up nudges keyed once per step and period, deals at risk

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite adds it in place (a batch copy of deals is refused by its foreign keys).
    op.add_column("deals", sa.Column("at_risk_since", core.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "next_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner_slack_id", sa.String(length=32), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("finding_code", sa.String(length=60), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("origin"),
    )
    op.create_index("ix_next_steps_owner", "next_steps", ["owner_slack_id", "status", "due"])
    op.create_index("ix_next_steps_deal", "next_steps", ["deal_id", "status"])
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("recipients", core.db.JSONType, nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deferred_until", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("skipped", sa.String(length=200), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"]),
        sa.ForeignKeyConstraint(["step_id"], ["next_steps.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("follow_ups")
    op.drop_index("ix_next_steps_deal", table_name="next_steps")
    op.drop_index("ix_next_steps_owner", table_name="next_steps")
    op.drop_table("next_steps")
    op.drop_column("deals", "at_risk_since")  # SQLite 3.35+ drops a column in place
