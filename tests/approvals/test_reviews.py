"""Technical reviews: asked once per origin, claimed and decided once, only by sales engineers, edits audited."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from approvals import review_sweeps, reviews
from approvals.review_models import (
    ReviewDraft,
    ReviewItem,
    ReviewSection,
    ReviewStatus,
    TechnicalReview,
    Verdict,
)
from approvals.review_policy import load_review_policy
from core.models import AuditEvent, Job, OutboxEvent
from deals import service as deals
from deals.access import Identity, Role
from deals.models import Deal
from tests.conftest import postgres_only

POLICY = load_review_policy()
SE = Identity(user_id="U0SE1", roles=frozenset({Role.REP, Role.SALES_ENGINEER}))
OTHER_SE = Identity(user_id="U0SE2", roles=frozenset({Role.REP, Role.SALES_ENGINEER}))
REP = Identity(user_id="U0REP1", roles=frozenset({Role.REP}))


def draft() -> ReviewDraft:
    return ReviewDraft(
        title="Technical scope: Acme",
        sections=[
            ReviewSection(
                name="Architecture",
                items=[
                    ReviewItem(text="Source: Snowflake connector", citation="Snowflake › Setup"),
                    ReviewItem(text="Deployment: Managed SaaS", citation="Hosting › SaaS"),
                ],
            )
        ],
        assumptions=["Sized for 200 seats"],
        open_questions=["Where must the data live?"],
        risks=[],
    )


def _deal(sessions, clock) -> int:
    with sessions() as session, session.begin():
        return deals.open_deal(session, company="Acme", owner_slack_id="U0REP1", clock=clock).id


def _request(sessions, clock, deal_id: int, origin: str | None = "click:1", kind: str = "scope") -> int:
    with sessions() as session, session.begin():
        return reviews.request_review(
            session,
            deal_id=deal_id,
            kind=kind,
            draft=draft(),
            requester="U0REP1",
            clock=clock,
            origin=origin,
            policy=POLICY,
        ).id


def _decide(
    sessions, clock, review_id: int, who: Identity = SE, verdict: str = "feasible", **changes
) -> reviews.Decided:
    values = {
        "sections": {"Architecture": "Source: Snowflake connector\nDeployment: hybrid agents in their VPC"},
        "assumptions": "Sized for 200 seats\nSnowflake in AWS us-east-1",
        "conditions": "",
        "notes": "",
        **changes,
    }
    with sessions() as session, session.begin():
        return reviews.decide_review(session, review_id=review_id, who=who, verdict=verdict, clock=clock, **values)


def _claim(sessions, clock, review_id: int, who: Identity = SE) -> reviews.Claimed:
    with sessions() as session, session.begin():
        return reviews.claim_review(session, review_id=review_id, who=who, clock=clock)


@pytest.fixture
def hook_calls() -> Iterator[list[int]]:
    calls: list[int] = []
    before = dict(reviews._DECIDED_HOOKS)

    @reviews.on_review_decided("poc_plan")
    def _poc_decided(session, review, clock) -> None:
        calls.append(review.id)
        session.get_one(Deal, review.deal_id).disqualified_reason = f"POC plan {review.verdict}"

    yield calls
    reviews._DECIDED_HOOKS.clear()
    reviews._DECIDED_HOOKS.update(before)


def test_asking_twice_from_the_same_origin_or_while_one_is_open_opens_one_review(sessions, clock):
    deal_id = _deal(sessions, clock)
    first = _request(sessions, clock, deal_id, origin="click:1")
    assert _request(sessions, clock, deal_id, origin="click:1") == first
    assert _request(sessions, clock, deal_id, origin="command:2") == first  # one open scope review per deal
    poc = _request(sessions, clock, deal_id, origin="poc:1", kind="poc_plan")
    assert poc != first  # a POC plan is reviewed beside the scope
    with sessions() as session:
        review = session.get_one(TechnicalReview, first)
        assert review.status == ReviewStatus.PENDING and review.policy_version == POLICY.version
        cards = session.scalars(select(Job.dedupe_key).where(Job.kind == "review.card")).all()
        asked = session.scalars(select(AuditEvent).where(AuditEvent.action == "review.request")).all()
    assert sorted(cards) == [f"review:{first}:card", f"review:{poc}:card"]
    assert len(asked) == 2 and asked[0].inputs["policy_version"] == POLICY.version


def test_only_a_sales_engineer_claims_and_the_first_claim_wins(sessions, clock):
    review_id = _request(sessions, clock, _deal(sessions, clock))
    with pytest.raises(reviews.NotAuthorized, match="sales engineer role"):
        _claim(sessions, clock, review_id, REP)
    assert not _claim(sessions, clock, review_id).repeated
    assert _claim(sessions, clock, review_id).repeated  # a second click reopens the editor
    with pytest.raises(reviews.AlreadyClaimed, match="U0SE1"):
        _claim(sessions, clock, review_id, OTHER_SE)
    with sessions() as session:
        review = session.get_one(TechnicalReview, review_id)
        assert review.status == ReviewStatus.CLAIMED and review.claimed_by == "U0SE1"
        assert session.get_one(Deal, review.deal_id).sales_engineer_slack_id == "U0SE1"


def test_the_claimer_decides_once_unchanged_lines_keep_their_citation_and_the_edit_is_audited(sessions, clock):
    review_id = _request(sessions, clock, _deal(sessions, clock))
    _claim(sessions, clock, review_id)
    with pytest.raises(reviews.NotAuthorized):
        _decide(sessions, clock, review_id, REP)
    with pytest.raises(reviews.AlreadyClaimed):
        _decide(sessions, clock, review_id, OTHER_SE)
    with pytest.raises(reviews.ReviewError, match="conditions"):
        _decide(sessions, clock, review_id, verdict="feasible_with_conditions")
    decided = _decide(
        sessions, clock, review_id, verdict="feasible_with_conditions", conditions="- VPC peering in place by week 2"
    )
    with pytest.raises(reviews.AlreadyDecided, match="feasible with conditions"):
        _decide(sessions, clock, review_id)
    review = decided.review
    assert review.verdict == Verdict.FEASIBLE_WITH_CONDITIONS and review.decided_by == "U0SE1"
    result = review.result_model
    assert result is not None and result.conditions == ["VPC peering in place by week 2"]
    items = result.draft.sections[0].items
    assert [(i.text, i.citation) for i in items] == [
        ("Source: Snowflake connector", "Snowflake › Setup"),  # unchanged: its source stays
        ("Deployment: hybrid agents in their VPC", None),  # reworded: nobody checked a source for it
    ]
    assert result.draft.assumptions == ["Sized for 200 seats", "Snowflake in AWS us-east-1"]
    with sessions() as session:
        audit = {
            e.action: e for e in session.scalars(select(AuditEvent).where(AuditEvent.subject == f"review:{review_id}"))
        }
        published = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "event.review.decided")).all()
        decided_jobs = session.scalars(select(Job).where(Job.kind == "review.decided")).all()
    assert {"review.request", "review.claim", "review.edit", "review.decide"} <= set(audit)
    assert audit["review.edit"].detail["draft_vs_edited"] == {
        "sections": {"Architecture": {"kept": 1, "added": 1, "removed": 1}},
        "assumptions": {"kept": 1, "added": 1, "removed": 0},
    }
    assert audit["review.decide"].inputs["policy_version"] == POLICY.version
    assert len(published) == 1 and published[0].payload["data"]["verdict"] == "feasible_with_conditions"
    assert "notes" not in published[0].payload["data"]
    assert [j.payload for j in decided_jobs] == [
        {"review_id": review_id, "deal_id": review.deal_id, "review_kind": "scope"}
    ]


def test_the_deciding_job_run_again_gets_its_own_decision_back(sessions, clock):
    review_id = _request(sessions, clock, _deal(sessions, clock))
    _decide(sessions, clock, review_id, verdict="not_feasible", notes="No Snowflake in their region", origin="job:7")
    again = _decide(
        sessions, clock, review_id, verdict="not_feasible", notes="No Snowflake in their region", origin="job:7"
    )
    assert again.repeated
    with pytest.raises(reviews.AlreadyDecided):
        _decide(sessions, clock, review_id, origin="job:8")


def test_not_feasible_needs_notes_and_the_latest_decided_review_is_found(sessions, clock):
    deal_id = _deal(sessions, clock)
    review_id = _request(sessions, clock, deal_id)
    with pytest.raises(reviews.ReviewError, match="notes"):
        _decide(sessions, clock, review_id, verdict="not_feasible")
    with sessions() as session:
        assert reviews.latest_decided_review(session, deal_id, "scope") is None
    _decide(sessions, clock, review_id, verdict="not_feasible", notes="FedRAMP High is not offered")
    clock.advance(hours=1)
    second = _request(sessions, clock, deal_id, origin="click:2")
    _decide(sessions, clock, second, verdict="feasible")
    with sessions() as session:
        latest = reviews.latest_decided_review(session, deal_id, "scope")
        assert latest is not None and latest.id == second and latest.verdict == "feasible"
        assert reviews.latest_decided_review(session, deal_id, "poc_plan") is None


def test_a_kinds_hook_runs_once_in_its_own_transaction(sessions, clock, hook_calls):
    deal_id = _deal(sessions, clock)
    review_id = _request(sessions, clock, deal_id, kind="poc_plan", origin="poc:1")
    _decide(sessions, clock, review_id, verdict="feasible")
    assert reviews.run_hook_once(sessions, review_id=review_id, clock=clock)
    assert not reviews.run_hook_once(sessions, review_id=review_id, clock=clock)  # a re-run of the job
    assert hook_calls == [review_id]
    with sessions() as session:
        assert session.get_one(Deal, deal_id).disqualified_reason == "POC plan feasible"  # the hook's change committed
    scope = _request(sessions, clock, deal_id, origin="click:1")
    _decide(sessions, clock, scope)
    assert not reviews.run_hook_once(sessions, review_id=scope, clock=clock)  # no hook for scope: nothing runs
    with pytest.raises(ValueError, match="unknown review kind"):
        reviews.register_decided_hook("pricing", lambda session, review, clock: None)


def test_the_sla_reminds_once_per_period_escalates_once_and_expires(sessions, clock):
    deal_id = _deal(sessions, clock)
    review_id = _request(sessions, clock, deal_id)

    def sweep() -> dict[str, int]:
        with sessions() as session, session.begin():
            return review_sweeps.sweep(session, policy=POLICY, clock=clock)

    assert sweep() == {"reminded": 0, "escalated": 0, "expired": 0}
    clock.advance(hours=4)
    assert sweep()["reminded"] == 1 and sweep()["reminded"] == 0
    clock.advance(hours=4)
    assert sweep()["reminded"] == 1  # the next period's reminder
    clock.advance(hours=16)
    assert sweep() == {"reminded": 1, "escalated": 1, "expired": 0}
    assert sweep() == {"reminded": 0, "escalated": 0, "expired": 0}
    clock.advance(days=5)
    assert sweep()["expired"] == 1 and sweep()["expired"] == 0
    with sessions() as session:
        assert session.get_one(TechnicalReview, review_id).status == ReviewStatus.EXPIRED
        notices = session.scalars(select(Job.payload).where(Job.kind == "review.notify")).all()
    assert [n["what"] for n in notices] == ["reminder", "reminder", "escalation", "reminder", "expiry"]
    with pytest.raises(reviews.AlreadyDecided, match="expired"):
        _claim(sessions, clock, review_id)


def test_a_decided_review_is_never_reminded(sessions, clock):
    review_id = _request(sessions, clock, _deal(sessions, clock))
    _decide(sessions, clock, review_id)
    clock.advance(days=10)
    with sessions() as session, session.begin():
        assert review_sweeps.sweep(session, policy=POLICY, clock=clock) == {"reminded": 0, "escalated": 0, "expired": 0}


@postgres_only
def test_many_simultaneous_submissions_decide_exactly_once(sessions, clock):
    review_id = _request(sessions, clock, _deal(sessions, clock))
    _claim(sessions, clock, review_id)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def submit(n: int) -> None:
        barrier.wait()
        try:
            _decide(sessions, clock, review_id, origin=f"job:{n}")
            results.append("decided")
        except reviews.AlreadyDecided:
            results.append("already")

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("decided") == 1 and results.count("already") == 7
    with sessions() as session:
        assert len(session.scalars(select(Job).where(Job.kind == "review.decided")).all()) == 1
        decisions = session.scalars(select(AuditEvent).where(AuditEvent.action == "review.decide")).all()
    assert len(decisions) == 1


@postgres_only
def test_two_engineers_claiming_at_once_make_one_claim(sessions, clock):
    review_id = _request(sessions, clock, _deal(sessions, clock))
    barrier = threading.Barrier(2)
    results: list[str] = []

    def click(who: Identity) -> None:
        barrier.wait()
        try:
            _claim(sessions, clock, review_id, who)
            results.append(who.user_id)
        except reviews.AlreadyClaimed:
            results.append("already")

    threads = [threading.Thread(target=click, args=(who,)) for who in (SE, OTHER_SE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("already") == 1


@postgres_only
def test_two_schedulers_running_the_review_sweep_send_one_reminder_per_review_and_period(sessions, clock):
    deal_ids = [_deal(sessions, clock) for _ in range(5)]
    for n, deal_id in enumerate(deal_ids):
        _request(sessions, clock, deal_id, origin=f"click:{n}")
    clock.advance(hours=5)
    barrier = threading.Barrier(2)
    totals: list[int] = []

    def scheduler() -> None:
        barrier.wait()
        with sessions() as session, session.begin():
            totals.append(review_sweeps.sweep(session, policy=POLICY, clock=clock)["reminded"])

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with sessions() as session:
        reminders = session.scalars(select(Job).where(Job.kind == "review.notify")).all()
    assert sum(totals) == len(reminders) == 5  # one reminder per review, not one per scheduler


def test_the_deal_card_keeps_the_newest_review_of_each_kind(sessions, clock):
    deal_id = _deal(sessions, clock)
    first_scope = _request(sessions, clock, deal_id, origin="click:1")
    poc = _request(sessions, clock, deal_id, origin="poc:1", kind="poc_plan")
    with sessions() as session:
        assert [r.id for r in reviews.latest_reviews(session, deal_id)] == [first_scope, poc]
        assert reviews.latest_review(session, deal_id).id == poc
        assert reviews.latest_review(session, deal_id, "scope").id == first_scope
