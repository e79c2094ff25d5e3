"""Outcome metrics: how fast deals move, how often people step in, how often we win, and the time saved.

Every figure is counted from what was recorded, for the deals that started on or after a date (a deal
starts when its lead was received, or when a rep opened it in Slack):

- the stage history: the `deal.stage_changed` event every stage change publishes in its own transaction;
- the audit trail: proposals drafted (`proposal.draft`), approval decisions (`approval.decide`),
  qualification changes (`qualification.change`), quotes priced (`quote.create`), approval requests
  (`approval.request`), leads routed (`lead.route`), technical scopes and POC plans drafted and reviewed
  (`review.request`, `poc.draft`, `review.decide`) and meetings booked (`meeting.book`);
- the approval steps, each asked (`created_at`) and decided (`decided_at`) at one level;
- the CRM write-backs the outbox carried for the deal;
- the governed assumptions of `examples/governance/time_saved.yaml`: minutes a person would spend on
  each kind of work by hand, multiplied by how often the bot did it. The estimate is only as good as
  those minutes: the report prints every one of them beside the figure.

People in the loop are counted four ways: approval decisions (a person deciding one level of a
request), proposal reviews (a draft the guardrail held for a person to look at before it goes out),
technical reviews (a sales engineer deciding a scope or a POC plan) and record corrections (a
qualification change that replaced a value the record held, not one that filled a gap or added to a
list).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from approvals.models import ApprovalRequest, ApprovalStep, StepStatus
from core.governed import GovernedFileError, load_governed
from core.models import AuditEvent, OutboxEvent
from deals import access
from deals.models import Account, Deal, DealStage
from integrations.leads.models import Lead

DEFAULT_TIME_SAVED = Path(__file__).resolve().parents[1] / "examples" / "governance" / "time_saved.yaml"
STAGE_CHANGED_TOPIC = "event.deal.stage_changed"
CRM_WRITE_TOPICS = ("crm.deal.upsert", "crm.deal.quote_total")  # one per change written to the CRM record
REACHED_QUALIFIED = {DealStage.QUALIFIED, DealStage.PROPOSAL, DealStage.WON}
UNKNOWN_SEGMENT = "unknown"
ALL_SEGMENTS = "all"
DECIDED_BY_A_PERSON = {StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.CHANGES_REQUESTED}


# The governed assumptions ------------------------------------------------------------------------


class TimeSavedError(GovernedFileError):
    """The time-saved assumptions file is invalid; the message names the field."""


class Assumption(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    minutes: float = Field(ge=0, le=480, description="Minutes a person spends on one, by hand.")
    basis: str = Field(min_length=1, max_length=300, description="Why that many: the work it stands for.")


class TimeSavedAssumptions(BaseModel):
    """Minutes per kind of work the bot does; each kind is counted by code (`ACTIVITIES`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    lead_routing: Assumption
    qualification_fact: Assumption
    crm_update: Assumption
    quote: Assumption
    approval_request: Assumption
    proposal: Assumption
    scope_draft: Assumption
    poc_plan: Assumption
    meeting_booking: Assumption


def load_time_saved(path: Path | None = None) -> TimeSavedAssumptions:
    """The governed assumptions at `path` (LTO_TIME_SAVED_PATH), else the example file."""
    return load_governed(
        path or DEFAULT_TIME_SAVED, TimeSavedAssumptions, what="time-saved assumptions", error=TimeSavedError
    )


# What each kind of work counts, said as the report says it.
ACTIVITIES: dict[str, str] = {
    "lead_routing": "leads routed to an owner by the rules",
    "qualification_fact": "qualification facts recorded from the conversation",
    "crm_update": "CRM write-backs of the deal record or quote total",
    "quote": "quote versions priced by CPQ",
    "approval_request": "approval requests routed to their approvers",
    "proposal": "proposals drafted that passed their checks",
    "scope_draft": "technical scopes drafted, cited, for sales engineering to review",
    "poc_plan": "POC plans drafted from discovery",
    "meeting_booking": "demos and POC sessions booked at a time that suits everyone",
}


# The report ------------------------------------------------------------------------------------


class DurationStats(BaseModel):
    """How long something took, over the deals where it happened."""

    deals: int
    median_hours: float | None
    mean_hours: float | None


class LevelCycle(BaseModel):
    """Approval cycle time at one level: from the level being asked to a person deciding."""

    level: str
    decided: int
    escalated: int  # nobody decided within the SLA: the next level was asked instead
    median_hours: float | None
    mean_hours: float | None


class Intervention(BaseModel):
    """How often people had to step in, per deal."""

    kind: str
    count: int
    per_deal: float | None
    deals_with_any: int


class SegmentWins(BaseModel):
    segment: str
    deals: int
    won: int
    lost: int
    win_rate: float | None  # won / (won + lost); None when none closed


class SavedWork(BaseModel):
    activity: str
    counted: str  # what was counted, in words
    done: int
    minutes_each: float
    minutes: float
    basis: str


class TimeSaved(BaseModel):
    assumptions_version: str
    lines: list[SavedWork]
    total_minutes: float
    per_deal_minutes: float | None


class OutcomeReport(BaseModel):
    """The outcome metrics of the deals that started in a period, as `lto report outcomes` prints them."""

    since: date | None
    generated_at: datetime
    deals: int
    lead_to_qualified: DurationStats
    lead_to_first_proposal: DurationStats
    approval_cycle: list[LevelCycle]
    human_in_the_loop: list[Intervention]
    win_rate: list[SegmentWins]
    time_saved: TimeSaved

    @property
    def period(self) -> str:
        return f"deals started since {self.since.isoformat()}" if self.since else "all deals"

    def overall_win_rate(self) -> SegmentWins | None:
        return next((row for row in self.win_rate if row.segment == ALL_SEGMENTS), None)

    def interventions_per_deal(self) -> float | None:
        return next((row.per_deal for row in self.human_in_the_loop if row.kind == "total"), None)


# Reading the record ----------------------------------------------------------------------------


@dataclass
class DealHistory:
    """One deal of the period: when it started, its segment, and what its record says happened."""

    deal_id: int
    started_at: datetime
    stage: DealStage
    segment: str
    qualified_at: datetime | None = None
    first_proposal_at: datetime | None = None
    interventions: Counter[str] = field(default_factory=Counter)
    work: Counter[str] = field(default_factory=Counter)


AUDITED_ACTIONS = (
    "proposal.draft",
    "approval.decide",
    "approval.request",
    "qualification.change",
    "quote.create",
    "lead.route",
    "review.request",
    "review.decide",
    "poc.draft",
    "meeting.book",
)


def replaced_a_value(old: Any, new: Any) -> bool:
    """Whether a qualification change replaced what the record held (a correction), not filled a gap or added
    to a list."""
    if old in (None, "", [], {}):
        return False
    if isinstance(old, list) and isinstance(new, list):
        return any(item not in new for item in old)
    return True


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _deals_of_period(
    session: Session, *, since: datetime | None, until: datetime, segment_of: Callable[[int | None], str | None]
) -> dict[int, DealHistory]:
    """The deals that started in [since, until]. A lead is received before its deal is opened, so a deal
    opened before `since` cannot have started after it."""
    query = select(Deal.id, Deal.created_at, Deal.stage, Account.employees).join(Account, Account.id == Deal.account_id)
    leads = select(Lead.deal_id, Lead.received_at, Lead.segment).join(Deal, Deal.id == Lead.deal_id)
    if since is not None:
        query = query.where(Deal.created_at >= since)
        leads = leads.where(Deal.created_at >= since)
    lead_of: dict[int, tuple[datetime, str | None]] = {}
    for lead_deal, received_at, segment in session.execute(leads):
        earliest = lead_of.get(lead_deal) if lead_deal is not None else None
        if lead_deal is not None and (earliest is None or received_at < earliest[0]):
            lead_of[lead_deal] = (received_at, segment)
    histories: dict[int, DealHistory] = {}
    for deal_id, created_at, stage, employees in session.execute(query):
        received_at, routed_segment = lead_of.get(deal_id, (created_at, None))
        started_at = min(received_at, created_at)
        if (since is not None and started_at < since) or started_at > until:
            continue
        segment = routed_segment or segment_of(employees) or UNKNOWN_SEGMENT
        histories[deal_id] = DealHistory(deal_id=deal_id, started_at=started_at, stage=stage, segment=segment)
    return histories


def _deal_of_aggregate(aggregate: str, prefix: str) -> int | None:
    """The deal id in an outbox aggregate (`deal:12`, `events:deal:12`), None for another aggregate."""
    number = aggregate.removeprefix(prefix)
    return int(number) if number != aggregate and number.isdigit() else None


def _read_stage_history(session: Session, histories: dict[int, DealHistory], since: datetime | None) -> None:
    # The stage is read in the database: only the few events that reached qualified or later come back.
    stage = OutboxEvent.payload[("data", "stage")].as_string()
    query = select(OutboxEvent.aggregate, OutboxEvent.created_at).where(
        OutboxEvent.topic == STAGE_CHANGED_TOPIC, stage.in_([str(s) for s in REACHED_QUALIFIED])
    )
    if since is not None:
        query = query.where(OutboxEvent.created_at >= since)
    for row in session.execute(query.order_by(OutboxEvent.id)):
        deal_id = _deal_of_aggregate(row.aggregate, "events:deal:")
        history = histories.get(deal_id) if deal_id is not None else None
        if history is not None and history.qualified_at is None:
            history.qualified_at = row.created_at


def _read_audit_trail(session: Session, histories: dict[int, DealHistory], since: datetime | None) -> None:
    # Of a change's detail only the values before and after are read (the evidence can be long).
    query = select(
        AuditEvent.deal_id,
        AuditEvent.action,
        AuditEvent.outcome,
        AuditEvent.actor_type,
        AuditEvent.at,
        AuditEvent.detail["old"].label("old"),
        AuditEvent.detail["new"].label("new"),
        AuditEvent.inputs["kind"].label("kind"),
    ).where(AuditEvent.action.in_(AUDITED_ACTIONS), AuditEvent.deal_id.is_not(None))
    if since is not None:  # everything about a deal of the period happened after it started
        query = query.where(AuditEvent.at >= since)
    for event in session.execute(query.order_by(AuditEvent.id)):
        history = histories.get(event.deal_id) if event.deal_id is not None else None
        if history is None:
            continue
        action, outcome, at = event.action, event.outcome, event.at
        if action == "proposal.draft" and outcome == "drafted":
            history.work["proposal"] += 1
            if history.first_proposal_at is None:
                history.first_proposal_at = at
        elif action == "proposal.draft":  # the guardrail held it: a person reviews it before it goes out
            history.interventions["proposal reviews"] += 1
        elif action == "approval.decide":
            history.interventions["approval decisions"] += 1
        elif action == "approval.request":
            history.work["approval_request"] += 1
        elif action == "quote.create":
            history.work["quote"] += 1
        elif action == "lead.route":
            history.work["lead_routing"] += 1
        elif action == "review.request" and event.kind == "scope":
            history.work["scope_draft"] += 1
        elif action == "review.decide":
            history.interventions["technical reviews"] += 1
        elif action == "poc.draft":
            history.work["poc_plan"] += 1
        elif action == "meeting.book":
            history.work["meeting_booking"] += 1
        elif action == "qualification.change":
            if replaced_a_value(event.old, event.new):
                history.interventions["record corrections"] += 1
            if event.actor_type == "model":
                history.work["qualification_fact"] += 1


def _read_crm_writes(session: Session, histories: dict[int, DealHistory], since: datetime | None) -> None:
    query = select(OutboxEvent.aggregate).where(OutboxEvent.topic.in_(CRM_WRITE_TOPICS))
    if since is not None:
        query = query.where(OutboxEvent.created_at >= since)
    for (aggregate,) in session.execute(query):
        deal_id = _deal_of_aggregate(aggregate, "deal:")
        history = histories.get(deal_id) if deal_id is not None else None
        if history is not None:
            history.work["crm_update"] += 1


@dataclass(frozen=True)
class StepTimes:
    level: str
    status: StepStatus
    asked_at: datetime | None
    decided_at: datetime | None


def _approval_steps(session: Session, histories: dict[int, DealHistory], since: datetime | None) -> list[StepTimes]:
    query = (
        select(
            ApprovalRequest.deal_id,
            ApprovalStep.level,
            ApprovalStep.status,
            ApprovalStep.created_at,
            ApprovalStep.decided_at,
        )
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStep.request_id)
        .order_by(ApprovalStep.id)
    )
    if since is not None:
        query = query.where(ApprovalRequest.created_at >= since)
    return [
        StepTimes(level, status, asked, decided)
        for deal_id, level, status, asked, decided in session.execute(query)
        if deal_id in histories
    ]


