"""Deals, their accounts and conversations: plain functions over a Session, every change audited."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from approvals import reviews as technical_reviews
from approvals.review_models import TechnicalReview
from core import audit, outbox
from core import events as domain_events
from core.clock import Clock
from core.jobs import insert_ignoring_conflict
from deals import access
from deals import contract as contracts
from deals.inspection import CatalogFacts, Finding, inspect_deal, score_caps
from deals.models import (
    Account,
    Conversation,
    Deal,
    DealShare,
    DealStage,
    Message,
    MessageRole,
    NextStep,
    NextStepStatus,
)
from deals.qualification import (
    FIELD_LABELS,
    Assessment,
    Qualification,
    QualificationUpdate,
    assess,
    display_value,
    is_unknown,
)


def deal_key(deal: Deal) -> str:
    """The deal's identity in the CRM."""
    return f"lto-deal-{deal.id}"


def crm_properties(deal: Deal) -> dict[str, Any]:
    """The deal as a CRM sees it: stage, score and the commercial facts of the record."""
    record = qualification_of(deal)
    return {
        "stage": deal.stage,
        "score": deal.score,
        "owner": deal.owner_slack_id,
        "seats": record.seats,
        "budget_amount": str(record.budget.amount) if record.budget else None,
        "budget_currency": record.budget.currency if record.budget else None,
        "target_close": record.target_close.isoformat() if record.target_close else None,
        "deployment": record.deployment,
        "regions": [r.value for r in record.regions],
        "compliance": [c.value for c in record.compliance],
        "at_risk": deal.at_risk_since is not None,
    }


def write_back(session: Session, deal: Deal, *, key: str, clock: Clock, note: str | None = None) -> None:
    """Queue the deal's CRM write-back (and a note) in the same transaction as the change (the outbox)."""
    _to_crm(session, deal, key=key, clock=clock, note=note)


def _to_crm(session: Session, deal: Deal, *, key: str, clock: Clock, note: str | None = None) -> None:
    """Queue the deal's CRM write-back in the same transaction as the change (the outbox)."""
    outbox.emit(
        session,
        topic="crm.deal.upsert",
        aggregate=f"deal:{deal.id}",
        payload={
            "deal_key": deal_key(deal),
            "name": deal.name,
            "account_name": deal.account.name,
            "properties": crm_properties(deal),
        },
        idempotency_key=f"{key}:upsert",
        clock=clock,
    )
    if note:
        outbox.emit(
            session,
            topic="crm.deal.note",
            aggregate=f"deal:{deal.id}",
            payload={"deal_key": deal_key(deal), "text": note},
            idempotency_key=f"{key}:note",
            clock=clock,
        )


def _stage_changed(
    session: Session, deal: Deal, *, previous: DealStage | None, actor: str, reason: str, clock: Clock
) -> None:
    """Publish the deal's stage change (and `deal.qualified` when it reached qualified) in the change's transaction."""
    now = clock.now()
    change = domain_events.StageChange(previous_stage=previous, stage=deal.stage, reason=reason, actor=actor)
    domain_events.publish_event(
        session, domain_events.DealStageChanged(occurred_at=now, deal_id=deal.id, data=change), clock=clock
    )
    if deal.stage == DealStage.QUALIFIED:
        facts = {k: v for k, v in crm_properties(deal).items() if k in domain_events.Qualified.model_fields}
        qualified = domain_events.Qualified.model_validate(facts)
        domain_events.publish_event(
            session, domain_events.DealQualified(occurred_at=now, deal_id=deal.id, data=qualified), clock=clock
        )


class DealNotFound(LookupError):
    """No deal matches what was asked for."""


class NotDealOwner(PermissionError):
    """Someone other than the deal's owner tried to change it."""


def account_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().lower()


def find_or_create_account(session: Session, *, name: str, clock: Clock) -> Account:
    key = account_key(name)
    account = session.scalar(select(Account).where(Account.name_key == key))
    if account is None:
        account = Account(name=name.strip(), name_key=key, created_at=clock.now())
        session.add(account)
        session.flush()
    return account


