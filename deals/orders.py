"""A signed contract becomes an order: the deal is won, the CRM and subscribers hear of it, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, outbox
from core import events as domain_events
from core.clock import Clock
from deals import service as deals
from deals.contract import order_form_of
from deals.contract_models import Order
from deals.models import DealStage
from deals.qualification import format_money
from integrations.cpq.models import QuoteRecord
from integrations.esign.models import SignatureEnvelope


@dataclass(frozen=True)
class SignedBy:
    name: str
    email: str | None
    at: datetime


def close_won(session: Session, *, envelope: SignatureEnvelope, signed: SignedBy, clock: Clock) -> Order:
    """In the caller's transaction (the one that marked the envelope signed): the order, the deal's stage
    `won` (audited, written back to the CRM, `deal.stage_changed`), the order written back to the CRM
    through the outbox, and `contract.signed`. Called again for the same envelope, it returns the order."""
    existing = session.scalar(select(Order).where(Order.envelope_id == envelope.id))
    if existing is not None:
        return existing
    deal = deals.get_deal(session, envelope.deal_id, for_update=True)
    quote = session.get_one(QuoteRecord, envelope.quote_id)
    form = order_form_of(session, deal.id)
    order = Order(
        deal_id=deal.id,
        quote_id=quote.id,
        envelope_id=envelope.id,
        total=quote.total,
        currency=quote.currency,
        order_form=form.model_dump(mode="json"),
        signed_by_name=signed.name,
        signed_by_email=signed.email,
        signed_at=signed.at,
        created_at=clock.now(),
    )
    session.add(order)
    session.flush()
    signer = f"{signed.name} <{signed.email}>" if signed.email else signed.name
    total = format_money(Decimal(order.total), order.currency)
    deals.set_stage(
        session,
        deal,
        stage=DealStage.WON,
        actor_id=f"{envelope.provider}:{envelope.envelope_id}",
        clock=clock,
        reason=f"contract signed by {signed.name}: order {order.number}",
    )
    key = f"deal:{deal.id}:order:{order.id}"
    properties = {
        **deals.crm_properties(deal),
        "order_number": order.number,
        "order_total": order.total,
        "order_currency": order.currency,
        "order_signed_at": signed.at.isoformat(),
        "order_po_number": form.po_number,
        "quote_version": quote.version,
    }
    outbox.emit(
        session,
        topic="crm.deal.upsert",
        aggregate=f"deal:{deal.id}",
        payload={
            "deal_key": deals.deal_key(deal),
            "name": deal.name,
            "account_name": deal.account.name,
            "properties": properties,
        },
        idempotency_key=f"{key}:upsert",
        clock=clock,
    )
    po = f", PO {form.po_number}" if form.po_number else ""
    note = (
        f"Order {order.number} signed by {signer} on {signed.at.date().isoformat()}: {total} "
        f"(quote v{quote.version}){po}. Signed through {envelope.provider}, envelope {envelope.envelope_id}."
    )
    outbox.emit(
        session,
        topic="crm.deal.note",
        aggregate=f"deal:{deal.id}",
        payload={"deal_key": deals.deal_key(deal), "text": note},
        idempotency_key=f"{key}:note",
        clock=clock,
    )
    domain_events.publish_event(
        session,
        domain_events.ContractSigned(
            id=domain_events.event_id_for(f"envelope:{envelope.id}:signed"),
            occurred_at=clock.now(),
            deal_id=deal.id,
            data=domain_events.SignedContract(
                envelope_id=envelope.envelope_id or envelope.reference,
                provider=envelope.provider,
                quote_version=quote.version,
                total=Decimal(order.total),
                currency=order.currency,
                signed_at=signed.at,
                signers=[signed.name],
            ),
        ),
        clock=clock,
    )
    audit.record(
        session,
        clock=clock,
        actor_type="system",
        actor_id=envelope.provider,
        action="contract.signed",
        subject=f"order:{order.id}",
        deal_id=deal.id,
        inputs={"envelope": envelope.envelope_id, "quote_version": quote.version},
        outcome=order.number,
        detail={"total": order.total, "currency": order.currency, "signed_at": signed.at.isoformat()},
    )
    return order