# The figures -----------------------------------------------------------------------------------


def _hours(spans: list[timedelta]) -> DurationStats:
    hours = [span.total_seconds() / 3600 for span in spans]
    if not hours:
        return DurationStats(deals=0, median_hours=None, mean_hours=None)
    return DurationStats(
        deals=len(hours), median_hours=round(statistics.median(hours), 2), mean_hours=round(statistics.fmean(hours), 2)
    )


def _per_deal(count: float, deals: int) -> float | None:
    return round(count / deals, 2) if deals else None


def _approval_cycle(steps: list[StepTimes]) -> list[LevelCycle]:
    spans: dict[str, list[float]] = defaultdict(list)
    escalated: Counter[str] = Counter()
    for step in steps:
        if step.status == StepStatus.ESCALATED:
            escalated[step.level] += 1
        elif step.status in DECIDED_BY_A_PERSON and step.asked_at and step.decided_at:
            spans[step.level].append((step.decided_at - step.asked_at).total_seconds() / 3600)
    levels = sorted(set(spans) | set(escalated))
    return [
        LevelCycle(
            level=level,
            decided=len(spans[level]),
            escalated=escalated[level],
            median_hours=round(statistics.median(spans[level]), 2) if spans[level] else None,
            mean_hours=round(statistics.fmean(spans[level]), 2) if spans[level] else None,
        )
        for level in levels
    ]


