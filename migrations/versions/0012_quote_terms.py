"""quotes carry their commercial terms: payment terms, billing frequency, term start and validity

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# What the governed catalog and policy said when quotes had no terms of their own: billed annually in
# advance, prices valid 30 days from the commit, net 30 unless the request asked for other net days.
VALID_DAYS_THEN = 30
STANDARD_NET_DAYS_THEN = 30

quotes = sa.table(
    "quotes",
    sa.column("id", sa.Integer()),
    sa.column("request", core.db.JSONType),
    sa.column("created_at", core.db.UTCDateTime()),
    sa.column("payment_terms", sa.String()),
    sa.column("billing_frequency", sa.String()),
    sa.column("valid_until", sa.Date()),
)


def upgrade() -> None:
    # Added as plain columns (no table copy on SQLite), then filled in.
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_terms", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("billing_frequency", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("term_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
    connection = op.get_bind()
    for quote_id, request, created_at in connection.execute(
        sa.select(quotes.c.id, quotes.c.request, quotes.c.created_at)
    ):
        days = (request or {}).get("payment_terms_days", STANDARD_NET_DAYS_THEN)
        connection.execute(
            quotes.update()
            .where(quotes.c.id == quote_id)
            .values(
                payment_terms=f"net {days}",
                billing_frequency="annual",
                valid_until=created_at.date() + timedelta(days=VALID_DAYS_THEN),
            )
        )
    if connection.dialect.name == "postgresql":
        # Every quote now has its terms. SQLite can only tighten a column by copying the table, which the
        # approval requests' foreign keys refuse there; the model writes the terms on every quote either way.
        op.alter_column("quotes", "payment_terms", existing_type=sa.String(length=40), nullable=False)
        op.alter_column("quotes", "billing_frequency", existing_type=sa.String(length=12), nullable=False)
        op.alter_column("quotes", "valid_until", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_column("valid_until")
        batch_op.drop_column("term_start")
        batch_op.drop_column("billing_frequency")
        batch_op.drop_column("payment_terms")
