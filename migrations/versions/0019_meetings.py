"""meetings: demos and POC sessions offered, booked once, rescheduled or cancelled; their reminders; the local
calendar's events

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# One meeting of a kind being offered per deal: the same condition as the model's partial index.
OFFERED_MEETING = "status = 'offered'"


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("start_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attendees", core.db.JSONType, nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_event_id", sa.String(length=200), nullable=True),
        sa.Column("provider_sequence", sa.Integer(), nullable=True),
        sa.Column("ics_uid", sa.String(length=100), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("booked_round", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("next_step_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("booked_by", sa.String(length=32), nullable=True),
        sa.Column("changed_by_origin", sa.String(length=200), nullable=True),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"]),
        sa.ForeignKeyConstraint(["next_step_id"], ["next_steps.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ics_uid"),
        sa.UniqueConstraint("origin"),
    )
    op.create_index(
        "uq_meetings_offered",
        "meetings",
        ["deal_id", "kind"],
        unique=True,
        sqlite_where=sa.text(OFFERED_MEETING),
        postgresql_where=sa.text(OFFERED_MEETING),
    )
    op.create_index("ix_meetings_start", "meetings", ["status", "start_at"])
    op.create_table(
        "meeting_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=48), nullable=False),
        sa.Column("start_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("offered_to", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
        sa.UniqueConstraint("meeting_id", "round", "position", name="uq_meeting_offers_slot"),
    )
    op.create_index("ix_meeting_offers_origin", "meeting_offers", ["origin"])
    op.create_table(
        "meeting_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("skipped", sa.String(length=200), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "local_calendar_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("start_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attendees", core.db.JSONType, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("uid"),
    )


def downgrade() -> None:
    op.drop_table("local_calendar_events")
    op.drop_table("meeting_reminders")
    op.drop_index("ix_meeting_offers_origin", table_name="meeting_offers")
    op.drop_table("meeting_offers")
    op.drop_index("ix_meetings_start", table_name="meetings")
    op.drop_index("uq_meetings_offered", table_name="meetings")
    op.drop_table("meetings")