INTERVENTION_KINDS = ("approval decisions", "proposal reviews", "technical reviews", "record corrections")


def _human_in_the_loop(histories: list[DealHistory]) -> list[Intervention]:
    rows = []
    for kind in (*INTERVENTION_KINDS, "total"):
        counts = [
            sum(h.interventions[k] for k in INTERVENTION_KINDS) if kind == "total" else h.interventions[kind]
            for h in histories
        ]
        rows.append(
            Intervention(
                kind=kind,
                count=sum(counts),
                per_deal=_per_deal(sum(counts), len(histories)),
                deals_with_any=sum(1 for c in counts if c),
            )
        )
    return rows


def _win_rate(histories: list[DealHistory]) -> list[SegmentWins]:
    by_segment: dict[str, list[DealHistory]] = defaultdict(list)
    for history in histories:
        by_segment[history.segment].append(history)

    def row(segment: str, members: list[DealHistory]) -> SegmentWins:
        won = sum(1 for h in members if h.stage == DealStage.WON)
        lost = sum(1 for h in members if h.stage == DealStage.LOST)
        rate = round(won / (won + lost), 3) if won + lost else None
        return SegmentWins(segment=segment, deals=len(members), won=won, lost=lost, win_rate=rate)

    rows = [row(segment, by_segment[segment]) for segment in sorted(by_segment)]
    return [*rows, row(ALL_SEGMENTS, histories)]


