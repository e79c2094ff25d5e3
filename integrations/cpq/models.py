"""Priced quotes, versioned per deal."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, enum_column


class QuoteStatus(enum.StrEnum):
    """Where a quote stands. DRAFT and APPROVED are final: a proposal may be drafted from them."""

    DRAFT = "draft"  # within the rep's authority: final as priced
    NEEDS_APPROVAL = "needs_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # a newer version replaced it before it was decided or used

    @property
    def is_final(self) -> bool:
        return self in (QuoteStatus.DRAFT, QuoteStatus.APPROVED)


class QuoteRecord(Base):
    """A priced quote, versioned per deal; the priced lines and rules are kept as the engine returned them."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    version: Mapped[int]
    status: Mapped[QuoteStatus] = mapped_column(enum_column(QuoteStatus, 20))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[str] = mapped_column(String(40), doc="Decimal as text: exact on every database")
    catalog_version: Mapped[str] = mapped_column(String(40))
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    quote: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    # The job (or delivery) that priced it: a re-run of that job finds this version instead of pricing anew.
    origin: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("deal_id", "version", name="uq_quotes_version"),
        UniqueConstraint("origin", name="uq_quotes_origin"),
    )
