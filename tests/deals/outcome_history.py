"""A small sales history written through the product's own use cases, with times set by a manual clock.

Three deals, whose figures the outcome tests compute by hand (times in hours after START):

- Acme (lead received at 0, routed to the enterprise segment, opened at 1): two facts at 5, five more at 9
  (qualified: 9 h from the lead), seats corrected at 10; a 15% quote at 10 asks the sales manager, who
  approves at 14 (4 h); a proposal drafted at 20; won at 48.
- Globex (opened in Slack at 2; 800 employees: mid-market): seven facts at 8 (qualified: 6 h); a 25% quote at
  9 asks the VP, who approves at 11 (2 h); a draft the guardrail held at 12, a clean one at 14 (12 h); lost
  at 30.
- Initech (opened in Slack at 3; 50 employees: smb): one fact at 4; a 15% quote at 4 asks the sales manager,
  nobody decides, and the SLA escalates it to the VP at 28 (1 day after). Still open.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from approvals import service as approvals
from approvals import sweeps
from approvals.models import ApprovalRequest
from approvals.policy import load_policy
from core import audit
from core.clock import ManualClock
from deals import service as deals
from deals.models import DealStage
from deals.qualification import Money, QualificationUpdate
from integrations.cpq import service as cpq
from integrations.cpq.catalog import load_catalog
from integrations.cpq.engine import LineRequest, QuoteRequest
from integrations.leads import routing
from integrations.leads import service as leads
from integrations.leads.models import Lead, LeadIn, LeadSource

# Ten days ago at 09:00 UTC: the history is in the past for a report made now, whatever the day.
START = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=10)
POLICY = load_policy()
CATALOG = load_catalog()
RULES = routing.load_routing()
MODEL = "offline"

QUALIFYING = QualificationUpdate(
    deployment="saas",
    regions=["US"],
    budget=Money(amount=Decimal("180000"), currency="USD"),
    target_close=START.date() + timedelta(days=120),
    economic_buyer="CFO",
)


def at(clock: ManualClock, hours: float) -> None:
    clock.set(START + timedelta(hours=hours))


def learn(sessions: sessionmaker[Session], clock: ManualClock, deal_id: int, update: QualificationUpdate) -> None:
    with sessions() as session, session.begin():
        deal = deals.get_deal(session, deal_id, for_update=True)
        deals.apply_qualification(
            session,
            deal,
            update,
            clock=clock,
            actor_type="model",
            actor_id=MODEL,
            source={"slack_message_ts": clock.now().isoformat()},
        )


def quote(sessions: sessionmaker[Session], clock: ManualClock, deal_id: int, discount: str) -> int:
    """Price a quote the policy sends for approval; returns the request's id."""
    with sessions() as session, session.begin():
        deal = deals.get_deal(session, deal_id, for_update=True)
        committed = cpq.commit_quote(
            session,
            deal=deal,
            request=QuoteRequest(lines=[LineRequest(sku="HS-BUS", quantity=100)], discount_pct=Decimal(discount)),
            catalog=CATALOG,
            policy=POLICY,
            actor_id=deal.owner_slack_id,
            clock=clock,
        )
        assert committed.approval_request_id is not None, committed.reasons
        return committed.approval_request_id


def decide(sessions: sessionmaker[Session], clock: ManualClock, request_id: int, approver: str, groups=()) -> None:
    with sessions() as session, session.begin():
        approvals.decide(
            session,
            request_id=request_id,
            actor_id=approver,
            actor_groups=set(groups),
            decision="approved",
            reason=None,
            policy=POLICY,
            clock=clock,
        )


