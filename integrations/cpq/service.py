"""Quotes per deal: priced by the engine, stored as a new version, audited, and sent to the CRM."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from approvals import service as approval_service
from approvals.policy import ApprovalFacts, Policy, PolicyDecision, evaluate
from core import audit, jobs, outbox
from core.clock import Clock
from core.job_kinds import PostApprovalCard, PriceQuote
from deals import access
from deals import service as deals
from deals.access import Identity
from deals.models import Deal
from deals.qualification import Money, format_money
from deals.service import deal_key, qualification_of
from integrations.cpq.catalog import Catalog
from integrations.cpq.engine import LineRequest, Quote, QuoteRequest, price
from integrations.cpq.models import QuoteRecord, QuoteStatus


def request_for_deal(
    deal: Deal,
    *,
    lines: list[tuple[str, int]],
    discount_pct: Decimal,
    years: int,
    currency: str | None = None,
    payment_terms_days: int = 30,
    custom_sla: bool = False,
    legal_changes: bool = False,
) -> QuoteRequest:
    """The deal's qualification supplies the context the engine checks: regions, deployment, compliance."""
    record = qualification_of(deal)
    return QuoteRequest(
        currency=currency or (record.budget.currency if record.budget else "USD"),
        term_years=years,
        lines=[LineRequest(sku=sku, quantity=quantity) for sku, quantity in lines],
        discount_pct=discount_pct,
        regions=record.regions,
        deployment=record.deployment,
        compliance=record.compliance,
        allow_gaps=True,  # gaps are priced and routed to approval, not hidden
        payment_terms_days=payment_terms_days,
        custom_sla=custom_sla,
        legal_changes=legal_changes,
    )


def approval_decision(quote: Quote, policy: Policy, request: QuoteRequest) -> PolicyDecision:
    """What the governed policy says about this quote and the terms it was asked with."""
    facts = ApprovalFacts(
        discount_pct=quote.requested_discount_pct,
        total=Money(amount=quote.total, currency=quote.currency),
        payment_terms_days=request.payment_terms_days,
        custom_sla=request.custom_sla,
        legal_changes=request.legal_changes,
        compliance_gap=bool(quote.compliance_gaps),
        region_unhosted=bool(quote.unhosted_regions),
    )
    return evaluate(policy, facts)


def needs_approval(quote: Quote, policy: Policy, request: QuoteRequest) -> list[str]:
    """Reasons the quote is not final, in words a rep reads, each naming who must approve."""
    decision = approval_decision(quote, policy, request)
    reasons = [f"{rule.reason}: {policy.levels[rule.level].name}" for rule in decision.fired]
    if quote.compliance_gaps:
        reasons.append(f"not covered: {', '.join(g.value for g in quote.compliance_gaps)}")
    if quote.unhosted_regions:
        reasons.append(f"not hosted in: {', '.join(r.value for r in quote.unhosted_regions)}")
    return reasons


def create_quote(
    session: Session,
    *,
    deal: Deal,
    request: QuoteRequest,
    catalog: Catalog,
    policy: Policy,
    actor_id: str,
    clock: Clock,
) -> tuple[QuoteRecord, Quote, list[str]]:
    """Price and store the next version; earlier open versions of the deal are superseded."""
    quote = price(request, catalog)
    reasons = needs_approval(quote, policy, request)
    version = (session.scalar(select(func.max(QuoteRecord.version)).where(QuoteRecord.deal_id == deal.id)) or 0) + 1
    session.execute(
        update(QuoteRecord)
        .where(QuoteRecord.deal_id == deal.id, QuoteRecord.status.in_((QuoteStatus.DRAFT, QuoteStatus.NEEDS_APPROVAL)))
        .values(status=QuoteStatus.SUPERSEDED)
    )
    record = QuoteRecord(
        deal_id=deal.id,
        version=version,
        status=QuoteStatus.NEEDS_APPROVAL if reasons else QuoteStatus.DRAFT,
        currency=quote.currency,
        total=str(quote.total),
        catalog_version=quote.catalog_version,
        request=request.model_dump(mode="json"),
        quote=quote.model_dump(mode="json"),
        created_by=actor_id,
        created_at=clock.now(),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=actor_id,
        action="quote.create",
        subject=f"quote:{record.id}",
        deal_id=deal.id,
        inputs={
            "version": version,
            "catalog_version": quote.catalog_version,
            "request": request.model_dump(mode="json"),
        },
        outcome=record.status,
        detail={
            "total": str(quote.total),
            "currency": quote.currency,
            "approval_reasons": reasons,
            "policy_version": policy.version,
        },
    )
    outbox.emit(
        session,
        topic="crm.deal.quote_total",
        aggregate=f"deal:{deal.id}",
        payload={
            "deal_key": deal_key(deal),
            "amount": str(quote.total),
            "currency": quote.currency,
            "quote_version": version,
        },
        idempotency_key=f"deal:{deal.id}:quote:{version}",
        clock=clock,
    )
    return record, quote, reasons


