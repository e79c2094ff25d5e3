"""POC plans in the database: one plan per deal, sent for review once, agreed with its milestones as next steps once,
and its outcome recorded exactly once (a failed one flags the deal until the POC is dealt with)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from approvals import reviews
from approvals.review_models import TechnicalReview
from core.clock import ManualClock
from core.models import AuditEvent, Job
from deals import access, poc_service, sweeps
from deals import service as deals
from deals.access import Identity, Role
from deals.inspection import CatalogFacts, codes, inspect_deal
from deals.models import Deal, NextStep
from deals.poc_models import CriterionResult, PocPlanRecord, PocStatus
from deals.qualification import Qualification
from deals.working_days import WorkingDays
from tests.conftest import postgres_only

FRIDAY_NOON = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
CALENDAR = WorkingDays()  # weekends and US public holidays off
REP = Identity(user_id="U0REP1", roles=frozenset({Role.REP}))
OTHER_REP = Identity(user_id="U0REP2", roles=frozenset({Role.REP}))
SE = Identity(user_id="U0SE1", roles=frozenset({Role.REP, Role.SALES_ENGINEER}))
RECORD = Qualification(
    company="Acme Corp",
    pain="nightly batch takes 6 hours",
    metrics="want fresh data within 15 minutes; the ops team trusts the numbers",
    poc_weeks=2,
    poc_success_criteria="99.9% uptime during the trial",
    integrations=["Postgres", "Snowflake"],
    champion="Raj Patel",
    target_close=date(2027, 3, 31),
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(FRIDAY_NOON)


@pytest.fixture
def deal_id(sessions: sessionmaker[Session], clock: ManualClock) -> int:
    with sessions() as session, session.begin():
        deal = deals.open_deal(session, company="Acme Corp", owner_slack_id=REP.user_id, clock=clock)
        deal.qualification = RECORD.model_dump(mode="json")
        deal.sales_engineer_slack_id = SE.user_id
        return deal.id


def draft(sessions: sessionmaker[Session], clock: ManualClock, who: Identity = REP) -> poc_service.PlanView:
    return poc_service.draft_or_show(
        sessions, who=who, reference="#1", today=clock.now().date(), calendar=CALENDAR, clock=clock
    )


def agreed(sessions: sessionmaker[Session], clock: ManualClock, *, verdict: str = "feasible") -> poc_service.PlanView:
    """Drafted, sent for review, and decided by the sales engineer; the review's hook run as its job runs it."""
    view = draft(sessions, clock)
    sent = poc_service.send_for_review(sessions, who=REP, plan_id=view.plan_id, seen_version=view.version, clock=clock)
    assert sent.review_id is not None
    with sessions() as session, session.begin():
        reviews.decide_review(
            session,
            review_id=sent.review_id,
            who=SE,
            sections={"Success criteria": "end-to-end latency ≤ 10 minutes (today: 6 hours)\nuptime ≥ 99.9%"},
            assumptions="Staging replica of the orders database",
            conditions="",
            verdict=verdict,
            notes="the source cannot be reached from our cloud" if verdict == "not_feasible" else "",
            clock=clock,
        )
    reviews.run_hook_once(sessions, review_id=sent.review_id, clock=clock)
    return poc_service.load_plan(sessions, plan_id=view.plan_id)


def audit_actions(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("poc.%"))))


def test_a_deal_has_one_plan_drafted_once_and_shown_after(sessions, clock, deal_id):
    first = draft(sessions, clock)
    again = draft(sessions, clock)
    assert first.drafted and not again.drafted and first.plan_id == again.plan_id
    assert first.status == PocStatus.DRAFT and first.version == again.version == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PocPlanRecord)) == 1
    assert audit_actions(sessions) == ["poc.draft"]
    assert first.plan.criteria[0].line() == "end-to-end latency ≤ 15 minutes (today: 6 hours)"


def test_a_rep_the_deal_is_not_shared_with_cannot_draft_its_plan(sessions, clock, deal_id):
    with pytest.raises(access.Forbidden, match="cannot see it"):
        draft(sessions, clock, OTHER_REP)
    with pytest.raises(access.Forbidden, match="cannot change it"):
        draft(sessions, clock, SE)  # a sales engineer sees every deal, but changes none
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PocPlanRecord)) == 0
    drafted = draft(sessions, clock)
    shown = draft(sessions, clock, SE)  # once drafted, they see it
    assert shown.plan_id == drafted.plan_id and not shown.drafted


