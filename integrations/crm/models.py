"""The local CRM's tables: what a CRM would hold, written only by outbox delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.privacy import holds_personal_text


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


holds_personal_text(CrmNote.text, CrmDealRecord.properties)