def account_for_domain(session: Session, *, name: str, domain: str, clock: Clock) -> Account:
    """The one account of this web domain: found, adopted (an account of that name with no domain yet), or
    created. Two leads of one new domain at once make one account: the insert skips a conflicting row and
    both read the winner's."""
    found = session.scalar(select(Account).where(Account.domain == domain))
    if found is not None:
        return found
    key = account_key(name)
    adopted = session.execute(
        update(Account)
        .where(Account.name_key == key, Account.domain.is_(None))
        .values(domain=domain)
        .returning(Account.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if adopted is None:
        # Another company of the same name has its own domain: this one is told apart by its domain.
        taken = session.scalar(select(Account.id).where(Account.name_key == key)) is not None
        values = {
            "name": name.strip(),
            "name_key": f"{key} ({domain})" if taken else key,
            "domain": domain,
            "created_at": clock.now(),
        }
        insert_ignoring_conflict(session, Account, values)
    account = session.scalar(select(Account).where(Account.domain == domain).execution_options(populate_existing=True))
    if account is None:  # the name was taken by a concurrent insert of another domain: tell it apart
        values = {"name": name.strip(), "name_key": f"{key} ({domain})", "domain": domain, "created_at": clock.now()}
        insert_ignoring_conflict(session, Account, values)
        account = session.scalar(select(Account).where(Account.domain == domain))
    assert account is not None
    return account


def open_deal(
    session: Session,
    *,
    company: str,
    owner_slack_id: str,
    clock: Clock,
    origin: str | None = None,
    source: str = "slash_command",
    account: Account | None = None,
    lead: domain_events.RoutedLead | None = None,
) -> Deal:
    """Open a deal; opening again from the same origin (a retried job) returns the same deal. A deal opened
    from a received lead comes with its account (matched by domain) and the lead's routing for the event."""
    if origin is not None:
        existing = session.scalar(select(Deal).where(Deal.origin == origin))
        if existing is not None:
            return existing
    account = account or find_or_create_account(session, name=company, clock=clock)
    now = clock.now()
    record = Qualification(company=account.name)
    deal = Deal(
        account_id=account.id,
        name=f"{account.name} — Halyard Stream",
        owner_slack_id=owner_slack_id,
        origin=origin,
        stage=DealStage.NEW,
        qualification=record.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
    )
    session.add(deal)
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor_type="system" if lead else "user",
        actor_id=f"lead:{lead.lead_id}" if lead else owner_slack_id,
        action="deal.open",
        subject=f"deal:{deal.id}",
        deal_id=deal.id,
        inputs={"company": account.name, "source": source, **({"lead": lead.lead_id} if lead else {})},
        outcome="opened",
        detail={"owner": owner_slack_id, "routing_rule": lead.routing_rule} if lead else {},
    )
    opened_by = f"from a {source} lead, routed to {owner_slack_id}" if lead else f"in Slack by {owner_slack_id}"
    _to_crm(session, deal, key=f"deal:{deal.id}:opened", clock=clock, note=f"Deal opened {opened_by}.")
    lead = lead or domain_events.RoutedLead(
        company=account.name,
        owner=owner_slack_id,
        source=source,
        lead_id=None,
        source_event_id=None,
        domain=account.domain,
        territory=None,
        segment=None,
        routing_rule=None,
        routing_version=None,
    )
    domain_events.publish_event(
        session, domain_events.LeadReceived(occurred_at=now, deal_id=deal.id, data=lead), clock=clock
    )
    _stage_changed(session, deal, previous=None, actor=owner_slack_id, reason="deal opened", clock=clock)
    return deal


MAX_DEAL_ID = 2**31 - 1  # deal ids fit any database integer column


def get_deal(session: Session, deal_id: int, *, for_update: bool = False) -> Deal:
    """The deal; `for_update` locks its row until commit (a read-modify-write of its record)."""
    deal = session.get(Deal, deal_id, with_for_update=for_update or None)
    if deal is None:
        raise DealNotFound(f"There is no deal #{deal_id}.")
    return deal


def find_deal(session: Session, *, reference: str, user_id: str, who: access.Identity | None = None) -> Deal:
    """A deal by `#12` / `12`, or by company name: the user's own deals first, then those shared with them,
    then the most recent. With `who`, a name finds only deals that person may see, so a miss and a deal
    of someone else's read the same. (A deal by number is returned as is: the caller checks access.)"""
    reference = reference.strip()
    if match := re.fullmatch(r"#?([0-9]{1,10})", reference):  # ASCII digits: `٣` is a name, not deal #3
        if not 1 <= int(match.group(1)) <= MAX_DEAL_ID:
            raise DealNotFound(f"There is no deal #{match.group(1)}.")
        return get_deal(session, int(match.group(1)))
    if re.fullmatch(r"#?[0-9]+", reference):
        raise DealNotFound(f"There is no deal {reference}.")
    # The name is matched literally: `%`, `_` and `\` in it are not wildcards.
    key = re.sub(r"([\\%_])", r"\\\1", account_key(reference))
    shared = select(DealShare.deal_id).where(DealShare.user_id == user_id)
    deal = session.scalars(
        select(Deal)
        .join(Account)
        .where(func.lower(Account.name_key).like(f"%{key}%", escape="\\"))
        .order_by((Deal.owner_slack_id == user_id).desc(), Deal.id.in_(shared).desc(), Deal.updated_at.desc())
        .limit(1)
    ).first()
    # Own and shared deals come first: when the best match is not visible, none is.
    if deal is None or (who is not None and not access.visible(session, who, deal)):
        raise DealNotFound(f"No deal of yours matches “{reference}”. Try `/lto status #<deal number>`.")
    return deal


def latest_deals(session: Session, *, owner_slack_id: str, limit: int = 5) -> list[Deal]:
    return list(
        session.scalars(
            select(Deal).where(Deal.owner_slack_id == owner_slack_id).order_by(Deal.updated_at.desc()).limit(limit)
        )
    )


def qualification_of(deal: Deal) -> Qualification:
    return Qualification.model_validate(deal.qualification or {})


def assessment_of(deal: Deal) -> Assessment:
    return assess(qualification_of(deal), disqualified=deal.stage == DealStage.DISQUALIFIED)


def attach_thread(session: Session, deal: Deal, *, channel_id: str, thread_ts: str, clock: Clock) -> Conversation:
    """The deal card's message becomes the root of the deal's conversation thread."""
    deal.channel_id = channel_id
    deal.thread_ts = thread_ts
    return get_or_start_conversation(
        session,
        channel_id=channel_id,
        thread_ts=thread_ts,
        kind="deal",
        started_by=deal.owner_slack_id,
        deal_id=deal.id,
        clock=clock,
    )


def conversation_for(session: Session, *, channel_id: str, thread_ts: str) -> Conversation | None:
    return session.scalar(
        select(Conversation).where(Conversation.channel_id == channel_id, Conversation.thread_ts == thread_ts)
    )


def has_conversation(session: Session, *, channel_id: str, thread_ts: str) -> bool:
    """Whether the bot takes part in this thread: its id only, so the ack path never loads a history."""
    found = select(Conversation.id).where(Conversation.channel_id == channel_id, Conversation.thread_ts == thread_ts)
    return session.scalar(found) is not None


def get_or_start_conversation(
    session: Session,
    *,
    channel_id: str,
    thread_ts: str,
    kind: str,
    started_by: str,
    clock: Clock,
    deal_id: int | None = None,
) -> Conversation:
    conversation = conversation_for(session, channel_id=channel_id, thread_ts=thread_ts)
    if conversation is None:
        now = clock.now()
        conversation = Conversation(
            channel_id=channel_id,
            thread_ts=thread_ts,
            kind=kind,
            deal_id=deal_id,
            started_by=started_by,
            history=[],
            created_at=now,
            updated_at=now,
        )
        session.add(conversation)
        session.flush()
    elif deal_id is not None and conversation.deal_id is None:
        conversation.deal_id = deal_id
    return conversation


def record_message(
    session: Session,
    conversation: Conversation,
    *,
    slack_ts: str,
    user_id: str | None,
    role: str,
    text: str,
    clock: Clock,
) -> Message | None:
    """Keep the human-readable record; a message seen twice (a retried job) is kept once."""
    existing = session.scalar(
        select(Message).where(
            Message.conversation_id == conversation.id, Message.slack_ts == slack_ts, Message.role == role
        )
    )
    if existing is not None:
        return None
    message = Message(
        conversation_id=conversation.id,
        slack_ts=slack_ts,
        user_id=user_id,
        role=role,
        text=text,
        created_at=clock.now(),
    )
    session.add(message)
    return message


def apply_qualification(
    session: Session,
    deal: Deal,
    update: QualificationUpdate,
    *,
    clock: Clock,
    actor_type: str,
    actor_id: str,
    source: dict[str, Any],
    evidence: dict[str, str] | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Merge an update into the deal's record, re-assess the stage, audit each changed field."""
    before = qualification_of(deal)
    after, changes = before.merged(update)
    if not changes:
        return {}
    deal.qualification = after.model_dump(mode="json")
    assessment = assess(after, disqualified=deal.stage == DealStage.DISQUALIFIED)
    deal.score = assessment.score
    previous_stage = deal.stage
    if deal.stage in (DealStage.NEW, DealStage.DISCOVERY, DealStage.QUALIFIED):
        deal.stage = DealStage(assessment.stage.value)
    deal.updated_at = clock.now()
    if deal.stage != previous_stage:
        _stage_changed(
            session, deal, previous=previous_stage, actor=actor_id, reason=f"assessed: score {deal.score}", clock=clock
        )
    dumped_old = before.model_dump(mode="json")
    dumped_new = after.model_dump(mode="json")
    summary = "; ".join(
        f"{FIELD_LABELS[name]}: {'cleared' if is_unknown(after, name) else display_value(after, name)}"
        for name in changes
    )
    _to_crm(
        session,
        deal,
        key=f"deal:{deal.id}:qualification:{source.get('slack_message_ts', clock.now().isoformat())}",
        clock=clock,
        note=f"Qualification updated from Slack ({summary}).",
    )
    for name in changes:
        audit.record(
            session,
            clock=clock,
            actor_type=actor_type,
            actor_id=actor_id,
            action="qualification.change",
            subject=f"deal:{deal.id}",
            deal_id=deal.id,
            inputs=source,
            outcome="changed",
            detail={
                "field": name,
                "old": dumped_old.get(name),
                "new": dumped_new.get(name),
                "evidence": (evidence or {}).get(name),
            },
        )
    return changes


def disqualify(session: Session, deal: Deal, *, reason: str, actor_id: str, clock: Clock) -> None:
    if deal.stage == DealStage.DISQUALIFIED:
        return
    previous = deal.stage
    deal.stage = DealStage.DISQUALIFIED
    deal.disqualified_reason = reason
    deal.updated_at = clock.now()
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=actor_id,
        action="deal.disqualify",
        subject=f"deal:{deal.id}",
        deal_id=deal.id,
        inputs={"previous_stage": previous},
        outcome="disqualified",
        detail={"reason": reason},
    )
    _to_crm(session, deal, key=f"deal:{deal.id}:disqualified", clock=clock, note=f"Disqualified: {reason}")
    _stage_changed(session, deal, previous=previous, actor=actor_id, reason=reason, clock=clock)


def set_stage(session: Session, deal: Deal, *, stage: DealStage, actor_id: str, clock: Clock, reason: str) -> None:
    """Move a deal to a new stage, audited and written back to the CRM."""
    if deal.stage == stage:
        return
    previous, deal.stage, deal.updated_at = deal.stage, stage, clock.now()
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=actor_id,
        action="deal.stage",
        subject=f"deal:{deal.id}",
        deal_id=deal.id,
        inputs={"previous_stage": previous},
        outcome=stage,
        detail={"reason": reason},
    )
    _to_crm(
        session, deal, key=f"deal:{deal.id}:stage:{stage}", clock=clock, note=f"Stage {previous} → {stage}: {reason}"
    )
    _stage_changed(session, deal, previous=previous, actor=actor_id, reason=reason, clock=clock)


