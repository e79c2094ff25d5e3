"""The deal domain's tables: accounts, deals, shares, conversations and their messages."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, cast
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, enum_column
from core.privacy import PURGED, RetentionRule, holds_personal_text, retain


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


holds_personal_text(Message.text, Conversation.history, Deal.qualification, Deal.disqualified_reason, Account.notes)
retain(RetentionRule("messages", Message.created_at, {"text": PURGED}, Message.text != PURGED))
retain(RetentionRule("histories", Conversation.updated_at, {"history": []}, cast(Conversation.history, String) != "[]"))
