"""leads received by webhook, round-robin cursors of the routing rules, one account per web domain

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Accounts are matched by domain: two of one domain would make "which account" a guess.
    # An index, not a constraint: SQLite adds it in place (a constraint copies the table, which the
    # deals' foreign keys refuse).
    op.create_index("uq_accounts_domain", "accounts", ["domain"], unique=True)
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reference", core.db.JSONType, nullable=False),
        sa.Column("details", core.db.JSONType, nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("owner_slack_id", sa.String(length=32), nullable=True),
        sa.Column("routing_rule", sa.String(length=60), nullable=True),
        sa.Column("territory", sa.String(length=60), nullable=True),
        sa.Column("segment", sa.String(length=60), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("received_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"]),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "routing_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pool", sa.String(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pool"),
    )


def downgrade() -> None:
    op.drop_table("routing_cursors")
    op.drop_table("leads")
    op.drop_index("uq_accounts_domain", table_name="accounts")