def bot_message(session: Session, *, slack_ts: str, conversation_id: int | None = None) -> str | None:
    """The text the bot stored under `slack_ts` (e.g. `reply:<ts>`), if a run already answered."""
    query = select(Message.text).where(Message.role == MessageRole.BOT, Message.slack_ts == slack_ts)
    if conversation_id is not None:
        query = query.where(Message.conversation_id == conversation_id)
    return session.scalar(query)


def latest_deal_thread(session: Session) -> str | None:
    """The thread of the most recently opened deal (None before any deal has a thread)."""
    return session.scalar(select(Deal.thread_ts).order_by(Deal.id.desc()).limit(1))


# Use cases: each owns its transaction; the Slack surface calls one and renders what it returns. ---------


@dataclass(frozen=True)
class Inspection:
    """What inspecting a deal needs beside the deal: the catalog's edition facts and the day."""

    catalog: CatalogFacts
    today: date


@dataclass(frozen=True)
class DealView:
    """A deal as its card shows it: the row (with its account loaded), its record and its assessment."""

    deal: Deal
    record: Qualification
    assessment: Assessment
    findings: list[Finding] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)  # open, soonest due first
    today: date | None = None  # the day it was inspected: how far off the steps' due dates are
    contract: contracts.ContractReadiness | None = None  # once the deal is priced: its contract checklist
    # The newest review of each kind by sales engineering (the technical scope, the POC plan), if any.
    reviews: Sequence[TechnicalReview] = ()


