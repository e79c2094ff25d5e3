"""Envelopes sent for signature: one row per hand-off to the e-signature provider, signed at most once."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, enum_column
from core.privacy import holds_personal_text


class EnvelopeStatus(enum.StrEnum):
    SENDING = "sending"  # reserved: the provider was asked (or is about to be) but has not confirmed yet
    SENT = "sent"  # the signer has it
    COMPLETED = "completed"  # signed: the deal is won and its order exists
    DECLINED = "declined"  # the signer refused
    VOIDED = "voided"  # withdrawn at the provider
    FAILED = "failed"  # the provider refused it: nothing reached the signer

    @property
    def is_open(self) -> bool:
        """Blocks another envelope for the deal: one contract out at a time, and none after signature."""
        return self in OPEN_STATUSES


OPEN_STATUSES = (EnvelopeStatus.SENDING, EnvelopeStatus.SENT, EnvelopeStatus.COMPLETED)
# The partial index's condition, written out: the migration creates the same index.
OPEN_ENVELOPE = "status IN ('sending', 'sent', 'completed')"


class SignatureEnvelope(Base):
    """A contract sent for signature: to whom, through which provider, and who signed it, when and from where."""

    __tablename__ = "signature_envelopes"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"))
    provider: Mapped[str] = mapped_column(String(16), doc="local or docusign")
    reference: Mapped[str] = mapped_column(String(64), unique=True, doc="our id, given to the provider with it")
    envelope_id: Mapped[str | None] = mapped_column(String(100), unique=True, doc="the provider's id, once sent")
    status: Mapped[EnvelopeStatus] = mapped_column(enum_column(EnvelopeStatus, 12))
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_email: Mapped[str] = mapped_column(String(254))
    document_sha256: Mapped[str | None] = mapped_column(String(64), doc="the document the signer received")
    sent_by: Mapped[str] = mapped_column(String(32))
    # The job that sent it: that job, run again, finds this envelope instead of sending another.
    origin: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None] = mapped_column(doc="signed, declined or voided")
    signed_by_name: Mapped[str | None] = mapped_column(String(200))
    signed_by_email: Mapped[str | None] = mapped_column(String(254))
    signed_ip: Mapped[str | None] = mapped_column(String(45))
    signed_user_agent: Mapped[str | None] = mapped_column(String(300))
    outcome_note: Mapped[str | None] = mapped_column(Text, doc="why it failed, was declined or voided")
    updated_at: Mapped[datetime]

    __table_args__ = (
        # One envelope out per deal (or signed): a second click, or two at once, cannot send another.
        Index(
            "uq_signature_envelopes_open",
            "deal_id",
            unique=True,
            sqlite_where=text(OPEN_ENVELOPE),
            postgresql_where=text(OPEN_ENVELOPE),
        ),
    )


holds_personal_text(
    SignatureEnvelope.signer_name,
    SignatureEnvelope.signer_email,
    SignatureEnvelope.signed_by_name,
    SignatureEnvelope.signed_by_email,
    SignatureEnvelope.signed_ip,
    SignatureEnvelope.signed_user_agent,
    SignatureEnvelope.outcome_note,
)
