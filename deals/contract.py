"""Contract readiness: what must hold before a deal goes out for signature, decided by code.

Five items, each done, missing or not needed: a final quote whose prices still hold; Legal's approval
where the policy asked for it on that quote; a security review where inspection flags a compliance
gap (a security approver's review of the gaps as they stand, or Security's approval of a quote priced
for the same compliance needs); the order form (legal entity, billing address and contact, a PO number
when the customer requires one); and who signs. "Send for signature" is offered only when nothing is
missing, and refused with the list when asked for anyway. Recording the order form and a security
review: `deals/contract_service.py`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from approvals import service as approvals
from approvals.models import ApprovalStep, StepStatus
from deals.contract_models import Order, OrderForm, OrderFormEntry, SecurityReview
from deals.inspection import CatalogFacts, Finding, inspect_deal
from deals.models import Deal, DealStage
from deals.qualification import Qualification, format_money
from integrations.cpq.engine import Quote
from integrations.cpq.models import QuoteRecord, QuoteStatus, QuoteTerms
from integrations.esign.models import EnvelopeStatus, SignatureEnvelope

GAP_FINDING = "compliance_gap"  # the inspection finding a security review answers
CLOSED_STAGES = (DealStage.LOST, DealStage.DISQUALIFIED)


class Item(enum.StrEnum):
    QUOTE = "quote"
    LEGAL = "legal"
    SECURITY = "security"
    ORDER_FORM = "order_form"
    SIGNER = "signer"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Item.QUOTE: "Final quote",
    Item.LEGAL: "Legal terms",
    Item.SECURITY: "Security review",
    Item.ORDER_FORM: "Order form",
    Item.SIGNER: "Signer",
}


class ItemState(enum.StrEnum):
    DONE = "done"
    MISSING = "missing"
    NOT_NEEDED = "not_needed"


@dataclass(frozen=True)
class ChecklistItem:
    item: Item
    state: ItemState
    detail: str  # what it is, or what to do, in words a rep reads
    by: str | None = None  # the Slack user who approved or reviewed it


@dataclass(frozen=True)
class EnvelopeInfo:
    """The deal's latest envelope, as its card shows it."""

    provider: str
    status: EnvelopeStatus
    signer_name: str
    signer_email: str
    sent_at: datetime | None
    completed_at: datetime | None
    signed_by_name: str | None
    note: str | None


@dataclass(frozen=True)
class OrderInfo:
    number: str
    total: Decimal
    currency: str
    signed_at: datetime
    signed_by_name: str


@dataclass(frozen=True)
class ContractReadiness:
    deal_id: int
    stage: DealStage
    items: tuple[ChecklistItem, ...]
    envelope: EnvelopeInfo | None
    order: OrderInfo | None

    @property
    def missing(self) -> list[ChecklistItem]:
        return [item for item in self.items if item.state == ItemState.MISSING]

    def item(self, which: Item) -> ChecklistItem:
        return next(item for item in self.items if item.item == which)

    @property
    def out_for_signature(self) -> bool:
        """An envelope is with the signer, or was signed: nothing more goes out."""
        return self.order is not None or (self.envelope is not None and self.envelope.status.is_open)

    @property
    def can_send(self) -> bool:
        return not self.missing and self.stage not in CLOSED_STAGES and not self.out_for_signature

    @property
    def needs_security_review(self) -> bool:
        return self.item(Item.SECURITY).state == ItemState.MISSING


class ContractError(Exception):
    """A contract step that cannot be taken; the message says why and what to do, for the person who asked."""


class ContractNotReady(ContractError):
    pass


class ContractLocked(ContractError):
    """The contract is out for signature (or signed): what it says can no longer change."""


class NotSecurityApprover(ContractError):
    pass


# The checklist -----------------------------------------------------------------------------------