@dataclass(frozen=True)
class DealLine:
    """One line of a person's latest deals."""

    deal_id: int
    company: str
    stage: DealStage
    score: int


@dataclass(frozen=True)
class OpenedDeal:
    deal_id: int
    company: str
    thread_ts: str | None  # set when a previous run of the same request already posted the card


@dataclass(frozen=True)
class DealThread:
    """Where a deal is discussed; channel and thread are None until its card was posted."""

    deal_id: int
    company: str
    channel_id: str | None
    thread_ts: str | None


@dataclass(frozen=True)
class ShareResult:
    deal_id: int
    channel_id: str | None
    thread_ts: str | None
    already: bool  # it was shared with that person before: nothing changed


def _view_of(session: Session, deal: Deal, inspection: Inspection | None = None) -> DealView:
    session.refresh(deal, attribute_names=["account"])  # the card reads it after the session closes
    record = qualification_of(deal)
    steps = list(
        session.scalars(
            select(NextStep)
            .where(NextStep.deal_id == deal.id, NextStep.status == NextStepStatus.OPEN)
            .order_by(NextStep.due, NextStep.id)
        )
    )
    reviews = technical_reviews.latest_reviews(session, deal.id)
    if inspection is None:
        return DealView(deal=deal, record=record, assessment=assessment_of(deal), next_steps=steps, reviews=reviews)
    findings = inspect_deal(session, deal.id, record, catalog=inspection.catalog, today=inspection.today)
    assessment = assess(record, disqualified=deal.stage == DealStage.DISQUALIFIED, caps=score_caps(findings))
    contract = contracts.on_card(session, deal, findings=findings, today=inspection.today)
    return DealView(
        deal=deal,
        record=record,
        assessment=assessment,
        findings=findings,
        next_steps=steps,
        today=inspection.today,
        contract=contract,
        reviews=reviews,
    )


