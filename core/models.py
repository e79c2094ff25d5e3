"""The kernel's tables: accounts and deals, conversations, jobs, Slack deliveries, audit and outbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True, doc="lower-cased name for look-ups")
    domain: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100))
    employees: Mapped[int | None]
    region: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    deals: Mapped[list[Deal]] = relationship(back_populates="account")


class DealStage(enum.StrEnum):
    NEW = "new"
    DISCOVERY = "discovery"
    QUALIFIED = "qualified"
    PROPOSAL = "proposal"
    WON = "won"
    LOST = "lost"
    DISQUALIFIED = "disqualified"


class Deal(Base):
    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(200))
    owner_slack_id: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str | None] = mapped_column(String(200), unique=True, doc="the request that opened it")
    stage: Mapped[str] = mapped_column(String(20), default=DealStage.NEW)
    score: Mapped[int] = mapped_column(default=0)
    qualification: Mapped[dict[str, Any]] = mapped_column(default=dict)
    disqualified_reason: Mapped[str | None] = mapped_column(Text)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32), doc="the deal card's ts: the thread's root")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    account: Mapped[Account] = relationship(back_populates="deals")

    __table_args__ = (Index("ix_deals_owner", "owner_slack_id"),)


class DealShare(Base):
    """A deal its owner (or a manager) shared with another rep, who may then see and change it."""

    __tablename__ = "deal_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    shared_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("deal_id", "user_id", name="uq_deal_share"),)


class Conversation(Base):
    """One Slack thread or DM the bot takes part in, with its pydantic-ai message history."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32), doc="root ts; for a DM, the channel id")
    kind: Mapped[str] = mapped_column(String(16), doc="deal | mention | dm")
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"))
    started_by: Mapped[str] = mapped_column(String(32))
    history: Mapped[list[Any]] = mapped_column(default=list, doc="ModelMessagesTypeAdapter JSON")
    turns: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("channel_id", "thread_ts", name="uq_conversations_thread"),)


class Message(Base):
    """A message seen or posted in a conversation (the human-readable record; history is the model's)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    slack_ts: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(8), doc="rep | bot")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("conversation_id", "slack_ts", "role", name="uq_messages_ts"),)


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
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)
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


class AuditChainHead(Base):
    """The chain's last sealed position and hash: one row, locked while sealing; catches truncation."""

    __tablename__ = "audit_chain_head"

    stream: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None]


class OutboxEvent(Base):
    """A change to deliver to an outside system, committed with the change itself."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(60))
    aggregate: Mapped[str] = mapped_column(String(60), doc="e.g. deal:12")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", doc="pending | delivered | parked")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)


class CrmDealRecord(Base):
    """The local CRM's view of a deal (what a CRM would hold), written only by outbox delivery."""

    __tablename__ = "crm_deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    account_name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(30))
    amount: Mapped[str | None] = mapped_column(String(40), doc="Decimal as text: exact on every database")
    currency: Mapped[str | None] = mapped_column(String(3))
    quote_version: Mapped[int | None]
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class CrmNote(Base):
    __tablename__ = "crm_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_key: Mapped[str] = mapped_column(String(60), index=True)
    text: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime]


class KnowledgeAnswer(Base):
    """An answer given from the knowledge base, with what it was built from (for feedback and audit)."""

    __tablename__ = "knowledge_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    chunk_ids: Mapped[list[Any]] = mapped_column(default=list)
    answer: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class AnswerFeedback(Base):
    """A thumbs up or down on an answer; one vote per person, the latest counts."""

    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("knowledge_answers.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    helpful: Mapped[bool]
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("answer_id", "user_id", name="uq_feedback_vote"),)


class QuoteRecord(Base):
    """A priced quote, versioned per deal; the priced lines and rules are kept as the engine returned them."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), doc="draft | needs_approval | final | superseded")
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[str] = mapped_column(String(40), doc="Decimal as text: exact on every database")
    catalog_version: Mapped[str] = mapped_column(String(40))
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    quote: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("deal_id", "version", name="uq_quotes_version"),)


class ApprovalRequest(Base):
    """What a rep may not decide alone, waiting on the levels the policy named."""

    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), unique=True)
    requester: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(
        String(20), doc="pending | approved | rejected | changes_requested | expired | cancelled"
    )
    summary: Mapped[str] = mapped_column(Text)
    fired: Mapped[list[Any]] = mapped_column(default=list)
    policy_version: Mapped[str] = mapped_column(String(40))
    card_channel: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    deal_link: Mapped[str | None] = mapped_column(Text, doc="permalink of the deal thread, shown on the card")
    # The paused agent run that asked for this (pydantic-ai history with the deferred tool call),
    # resumed with the decision; None for requests made with `/lto quote`.
    agent_run: Mapped[dict[str, Any] | None]
    resumed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class ApprovalStep(Base):
    """One level's decision on a request; decided once, by a conditional update."""

    __tablename__ = "approval_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"))
    level: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(
        String(20), default="pending", doc="pending | approved | rejected | changes_requested | escalated"
    )
    escalated_from: Mapped[str | None] = mapped_column(String(20), doc="the level whose SLA ran out into this one")
    created_at: Mapped[datetime | None] = mapped_column(doc="when this level was asked; its SLA counts from here")
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("request_id", "level", name="uq_approval_step_level"),)