QUOTE_NOT_FINAL = {
    QuoteStatus.NEEDS_APPROVAL: "is waiting for approval",
    QuoteStatus.REJECTED: "was rejected: price it again",
    QuoteStatus.CHANGES_REQUESTED: "was sent back for changes: price it again",
    QuoteStatus.EXPIRED: "expired without a decision: price it again",
    QuoteStatus.SUPERSEDED: "was replaced: price it again",
}


def _quote_item(quote: QuoteRecord | None, today: date) -> ChecklistItem:
    if quote is None:
        return ChecklistItem(Item.QUOTE, ItemState.MISSING, "No quote yet: price the deal with `/lto quote`.")
    version = f"v{quote.version}"  # the label says which: "Final quote · v2, ..."
    if not quote.status.is_final:
        return ChecklistItem(Item.QUOTE, ItemState.MISSING, f"{version} {QUOTE_NOT_FINAL[quote.status]}.")
    if quote.valid_until < today:
        held = quote.valid_until.isoformat()
        return ChecklistItem(Item.QUOTE, ItemState.MISSING, f"{version}'s prices held until {held}: price it again.")
    amount = format_money(Decimal(quote.total), quote.currency)
    how = "approved" if quote.status == QuoteStatus.APPROVED else "within the rep's authority"
    detail = f"{version}, {amount}, {how}; prices valid until {quote.valid_until.isoformat()}."
    return ChecklistItem(Item.QUOTE, ItemState.DONE, detail)


def _legal_item(fired: Sequence[dict[str, str]], steps: Sequence[ApprovalStep]) -> ChecklistItem:
    asked = [rule.get("reason", "") for rule in fired if rule.get("level") == "legal"]
    if not asked:
        return ChecklistItem(
            Item.LEGAL, ItemState.NOT_NEEDED, "Standard terms: the policy asked for no legal approval."
        )
    reasons = "; ".join(reason for reason in asked if reason)
    step = next((s for s in steps if s.level == "legal"), None)
    if step is not None and step.status == StepStatus.APPROVED:
        return ChecklistItem(Item.LEGAL, ItemState.DONE, f"Approved: {reasons}.", by=step.decided_by)
    if step is not None and step.status in (StepStatus.REJECTED, StepStatus.CHANGES_REQUESTED):
        return ChecklistItem(Item.LEGAL, ItemState.MISSING, f"Legal did not approve: {reasons}.", by=step.decided_by)
    return ChecklistItem(Item.LEGAL, ItemState.MISSING, f"Waiting for Legal: {reasons}.")


def _security_item(
    gaps: Sequence[str],
    record: Qualification,
    quote: QuoteRecord | None,
    steps: Sequence[ApprovalStep],
    reviews: Sequence[SecurityReview],
) -> ChecklistItem:
    if not gaps:
        return ChecklistItem(Item.SECURITY, ItemState.NOT_NEEDED, "No compliance gap is flagged.")
    review = next((r for r in reviews if set(gaps) <= set(r.covers)), None)
    if review is not None:
        return ChecklistItem(Item.SECURITY, ItemState.DONE, f"Reviewed: {review.note}", by=review.reviewed_by)
    step = next((s for s in steps if s.level == "security" and s.status == StepStatus.APPROVED), None)
    # Security's approval of the quote answers the gaps only if the deal needs what the quote was priced for.
    priced_for = set((quote.request or {}).get("compliance") or []) if quote is not None else set()
    if step is not None and quote is not None and priced_for == {str(c) for c in record.compliance}:
        return ChecklistItem(
            Item.SECURITY, ItemState.DONE, f"Security approved quote v{quote.version}.", by=step.decided_by
        )
    detail = " ".join(gaps) + " A security approver records the review."
    return ChecklistItem(Item.SECURITY, ItemState.MISSING, detail)


def order_form_gaps(entry: OrderFormEntry) -> list[str]:
    """What the order form still lacks, in the words of the proposal's order form."""
    missing = []
    if not entry.legal_entity:
        missing.append("legal entity")
    if not entry.billing_address:
        missing.append("billing address")
    if not (entry.billing_contact_name and entry.billing_contact_email):
        missing.append("billing contact (name and email)")
    if entry.po_required and not entry.po_number:
        missing.append("PO number (the customer requires one)")
    return missing


