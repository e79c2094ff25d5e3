"""The proof of concept's plan: its table (one plan per deal, with status, review and outcome) and the typed plan."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, enum_column
from core.privacy import holds_personal_text
from deals.qualification import format_money

Comparator = Literal["≤", "<", "≥", ">", "="]
TO_AGREE = "threshold to agree with the customer"
SE_TO_BE_ASSIGNED = "SE to be assigned"
MAX_CRITERIA = 30  # what one outcome form can ask about


class PocStatus(enum.StrEnum):
    DRAFT = "draft"  # drafted from the record; the rep may send it for review
    IN_REVIEW = "in_review"  # a sales engineer's review is open
    AGREED = "agreed"  # the review found it feasible: its milestones are next steps
    RUNNING = "running"  # its kick-off day came
    PASSED = "passed"  # every criterion met
    FAILED = "failed"  # a criterion not met, or not measured


class Outcome(enum.StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NOT_MEASURED = "not_measured"


OUTCOME_LABELS = {Outcome.MET: "met", Outcome.NOT_MET: "not met", Outcome.NOT_MEASURED: "not measured"}


def format_amount(value: Decimal) -> str:
    """`10,000`, `0.5`, `99.9`: the number as the customer would write it."""
    normal = value.normalize()
    if normal == normal.to_integral_value():
        return f"{int(normal):,}"
    return f"{normal:,f}"


class Threshold(BaseModel):
    """A measurable target: what is measured, how it compares, the value and its unit."""

    model_config = ConfigDict(frozen=True)

    metric: str = Field("", description="What is measured, in the customer's words where they said it.")
    comparator: Comparator
    value: Decimal
    unit: str = Field(description="minutes, %, `% reduction`, a currency code, or the counted thing")

    def amount(self) -> str:
        if self.unit in ("%", "% reduction"):
            return f"{format_amount(self.value)}%"
        if self.unit == "x":
            return f"{format_amount(self.value)}x"
        currency, _, rate = self.unit.partition(" per ")
        if len(currency) == 3 and currency.isupper():
            return format_money(self.value, currency) + (f" per {rate}" if rate else "")
        return f"{format_amount(self.value)} {self.unit}"

    def text(self) -> str:
        if self.unit == "% reduction":
            return f"{self.metric or 'effort'} reduced by {self.comparator} {self.amount()}"
        if self.comparator == "=" and self.value == 0 and self.metric == "":
            return f"{self.unit} = 0"
        return f"{self.metric} {self.comparator} {self.amount()}".strip()


class Criterion(BaseModel):
    """A success criterion: its measurable threshold, or its words with the threshold still to agree."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(pattern=r"^c[0-9]{1,3}$")
    text: str = Field(description="The criterion as the record said it.")
    threshold: Threshold | None = None
    baseline: str | None = Field(None, description="How it is today, when the record says so (`6 hours`).")
    citation: str | None = Field(None, description="The record field it came from (`qualification.metrics`).")

    def line(self) -> str:
        if self.threshold is None:
            return f"{self.text} — {TO_AGREE}"
        today = f" (today: {self.baseline})" if self.baseline else ""
        return f"{self.threshold.text()}{today}"


class DataSource(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    citation: str = "qualification.integrations"


MilestoneKey = Literal["kickoff", "connect", "workload", "readout"]


class Milestone(BaseModel):
    """A dated step of the POC with its owner on our side (a Slack user) and on the customer's."""

    model_config = ConfigDict(frozen=True)

    key: MilestoneKey
    title: str
    due: date
    owner_slack_id: str
    se_pending: bool = Field(False, description="The SE's milestone, held by the rep until an SE is assigned.")
    customer_owner: str | None = None

    def owner_text(self) -> str:
        pending = f" ({SE_TO_BE_ASSIGNED})" if self.se_pending else ""
        return f"<@{self.owner_slack_id}>{pending}"


class Owners(BaseModel):
    model_config = ConfigDict(frozen=True)

    rep: str
    sales_engineer: str | None = None
    customer: str | None = Field(None, description="The champion, else the main contact, as the record names them.")

    def sales_engineer_text(self) -> str:
        return f"<@{self.sales_engineer}>" if self.sales_engineer else SE_TO_BE_ASSIGNED


class PocPlan(BaseModel):
    """A POC plan as drafted from the record (and as the sales engineer's review left it)."""

    model_config = ConfigDict(frozen=True)

    deal_id: int
    drafted_on: date
    weeks: int = Field(ge=1, le=52)
    weeks_assumed: bool = False
    objectives: list[str] = Field(default_factory=list)
    criteria: list[Criterion] = Field(default_factory=list)
    data_sources: list[DataSource] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    owners: Owners
    assumptions: list[str] = Field(default_factory=list)
    open_questions: list[str] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)


class CriterionResult(BaseModel):
    """The rep's outcome for one criterion, with the value measured."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^c[0-9]{1,3}$")
    outcome: Outcome
    measured: str | None = Field(None, max_length=200)


class PocPlanRecord(Base):
    """A deal's POC plan: drafted, reviewed, agreed, run, and its outcome per criterion."""

    __tablename__ = "poc_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), unique=True)
    status: Mapped[PocStatus] = mapped_column(enum_column(PocStatus, 12), default=PocStatus.DRAFT)
    plan: Mapped[dict[str, Any]] = mapped_column(doc="PocPlan JSON")
    version: Mapped[int] = mapped_column(default=1, doc="bumped on every change: a button acts on the plan it showed")
    review_id: Mapped[int | None] = mapped_column(
        ForeignKey("technical_reviews.id"), doc="the technical review of this plan (kind poc_plan)"
    )
    outcome: Mapped[list[Any] | None] = mapped_column(doc="CriterionResult JSON, once recorded")
    outcome_by: Mapped[str | None] = mapped_column(String(32))
    outcome_at: Mapped[datetime | None]
    # The request that recorded the outcome: that request, run again, gets its own outcome back.
    outcome_origin: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def typed(self) -> PocPlan:
        return PocPlan.model_validate(self.plan)

    def results(self) -> list[CriterionResult]:
        return [CriterionResult.model_validate(item) for item in self.outcome or []]


holds_personal_text(PocPlanRecord.plan, PocPlanRecord.outcome)


def failed_lines(plan: PocPlan, results: Sequence[CriterionResult]) -> list[str]:
    """Each criterion that failed, as a line: what it was, and what happened."""
    by_key = {c.key: c for c in plan.criteria}
    lines = []
    for result in results:
        if result.outcome == Outcome.MET or result.key not in by_key:
            continue
        measured = f", measured {result.measured}" if result.measured else ""
        lines.append(f"{by_key[result.key].line()}: {OUTCOME_LABELS[result.outcome]}{measured}")
    return lines


class FailedPoc(BaseModel):
    """A deal's failed POC as inspection reads it: how many criteria, and the lines of those that failed."""

    model_config = ConfigDict(frozen=True)

    criteria: int
    failed: tuple[str, ...]


def failed_poc(session: Session, deal_id: int) -> FailedPoc | None:
    """The deal's POC, if its outcome failed (None otherwise)."""
    record = session.scalar(
        select(PocPlanRecord).where(PocPlanRecord.deal_id == deal_id, PocPlanRecord.status == PocStatus.FAILED)
    )
    if record is None:
        return None
    results = record.results()
    return FailedPoc(criteria=len(results), failed=tuple(failed_lines(record.typed(), results)))
