"""Approval requests and the decision of each level."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, enum_column
from core.privacy import holds_personal_text


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    EXPIRED = "expired"  # nobody decided within the policy's SLA
    CANCELLED = "cancelled"  # a newer quote of the deal replaced the one it was asked for


class StepStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    ESCALATED = "escalated"  # its SLA ran out: the next level decides in its place


class ApprovalRequest(Base):
    """What a rep may not decide alone, waiting on the levels the policy named."""

    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), unique=True)
    requester: Mapped[str] = mapped_column(String(32))
    status: Mapped[ApprovalStatus] = mapped_column(enum_column(ApprovalStatus, 20))
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
    status: Mapped[StepStatus] = mapped_column(enum_column(StepStatus, 20), default=StepStatus.PENDING)
    escalated_from: Mapped[str | None] = mapped_column(String(20), doc="the level whose SLA ran out into this one")
    created_at: Mapped[datetime | None] = mapped_column(doc="when this level was asked; its SLA counts from here")
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    # The job that decided it: that job, run again after a crash, recognises its own decision.
    origin: Mapped[str | None] = mapped_column(String(200))
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("request_id", "level", name="uq_approval_step_level"),)


# A paused run keeps the rep's words in its history and summary until it resumes.
holds_personal_text(ApprovalStep.reason, ApprovalRequest.summary, ApprovalRequest.agent_run)
