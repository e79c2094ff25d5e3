"""Lead intake's use cases: admit a signed lead (before the ack), then open its routed deal (in the job).

Admitting records the lead under its source's event id, its job and an audit event in one transaction,
so a redelivery records nothing and a crash after the ack loses nothing. Opening takes the lead's row
lock and is keyed by the lead (`Deal.origin`), so a re-run of its job finds the deal it opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core import audit, jobs
from core import events as domain_events
from core.clock import Clock
from core.job_kinds import OpenLead
from core.logging import current_correlation_id
from deals import service as deals
from deals.models import Account
from integrations.leads import routing
from integrations.leads.models import Lead, LeadIn, LeadSource, LeadStatus, country_code


@dataclass(frozen=True)
class Arrival:
    """One lead as a webhook delivered it: its key, and the lead itself or what to read it from."""

    key: str
    source: LeadSource
    details: LeadIn | None = None  # None: a HubSpot event, read in the job
    reference: dict[str, Any] | None = None


@dataclass(frozen=True)
class Admitted:
    queued: list[int]  # job ids of leads recorded now
    seen_before: int  # leads recorded by an earlier delivery


class LeadNotFound(LookupError):
    """No lead with this id."""


def admit(
    session_factory: sessionmaker[Session], arrivals: list[Arrival], *, clock: Clock, max_attempts: int
) -> Admitted:
    """Record each lead not seen before, with its job and audit event, all in one transaction."""
    correlation_id = current_correlation_id() or jobs.new_correlation_id()
    queued: list[int] = []
    now = clock.now()
    with session_factory() as session, session.begin():
        for arrival in arrivals:
            values = {
                "key": arrival.key,
                "source": arrival.source,
                "status": LeadStatus.RECEIVED,
                "reference": arrival.reference or {},
                "details": arrival.details.model_dump(mode="json") if arrival.details else {},
                "received_at": now,
                "updated_at": now,
            }
            if not jobs.insert_ignoring_conflict(session, Lead, values):
                continue
            lead_id = session.scalar(select(Lead.id).where(Lead.key == arrival.key))
            assert lead_id is not None
            job_id = jobs.enqueue(
                session,
                job=OpenLead(lead_id=lead_id),
                clock=clock,
                dedupe_key=f"lead:{arrival.key}",
                correlation_id=correlation_id,
                max_attempts=max_attempts,
            )
            session.execute(update(Lead).where(Lead.id == lead_id).values(job_id=job_id))
            audit.record(
                session,
                clock=clock,
                actor_type="system",
                actor_id=arrival.source,
                action="lead.receive",
                subject=f"lead:{lead_id}",
                inputs={"key": arrival.key},
                outcome="queued",
                correlation_id=correlation_id,
            )
            if job_id is not None:
                queued.append(job_id)
    return Admitted(queued=queued, seen_before=len(arrivals) - len(queued))


@dataclass(frozen=True)
class ReceivedLead:
    """A lead as its job reads it."""

    id: int
    source: LeadSource
    reference: dict[str, Any]
    details: LeadIn | None


@dataclass(frozen=True)
class RoutedDeal:
    """The deal a lead opened, whom it was routed to, and where its thread is (None until posted)."""

    lead_id: int
    deal_id: int
    lead: LeadIn
    assignment: routing.Assignment
    channel_id: str | None
    thread_ts: str | None


def received(session_factory: sessionmaker[Session], *, lead_id: int) -> ReceivedLead:
    with session_factory() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise LeadNotFound(f"There is no lead {lead_id}.")
        details = LeadIn.model_validate(lead.details) if lead.details else None
        return ReceivedLead(id=lead.id, source=lead.source, reference=dict(lead.reference), details=details)


def record_details(session_factory: sessionmaker[Session], *, lead_id: int, details: LeadIn, clock: Clock) -> None:
    """Keep what the lead's records said when they were first read (a re-run routes the same lead)."""
    with session_factory() as session, session.begin():
        lead = session.get(Lead, lead_id, with_for_update=True)
        if lead is None:
            raise LeadNotFound(f"There is no lead {lead_id}.")
        if not lead.details:
            lead.details, lead.updated_at = details.model_dump(mode="json"), clock.now()