def _order_form_item(entry: OrderFormEntry) -> ChecklistItem:
    missing = order_form_gaps(entry)
    if missing:
        return ChecklistItem(Item.ORDER_FORM, ItemState.MISSING, f"Missing: {', '.join(missing)}.")
    po = f"PO {entry.po_number}" if entry.po_number else "no PO required"
    detail = f"{entry.legal_entity}; billing {entry.billing_contact_name} <{entry.billing_contact_email}>; {po}."
    return ChecklistItem(Item.ORDER_FORM, ItemState.DONE, detail)


def _signer_item(entry: OrderFormEntry) -> ChecklistItem:
    if not (entry.signer_name and entry.signer_email):
        detail = "Who signs for the customer? Add their name and email to the order form."
        return ChecklistItem(Item.SIGNER, ItemState.MISSING, detail)
    title = f", {entry.signer_title}" if entry.signer_title else ""
    return ChecklistItem(Item.SIGNER, ItemState.DONE, f"{entry.signer_name}{title} <{entry.signer_email}>.")


def gap_findings(findings: Sequence[Finding]) -> list[str]:
    return [finding.message for finding in findings if finding.code == GAP_FINDING]


def latest_quote(session: Session, deal_id: int) -> QuoteRecord | None:
    return session.scalars(
        select(QuoteRecord).where(QuoteRecord.deal_id == deal_id).order_by(QuoteRecord.version.desc()).limit(1)
    ).first()


def order_form_of(session: Session, deal_id: int) -> OrderFormEntry:
    row = session.scalar(select(OrderForm).where(OrderForm.deal_id == deal_id))
    return row.entry() if row is not None else OrderFormEntry()


def latest_envelope(session: Session, deal_id: int) -> SignatureEnvelope | None:
    return session.scalars(
        select(SignatureEnvelope).where(SignatureEnvelope.deal_id == deal_id).order_by(SignatureEnvelope.id.desc())
    ).first()


def _envelope_info(row: SignatureEnvelope | None) -> EnvelopeInfo | None:
    if row is None:
        return None
    return EnvelopeInfo(
        provider=row.provider,
        status=row.status,
        signer_name=row.signer_name,
        signer_email=row.signer_email,
        sent_at=row.sent_at,
        completed_at=row.completed_at,
        signed_by_name=row.signed_by_name,
        note=row.outcome_note,
    )


def _order_info(session: Session, deal_id: int) -> OrderInfo | None:
    row = session.scalar(select(Order).where(Order.deal_id == deal_id))
    if row is None:
        return None
    return OrderInfo(
        number=row.number,
        total=Decimal(row.total),
        currency=row.currency,
        signed_at=row.signed_at,
        signed_by_name=row.signed_by_name,
    )


def readiness(session: Session, deal: Deal, *, findings: Sequence[Finding], today: date) -> ContractReadiness:
    """The deal's checklist, from its latest quote and its approvals, its inspection findings, its security
    reviews and its order form; with the envelope out for signature and the order, if any."""
    record = Qualification.model_validate(deal.qualification or {})
    quote = latest_quote(session, deal.id)
    request = approvals.request_of_quote(session, quote.id) if quote is not None else None
    steps = approvals.steps_of(session, request.id) if request is not None else []
    reviews = list(
        session.scalars(
            select(SecurityReview).where(SecurityReview.deal_id == deal.id).order_by(SecurityReview.id.desc())
        )
    )
    entry = order_form_of(session, deal.id)
    items = (
        _quote_item(quote, today),
        _legal_item(request.fired if request is not None else [], steps),
        _security_item(gap_findings(findings), record, quote, steps, reviews),
        _order_form_item(entry),
        _signer_item(entry),
    )
    return ContractReadiness(
        deal_id=deal.id,
        stage=deal.stage,
        items=items,
        envelope=_envelope_info(latest_envelope(session, deal.id)),
        order=_order_info(session, deal.id),
    )