def draft(sessions: sessionmaker[Session], clock: ManualClock, deal_id: int, *, clean: bool) -> None:
    """What `agents.proposal.record_draft` records: the draft's audit event, and a clean one moves the stage."""
    with sessions() as session, session.begin():
        deal = deals.get_deal(session, deal_id, for_update=True)
        if clean and deal.stage == DealStage.QUALIFIED:
            deals.set_stage(
                session,
                deal,
                stage=DealStage.PROPOSAL,
                actor_id=deal.owner_slack_id,
                clock=clock,
                reason="proposal drafted",
            )
        audit.record(
            session,
            clock=clock,
            actor_type="model",
            actor_id=MODEL,
            action="proposal.draft",
            subject=f"deal:{deal_id}",
            deal_id=deal_id,
            outcome="drafted" if clean else "needs_review",
            detail={"problems": [] if clean else ["an amount the quote does not hold"]},
        )


def close(sessions: sessionmaker[Session], clock: ManualClock, deal_id: int, stage: DealStage) -> None:
    with sessions() as session, session.begin():
        deal = deals.get_deal(session, deal_id, for_update=True)
        deals.set_stage(session, deal, stage=stage, actor_id=deal.owner_slack_id, clock=clock, reason="closed")


def open_in_slack(sessions: sessionmaker[Session], clock: ManualClock, company: str, employees: int, owner: str) -> int:
    with sessions() as session, session.begin():
        deal = deals.open_deal(session, company=company, owner_slack_id=owner, clock=clock)
        deal.account.employees = employees
        return deal.id


def seed_history(sessions: sessionmaker[Session], clock: ManualClock, *, slack_owner: str = "U0REP1") -> dict[str, int]:
    """The three deals above; returns their ids by company."""
    at(clock, 0)
    lead = LeadIn(event_id="form-1", company="Acme", domain="acme.example", country="US", employees=8000)
    leads.admit(
        sessions,
        [leads.Arrival(key="webhook:form-1", source=LeadSource.WEBHOOK, details=lead)],
        clock=clock,
        max_attempts=3,
    )
    with sessions() as session:
        lead_id = session.scalar(select(Lead.id).where(Lead.key == "webhook:form-1"))
    assert lead_id is not None
    at(clock, 1)
    acme = leads.open_routed_deal(sessions, lead_id=lead_id, rules=RULES, clock=clock).deal_id
    at(clock, 2)
    globex = open_in_slack(sessions, clock, "Globex", 800, slack_owner)
    at(clock, 3)
    initech = open_in_slack(sessions, clock, "Initech", 50, slack_owner)

    at(clock, 4)
    learn(sessions, clock, initech, QualificationUpdate(pain="spreadsheets break"))
    initech_request = quote(sessions, clock, initech, "15")
    at(clock, 5)
    learn(sessions, clock, acme, QualificationUpdate(pain="nightly batch takes 6 hours", seats=300))
    at(clock, 8)
    learn(
        sessions,
        clock,
        globex,
        QualificationUpdate(pain="no real-time data", seats=200, **QUALIFYING.model_dump(exclude_unset=True)),
    )
    at(clock, 9)
    learn(sessions, clock, acme, QUALIFYING)
    globex_request = quote(sessions, clock, globex, "25")
    at(clock, 10)
    learn(sessions, clock, acme, QualificationUpdate(seats=350))  # a correction: 300 becomes 350
    acme_request = quote(sessions, clock, acme, "15")
    at(clock, 11)
    decide(sessions, clock, globex_request, "U0VP")
    at(clock, 12)
    draft(sessions, clock, globex, clean=False)
    at(clock, 14)
    decide(sessions, clock, acme_request, "U0MGR", groups={"S0MANAGERS"})
    draft(sessions, clock, globex, clean=True)
    at(clock, 20)
    draft(sessions, clock, acme, clean=True)
    at(clock, 28)
    with sessions() as session, session.begin():
        counts = sweeps.remind_and_escalate(session, policy=POLICY, clock=clock)
    assert counts["escalated"] == 1, counts
    at(clock, 30)
    close(sessions, clock, globex, DealStage.LOST)
    at(clock, 48)
    close(sessions, clock, acme, DealStage.WON)
    with sessions() as session:
        assert session.get(ApprovalRequest, initech_request) is not None
    return {"Acme": acme, "Globex": globex, "Initech": initech}
