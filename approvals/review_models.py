"""Technical reviews by sales engineering: their tables, statuses and the draft a reviewer edits."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, enum_column
from core.privacy import holds_personal_text

ReviewKind = Literal["scope", "poc_plan"]
REVIEW_KINDS: tuple[str, ...] = ("scope", "poc_plan")
KIND_NAMES = {"scope": "Technical review", "poc_plan": "POC plan review"}


# The technical scope's first part: the edition and add-ons, which the quote's lines also say.
OFFER_SECTION = "Edition and add-ons"


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for a sales engineer to claim it
    CLAIMED = "claimed"  # a sales engineer is editing it
    DECIDED = "decided"  # the verdict is recorded
    EXPIRED = "expired"  # nobody decided within the SLA


class Verdict(enum.StrEnum):
    FEASIBLE = "feasible"
    FEASIBLE_WITH_CONDITIONS = "feasible_with_conditions"
    NOT_FEASIBLE = "not_feasible"


VERDICT_NAMES = {
    Verdict.FEASIBLE: "feasible",
    Verdict.FEASIBLE_WITH_CONDITIONS: "feasible with conditions",
    Verdict.NOT_FEASIBLE: "not feasible",
}
OPEN = (ReviewStatus.PENDING, ReviewStatus.CLAIMED)


class ReviewItem(BaseModel):
    """One claim of a draft; `citation` is the knowledge-base chunk that supports it (None: nobody cited one)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=500)
    citation: str | None = Field(None, max_length=200)


class ReviewSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    items: list[ReviewItem] = Field(default_factory=list, max_length=40)


class ReviewDraft(BaseModel):
    """What a sales engineer is asked to review: sections of cited items, the assumptions made, what is
    still open and the risks seen. Built by code (the technical scope, a POC plan), edited by a person."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=150)
    sections: list[ReviewSection] = Field(default_factory=list, max_length=10)
    assumptions: list[str] = Field(default_factory=list, max_length=40)
    open_questions: list[str] = Field(default_factory=list, max_length=40)
    risks: list[str] = Field(default_factory=list, max_length=40)


class ReviewResult(BaseModel):
    """The reviewer's edit: the draft as they left it, the conditions a conditional verdict sets (customer-facing),
    and how it differs from the draft (for the audit trail)."""

    model_config = ConfigDict(extra="forbid")

    draft: ReviewDraft
    conditions: list[str] = Field(default_factory=list)
    changes: dict[str, Any] = Field(default_factory=dict)


class TechnicalReview(Base):
    """A draft waiting on sales engineering, claimed by one engineer, decided once by a conditional update."""

    __tablename__ = "technical_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[ReviewStatus] = mapped_column(enum_column(ReviewStatus, 12))
    requester: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(150))
    draft: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any] | None] = mapped_column(doc="ReviewResult: the edited draft and its conditions")
    verdict: Mapped[Verdict | None] = mapped_column(enum_column(Verdict, 30))
    notes: Mapped[str | None] = mapped_column(Text, doc="the reviewer's internal notes; never shown to a customer")
    policy_version: Mapped[str] = mapped_column(String(40))
    # What asked for it (a click, a command, an inspection finding, a POC plan): asked twice, opened once.
    origin: Mapped[str | None] = mapped_column(String(200), unique=True)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    # The job that decided it: that job, run again after a crash, gets its own decision back.
    decided_origin: Mapped[str | None] = mapped_column(String(200))
    card_channel: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_technical_reviews_deal", "deal_id", "kind", "status"),)

    @property
    def draft_model(self) -> ReviewDraft:
        return ReviewDraft.model_validate(self.draft)

    @property
    def result_model(self) -> ReviewResult | None:
        return ReviewResult.model_validate(self.result) if self.result is not None else None


class ReviewNotice(Base):
    """A reminder, escalation or expiry notice of a review, claimed once per review and period by its key."""

    __tablename__ = "review_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("technical_reviews.id"))
    period: Mapped[str] = mapped_column(String(40), doc="reminder:1, reminder:2, ..., escalation, expiry")
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("review_id", "period", name="uq_review_notice_period"),)


# People's words: the reviewer's notes and edits, the rep's record echoed in the draft.
holds_personal_text(TechnicalReview.notes, TechnicalReview.result, TechnicalReview.draft)
