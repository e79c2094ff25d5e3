"""A fact taken back in a deal thread: the record forgets it, the audit trail and the CRM note say so."""

from __future__ import annotations

from sqlalchemy import select

from core.models import AuditEvent
from deals import service as deals
from deals.qualification import QualificationUpdate
from integrations.crm.local import LocalCrm
from integrations.crm.sweeps import deliver_due


def test_a_cleared_budget_is_forgotten_audited_and_noted_in_the_crm(sessions, clock):
    with sessions() as session, session.begin():
        deal = deals.open_deal(session, company="Tallis Foods", owner_slack_id="U1", clock=clock, origin="t1")
        update = QualificationUpdate(seats=60, budget={"amount": "45000", "currency": "GBP", "period": "annual"})
        deals.apply_qualification(
            session, deal, update, clock=clock, actor_type="model", actor_id="offline", source={"slack_message_ts": "1"}
        )
        changes = deals.apply_qualification(
            session,
            deal,
            QualificationUpdate(cleared=["budget"]),
            clock=clock,
            actor_type="model",
            actor_id="offline",
            source={"slack_message_ts": "2"},
            evidence={"budget": "ignore the 45k"},
        )
        deal_id = deal.id
        assert set(changes) == {"budget"}
        assert deals.qualification_of(deal).budget is None and deals.qualification_of(deal).seats == 60
        assert "budget" in deals.assessment_of(deal).missing
    with sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "qualification.change")).all()
        cleared = [e.detail for e in events if e.detail["field"] == "budget" and e.detail["new"] is None]
        assert cleared and cleared[0]["old"]["amount"] == "45000" and cleared[0]["evidence"] == "ignore the 45k"
    crm = LocalCrm(sessions, clock)
    deliver_due(session_factory=sessions, crm=crm, clock=clock)
    notes = " ".join(str(note) for note in crm.notes(f"lto-deal-{deal_id}"))
    assert "Budget: cleared" in notes
