"""The audit trail: one append-only row for every request handled, job run, API call and decision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock
from core.logging import current_correlation_id
from core.models import AuditEvent


def record(
    session: Session,
    *,
    clock: Clock,
    actor_type: str,
    actor_id: str,
    action: str,
    outcome: str,
    subject: str | None = None,
    deal_id: int | None = None,
    inputs: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    correlation_id: str | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction, so it commits or rolls back with the change."""
    event = AuditEvent(
        at=clock.now(),
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        subject=subject,
        deal_id=deal_id,
        inputs=inputs or {},
        outcome=outcome,
        detail=detail or {},
        correlation_id=correlation_id or current_correlation_id(),
    )
    session.add(event)
    return event


def events(
    session: Session, *, deal_id: int | None = None, action: str | None = None, limit: int = 1000
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if deal_id is not None:
        query = query.where(AuditEvent.deal_id == deal_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query.limit(limit)))
