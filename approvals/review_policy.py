"""The governed review rules (examples/governance/reviews.yaml): the channel, the reviewers called on, the SLA."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from approvals.policy import parse_duration
from core.governed import GovernedFileError, load_governed

DEFAULT_REVIEWS = Path(__file__).resolve().parents[1] / "examples" / "governance" / "reviews.yaml"


class ReviewPolicyError(GovernedFileError):
    """The review rules are invalid; the message names the field."""


class ReviewSla(BaseModel):
    model_config = ConfigDict(extra="forbid")

    remind_after: str | None = Field(None, description="Remind the reviewers after this long, then every period.")
    escalate_after: str | None = None
    escalate_to: list[str] = Field(default_factory=list, description="Slack users or groups told once at escalation.")
    expire_after: str = "5d"

    @model_validator(mode="after")
    def _durations(self) -> ReviewSla:
        for value in (self.remind_after, self.escalate_after, self.expire_after):
            if value is not None:
                parse_duration(value)
        if self.escalate_after and not self.escalate_to:
            raise ValueError("escalate_after needs escalate_to: who is told")
        remind, expire = self.after("remind_after"), parse_duration(self.expire_after)
        if remind is not None and remind >= expire:
            raise ValueError("remind_after must be shorter than expire_after")
        return self

    def after(self, name: str) -> timedelta | None:
        value = getattr(self, name)
        return parse_duration(value) if value else None

    @property
    def expires_after(self) -> timedelta:
        return parse_duration(self.expire_after)


class ReviewPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=40)
    channel: str = Field(min_length=1, description="The sales-engineering channel the review cards go to.")
    reviewers: list[str] = Field(min_length=1, description="Slack users (U...) or user groups (S...) called on.")
    sla: ReviewSla = Field(default_factory=ReviewSla)

    @model_validator(mode="after")
    def _ids(self) -> ReviewPolicy:
        for who in [*self.reviewers, *self.sla.escalate_to]:
            if who[:1] not in ("U", "W", "S") or not who.isalnum():
                raise ValueError(f"{who!r} is not a Slack user (U...) or user group (S...) id")
        return self


def load_review_policy(path: Path = DEFAULT_REVIEWS) -> ReviewPolicy:
    """The review rules at `path`, validated; ReviewPolicyError names the file and the failing field."""
    return load_governed(path, ReviewPolicy, what="review rules", error=ReviewPolicyError)