def on_card(session: Session, deal: Deal, *, findings: Sequence[Finding], today: date) -> ContractReadiness | None:
    """The checklist the deal card shows: once the deal is priced (or in proposal, or won); never on a lost or
    disqualified deal."""
    if deal.stage in CLOSED_STAGES:
        return None
    if deal.stage not in (DealStage.PROPOSAL, DealStage.WON) and latest_quote(session, deal.id) is None:
        return None
    return readiness(session, deal, findings=findings, today=today)


def readiness_of(session: Session, deal: Deal, *, catalog: CatalogFacts, today: date) -> ContractReadiness:
    """`readiness`, inspecting the deal first."""
    record = Qualification.model_validate(deal.qualification or {})
    findings = inspect_deal(session, deal.id, record, catalog=catalog, today=today)
    return readiness(session, deal, findings=findings, today=today)


def not_ready_reason(deal_id: int, found: ContractReadiness) -> str | None:
    """Why the deal cannot go out for signature now, in words for the rep; None when it can."""
    if found.order is not None:
        return f"Deal #{deal_id} is already signed: order {found.order.number}."
    if found.envelope is not None and found.envelope.status.is_open:
        return (
            f"Deal #{deal_id} is already out for signature with {found.envelope.signer_name} "
            f"<{found.envelope.signer_email}>."
        )
    if found.stage in CLOSED_STAGES:
        return f"Deal #{deal_id} is {found.stage}: nothing goes out for signature."
    if found.missing:
        listed = " ".join(f"{item.item.label}: {item.detail}" for item in found.missing)
        return f"Deal #{deal_id} is not ready for signature. {listed}"
    return None


# What goes out for signature -------------------------------------------------------------------


@dataclass(frozen=True)
class ContractBasis:
    """What the signer receives: the final quote with its terms, and the order form as recorded."""

    deal_id: int
    company: str
    quote_id: int
    quote_version: int
    quote: Quote
    terms: QuoteTerms
    order_form: OrderFormEntry

    @property
    def signer_name(self) -> str:
        assert self.order_form.signer_name  # the checklist requires it
        return self.order_form.signer_name

    @property
    def signer_email(self) -> str:
        assert self.order_form.signer_email
        return str(self.order_form.signer_email)

    @property
    def customer(self) -> str:
        """The party that signs: the legal entity on the order form."""
        return self.order_form.legal_entity or self.company


@dataclass(frozen=True)
class ContractDocument:
    """The contract as the signer receives it."""

    pdf: bytes
    name: str  # the file's name, e.g. "Order form - Acme Corp.pdf"
    signature_anchor: str | None  # text printed just above the customer's signature lines


def contract_basis(session: Session, deal: Deal, quote: QuoteRecord) -> ContractBasis:
    """The contract for this quote of the deal, with the order form as recorded (no checks: see below)."""
    return ContractBasis(
        deal_id=deal.id,
        company=deal.account.name,
        quote_id=quote.id,
        quote_version=quote.version,
        quote=Quote.model_validate(quote.quote),
        terms=quote.terms,
        order_form=order_form_of(session, deal.id),
    )


def basis_for_signature(session: Session, deal: Deal, *, catalog: CatalogFacts, today: date) -> ContractBasis:
    """The contract to send, if the checklist is complete; ContractNotReady says what is missing."""
    found = readiness_of(session, deal, catalog=catalog, today=today)
    reason = not_ready_reason(deal.id, found)
    if reason is not None:
        raise ContractNotReady(reason)
    quote = latest_quote(session, deal.id)
    assert quote is not None  # the checklist's first item
    return contract_basis(session, deal, quote)


@dataclass(frozen=True)
class DealPlace:
    """Where a deal is discussed, and whose it is."""

    deal_id: int
    company: str
    owner: str
    channel_id: str | None
    thread_ts: str | None


def place_of(deal: Deal) -> DealPlace:
    return DealPlace(deal.id, deal.account.name, deal.owner_slack_id, deal.channel_id, deal.thread_ts)