def test_a_draft_is_drafted_again_from_the_record_as_it_is_now(sessions, clock, deal_id):
    first = draft(sessions, clock)
    with sessions() as session, session.begin():
        deal = session.get(Deal, deal_id)
        deal.qualification = RECORD.model_copy(update={"poc_weeks": 3}).model_dump(mode="json")
    again = draft(sessions, clock)
    assert again.drafted and again.version == first.version + 1 and again.plan.weeks == 3
    assert audit_actions(sessions) == ["poc.draft", "poc.redraft"]


def test_sending_for_review_opens_one_review_and_a_second_click_changes_nothing(sessions, clock, deal_id):
    view = draft(sessions, clock)
    sent = poc_service.send_for_review(sessions, who=REP, plan_id=view.plan_id, seen_version=1, clock=clock)
    assert sent.status == PocStatus.IN_REVIEW and sent.review_id is not None
    with pytest.raises(poc_service.PlanChanged, match="already with sales engineering"):
        poc_service.send_for_review(sessions, who=REP, plan_id=view.plan_id, seen_version=1, clock=clock)
    with sessions() as session:
        review = session.scalars(select(TechnicalReview)).one()
        assert review.kind == "poc_plan" and review.deal_id == deal_id
        sections = {s.name: [i.text for i in s.items] for s in review.draft_model.sections}
        assert sections["Success criteria"] == [
            "end-to-end latency ≤ 15 minutes (today: 6 hours)",
            "the ops team trusts the numbers — threshold to agree with the customer",
            "uptime ≥ 99.9%",
        ]
        assert sections["Data sources"] == ["Postgres", "Snowflake"]


def test_only_someone_who_may_change_the_deal_sends_it_for_review(sessions, clock, deal_id):
    view = draft(sessions, clock)
    with pytest.raises(access.Forbidden):
        poc_service.send_for_review(sessions, who=OTHER_REP, plan_id=view.plan_id, seen_version=1, clock=clock)


def test_a_feasible_review_agrees_the_edited_plan_and_its_milestones_become_next_steps_once(sessions, clock, deal_id):
    view = agreed(sessions, clock)
    assert view.status == PocStatus.AGREED
    assert [c.line() for c in view.plan.criteria] == [
        "end-to-end latency ≤ 10 minutes (today: 6 hours)",
        "uptime ≥ 99.9%",
    ]
    assert "Staging replica of the orders database" in view.plan.assumptions
    steps = poc_service.steps_of(sessions, plan_id=view.plan_id)
    assert [(s.title, s.owner_slack_id, s.due) for s in steps] == [
        ("POC kick-off", REP.user_id, date(2026, 12, 7)),
        ("POC: connect the data sources", SE.user_id, date(2026, 12, 9)),
        ("POC: run the workload and measure the criteria", SE.user_id, date(2026, 12, 16)),
        ("POC readout: the outcome per criterion", REP.user_id, date(2026, 12, 18)),
    ]
    # The hook run again (a re-run of the decided job), or the milestones asked for again: nothing new.
    with sessions() as session, session.begin():
        review = session.get_one(TechnicalReview, view.review_id)
        reviews.run_decided_hook(session, review, clock=clock)
        record = session.get_one(PocPlanRecord, view.plan_id)
        poc_service.milestone_steps(
            session, record, session.get_one(Deal, deal_id), record.typed(), actor="x", clock=clock
        )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(NextStep)) == 4
        announced = session.scalars(select(Job).where(Job.kind == "poc.announce")).all()
        assert [job.payload["event"] for job in announced] == ["agreed"]


def test_a_review_found_not_feasible_sends_the_plan_back_to_draft(sessions, clock, deal_id):
    view = agreed(sessions, clock, verdict="not_feasible")
    assert view.status == PocStatus.DRAFT
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(NextStep)) == 0
        [job] = session.scalars(select(Job).where(Job.kind == "poc.announce")).all()
        assert job.payload["event"] == "not_feasible"
    assert "poc.not_feasible" in audit_actions(sessions)


def _results(view: poc_service.PlanView, *outcomes: str) -> list[CriterionResult]:
    return [
        CriterionResult(key=c.key, outcome=o, measured="8 minutes" if o == "met" else None)
        for c, o in zip(view.plan.criteria, outcomes, strict=True)
    ]