@dataclass(frozen=True)
class CommittedQuote:
    record: QuoteRecord
    quote: Quote
    reasons: list[str]  # why it is not final yet, in words for the rep (empty when it is)
    approval_request_id: int | None  # the request people must decide, if any


def commit_quote(
    session: Session,
    *,
    deal: Deal,
    request: QuoteRequest,
    catalog: Catalog,
    policy: Policy,
    actor_id: str,
    clock: Clock,
    agent_run: dict[str, Any] | None = None,
) -> CommittedQuote:
    """One path for `/lto quote` and the agent's `commit_quote`: price and store the next version; when the
    policy says people must decide, open the approval request (keeping the paused agent run, if one asked)
    and queue its card, all in the caller's transaction."""
    record, quote, reasons = create_quote(
        session, deal=deal, request=request, catalog=catalog, policy=policy, actor_id=actor_id, clock=clock
    )
    decision = approval_decision(quote, policy, request)
    if not decision.needs_approval:
        return CommittedQuote(record, quote, reasons, None)
    approval = approval_service.request_approval(
        session,
        deal_id=deal.id,
        quote_id=record.id,
        requester=actor_id,
        decision=decision,
        summary=summarize(quote, request),
        clock=clock,
        agent_run=agent_run,
    )
    jobs.enqueue(
        session,
        job=PostApprovalCard(request_id=approval.id),
        clock=clock,
        dedupe_key=f"approval:{approval.id}:card",
    )
    return CommittedQuote(record, quote, reasons, approval.id)


def summarize(quote: Quote, request: QuoteRequest) -> str:
    """What is being asked, in one line: "22% discount on 150 × HS-ENT, 2 years: $240,144.84 (list $345,000)"."""
    lines = ", ".join(f"{line.quantity} × {line.sku}" for line in quote.lines)
    discount = request.discount_pct
    asked = f"{discount.normalize():f}% discount on " if discount else ""
    years = f"{quote.term_years} year{'s' if quote.term_years > 1 else ''}"
    terms = [
        f"net {request.payment_terms_days}" if request.payment_terms_days != 30 else "",
        "custom SLA" if request.custom_sla else "",
        "changes to the legal terms" if request.legal_changes else "",
    ]
    extra = "".join(f", {term}" for term in terms if term)
    return (
        f"{asked}{lines}, {years}{extra}: {format_money(quote.total, quote.currency)} "
        f"(list {format_money(quote.list_total, quote.currency)})"
    )


@dataclass(frozen=True)
class PricedForDeal:
    """What `/lto quote` shows: the stored version and where the deal's thread is."""

    company: str
    channel_id: str | None
    thread_ts: str | None
    committed: CommittedQuote


def quote_deal(
    session_factory: sessionmaker[Session],
    *,
    who: Identity,
    ask: PriceQuote,
    catalog: Catalog,
    policy: Policy,
    clock: Clock,
) -> PricedForDeal:
    """`/lto quote`: the deal the rep named, priced with its own regions, deployment and compliance,
    committed as the next version (and sent for approval when the policy says so), in one transaction.
    Raises DealNotFound, Forbidden or QuoteRefused with a sentence the rep can act on."""
    with session_factory() as session, session.begin():
        deal = deals.find_deal(session, reference=ask.deal, user_id=who.user_id)
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        request = request_for_deal(
            deal,
            lines=[(line.sku, line.quantity) for line in ask.lines],
            discount_pct=ask.discount_pct,
            years=ask.years,
            payment_terms_days=ask.payment_terms_days,
            custom_sla=ask.custom_sla,
            legal_changes=ask.legal_changes,
        )
        committed = commit_quote(
            session, deal=deal, request=request, catalog=catalog, policy=policy, actor_id=who.user_id, clock=clock
        )
        return PricedForDeal(deal.account.name, deal.channel_id, deal.thread_ts, committed)


def next_version(session: Session, deal_id: int) -> int:
    """The version number the deal's next quote will get."""
    return (session.scalar(select(func.max(QuoteRecord.version)).where(QuoteRecord.deal_id == deal_id)) or 0) + 1


def latest_quote(session: Session, deal_id: int) -> QuoteRecord | None:
    """The deal's newest quote version, whatever its status; None when the deal was never priced."""
    return session.scalars(
        select(QuoteRecord).where(QuoteRecord.deal_id == deal_id).order_by(QuoteRecord.version.desc()).limit(1)
    ).first()
