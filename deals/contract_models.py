"""The contract's tables: the order form a rep completes, security reviews, and the order a signature creates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.privacy import holds_personal_text

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class OrderFormEntry(BaseModel):
    """The order form's fields as the customer gives them (each may still be missing), validated on the way in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    legal_entity: Line | None = Field(None, description="The customer's legal entity, as on its register.")
    billing_address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = (
        None
    )
    billing_contact_name: Line | None = None
    billing_contact_email: EmailStr | None = None
    po_required: bool = Field(False, description="The customer's invoices must carry its purchase order number.")
    po_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None = None
    signer_name: Line | None = Field(None, description="Who signs for the customer.")
    signer_email: EmailStr | None = None
    signer_title: Line | None = None


class OrderForm(Base):
    """A deal's order form as the rep recorded it from the customer; one per deal, changed until it is sent."""

    __tablename__ = "order_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), unique=True)
    legal_entity: Mapped[str | None] = mapped_column(String(200))
    billing_address: Mapped[str | None] = mapped_column(Text)
    billing_contact_name: Mapped[str | None] = mapped_column(String(200))
    billing_contact_email: Mapped[str | None] = mapped_column(String(254))
    po_required: Mapped[bool] = mapped_column(default=False)
    po_number: Mapped[str | None] = mapped_column(String(60))
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signer_email: Mapped[str | None] = mapped_column(String(254))
    signer_title: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]

    def entry(self) -> OrderFormEntry:
        return OrderFormEntry.model_validate({name: getattr(self, name) for name in OrderFormEntry.model_fields})


class SecurityReview(Base):
    """A security approver's review of the compliance gaps a deal's inspection flagged, as they stood then."""

    __tablename__ = "security_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    reviewed_by: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    covers: Mapped[list[Any]] = mapped_column(default=list, doc="the gap findings reviewed, as inspection said them")
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_security_reviews_deal", "deal_id"),)


class Order(Base):
    """What a signed contract created: the quote's lines and total, the order form as signed, who signed and when."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), unique=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"))
    envelope_id: Mapped[int] = mapped_column(ForeignKey("signature_envelopes.id"), unique=True)
    total: Mapped[str] = mapped_column(String(40), doc="Decimal as text: exact on every database")
    currency: Mapped[str] = mapped_column(String(3))
    order_form: Mapped[dict[str, Any]] = mapped_column(default=dict, doc="OrderFormEntry JSON, as signed")
    signed_by_name: Mapped[str] = mapped_column(String(200))
    signed_by_email: Mapped[str | None] = mapped_column(String(254))
    signed_at: Mapped[datetime]
    created_at: Mapped[datetime]

    @property
    def number(self) -> str:
        """The order's number as people and the CRM read it."""
        return f"ORD-{self.id:06d}"


holds_personal_text(
    OrderForm.billing_address,
    OrderForm.billing_contact_name,
    OrderForm.billing_contact_email,
    OrderForm.signer_name,
    OrderForm.signer_email,
    SecurityReview.note,
    Order.order_form,
    Order.signed_by_name,
    Order.signed_by_email,
)