def _thread_of(deal: Deal) -> DealThread:
    return DealThread(deal_id=deal.id, company=deal.account.name, channel_id=deal.channel_id, thread_ts=deal.thread_ts)


def open_new_deal(
    session_factory: sessionmaker[Session], *, company: str, owner_slack_id: str, origin: str, clock: Clock
) -> OpenedDeal:
    """`/lto new`: open the deal (a retried request returns the deal its first run opened)."""
    with session_factory() as session, session.begin():
        deal = open_deal(session, company=company, owner_slack_id=owner_slack_id, clock=clock, origin=origin)
        return OpenedDeal(deal_id=deal.id, company=deal.account.name, thread_ts=deal.thread_ts)


def load_deal_view(
    session_factory: sessionmaker[Session], *, deal_id: int, inspection: Inspection | None = None
) -> DealView:
    """The deal's card data, for the bot to post or refresh (no access check: the bot shows it in the deal's
    own thread); with `inspection`, its findings and the score they cap."""
    with session_factory() as session:
        return _view_of(session, get_deal(session, deal_id), inspection)


def attach_deal_thread(
    session_factory: sessionmaker[Session], *, deal_id: int, channel_id: str, thread_ts: str, clock: Clock
) -> None:
    """The posted card becomes the root of the deal's thread."""
    with session_factory() as session, session.begin():
        attach_thread(session, get_deal(session, deal_id), channel_id=channel_id, thread_ts=thread_ts, clock=clock)


