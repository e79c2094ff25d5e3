"""POC plan use cases: draft (or show) a deal's plan, send it for a sales engineer's review, agree it when the review
finds it feasible (its milestones become next steps, once), and record its outcome per criterion, exactly once.

Every change is one conditional UPDATE on the plan as the person saw it (its status and version), so a second
click, a re-run of the click's job or a stale button changes nothing and says so. Every step is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from approvals import reviews
from approvals.review_models import ReviewDraft, TechnicalReview, Verdict
from core import audit, jobs
from core.clock import Clock
from core.job_kinds import AnnouncePoc
from core.jobs import insert_ignoring_conflict
from deals import access, next_steps
from deals import service as deals
from deals.models import Deal, NextStep, NextStepSource
from deals.poc import (
    contradiction,
    draft_poc_plan,
    plan_from_review,
    review_sections,
    with_sales_engineer,
)
from deals.poc_models import (
    Criterion,
    CriterionResult,
    Outcome,
    PocPlan,
    PocPlanRecord,
    PocStatus,
    failed_lines,
)
from deals.working_days import WorkingDays

REVIEW_KIND = "poc_plan"
OUTCOME_OPEN = (PocStatus.AGREED, PocStatus.RUNNING)
PROPOSAL_STEP_DAYS = 2  # working days after a passed POC to send the proposal


class PocError(Exception):
    """A POC plan step that cannot be taken; the message is for the person who asked."""


class PlanNotFound(PocError, LookupError):
    pass


class PlanChanged(PocError):
    """The plan is no longer as the person saw it (sent, agreed, or its outcome recorded since)."""


class OutcomeInvalid(PocError, ValueError):
    pass


@dataclass(frozen=True)
class PlanView:
    """A plan as its message shows it: the stored plan, its status and version, the outcome once recorded."""

    plan_id: int
    deal_id: int
    company: str
    status: PocStatus
    version: int
    plan: PocPlan
    thread: deals.DealThread
    review_id: int | None = None
    results: list[CriterionResult] = field(default_factory=list)
    outcome_by: str | None = None
    drafted: bool = False  # this request drafted (or re-drafted) it


def _view(record: PocPlanRecord, deal: Deal, *, drafted: bool = False) -> PlanView:
    return PlanView(
        plan_id=record.id,
        deal_id=deal.id,
        company=deal.account.name,
        status=record.status,
        version=record.version,
        plan=record.typed(),
        thread=deals.DealThread(
            deal_id=deal.id, company=deal.account.name, channel_id=deal.channel_id, thread_ts=deal.thread_ts
        ),
        review_id=record.review_id,
        results=record.results(),
        outcome_by=record.outcome_by,
        drafted=drafted,
    )


def plan_of(session: Session, deal_id: int) -> PocPlanRecord | None:
    return session.scalar(select(PocPlanRecord).where(PocPlanRecord.deal_id == deal_id))


def _audit(
    session: Session,
    record: PocPlanRecord,
    *,
    actor: str,
    action: str,
    clock: Clock,
    inputs: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    actor_type: str = "user",
) -> None:
    audit.record(
        session,
        clock=clock,
        actor_type=actor_type,
        actor_id=actor,
        action=action,
        subject=f"poc_plan:{record.id}",
        deal_id=record.deal_id,
        inputs={"version": record.version, **(inputs or {})},
        outcome=str(record.status),
        detail=detail or {},
    )


def _transition(
    session: Session,
    record: PocPlanRecord,
    *,
    expected: Sequence[PocStatus],
    seen_version: int | None = None,
    values: dict[str, Any],
) -> bool:
    """One conditional UPDATE from the statuses (and the version) the caller saw; False when someone was first."""
    conditions = [PocPlanRecord.id == record.id, PocPlanRecord.status.in_(expected)]
    if seen_version is not None:
        conditions.append(PocPlanRecord.version == seen_version)
    won = session.execute(
        update(PocPlanRecord)
        .where(*conditions)
        .values(version=PocPlanRecord.version + 1, **values)
        .returning(PocPlanRecord.id)
        .execution_options(synchronize_session=False)
    ).first()
    session.refresh(record)
    return won is not None


# Draft or show ------------------------------------------------------------------------------------


def draft_or_show(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    reference: str,
    today: date,
    calendar: WorkingDays,
    clock: Clock,
) -> PlanView:
    """`/lto poc <deal>`: the deal's plan. A deal without one gets it drafted from its record (by someone who may
    change the deal); a draft is drafted again from the record as it is now (for someone who only sees the deal,
    shown as it is); an agreed plan whose kick-off came is running. Raises DealNotFound or access.Forbidden."""
    with session_factory() as session, session.begin():
        deal = deals.find_deal(session, reference=reference, user_id=who.user_id, who=who)
        access.check(session, who, access.Action.READ_DEAL, deal)
        record = plan_of(session, deal.id)
        if record is None:
            access.check(session, who, access.Action.CHANGE_DEAL, deal)
            return _draft(session, deal, record, who=who, today=today, calendar=calendar, clock=clock)
        if record.status == PocStatus.DRAFT:
            if not _may_change(session, who, deal):
                return _view(record, deal)  # someone who only sees the deal sees the draft as it is
            return _draft(session, deal, record, who=who, today=today, calendar=calendar, clock=clock)
        if record.status == PocStatus.AGREED and record.typed().milestones[0].due <= today:
            if _transition(
                session,
                record,
                expected=[PocStatus.AGREED],
                values={"status": PocStatus.RUNNING, "updated_at": clock.now()},
            ):
                _audit(session, record, actor=who.user_id, action="poc.running", clock=clock)
        return _view(record, deal)


def _may_change(session: Session, who: access.Identity, deal: Deal) -> bool:
    try:
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
    except access.Forbidden:
        return False
    return True


def _draft(
    session: Session,
    deal: Deal,
    record: PocPlanRecord | None,
    *,
    who: access.Identity,
    today: date,
    calendar: WorkingDays,
    clock: Clock,
) -> PlanView:
    plan = draft_poc_plan(deal, deals.qualification_of(deal), today, calendar)
    dumped = plan.model_dump(mode="json")
    now = clock.now()
    if record is None:
        values = {
            "deal_id": deal.id,
            "status": PocStatus.DRAFT,
            "plan": dumped,
            "version": 1,
            "created_by": who.user_id,
            "created_at": now,
            "updated_at": now,
        }
        inserted = insert_ignoring_conflict(session, PocPlanRecord, values)
        record = plan_of(session, deal.id)
        assert record is not None
        if inserted:
            _audit(session, record, actor=who.user_id, action="poc.draft", clock=clock, detail=_summary(plan))
        return _view(record, deal, drafted=inserted)
    if record.plan == dumped:
        return _view(record, deal)
    if _transition(session, record, expected=[PocStatus.DRAFT], values={"plan": dumped, "updated_at": now}):
        _audit(session, record, actor=who.user_id, action="poc.redraft", clock=clock, detail=_summary(plan))
        return _view(record, deal, drafted=True)
    return _view(record, deal)


def _summary(plan: PocPlan) -> dict[str, Any]:
    return {
        "weeks": plan.weeks,
        "weeks_assumed": plan.weeks_assumed,
        "criteria": len(plan.criteria),
        "measurable": sum(1 for c in plan.criteria if c.threshold is not None),
        "data_sources": len(plan.data_sources),
        "milestones": {m.key: m.due.isoformat() for m in plan.milestones},
    }


def load_plan(session_factory: sessionmaker[Session], *, plan_id: int) -> PlanView:
    """The plan by id, as it is now (no access check: for a modal opened on a plan's own message)."""
    with session_factory() as session:
        record = session.get(PocPlanRecord, plan_id)
        if record is None:
            raise PlanNotFound("That POC plan does not exist; I did nothing.")
        deal = deals.get_deal(session, record.deal_id)
        return _view(record, deal)


# Send for review ----------------------------------------------------------------------------------


def review_draft(plan: PocPlan, company: str) -> ReviewDraft:
    """The plan as the sales engineer reviews it."""
    return ReviewDraft.model_validate(
        {
            "title": f"POC plan · {company}"[:150],
            "sections": [
                {**section, "items": [{**item, "text": item["text"][:500]} for item in section["items"]][:40]}
                for section in review_sections(plan)
            ],
            "assumptions": plan.assumptions[:40],
            "open_questions": plan.open_questions[:40],
            "risks": plan.risks[:40],
        }
    )


def send_for_review(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    plan_id: int,
    seen_version: int,
    clock: Clock,
) -> PlanView:
    """ "Send for SE review": the draft as the person saw it goes to sales engineering, once. Raises PlanNotFound,
    access.Forbidden, or PlanChanged when it was sent (or redrafted) since."""
    with session_factory() as session, session.begin():
        record = session.get(PocPlanRecord, plan_id)
        if record is None:
            raise PlanNotFound("That POC plan does not exist; I did nothing.")
        deal = deals.get_deal(session, record.deal_id, for_update=True)
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        if not _transition(
            session,
            record,
            expected=[PocStatus.DRAFT],
            seen_version=seen_version,
            values={"status": PocStatus.IN_REVIEW, "updated_at": clock.now()},
        ):
            raise PlanChanged(_changed_text(record))
        review = reviews.request_review(
            session,
            deal_id=deal.id,
            kind=REVIEW_KIND,
            draft=review_draft(record.typed(), deal.account.name),
            requester=who.user_id,
            clock=clock,
            origin=f"poc:{record.id}:v{seen_version}",
        )
        record.review_id = review.id
        session.flush()
        _audit(
            session,
            record,
            actor=who.user_id,
            action="poc.review_request",
            clock=clock,
            inputs={"review_id": review.id},
        )
        return _view(record, deal)


def _changed_text(record: PocPlanRecord) -> str:
    said = {
        PocStatus.DRAFT: "it was drafted again since: use the latest plan message",
        PocStatus.IN_REVIEW: "it is already with sales engineering for review",
        PocStatus.AGREED: "it is already agreed",
        PocStatus.RUNNING: "it is already running",
        PocStatus.PASSED: f"its outcome was already recorded (passed, by <@{record.outcome_by}>)",
        PocStatus.FAILED: f"its outcome was already recorded (failed, by <@{record.outcome_by}>)",
    }[record.status]
    return f"The POC plan changed since you saw it: {said}. I did nothing."


# The review's decision ----------------------------------------------------------------------------


def _decided(session: Session, review: TechnicalReview, clock: Clock) -> None:
    """A POC plan's review was decided: feasible (with or without conditions) agrees the plan, as the engineer
    edited it, and turns its milestones into next steps once; not feasible sends it back to draft. Either way
    the deal thread hears of it (a job, keyed by the review)."""
    record = session.scalar(select(PocPlanRecord).where(PocPlanRecord.review_id == review.id))
    if record is None or review.verdict is None:
        return
    actor = review.decided_by or review.requester
    verdict = Verdict(review.verdict)
    if verdict == Verdict.NOT_FEASIBLE:
        if _transition(
            session,
            record,
            expected=[PocStatus.IN_REVIEW],
            values={"status": PocStatus.DRAFT, "updated_at": clock.now()},
        ):
            _audit(
                session, record, actor=actor, action="poc.not_feasible", clock=clock, inputs={"review_id": review.id}
            )
    else:
        result = review.result_model
        plan = record.typed()
        if result is not None:
            plan = plan_from_review(plan, result.draft.model_dump(mode="json"))
            conditions = [f"Condition: {line}" for line in result.conditions]
            plan = plan.model_copy(update={"assumptions": list(dict.fromkeys([*plan.assumptions, *conditions]))})
        deal = deals.get_deal(session, record.deal_id)
        plan = with_sales_engineer(plan, deal.sales_engineer_slack_id or review.decided_by)
        if not _transition(
            session,
            record,
            expected=[PocStatus.IN_REVIEW],
            values={"status": PocStatus.AGREED, "plan": plan.model_dump(mode="json"), "updated_at": clock.now()},
        ):
            return  # decided before (a re-run of the decided job): its steps and notice exist
        _audit(
            session,
            record,
            actor=actor,
            action="poc.agreed",
            clock=clock,
            inputs={"review_id": review.id, "verdict": str(verdict)},
            detail=_summary(plan),
        )
        milestone_steps(session, record, deal, plan, actor=actor, clock=clock)
    jobs.enqueue(
        session,
        job=AnnouncePoc(
            plan_id=record.id, review_id=review.id, event="agreed" if verdict != "not_feasible" else "not_feasible"
        ),
        clock=clock,
        dedupe_key=f"poc:{record.id}:review:{review.id}",
    )


def milestone_steps(
    session: Session, record: PocPlanRecord, deal: Deal, plan: PocPlan, *, actor: str, clock: Clock
) -> list[NextStep]:
    """The plan's milestones as next steps with their owners and due dates; keyed by plan and milestone, so a plan's
    milestones are never added twice."""
    added = []
    for milestone in plan.milestones:
        title = milestone.title + (" (SE to be assigned)" if milestone.se_pending else "")
        step, _ = next_steps.add_step(
            session,
            deal=deal,
            title=title,
            owner_slack_id=milestone.owner_slack_id,
            due=milestone.due,
            source=NextStepSource.POC,
            created_by=actor,
            origin=f"poc:{record.id}:milestone:{milestone.key}",
            clock=clock,
        )
        added.append(step)
    return added


def steps_of(session_factory: sessionmaker[Session], *, plan_id: int) -> list[NextStep]:
    """The next steps a plan's milestones became, in their order."""
    with session_factory() as session:
        return list(
            session.scalars(
                select(NextStep).where(NextStep.origin.like(f"poc:{plan_id}:milestone:%")).order_by(NextStep.due)
            )
        )


reviews.register_decided_hook(REVIEW_KIND, _decided)


# Outcome ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedOutcome:
    view: PlanView
    passed: bool
    unmet: list[tuple[Criterion, CriterionResult]]
    step: NextStep | None  # a passed POC's next step: send the proposal
    repeated: bool = False  # this request had recorded it already


def check_results(plan: PocPlan, results: Sequence[CriterionResult]) -> list[CriterionResult]:
    """One result for each of the plan's criteria, in its order. Raises OutcomeInvalid."""
    by_key = {result.key: result for result in results}
    keys = [criterion.key for criterion in plan.criteria]
    if not keys:
        raise OutcomeInvalid("The plan has no success criteria to record an outcome for; agree them first.")
    if set(by_key) != set(keys) or len(results) != len(keys):
        raise OutcomeInvalid("The outcome does not match the plan's criteria (it changed since); I did nothing.")
    for criterion in plan.criteria:
        result = by_key[criterion.key]
        if why := contradiction(criterion, result.outcome, result.measured):
            raise OutcomeInvalid(f"{why} I recorded nothing.")
    return [by_key[key] for key in keys]


def record_outcome(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    plan_id: int,
    results: Sequence[CriterionResult],
    calendar: WorkingDays,
    clock: Clock,
    origin: str,
) -> RecordedOutcome:
    """The POC's outcome per criterion, recorded exactly once: every criterion met passes the plan and the deal
    moves on (a next step to send the proposal); any criterion not met, or not measured, fails it and flags the
    deal at risk (with inspection's `poc_failed` finding). Raises PlanNotFound, access.Forbidden, OutcomeInvalid,
    or PlanChanged when the outcome was recorded already (or the plan is not agreed)."""
    with session_factory() as session, session.begin():
        record = session.get(PocPlanRecord, plan_id)
        if record is None:
            raise PlanNotFound("That POC plan does not exist; I did nothing.")
        deal = deals.get_deal(session, record.deal_id, for_update=True)
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        plan = record.typed()
        if record.outcome_origin == origin:
            return _recorded(session, record, deal, plan, repeated=True)
        ordered = check_results(plan, results)
        passed = all(result.outcome == Outcome.MET for result in ordered)
        now = clock.now()
        if not _transition(
            session,
            record,
            expected=OUTCOME_OPEN,
            values={
                "status": PocStatus.PASSED if passed else PocStatus.FAILED,
                "outcome": [result.model_dump(mode="json") for result in ordered],
                "outcome_by": who.user_id,
                "outcome_at": now,
                "outcome_origin": origin,
                "updated_at": now,
            },
        ):
            if record.status in (PocStatus.DRAFT, PocStatus.IN_REVIEW):
                raise PlanChanged("The POC plan is not agreed yet: its outcome is recorded once it is. I did nothing.")
            raise PlanChanged(_changed_text(record))
        counts = {str(o): sum(1 for r in ordered if r.outcome == o) for o in Outcome}
        _audit(
            session,
            record,
            actor=who.user_id,
            action="poc.outcome",
            clock=clock,
            inputs={"origin": origin},
            detail={"results": [r.model_dump(mode="json") for r in ordered], "counts": counts},
        )
        if passed:
            _moves_on(session, record, deal, who=who, calendar=calendar, clock=clock)
        else:
            _flag_at_risk(session, deal, plan, ordered, clock=clock)
        return _recorded(session, record, deal, plan)


def _recorded(
    session: Session, record: PocPlanRecord, deal: Deal, plan: PocPlan, *, repeated: bool = False
) -> RecordedOutcome:
    results = record.results()
    by_key = {c.key: c for c in plan.criteria}
    unmet = [(by_key[r.key], r) for r in results if r.outcome != Outcome.MET and r.key in by_key]
    step = session.scalar(select(NextStep).where(NextStep.origin == f"poc:{record.id}:proposal"))
    return RecordedOutcome(
        view=_view(record, deal), passed=record.status == PocStatus.PASSED, unmet=unmet, step=step, repeated=repeated
    )


def _moves_on(
    session: Session, record: PocPlanRecord, deal: Deal, *, who: access.Identity, calendar: WorkingDays, clock: Clock
) -> None:
    """A passed POC: the deal's next step is the proposal; the CRM hears of it."""
    today = clock.now().date()
    next_steps.add_step(
        session,
        deal=deal,
        title="Send the proposal: the POC passed",
        owner_slack_id=deal.owner_slack_id,
        due=calendar.add(today, PROPOSAL_STEP_DAYS),
        source=NextStepSource.POC,
        created_by=who.user_id,
        origin=f"poc:{record.id}:proposal",
        clock=clock,
    )
    deals.write_back(
        session, deal, key=f"poc:{record.id}:passed", clock=clock, note="POC passed: every success criterion met."
    )


def _flag_at_risk(
    session: Session, deal: Deal, plan: PocPlan, results: Sequence[CriterionResult], *, clock: Clock
) -> None:
    """A failed POC puts the deal at risk (a conditional update: flagged once), audited and written to the CRM."""
    now = clock.now()
    failed = failed_lines(plan, results)
    reason = f"the POC failed {len(failed)} of {len(results)} criteria"
    won = session.execute(
        update(Deal)
        .where(Deal.id == deal.id, Deal.at_risk_since.is_(None))
        .values(at_risk_since=now)
        .returning(Deal.id)
        .execution_options(synchronize_session=False)
    ).first()
    session.refresh(deal)
    audit.record(
        session,
        clock=clock,
        actor_type="system",
        actor_id="poc",
        action="deal.at_risk",
        subject=f"deal:{deal.id}",
        deal_id=deal.id,
        inputs={"poc_failed": len(failed)},
        outcome="at_risk" if won else "at_risk_already",
        detail={"reason": reason},
    )
    deals.write_back(
        session, deal, key=f"deal:{deal.id}:poc_failed:{now.isoformat()}", clock=clock, note=f"At risk: {reason}."
    )


@dataclass(frozen=True)
class Announcement:
    """What the deal thread is told when a plan's review was decided."""

    view: PlanView
    owner: str
    steps: list[NextStep]
    decided_by: str | None
    conditions: list[str]
    notes: str | None


def announcement(session_factory: sessionmaker[Session], *, plan_id: int, review_id: int) -> Announcement:
    with session_factory() as session:
        record = session.get(PocPlanRecord, plan_id)
        if record is None:
            raise PlanNotFound("That POC plan does not exist.")
        deal = deals.get_deal(session, record.deal_id)
        review = reviews.get_review(session, review_id)
        result = review.result_model
        steps = session.scalars(
            select(NextStep).where(NextStep.origin.like(f"poc:{plan_id}:milestone:%")).order_by(NextStep.due)
        )
        return Announcement(
            view=_view(record, deal),
            owner=deal.owner_slack_id,
            steps=list(steps),
            decided_by=review.decided_by,
            conditions=list(result.conditions) if result else [],
            notes=review.notes,
        )
