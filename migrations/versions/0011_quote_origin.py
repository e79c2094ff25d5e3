"""quotes and approval decisions record the job that made them, so a re-run finds them instead of repeating them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint("uq_quotes_origin", ["origin"])
    with op.batch_alter_table("approval_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("approval_steps", schema=None) as batch_op:
        batch_op.drop_column("origin")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_constraint("uq_quotes_origin", type_="unique")
        batch_op.drop_column("origin")
