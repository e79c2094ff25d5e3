"""A person's Home: their open deals by stage (next step, findings), follow-ups due, approvals, team outcomes.

What each person sees is decided here: every rep their own deals and requests; an approver of any
policy level what waits for them; managers and admins the team's outcome metrics. Next steps come
from `deals.next_steps` when that module is installed (its section is left out otherwise).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import ModuleType
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from approvals import service as approvals
from approvals.models import ApprovalRequest, StepStatus
from approvals.policy import Policy
from deals import access
from deals.inspection import Finding, inspect_deal
from deals.models import Account, Deal, DealStage
from deals.outcomes import OutcomeReport, TimeSavedAssumptions, compute_outcomes
from deals.service import Inspection, qualification_of

OPEN_STAGES = (DealStage.NEW, DealStage.DISCOVERY, DealStage.QUALIFIED, DealStage.PROPOSAL)
MAX_DEALS = 15  # the most recently active; a Home tab holds 100 blocks and is read at a glance
MAX_LINES = 10  # per list: follow-ups, requests
TEAM_WINDOW = timedelta(days=90)
NEXT_STEPS_MODULE = "deals.next_steps"


@dataclass(frozen=True)
class StepLine:
    step_id: int
    deal_id: int
    company: str
    title: str
    due: date | None
    overdue: bool


@dataclass(frozen=True)
class DealLine:
    deal_id: int
    company: str
    stage: DealStage
    score: int
    findings: list[Finding]
    next_step: StepLine | None


@dataclass(frozen=True)
class ApprovalLine:
    request_id: int
    deal_id: int
    company: str
    summary: str
    waiting_on: list[str]  # the names of the levels still to decide


@dataclass(frozen=True)
class Home:
    user_id: str
    today: date
    deals: list[DealLine]  # open deals, by stage then most recently active
    more_deals: int  # open deals not listed
    follow_ups: list[StepLine] | None  # due today or overdue; None: next steps are not installed
    my_requests: list[ApprovalLine]
    to_decide: list[ApprovalLine] | None  # None: not an approver of any level
    team: OutcomeReport | None  # None: not a manager or admin

    def by_stage(self) -> list[tuple[DealStage, list[DealLine]]]:
        grouped = [(stage, [line for line in self.deals if line.stage == stage]) for stage in OPEN_STAGES]
        return [(stage, lines) for stage, lines in grouped if lines]


def next_steps_module() -> ModuleType | None:
    """The next-steps module, when this installation has it."""
    try:
        return importlib.import_module(NEXT_STEPS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == NEXT_STEPS_MODULE:
            return None
        raise


def _open_steps(session: Session, user_id: str, today: date) -> list[StepLine] | None:
    module = next_steps_module()
    if module is None:
        return None
    steps: Sequence[Any] = module.open_steps_for_owner(session, user_id)
    named = select(Deal.id, Account.name).join(Account).where(Deal.id.in_({step.deal_id for step in steps}))
    companies: dict[int, str] = {row.id: row.name for row in session.execute(named)}
    lines = [
        StepLine(
            step_id=step.id,
            deal_id=step.deal_id,
            company=companies.get(step.deal_id, f"deal #{step.deal_id}"),
            title=step.title,
            due=step.due,
            overdue=step.due is not None and step.due < today,
        )
        for step in steps
    ]
    return sorted(lines, key=lambda line: (line.due is None, line.due or today, line.step_id))


def _open_deals(session: Session, user_id: str) -> tuple[list[Deal], int]:
    owned = select(Deal).where(Deal.owner_slack_id == user_id, Deal.stage.in_(OPEN_STAGES))
    total = session.scalar(select(func.count()).select_from(owned.subquery())) or 0
    deals = list(session.scalars(owned.order_by(Deal.updated_at.desc(), Deal.id.desc()).limit(MAX_DEALS)))
    return deals, total - len(deals)


def _deal_lines(
    session: Session, deals: list[Deal], steps: list[StepLine] | None, inspection: Inspection
) -> list[DealLine]:
    first_step: dict[int, StepLine] = {}
    for step in steps or []:  # sorted by due date: the first of each deal is its next step
        first_step.setdefault(step.deal_id, step)
    lines = [
        DealLine(
            deal_id=deal.id,
            company=deal.account.name,
            stage=deal.stage,
            score=deal.score,
            findings=inspect_deal(
                session, deal.id, qualification_of(deal), catalog=inspection.catalog, today=inspection.today
            ),
            next_step=first_step.get(deal.id),
        )
        for deal in deals
    ]
    order = {stage: index for index, stage in enumerate(OPEN_STAGES)}
    return sorted(lines, key=lambda line: order[line.stage])  # stable: most recently active first within a stage


def _approval_lines(session: Session, requests: list[ApprovalRequest], policy: Policy) -> list[ApprovalLine]:
    lines = []
    for request in requests[:MAX_LINES]:
        deal = session.get_one(Deal, request.deal_id)
        waiting = [
            policy.levels[step.level].name if step.level in policy.levels else step.level
            for step in approvals.steps_of(session, request.id)
            if step.status == StepStatus.PENDING
        ]
        lines.append(
            ApprovalLine(
                request_id=request.id,
                deal_id=request.deal_id,
                company=deal.account.name,
                summary=request.summary,
                waiting_on=waiting,
            )
        )
    return lines


def is_approver(policy: Policy, identities: set[str]) -> bool:
    """Whether this person (or one of their user groups) approves at any level of the policy."""
    return any(identities & set(level.approvers) for level in policy.levels.values())


def load_home(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    groups: set[str],
    policy: Policy,
    inspection: Inspection,
    now: datetime,
    segment_of: Callable[[int | None], str | None],
    assumptions: Callable[[], TimeSavedAssumptions],
) -> Home:
    """What `who` sees on their Home tab; `groups` are the policy's user groups they belong to. The governed
    time-saved `assumptions` are read only for someone who sees the team's outcomes."""
    today = inspection.today
    with session_factory() as session:
        steps = _open_steps(session, who.user_id, today)
        deals, more = _open_deals(session, who.user_id)
        to_decide, asked = approvals.waiting_for(session, user_id=who.user_id, groups=groups, policy=policy)
        approver = is_approver(policy, {who.user_id} | groups)
        team = None
        if access.sees_team_outcomes(who):
            since = (now - TEAM_WINDOW).date()
            team = compute_outcomes(session, since=since, now=now, segment_of=segment_of, assumptions=assumptions())
        return Home(
            user_id=who.user_id,
            today=today,
            deals=_deal_lines(session, deals, steps, inspection),
            more_deals=more,
            follow_ups=None
            if steps is None
            else [s for s in steps if s.due is not None and s.due <= today][:MAX_LINES],
            my_requests=_approval_lines(session, asked, policy),
            to_decide=_approval_lines(session, to_decide, policy) if approver else None,
            team=team,
        )
