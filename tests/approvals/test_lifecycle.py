"""Approval requests: four-eyes, the right approvers only, every level, and exactly one decision per step."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from approvals import service
from approvals.models import ApprovalRequest
from approvals.policy import ApprovalFacts, evaluate, load_policy
from deals import service as deals
from deals.qualification import Money
from integrations.cpq.models import QuoteRecord
from tests.conftest import postgres_only

POLICY = load_policy()


def _request(sessions, clock, discount="22", total="100000"):
    decision = evaluate(POLICY, ApprovalFacts(discount_pct=Decimal(discount), total=Money(amount=Decimal(total))))
    with sessions() as session, session.begin():
        deal = deals.open_deal(session, company="Acme", owner_slack_id="U0REP1", clock=clock)
        quote = QuoteRecord(
            deal_id=deal.id,
            version=1,
            status="needs_approval",
            currency="USD",
            total=total,
            catalog_version="x",
            request={},
            quote={},
            created_by="U0REP1",
            created_at=clock.now(),
            payment_terms="net 30",
            billing_frequency="annual",
            valid_until=clock.now().date(),
        )
        session.add(quote)
        session.flush()
        request = service.request_approval(
            session,
            deal_id=deal.id,
            quote_id=quote.id,
            requester="U0REP1",
            decision=decision,
            summary="22% off",
            clock=clock,
        )
        return request.id


def _decide(sessions, clock, request_id, actor, decision="approved", groups=(), reason=None):
    with sessions() as session, session.begin():
        return service.decide(
            session,
            request_id=request_id,
            actor_id=actor,
            actor_groups=set(groups),
            decision=decision,
            reason=reason,
            policy=POLICY,
            clock=clock,
        )


def test_the_requester_cannot_approve_their_own_request(sessions, clock):
    request_id = _request(sessions, clock)
    with pytest.raises(service.NotAuthorized, match="four-eyes"):
        _decide(sessions, clock, request_id, "U0REP1")


def test_only_approvers_of_the_level_can_decide(sessions, clock):
    request_id = _request(sessions, clock)
    with pytest.raises(service.NotAuthorized, match="VP Sales"):
        _decide(sessions, clock, request_id, "U0MGR", groups={"S0MANAGERS"})
    outcome = _decide(sessions, clock, request_id, "U0VP")
    assert outcome.final and outcome.request.status == "approved"
    with pytest.raises(service.AlreadyDecided):
        _decide(sessions, clock, request_id, "U0VP")


def test_deal_desk_and_cfo_must_both_approve(sessions, clock):
    request_id = _request(sessions, clock, discount="35")
    first = _decide(sessions, clock, request_id, "U0DESK")
    assert not first.final and first.request.status == "pending"
    second = _decide(sessions, clock, request_id, "U0CFO")
    assert second.final and second.request.status == "approved"


def test_a_rejection_needs_a_reason_and_ends_the_request(sessions, clock):
    request_id = _request(sessions, clock, discount="35")
    with pytest.raises(service.ApprovalError, match="reason is required"):
        _decide(sessions, clock, request_id, "U0CFO", decision="rejected")
    outcome = _decide(sessions, clock, request_id, "U0CFO", decision="rejected", reason="Margin too low")
    assert outcome.final and outcome.request.status == "rejected"


def test_a_new_request_for_the_deal_cancels_the_pending_one(sessions, clock):
    first = _request(sessions, clock)
    with sessions() as session:
        deal_id = session.get(ApprovalRequest, first).deal_id
    decision = evaluate(POLICY, ApprovalFacts(discount_pct=Decimal("15"), total=Money(amount=Decimal("1000"))))
    with sessions() as session, session.begin():
        quote = QuoteRecord(
            deal_id=deal_id,
            version=2,
            status="needs_approval",
            currency="USD",
            total="1000",
            catalog_version="x",
            request={},
            quote={},
            created_by="U0REP1",
            created_at=clock.now(),
            payment_terms="net 30",
            billing_frequency="annual",
            valid_until=clock.now().date(),
        )
        session.add(quote)
        session.flush()
        service.request_approval(
            session,
            deal_id=deal_id,
            quote_id=quote.id,
            requester="U0REP1",
            decision=decision,
            summary="15%",
            clock=clock,
        )
    with sessions() as session:
        assert session.get(ApprovalRequest, first).status == "cancelled"


@postgres_only
def test_many_simultaneous_clicks_make_exactly_one_decision(sessions, clock):
    request_id = _request(sessions, clock)
    barrier = threading.Barrier(8)
    results = []

    def click():
        barrier.wait()
        try:
            results.append(_decide(sessions, clock, request_id, "U0VP").decision)
        except service.AlreadyDecided:
            results.append("already")

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("approved") == 1 and results.count("already") == 7


@postgres_only
def test_two_schedulers_running_the_same_sweep_send_one_reminder_per_due_step(sessions, clock):
    from approvals import sweeps
    from core.models import Job

    for _ in range(5):
        _request(sessions, clock)
    clock.advance(hours=5)
    barrier = threading.Barrier(2)
    totals = []

    def scheduler():
        barrier.wait()
        with sessions() as session, session.begin():
            totals.append(sweeps.remind_and_escalate(session, policy=POLICY, clock=clock)["reminded"])

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with sessions() as session:
        reminders = session.scalars(select(Job).where(Job.kind == "approval.notify")).all()
    assert sum(totals) == len(reminders) == 5  # one reminder per due request, not one per scheduler