def _time_saved(histories: list[DealHistory], assumptions: TimeSavedAssumptions) -> TimeSaved:
    lines = []
    for activity, counted in ACTIVITIES.items():
        assumption: Assumption = getattr(assumptions, activity)
        done = sum(h.work[activity] for h in histories)
        lines.append(
            SavedWork(
                activity=activity,
                counted=counted,
                done=done,
                minutes_each=assumption.minutes,
                minutes=round(done * assumption.minutes, 2),
                basis=assumption.basis,
            )
        )
    total = round(sum(line.minutes for line in lines), 2)
    return TimeSaved(
        assumptions_version=assumptions.version,
        lines=lines,
        total_minutes=total,
        per_deal_minutes=_per_deal(total, len(histories)),
    )


def compute_outcomes(
    session: Session,
    *,
    since: date | None,
    now: datetime,
    segment_of: Callable[[int | None], str | None],
    assumptions: TimeSavedAssumptions,
) -> OutcomeReport:
    """The outcome report of the deals that started on or after `since` (every deal when None) up to `now`.

    `segment_of` names the segment of a company of that many employees (the routing rules' segments), for
    deals that did not come from a routed lead."""
    start = _start_of(since) if since is not None else None
    by_id = _deals_of_period(session, since=start, until=now, segment_of=segment_of)
    _read_stage_history(session, by_id, start)
    _read_audit_trail(session, by_id, start)
    _read_crm_writes(session, by_id, start)
    histories = list(by_id.values())
    return OutcomeReport(
        since=since,
        generated_at=now,
        deals=len(histories),
        lead_to_qualified=_hours([h.qualified_at - h.started_at for h in histories if h.qualified_at]),
        lead_to_first_proposal=_hours([h.first_proposal_at - h.started_at for h in histories if h.first_proposal_at]),
        approval_cycle=_approval_cycle(_approval_steps(session, by_id, start)),
        human_in_the_loop=_human_in_the_loop(histories),
        win_rate=_win_rate(histories),
        time_saved=_time_saved(histories, assumptions),
    )


def team_outcomes(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    since: date | None,
    now: datetime,
    segment_of: Callable[[int | None], str | None],
    assumptions: TimeSavedAssumptions,
) -> OutcomeReport:
    """`/lto report`: the team's outcomes, for managers and admins only. Raises access.Forbidden."""
    access.check_team_outcomes(who)
    with session_factory() as session:
        return compute_outcomes(session, since=since, now=now, segment_of=segment_of, assumptions=assumptions)
