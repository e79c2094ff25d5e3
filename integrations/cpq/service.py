"""Quotes per deal: priced by the engine, stored as a new version, audited, and sent to the CRM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from approvals import service as approval_service
from approvals.models import ApprovalStep, StepStatus
from approvals.policy import ApprovalFacts, Policy, PolicyDecision, evaluate
from core import audit, events, jobs, outbox
from core.clock import Clock
from core.job_kinds import PostApprovalCard, PriceQuote
from deals import access
from deals import service as deals
from deals.access import Identity
from deals.models import Deal
from deals.qualification import Money, Qualification, format_money
from deals.service import deal_key, qualification_of
from integrations.cpq import errors
from integrations.cpq.catalog import BillingFrequency, Catalog
from integrations.cpq.engine import LineRequest, Quote, QuoteRequest, price
from integrations.cpq.models import QuoteRecord, QuoteStatus, QuoteTerms


def request_for_deal(
    deal: Deal,
    *,
    lines: list[tuple[str, int]],
    discount_pct: Decimal,
    years: int,
    catalog: Catalog,
    policy: Policy,
    currency: str | None = None,
    payment_terms_days: int | None = None,
    billing_frequency: BillingFrequency | None = None,
    term_start: date | None = None,
    custom_sla: bool = False,
    legal_changes: bool = False,
    override_rules: bool = False,
) -> QuoteRequest:
    """The deal's qualification supplies the context the engine checks: regions, deployment, compliance,
    sources, and the payment terms the customer asked for."""
    return request_for_record(
        qualification_of(deal),
        lines=lines,
        discount_pct=discount_pct,
        years=years,
        catalog=catalog,
        policy=policy,
        currency=currency,
        payment_terms_days=payment_terms_days,
        billing_frequency=billing_frequency,
        term_start=term_start,
        custom_sla=custom_sla,
        legal_changes=legal_changes,
        override_rules=override_rules,
    )


def request_for_record(
    record: Qualification,
    *,
    lines: list[tuple[str, int]],
    discount_pct: Decimal,
    years: int,
    catalog: Catalog,
    policy: Policy,
    currency: str | None = None,
    payment_terms_days: int | None = None,
    billing_frequency: BillingFrequency | None = None,
    term_start: date | None = None,
    custom_sla: bool = False,
    legal_changes: bool = False,
    override_rules: bool = False,
) -> QuoteRequest:
    """A qualification record supplies the context the engine checks: currency, regions, deployment,
    compliance and sources. Terms the rep did not state come from the deal (the payment terms the customer
    asked for) or else from governance (the policy's standard net days, the catalog's billing)."""
    if payment_terms_days is None:
        payment_terms_days = (
            record.payment_terms_days if record.payment_terms_days is not None else policy.standard_payment_terms_days
        )
    return QuoteRequest(
        currency=currency or (record.budget.currency if record.budget else "USD"),
        term_years=years,
        lines=[LineRequest(sku=sku, quantity=quantity) for sku, quantity in lines],
        discount_pct=discount_pct,
        regions=record.regions,
        deployment=record.deployment,
        compliance=record.compliance,
        integrations=record.integrations,
        allow_gaps=True,  # gaps are priced and routed to approval, not hidden
        override_rules=override_rules,
        payment_terms_days=payment_terms_days,
        billing_frequency=billing_frequency or catalog.terms.billing_frequency,
        term_start=term_start,
        custom_sla=custom_sla,
        legal_changes=legal_changes,
    )


def terms_asked(request: QuoteRequest, *, valid_until: date | None = None) -> QuoteTerms:
    """The terms a request carries, as people read them (`valid_until` once it is committed)."""
    return QuoteTerms(
        currency=request.currency,
        payment_terms=f"net {request.payment_terms_days}",
        billing_frequency=request.billing_frequency,
        term_start=request.term_start,
        valid_until=valid_until,
    )


def rule_notes(quote: Quote) -> list[str]:
    """The product rules CPQ applied, suggested or saw overridden on a quote, one sentence each for the rep
    (an add-on's edition being on the quote goes without saying)."""
    return [str(outcome) for outcome in quote.rule_outcomes if not outcome.routine]


def approval_decision(quote: Quote, policy: Policy, request: QuoteRequest) -> PolicyDecision:
    """What the governed policy says about this quote and the terms it was asked with."""
    facts = ApprovalFacts(
        discount_pct=quote.requested_discount_pct,
        total=Money(amount=quote.total, currency=quote.currency),
        payment_terms_days=request.payment_terms_days,
        billing_frequency=request.billing_frequency,
        custom_sla=request.custom_sla,
        legal_changes=request.legal_changes,
        compliance_gap=bool(quote.compliance_gaps),
        region_unhosted=bool(quote.unhosted_regions),
        overridden_rules=quote.overridden_rules,
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
    origin: str | None = None,
) -> tuple[QuoteRecord, Quote, list[str]]:
    """Price and store the next version with its terms (valid for the catalog's validity days from today);
    earlier open versions of the deal are superseded. `origin` names the job that priced it (unique: a second
    run of that job cannot store a second version)."""
    today = clock.now().date()
    if request.term_start is not None and request.term_start < today:
        raise errors.InvalidTermStart(
            f"The term cannot start on {request.term_start.isoformat()}, before today ({today.isoformat()})."
        )
    quote = price(request, catalog)
    reasons = needs_approval(quote, policy, request)
    terms = terms_asked(request, valid_until=today + timedelta(days=catalog.terms.quote_valid_days))
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
        origin=origin,
        payment_terms=terms.payment_terms,
        billing_frequency=terms.billing_frequency,
        term_start=terms.term_start,
        valid_until=terms.valid_until,
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
            "terms": str(record.terms),
            "rules": [f"{outcome.rule} {outcome.status}" for outcome in quote.rule_outcomes],
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
    events.publish_event(
        session,
        events.QuoteCommitted(
            id=events.event_id_for(f"quote:{record.id}:committed"),
            occurred_at=clock.now(),
            deal_id=deal.id,
            data=events.CommittedQuote(
                quote_id=record.id,
                quote_version=version,
                status=record.status,
                total=quote.total,
                currency=quote.currency,
                catalog_version=quote.catalog_version,
                created_by=actor_id,
            ),
        ),
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
    origin: str | None = None,
) -> CommittedQuote:
    """One path for `/lto quote` and the agent's `commit_quote`: price and store the next version; when the
    policy says people must decide, open the approval request (keeping the paused agent run, if one asked)
    and queue its card, all in the caller's transaction."""
    record, quote, reasons = create_quote(
        session,
        deal=deal,
        request=request,
        catalog=catalog,
        policy=policy,
        actor_id=actor_id,
        clock=clock,
        origin=origin,
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
        summary=summarize(quote, request, standard_payment_terms_days=policy.standard_payment_terms_days),
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


@dataclass(frozen=True)
class PricePreview:
    """A ballpark: what a quote would be, priced by the engine and judged by the policy, stored nowhere."""

    quote: Quote
    summary: str
    approvers: list[str]  # the names of the levels that would have to approve it (empty: the rep's call)
    terms: QuoteTerms


def preview(
    record: Qualification,
    *,
    lines: list[tuple[str, int]],
    discount_pct: Decimal,
    years: int,
    catalog: Catalog,
    policy: Policy,
    payment_terms_days: int | None = None,
    billing_frequency: BillingFrequency | None = None,
    custom_sla: bool = False,
    legal_changes: bool = False,
    override_rules: bool = False,
) -> PricePreview:
    """Price a deal's would-be quote without committing it: the same engine, context, terms and policy as
    `commit_quote`, nothing written. Raises QuoteRefused with a sentence the rep can act on."""
    request = request_for_record(
        record,
        lines=lines,
        discount_pct=discount_pct,
        years=years,
        catalog=catalog,
        policy=policy,
        payment_terms_days=payment_terms_days,
        billing_frequency=billing_frequency,
        custom_sla=custom_sla,
        legal_changes=legal_changes,
        override_rules=override_rules,
    )
    quote = price(request, catalog)
    decision = approval_decision(quote, policy, request)
    return PricePreview(
        quote,
        summarize(quote, request, standard_payment_terms_days=policy.standard_payment_terms_days),
        [policy.levels[level].name for level in decision.levels],
        terms_asked(request),
    )


def summarize(quote: Quote, request: QuoteRequest, *, standard_payment_terms_days: int = 30) -> str:
    """What is being asked, in one line: "22% discount on 150 × HS-ENT, 2 years: $240,144.84 (list $345,000)";
    terms appear when they are not the standard ones."""
    lines = ", ".join(f"{line.quantity} × {line.sku}" for line in quote.lines)
    discount = request.discount_pct
    asked = f"{discount.normalize():f}% discount on " if discount else ""
    years = f"{quote.term_years} year{'s' if quote.term_years > 1 else ''}"
    terms = [
        f"net {request.payment_terms_days}" if request.payment_terms_days != standard_payment_terms_days else "",
        f"billed {request.billing_frequency}" if request.billing_frequency != BillingFrequency.ANNUAL else "",
        f"starting {request.term_start.isoformat()}" if request.term_start else "",
        "custom SLA" if request.custom_sla else "",
        "changes to the legal terms" if request.legal_changes else "",
        f"overriding {', '.join(quote.overridden_rules)}" if quote.overridden_rules else "",
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
    origin: str | None = None,
) -> PricedForDeal:
    """`/lto quote`: the deal the rep named, priced with its own regions, deployment and compliance,
    committed as the next version (and sent for approval when the policy says so), in one transaction.
    `origin` names the job asking: when it runs again (a crash, a failed post after the commit), it gets
    the version it stored the first time, to show again, instead of pricing a new one.
    Raises DealNotFound, Forbidden or QuoteRefused with a sentence the rep can act on."""
    with session_factory() as session, session.begin():
        deal = deals.find_deal(session, reference=ask.deal, user_id=who.user_id)
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        earlier = committed_by(session, origin=origin, policy=policy) if origin else None
        if earlier is not None:
            return PricedForDeal(deal.account.name, deal.channel_id, deal.thread_ts, earlier)
        request = request_for_deal(
            deal,
            lines=[(line.sku, line.quantity) for line in ask.lines],
            discount_pct=ask.discount_pct,
            years=ask.years,
            catalog=catalog,
            policy=policy,
            payment_terms_days=ask.payment_terms_days,
            billing_frequency=BillingFrequency(ask.billing_frequency) if ask.billing_frequency else None,
            term_start=ask.term_start,
            custom_sla=ask.custom_sla,
            legal_changes=ask.legal_changes,
            override_rules=ask.override_rules,
        )
        committed = commit_quote(
            session,
            deal=deal,
            request=request,
            catalog=catalog,
            policy=policy,
            actor_id=who.user_id,
            clock=clock,
            origin=origin,
        )
        if ask.justification:  # kept with what was asked, for the approval card
            committed.record.request = {**committed.record.request, "justification": ask.justification}
        return PricedForDeal(deal.account.name, deal.channel_id, deal.thread_ts, committed)


def committed_by(session: Session, *, origin: str, policy: Policy) -> CommittedQuote | None:
    """The quote the job `origin` already committed, as it was committed; None when it has not."""
    record = session.scalars(select(QuoteRecord).where(QuoteRecord.origin == origin)).first()
    if record is None:
        return None
    quote = Quote.model_validate(record.quote)
    reasons = needs_approval(quote, policy, QuoteRequest.model_validate(record.request))
    approval = approval_service.request_of_quote(session, record.id)
    return CommittedQuote(record, quote, reasons, approval.id if approval else None)


DECIDED = (StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.CHANGES_REQUESTED)


def decided_approval_steps(session: Session, *, quote_id: int) -> list[ApprovalStep]:
    """The approval steps decided on this quote, in the order they were decided: for a final quote, the
    approvals that made it final (who, which level, when, why). Empty when the quote was within the rep's
    authority or nobody has decided yet. The approvals domain owns the steps; this reads them through it."""
    request = approval_service.request_of_quote(session, quote_id)
    if request is None:
        return []
    decided = [step for step in approval_service.steps_of(session, request.id) if step.status in DECIDED]
    return sorted(decided, key=lambda step: (step.decided_at or step.created_at or request.created_at, step.id))


def next_version(session: Session, deal_id: int) -> int:
    """The version number the deal's next quote will get."""
    return (session.scalar(select(func.max(QuoteRecord.version)).where(QuoteRecord.deal_id == deal_id)) or 0) + 1


def latest_quote(session: Session, deal_id: int) -> QuoteRecord | None:
    """The deal's newest quote version, whatever its status; None when the deal was never priced."""
    return session.scalars(
        select(QuoteRecord).where(QuoteRecord.deal_id == deal_id).order_by(QuoteRecord.version.desc()).limit(1)
    ).first()


PRICE_AGAIN = "Price it again with `/lto quote`."


def why_not_final(session: Session, record: QuoteRecord, *, policy: Policy) -> str | None:
    """None when the quote is final (within the rep's authority, or approved): prices a customer may see.
    Otherwise why not, and what to do, in words for the rep: who rejected it and why, who it waits for."""
    if record.status.is_final:
        return None
    version = f"v{record.version}"
    request = approval_service.request_of_quote(session, record.id)
    steps = approval_service.steps_of(session, request.id) if request is not None else []

    def level_name(level: str) -> str:
        return policy.levels[level].name if level in policy.levels else level

    if record.status == QuoteStatus.NEEDS_APPROVAL:
        waiting = ", ".join(level_name(s.level) for s in steps if s.status == StepStatus.PENDING) or "its approvers"
        return f"Quote {version} is waiting for approval by {waiting}. The proposal follows once it is approved."
    declined = next((s for s in steps if s.status in (StepStatus.REJECTED, StepStatus.CHANGES_REQUESTED)), None)
    why = f": {declined.reason}" if declined is not None and declined.reason else ""
    if record.status == QuoteStatus.REJECTED:
        by = f" by {level_name(declined.level)}" if declined is not None else ""
        return f"Quote {version} was rejected{by}{why}. {PRICE_AGAIN}"
    if record.status == QuoteStatus.CHANGES_REQUESTED:
        by = level_name(declined.level) if declined is not None else "An approver"
        return f"{by} asked for changes to quote {version}{why}. {PRICE_AGAIN}"
    if record.status == QuoteStatus.EXPIRED:
        return f"The approval request for quote {version} expired without a decision. {PRICE_AGAIN}"
    return f"Quote {version} was replaced before it was decided. {PRICE_AGAIN}"
