"""The kernel's tables: jobs, Slack deliveries and effects, the audit trail and the outbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, enum_column


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """Durable work: recorded by a listener before it acks, claimed and run by a worker."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus, 10), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_after: Mapped[datetime]
    lease_expires_at: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    correlation_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_jobs_claim", "status", "run_after"),)


class SlackDelivery(Base):
    """An inbound Slack request we accepted, keyed so a retry or duplicate is recognised."""

    __tablename__ = "slack_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    received_at: Mapped[datetime]
    user_id: Mapped[str | None] = mapped_column(String(32), doc="who sent it: rate limits count these")
    channel_id: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_deliveries_user", "user_id", "received_at"),
        Index("ix_deliveries_channel", "channel_id", "received_at"),
        # The retention purge deletes by age alone: without this it scans the whole table.
        Index("ix_deliveries_received", "received_at"),
    )


class SlackEffect(Base):
    """A Web API call a job made, journalled so a re-run of the job does not repeat it."""

    __tablename__ = "slack_effects"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    method: Mapped[str] = mapped_column(String(60))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only: who or what did what, from which inputs, with which outcome."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_type: Mapped[str] = mapped_column(String(16), doc="user | bot | system | model")
    actor_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str | None] = mapped_column(String(120), doc="e.g. deal:12, job:40, slack:chat.postMessage")
    deal_id: Mapped[int | None] = mapped_column(index=True)
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict, doc="ids of what the action used")
    outcome: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    correlation_id: Mapped[str | None] = mapped_column(String(40), index=True)
    # The hash chain, written by the sealer (core/audit.seal) in chain order: editing or deleting a
    # sealed event breaks the chain, and `lto audit verify` says where.
    seq: Mapped[int | None] = mapped_column(unique=True, doc="position in the chain; None until sealed")
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    # The id of the LTO_AUDIT_KEYS key whose HMAC `hash` is; None for events sealed before the chain was keyed.
    key_id: Mapped[str | None] = mapped_column(String(32))


class AuditChainHead(Base):
    """The chain's last sealed position and hash: one row, locked while sealing; catches truncation."""

    __tablename__ = "audit_chain_head"

    stream: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None]


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for (another) delivery attempt
    DELIVERED = "delivered"
    PARKED = "parked"  # gave up after the retries: an admin replays it


class OutboxEvent(Base):
    """A change to deliver to an outside system, committed with the change itself."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(60))
    aggregate: Mapped[str] = mapped_column(String(60), doc="e.g. deal:12")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus, 12), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
