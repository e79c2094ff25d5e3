"""Priced quotes, versioned per deal."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, enum_column
from integrations.cpq.catalog import BillingFrequency


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


@dataclass(frozen=True)
class QuoteTerms:
    """The commercial terms a quote carries, as a rep, a proposal or an order form reads them."""

    currency: str
    payment_terms: str  # "net 30"
    billing_frequency: BillingFrequency
    term_start: date | None  # None: the term starts on signature
    valid_until: date | None  # None: not committed (a preview)

    def __str__(self) -> str:
        billed = {
            BillingFrequency.UPFRONT: "billed upfront for the whole term",
            BillingFrequency.ANNUAL: "billed annually in advance",
        }.get(self.billing_frequency, f"billed {self.billing_frequency}")
        starts = f"starts {self.term_start.isoformat()}" if self.term_start else "starts on signature"
        valid = f" · prices valid until {self.valid_until.isoformat()}" if self.valid_until else ""
        return f"{self.payment_terms} · {billed} · {starts} · {self.currency}{valid}"


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
    # The commercial terms it was committed with, as proposals and order forms print them; the approvals
    # that made it final are read through `integrations.cpq.service.decided_approval_steps`.
    payment_terms: Mapped[str] = mapped_column(String(40), doc='"net 30": net days, the deal\'s or the standard')
    billing_frequency: Mapped[BillingFrequency] = mapped_column(enum_column(BillingFrequency, 12))
    term_start: Mapped[date | None] = mapped_column(doc="when the subscription starts; None: on signature")
    valid_until: Mapped[date] = mapped_column(doc="the last day its prices hold: commit date + governed validity")

    __table_args__ = (
        UniqueConstraint("deal_id", "version", name="uq_quotes_version"),
        UniqueConstraint("origin", name="uq_quotes_origin"),
    )

    @property
    def terms(self) -> QuoteTerms:
        return QuoteTerms(
            currency=self.currency,
            payment_terms=self.payment_terms,
            billing_frequency=self.billing_frequency,
            term_start=self.term_start,
            valid_until=self.valid_until,
        )