def open_routed_deal(
    session_factory: sessionmaker[Session], *, lead_id: int, rules: routing.RoutingRules, clock: Clock
) -> RoutedDeal:
    """The lead's account (by domain), its owner (by the routing rules) and its deal, in one transaction
    with the deal's CRM write-back and the `lead.received` event; a second run returns the first's deal."""
    with session_factory() as session, session.begin():
        lead = session.get(Lead, lead_id, with_for_update=True)
        if lead is None:
            raise LeadNotFound(f"There is no lead {lead_id}.")
        if not lead.details:
            raise ValueError(f"lead {lead_id} has not been read from its source yet")
        details = LeadIn.model_validate(lead.details)
        if lead.deal_id is None:
            _route_and_open(session, lead, details, rules=rules, clock=clock)
        deal = deals.get_deal(session, lead.deal_id) if lead.deal_id else None
        assert deal is not None and lead.owner_slack_id and lead.routing_rule
        return RoutedDeal(
            lead_id=lead.id,
            deal_id=deal.id,
            lead=details,
            assignment=routing.Assignment(
                owner=lead.owner_slack_id,
                rule=lead.routing_rule,
                territory=lead.territory,
                segment=lead.segment,
                version=rules.version,
            ),
            channel_id=deal.channel_id,
            thread_ts=deal.thread_ts,
        )


def _route_and_open(
    session: Session, lead: Lead, details: LeadIn, *, rules: routing.RoutingRules, clock: Clock
) -> None:
    domain = details.company_domain
    account = deals.account_for_domain(session, name=details.company, domain=domain, clock=clock) if domain else None
    if account is not None:
        _complete_account(account, details)
    known_country = details.country or (country_code(account.region) if account and account.region else None)
    employees = details.employees or (account.employees if account else None)
    assignment = routing.assign(session, rules, country=known_country, employees=employees, clock=clock)
    event = domain_events.RoutedLead(
        company=account.name if account else details.company,
        owner=assignment.owner,
        source=details.source,
        lead_id=lead.id,
        source_event_id=details.event_id,
        domain=domain,
        territory=assignment.territory,
        segment=assignment.segment,
        routing_rule=assignment.rule,
        routing_version=assignment.version,
    )
    deal = deals.open_deal(
        session,
        company=details.company,
        owner_slack_id=assignment.owner,
        clock=clock,
        origin=f"lead:{lead.id}",
        source=details.source,
        account=account,
        lead=event,
    )
    lead.deal_id, lead.owner_slack_id, lead.routing_rule = deal.id, assignment.owner, assignment.rule
    lead.territory, lead.segment = assignment.territory, assignment.segment
    lead.status, lead.updated_at = LeadStatus.OPENED, clock.now()
    audit.record(
        session,
        clock=clock,
        actor_type="system",
        actor_id="routing",
        action="lead.route",
        subject=f"lead:{lead.id}",
        deal_id=deal.id,
        inputs={"country": known_country, "employees": employees, "routing_version": assignment.version},
        outcome=assignment.owner,
        detail={"rule": assignment.rule, "territory": assignment.territory, "segment": assignment.segment},
    )


def _complete_account(account: Account, details: LeadIn) -> None:
    """What the lead says about the company fills what the account does not know yet (never overwrites)."""
    account.industry = account.industry or details.industry
    account.employees = account.employees or details.employees
    account.region = account.region or details.country


def mark_posted(session_factory: sessionmaker[Session], *, lead_id: int, clock: Clock) -> None:
    with session_factory() as session, session.begin():
        session.execute(update(Lead).where(Lead.id == lead_id).values(status=LeadStatus.POSTED, updated_at=clock.now()))
