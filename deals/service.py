"""Deals, their accounts and conversations: plain functions over a Session, every change audited."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, outbox
from core.clock import Clock
from core.models import Account, Conversation, Deal, DealStage, Message
from core.qualification import (
    FIELD_LABELS,
    Assessment,
    Qualification,
    QualificationUpdate,
    assess,
    display_value,
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
    }


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


def open_deal(
    session: Session,
    *,
    company: str,
    owner_slack_id: str,
    clock: Clock,
    origin: str | None = None,
    source: str = "slash_command",
) -> Deal:
    """Open a deal; opening again from the same origin (a retried job) returns the same deal."""
    if origin is not None:
        existing = session.scalar(select(Deal).where(Deal.origin == origin))
        if existing is not None:
            return existing
    account = find_or_create_account(session, name=company, clock=clock)
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
        actor_type="user",
        actor_id=owner_slack_id,
        action="deal.open",
        subject=f"deal:{deal.id}",
        deal_id=deal.id,
        inputs={"company": account.name, "source": source},
        outcome="opened",
    )
    _to_crm(session, deal, key=f"deal:{deal.id}:opened", clock=clock, note=f"Deal opened in Slack by {owner_slack_id}.")
    return deal


def get_deal(session: Session, deal_id: int, *, for_update: bool = False) -> Deal:
    """The deal; `for_update` locks its row until commit (a read-modify-write of its record)."""
    deal = session.get(Deal, deal_id, with_for_update=for_update or None)
    if deal is None:
        raise DealNotFound(f"There is no deal #{deal_id}.")
    return deal


def find_deal(session: Session, *, reference: str, user_id: str) -> Deal:
    """A deal by `#12` / `12`, or by company name (the user's most recent deal with that company)."""
    reference = reference.strip()
    if match := re.fullmatch(r"#?(\d+)", reference):
        return get_deal(session, int(match.group(1)))
    key = account_key(reference)
    deals = list(
        session.scalars(
            select(Deal)
            .join(Account)
            .where(func.lower(Account.name_key).like(f"%{key}%"))
            .order_by((Deal.owner_slack_id == user_id).desc(), Deal.updated_at.desc())
        )
    )
    if not deals:
        raise DealNotFound(f"No deal matches “{reference}”. Try `/lto status #<deal number>`.")
    return deals[0]


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
    if deal.stage in (DealStage.NEW, DealStage.DISCOVERY, DealStage.QUALIFIED):
        deal.stage = assessment.stage.value
    deal.updated_at = clock.now()
    dumped_old = before.model_dump(mode="json")
    dumped_new = after.model_dump(mode="json")
    summary = "; ".join(f"{FIELD_LABELS[name]}: {display_value(after, name)}" for name in changes)
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


def set_stage(session: Session, deal: Deal, *, stage: str, actor_id: str, clock: Clock, reason: str) -> None:
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
