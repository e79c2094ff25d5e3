"""contracts: order forms, security reviews, envelopes sent for signature, and the orders signatures create

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# One envelope out per deal (or signed): the same condition as the model's partial index.
OPEN_ENVELOPE = "status IN ('sending', 'sent', 'completed')"


def upgrade() -> None:
    op.create_table(
        "order_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("legal_entity", sa.String(length=200), nullable=True),
        sa.Column("billing_address", sa.Text(), nullable=True),
        sa.Column("billing_contact_name", sa.String(length=200), nullable=True),
        sa.Column("billing_contact_email", sa.String(length=254), nullable=True),
        sa.Column("po_required", sa.Boolean(), nullable=False),
        sa.Column("po_number", sa.String(length=60), nullable=True),
        sa.Column("signer_name", sa.String(length=200), nullable=True),
        sa.Column("signer_email", sa.String(length=254), nullable=True),
        sa.Column("signer_title", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deal_id"),
    )
    op.create_table(
        "security_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("covers", core.db.JSONType, nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_security_reviews_deal", "security_reviews", ["deal_id"])
    op.create_table(
        "signature_envelopes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("envelope_id", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signer_email", sa.String(length=254), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("sent_by", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_by_name", sa.String(length=200), nullable=True),
        sa.Column("signed_by_email", sa.String(length=254), nullable=True),
        sa.Column("signed_ip", sa.String(length=45), nullable=True),
        sa.Column("signed_user_agent", sa.String(length=300), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"]),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
        sa.UniqueConstraint("envelope_id"),
        sa.UniqueConstraint("origin"),
    )
    op.create_index(
        "uq_signature_envelopes_open",
        "signature_envelopes",
        ["deal_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_ENVELOPE),
        postgresql_where=sa.text(OPEN_ENVELOPE),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("envelope_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_form", core.db.JSONType, nullable=False),
        sa.Column("signed_by_name", sa.String(length=200), nullable=False),
        sa.Column("signed_by_email", sa.String(length=254), nullable=True),
        sa.Column("signed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"]),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"]),
        sa.ForeignKeyConstraint(["envelope_id"], ["signature_envelopes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deal_id"),
        sa.UniqueConstraint("envelope_id"),
    )


def downgrade() -> None:
    op.drop_table("orders")
    op.drop_index("uq_signature_envelopes_open", table_name="signature_envelopes")
    op.drop_table("signature_envelopes")
    op.drop_index("ix_security_reviews_deal", table_name="security_reviews")
    op.drop_table("security_reviews")
    op.drop_table("order_forms")
