"""The contract's use cases on the Slack side of a deal: its order form recorded, a security review recorded, and
what their modals are filled with. Each owns its transaction and is audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core import audit
from core.clock import Clock
from deals import access
from deals.contract import (
    ContractError,
    ContractLocked,
    DealPlace,
    NotSecurityApprover,
    gap_findings,
    latest_envelope,
    order_form_gaps,
    order_form_of,
    place_of,
)
from deals.contract_models import OrderForm, OrderFormEntry, SecurityReview
from deals.inspection import CatalogFacts, inspect_deal
from deals.models import Deal
from deals.qualification import Qualification
from integrations.esign.models import EnvelopeStatus


def _deal(session: Session, deal_id: int, *, for_update: bool = False) -> Deal:
    deal = session.get(Deal, deal_id, with_for_update=for_update or None)
    if deal is None:
        raise ContractError(f"There is no deal #{deal_id}.")
    return deal


def _not_locked(session: Session, deal: Deal) -> None:
    envelope = latest_envelope(session, deal.id)
    if envelope is not None and envelope.status.is_open:
        state = "signed" if envelope.status == EnvelopeStatus.COMPLETED else "out for signature"
        raise ContractLocked(f"Deal #{deal.id}'s contract is {state}: its order form can no longer change.")


def order_form_for(session_factory: sessionmaker[Session], *, deal_id: int) -> tuple[str, OrderFormEntry]:
    """The company and its order form as recorded so far (to fill the form in again)."""
    with session_factory() as session:
        deal = _deal(session, deal_id)
        return deal.account.name, order_form_of(session, deal_id)


def record_order_form(
    session_factory: sessionmaker[Session], *, who: access.Identity, deal_id: int, entry: OrderFormEntry, clock: Clock
) -> DealPlace:
    """The order form and signer as the rep recorded them, replacing what was there, audited (which fields,
    not their values: those are the customer's people). Raises ContractError, ContractLocked or Forbidden."""
    with session_factory() as session, session.begin():
        deal = _deal(session, deal_id, for_update=True)
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        _not_locked(session, deal)
        row = session.scalar(select(OrderForm).where(OrderForm.deal_id == deal_id))
        if row is None:
            row = OrderForm(deal_id=deal_id, updated_by=who.user_id, updated_at=clock.now())
            session.add(row)
        before = row.entry() if row.id is not None else OrderFormEntry()
        for name, value in entry.model_dump(mode="json").items():
            setattr(row, name, value)
        row.updated_by, row.updated_at = who.user_id, clock.now()
        changed = [name for name in OrderFormEntry.model_fields if getattr(before, name) != getattr(entry, name)]
        audit.record(
            session,
            clock=clock,
            actor_type="user",
            actor_id=who.user_id,
            action="contract.order_form",
            subject=f"deal:{deal_id}",
            deal_id=deal_id,
            inputs={"changed": changed},
            outcome="complete" if not order_form_gaps(entry) else "incomplete",
            detail={"missing": order_form_gaps(entry), "signer_known": bool(entry.signer_name and entry.signer_email)},
        )
        return place_of(deal)


def record_security_review(
    session_factory: sessionmaker[Session],
    *,
    reviewer: str,
    reviewer_groups: set[str],
    approvers: Sequence[str],
    deal_id: int,
    note: str,
    catalog: CatalogFacts,
    today: date,
    clock: Clock,
) -> DealPlace:
    """A security approver's review of the deal's compliance gaps as inspection states them now, audited. A
    later gap (a new requirement, another quote) needs a review of its own."""
    with session_factory() as session, session.begin():
        deal = _deal(session, deal_id, for_update=True)
        if not ({reviewer} | reviewer_groups) & set(approvers):
            raise NotSecurityApprover("Only security approvers can record a security review; I did nothing.")
        record = Qualification.model_validate(deal.qualification or {})
        gaps = gap_findings(inspect_deal(session, deal.id, record, catalog=catalog, today=today))
        if not gaps:
            raise ContractError(f"Deal #{deal_id} has no compliance gap flagged: there is nothing to review.")
        session.add(
            SecurityReview(deal_id=deal_id, reviewed_by=reviewer, note=note, covers=gaps, created_at=clock.now())
        )
        audit.record(
            session,
            clock=clock,
            actor_type="user",
            actor_id=reviewer,
            action="contract.security_review",
            subject=f"deal:{deal_id}",
            deal_id=deal_id,
            inputs={"gaps": gaps},
            outcome="reviewed",
            detail={"note": note},
        )
        return place_of(deal)


def security_gaps(
    session_factory: sessionmaker[Session], *, deal_id: int, catalog: CatalogFacts, today: date
) -> tuple[str, list[str]]:
    """The company and the compliance gaps inspection flags on the deal now (what a review would cover)."""
    with session_factory() as session:
        deal = _deal(session, deal_id)
        record = Qualification.model_validate(deal.qualification or {})
        return deal.account.name, gap_findings(inspect_deal(session, deal.id, record, catalog=catalog, today=today))
