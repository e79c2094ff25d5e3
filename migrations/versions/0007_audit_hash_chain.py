"""audit events are sealed into a hash chain

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    head = op.create_table(
        "audit_chain_head",
        sa.Column("stream", sa.String(length=20), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("stream"),
    )
    # The chain starts here; sealers lock this row, so it must exist before the first of them runs.
    op.bulk_insert(head, [{"stream": "audit", "last_seq": 0, "last_hash": "0" * 64}])
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_audit_events_seq", ["seq"])


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_events_seq", type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_chain_head")