def deal_status(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    reference: str,
    inspection: Inspection | None = None,
) -> DealView:
    """`/lto status <deal>`: the deal's card data, if this person may see the deal."""
    with session_factory() as session:
        deal = find_deal(session, reference=reference, user_id=who.user_id, who=who)
        access.check(session, who, access.Action.READ_DEAL, deal)
        return _view_of(session, deal, inspection)


def latest_deals_of(session_factory: sessionmaker[Session], *, owner_slack_id: str) -> list[DealLine]:
    """`/lto status` without a deal: the person's latest deals, newest first."""
    with session_factory() as session:
        return [
            DealLine(deal_id=deal.id, company=deal.account.name, stage=deal.stage, score=deal.score)
            for deal in latest_deals(session, owner_slack_id=owner_slack_id)
        ]


def disqualify_deal(
    session_factory: sessionmaker[Session], *, who: access.Identity, deal_id: int, reason: str, clock: Clock
) -> DealThread:
    """Disqualify a deal this person may change (audited, written back to the CRM); where its thread is.
    Raises DealNotFound or access.Forbidden."""
    with session_factory() as session, session.begin():
        deal = get_deal(session, deal_id)
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        disqualify(session, deal, reason=reason, actor_id=who.user_id, clock=clock)
        return _thread_of(deal)


def share_deal(
    session_factory: sessionmaker[Session], *, clock: Clock, who: access.Identity, deal_ref: str, share_with: str
) -> ShareResult:
    """`/lto share`: the owner (or a manager) lets another rep see and work on a deal; audited once.
    Raises DealNotFound or access.Forbidden."""
    with session_factory() as session, session.begin():
        deal = find_deal(session, reference=deal_ref, user_id=who.user_id, who=who)
        access.check(session, who, access.Action.SHARE_DEAL, deal)
        already = share_with in access.shared_with(session, deal.id)
        if not already and share_with != deal.owner_slack_id:
            session.add(DealShare(deal_id=deal.id, user_id=share_with, shared_by=who.user_id, created_at=clock.now()))
            audit.record(
                session,
                clock=clock,
                actor_type="user",
                actor_id=who.user_id,
                action="deal.share",
                subject=f"deal:{deal.id}",
                deal_id=deal.id,
                inputs={"with": share_with},
                outcome="shared",
            )
        return ShareResult(deal_id=deal.id, channel_id=deal.channel_id, thread_ts=deal.thread_ts, already=already)


def rep_message(session: Session, *, slack_ts: str) -> str | None:
    """What a person wrote in the message with this Slack ts, as stored."""
    return session.scalar(select(Message.text).where(Message.role == MessageRole.REP, Message.slack_ts == slack_ts))