def _outcome(sessions, clock, view: poc_service.PlanView, *outcomes: str, origin: str, who: Identity = REP):
    return poc_service.record_outcome(
        sessions,
        who=who,
        plan_id=view.plan_id,
        results=_results(view, *outcomes),
        calendar=CALENDAR,
        clock=clock,
        origin=origin,
    )


def test_an_outcome_all_met_passes_the_plan_once_and_the_deal_moves_on_to_its_proposal(sessions, clock, deal_id):
    view = agreed(sessions, clock)
    recorded = _outcome(sessions, clock, view, "met", "met", origin="job:1")
    assert recorded.passed and recorded.view.status == PocStatus.PASSED and not recorded.unmet
    assert recorded.step is not None and recorded.step.title == "Send the proposal: the POC passed"
    assert recorded.step.due == date(2026, 12, 8)  # two working days after a Friday
    # The same request again gets its own outcome back; another submission is refused and changes nothing.
    again = _outcome(sessions, clock, view, "met", "met", origin="job:1")
    assert again.repeated and again.passed
    with pytest.raises(poc_service.PlanChanged, match="already recorded"):
        _outcome(sessions, clock, view, "not_met", "met", origin="job:2")
    with sessions() as session:
        assert session.get_one(PocPlanRecord, view.plan_id).status == PocStatus.PASSED
        assert session.get_one(Deal, deal_id).at_risk_since is None
    assert audit_actions(sessions).count("poc.outcome") == 1


def test_an_outcome_is_refused_before_the_plan_is_agreed_or_for_someone_else(sessions, clock, deal_id):
    view = draft(sessions, clock)
    with pytest.raises(poc_service.PlanChanged, match="not agreed yet"):
        _outcome(sessions, clock, view, "met", "met", "met", origin="job:1")
    with pytest.raises(access.Forbidden):
        _outcome(sessions, clock, view, "met", "met", "met", origin="job:2", who=OTHER_REP)


def test_a_criterion_not_met_fails_the_plan_and_flags_the_deal_until_the_poc_is_dealt_with(sessions, clock, deal_id):
    view = agreed(sessions, clock)
    recorded = _outcome(sessions, clock, view, "not_met", "met", origin="job:1")
    assert not recorded.passed and [c.key for c, _ in recorded.unmet] == ["c1"]
    with sessions() as session:
        assert session.get_one(Deal, deal_id).at_risk_since == FRIDAY_NOON
        findings = inspect_deal(
            session, deal_id, RECORD, catalog=CatalogFacts(editions={}, hosted_regions=()), today=date(2026, 12, 4)
        )
        [finding] = [f for f in findings if f.code == "poc_failed"]
        assert finding.message == (
            "The POC failed 1 of 2 success criteria: end-to-end latency ≤ 10 minutes (today: 6 hours): not met."
        )
        assert "poc_failed" in codes(findings) and finding.severity == "high"
    # The close date is months ahead, yet the follow-up sweep leaves the flag: the POC put it there.
    with sessions() as session, session.begin():
        assert sweeps.watch_close_dates(session, clock=clock)["back_on_track"] == 0
    with sessions() as session:
        assert session.get_one(Deal, deal_id).at_risk_since == FRIDAY_NOON
        at_risk = session.scalars(select(AuditEvent).where(AuditEvent.action == "deal.at_risk")).one()
        assert at_risk.detail["reason"] == "the POC failed 1 of 2 criteria"


@postgres_only
def test_two_outcome_submissions_at_once_record_one(sessions, clock, deal_id):
    view = agreed(sessions, clock)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def submit(origin: str, first: str) -> None:
        barrier.wait()
        try:
            outcomes.append(_outcome(sessions, clock, view, first, "met", origin=origin))
        except poc_service.PlanChanged as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=submit, args=(f"job:{n}", o)) for n, o in ((1, "met"), (2, "not_met"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["PlanChanged", "RecordedOutcome"]
    assert audit_actions(sessions).count("poc.outcome") == 1


def test_an_agreed_plan_is_running_from_its_kick_off_day_and_its_outcome_still_recorded(sessions, clock, deal_id):
    view = agreed(sessions, clock)
    assert draft(sessions, clock).status == PocStatus.AGREED  # shown before kick-off: unchanged
    clock.set(datetime(2026, 12, 7, 15, 0, tzinfo=UTC))  # the kick-off day
    running = draft(sessions, clock)
    assert running.status == PocStatus.RUNNING and "poc.running" in audit_actions(sessions)
    recorded = _outcome(sessions, clock, view, "met", "met", origin="job:1")
    assert recorded.view.status == PocStatus.PASSED
