"""The local signing page's use cases: what the signer reads before signing, and their signature, taken once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from deals import contract as contracts
from deals.contract import ContractError
from deals.contract_models import Order
from deals.models import Deal
from deals.qualification import format_money
from integrations.cpq.models import QuoteRecord
from integrations.esign.models import EnvelopeStatus, SignatureEnvelope
from integrations.esign.service import Signing, SignOutcome, sign


@dataclass(frozen=True)
class PageLine:
    product: str
    quantity: str
    amount: str


@dataclass(frozen=True)
class SigningPage:
    """What the signer reads before signing: the order as the document says it, and where it stands."""

    reference: str
    status: EnvelopeStatus
    company: str
    customer: str
    signer_name: str
    signer_email: str
    lines: tuple[PageLine, ...]
    total: str
    term: str
    terms: str
    billing_address: str | None
    billing_contact: str | None
    po_number: str | None
    signed_by: str | None
    signed_at: datetime | None
    order_number: str | None


class EnvelopeNotFound(LookupError):
    """No envelope with this reference (a link to a contract that was removed)."""


def signing_page(session_factory: sessionmaker[Session], *, reference: str) -> SigningPage:
    with session_factory() as session:
        row = session.scalar(select(SignatureEnvelope).where(SignatureEnvelope.reference == reference))
        if row is None:
            raise EnvelopeNotFound(reference)
        deal = session.get_one(Deal, row.deal_id)
        basis = contracts.contract_basis(session, deal, session.get_one(QuoteRecord, row.quote_id))
        order = session.scalar(select(Order).where(Order.envelope_id == row.id))
        form = basis.order_form
        quote = basis.quote
        lines = tuple(
            PageLine(
                product=f"{line.name} ({line.sku})",
                quantity=f"{line.quantity:,}",
                amount=format_money(line.term_total, quote.currency),
            )
            for line in quote.lines
        )
        contact = (
            f"{form.billing_contact_name} <{form.billing_contact_email}>"
            if form.billing_contact_name and form.billing_contact_email
            else None
        )
        return SigningPage(
            reference=row.reference,
            status=row.status,
            company=basis.company,
            customer=basis.customer,
            signer_name=row.signer_name,
            signer_email=row.signer_email,
            lines=lines,
            total=format_money(Decimal(quote.total), quote.currency),
            term=f"{quote.term_years} year" + ("s" if quote.term_years != 1 else ""),
            terms=str(basis.terms),
            billing_address=form.billing_address,
            billing_contact=contact,
            po_number=form.po_number,
            signed_by=row.signed_by_name,
            signed_at=row.completed_at,
            order_number=order.number if order else None,
        )


def sign_on_page(
    session_factory: sessionmaker[Session],
    *,
    reference: str,
    name: str,
    ip: str | None,
    user_agent: str | None,
    clock: Clock,
) -> SignOutcome:
    """The signer signed on the local page: their typed name, the time and the address it came from. A second
    post of the same page signs nothing again. ContractError for an envelope that cannot be signed any more."""
    with session_factory() as session, session.begin():
        row = session.scalar(
            select(SignatureEnvelope).where(SignatureEnvelope.reference == reference).with_for_update()
        )
        if row is None or row.provider != "local":
            raise EnvelopeNotFound(reference)
        if row.status in (EnvelopeStatus.DECLINED, EnvelopeStatus.VOIDED, EnvelopeStatus.FAILED):
            raise ContractError("This contract was withdrawn: ask your contact for the current one.")
        if row.status == EnvelopeStatus.SENDING:
            raise ContractError("This contract is still being prepared: try the link again in a minute.")
        signing = Signing(name=name, email=row.signer_email, at=clock.now(), ip=ip, user_agent=user_agent)
        return sign(session, row, signing, clock=clock)
