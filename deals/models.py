"""The deal domain's tables: accounts, deals, shares, conversations and their messages, next steps and follow-ups."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, and_, cast
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, enum_column
from core.privacy import PURGED, RetentionRule, holds_personal_text, retain


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (Index("uq_accounts_domain", "domain", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True, doc="lower-cased name for look-ups")
    # One account per web domain; a unique index (not a constraint) so SQLite adds it without a table copy.
    domain: Mapped[str | None] = mapped_column(String(200), doc="web domain: one account per domain")
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


class ConversationKind(enum.StrEnum):
    DEAL = "deal"  # the deal's own thread, opened with the deal
    THREAD = "thread"  # a reply in a thread the bot owns
    MENTION = "mention"  # a thread the bot was @mentioned in
    DM = "dm"


class MessageRole(enum.StrEnum):
    REP = "rep"
    BOT = "bot"


class Deal(Base):
    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(200))
    owner_slack_id: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str | None] = mapped_column(String(200), unique=True, doc="the request that opened it")
    stage: Mapped[DealStage] = mapped_column(enum_column(DealStage, 20), default=DealStage.NEW)
    score: Mapped[int] = mapped_column(default=0)
    qualification: Mapped[dict[str, Any]] = mapped_column(default=dict)
    disqualified_reason: Mapped[str | None] = mapped_column(Text)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32), doc="the deal card's ts: the thread's root")
    # The sales engineer who took the deal's technical review; invited to its demos and POC.
    sales_engineer_slack_id: Mapped[str | None] = mapped_column(String(32), doc="the assigned sales engineer")
    # Set by the follow-up sweep when the target close date passed on an open deal; cleared when it moves out.
    at_risk_since: Mapped[datetime | None] = mapped_column(doc="when the deal was found at risk; None: on track")
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
    kind: Mapped[ConversationKind] = mapped_column(enum_column(ConversationKind, 16))
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
    role: Mapped[MessageRole] = mapped_column(enum_column(MessageRole, 8))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("conversation_id", "slack_ts", "role", name="uq_messages_ts"),)


class NextStepStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class NextStepSource(enum.StrEnum):
    FINDING = "finding"  # a deal inspection finding's next step, accepted by a click
    AGENT = "agent"  # proposed by the discovery agent, accepted by a click
    REP = "rep"  # said by a person in the deal thread
    POC = "poc"  # a milestone of an agreed POC plan, or the step its outcome leads to


class NextStep(Base):
    """Something someone will do for a deal by a date: shown on the card, nudged when due."""

    __tablename__ = "next_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    title: Mapped[str] = mapped_column(Text)
    owner_slack_id: Mapped[str] = mapped_column(String(32))
    due: Mapped[date]
    status: Mapped[NextStepStatus] = mapped_column(enum_column(NextStepStatus, 12), default=NextStepStatus.OPEN)
    source: Mapped[NextStepSource] = mapped_column(enum_column(NextStepSource, 12))
    finding_code: Mapped[str | None] = mapped_column(String(60), doc="the inspection finding it came from")
    created_by: Mapped[str] = mapped_column(String(32))
    # The request that added it (a click, a message): a re-run of that request finds it instead of adding again.
    origin: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(doc="last change: added, snoozed, reassigned, done")
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_next_steps_owner", "owner_slack_id", "status", "due"),
        Index("ix_next_steps_deal", "deal_id", "status"),
    )


class FollowUpKind(enum.StrEnum):
    STEP_DUE = "step_due"  # a next step is due or overdue: its owner
    DEAL_IDLE = "deal_idle"  # nothing happened on the deal for the stage's period: its owner
    IDLE_ESCALATION = "idle_escalation"  # still nothing a period later: the owner's manager
    AT_RISK = "at_risk"  # the target close date passed: the owner


class FollowUp(Base):
    """One nudge, claimed by its key: a step and period (or an idle spell) is nudged once, whichever replica's
    sweep gets there first. The row records where it went and when it may be sent (after quiet hours)."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True, doc="e.g. step:12:due:2026-12-08:0")
    kind: Mapped[FollowUpKind] = mapped_column(enum_column(FollowUpKind, 20))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("next_steps.id"))
    recipients: Mapped[list[Any]] = mapped_column(default=list, doc="Slack user or user group ids")
    created_at: Mapped[datetime]
    deferred_until: Mapped[datetime | None] = mapped_column(doc="quiet hours: not sent before this")
    sent_at: Mapped[datetime | None]
    skipped: Mapped[str | None] = mapped_column(String(200), doc="why it was not sent (the step was done meanwhile)")
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))


holds_personal_text(
    Message.text, Conversation.history, Deal.qualification, Deal.disqualified_reason, Account.notes, NextStep.title
)
retain(RetentionRule("messages", Message.created_at, {"text": PURGED}, Message.text != PURGED))
retain(RetentionRule("histories", Conversation.updated_at, {"history": []}, cast(Conversation.history, String) != "[]"))
# A done step's words go with the conversation's; an open one is work still to do.
retain(
    RetentionRule(
        "next_steps",
        NextStep.updated_at,
        {"title": PURGED},
        and_(NextStep.title != PURGED, NextStep.status == NextStepStatus.DONE),
    )
)
