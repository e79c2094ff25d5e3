"""The outbox: changes for outside systems, committed with the change itself and delivered by a sweep.

Events of one aggregate (a deal) are delivered in the order they were committed, so an old
snapshot never overwrites a newer one in the CRM.

A sweep claims due events by pushing their next attempt forward in one conditional UPDATE
(PostgreSQL: `FOR UPDATE SKIP LOCKED`), so replicas running the same sweep never deliver
the same event at the same time. Failures back off exponentially; an event that keeps
failing is parked where an operator can see and replay it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session, aliased

from core.clock import Clock
from core.jobs import insert_ignoring_conflict
from core.models import OutboxEvent, OutboxStatus

MAX_ATTEMPTS = 8
CLAIM_LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class DueEvent:
    id: int
    topic: str
    aggregate: str
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int


def emit(
    session: Session, *, topic: str, aggregate: str, payload: dict[str, Any], idempotency_key: str, clock: Clock
) -> bool:
    """Record an event in the caller's transaction; False when this idempotency key was emitted before."""
    now = clock.now()
    return insert_ignoring_conflict(
        session,
        OutboxEvent,
        {
            "topic": topic,
            "aggregate": aggregate,
            "payload": payload,
            "idempotency_key": idempotency_key,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


def claim_due(session: Session, *, clock: Clock, limit: int = 20, topic_prefix: str = "") -> list[DueEvent]:
    """Due events, in order per aggregate: an event waits while an earlier one of its deal is undelivered.

    `topic_prefix` ("crm.") claims only one sweep's topics, so sweeps for different systems share the table.
    """
    now = clock.now()
    earlier = aliased(OutboxEvent)
    blocked = (
        select(earlier.id)
        .where(
            earlier.aggregate == OutboxEvent.aggregate,
            earlier.id < OutboxEvent.id,
            earlier.status != OutboxStatus.DELIVERED,
        )
        .exists()
    )
    due = (
        select(OutboxEvent.id)
        .where(
            OutboxEvent.status == OutboxStatus.PENDING,
            OutboxEvent.next_attempt_at <= now,
            OutboxEvent.topic.startswith(topic_prefix, autoescape=True),
            ~blocked,
        )
        .order_by(OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows: Sequence[Row[int, str, str, dict[str, Any], str, int]] = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(due.scalar_subquery()), OutboxEvent.status == OutboxStatus.PENDING)
        .values(next_attempt_at=now + CLAIM_LEASE, attempts=OutboxEvent.attempts + 1)
        .returning(
            OutboxEvent.id,
            OutboxEvent.topic,
            OutboxEvent.aggregate,
            OutboxEvent.payload,
            OutboxEvent.idempotency_key,
            OutboxEvent.attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((DueEvent(*row) for row in rows), key=lambda e: e.id)


def delivered(session: Session, event: DueEvent, *, clock: Clock) -> None:
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event.id)
        .values(status=OutboxStatus.DELIVERED, delivered_at=clock.now(), last_error=None)
    )


def failed(session: Session, event: DueEvent, *, error: str, clock: Clock, retry_after: float | None = None) -> str:
    """Back off (or wait what the server asked); park after MAX_ATTEMPTS. Returns the new status."""
    if event.attempts >= MAX_ATTEMPTS:
        status, delay = OutboxStatus.PARKED, timedelta()
    else:
        status = OutboxStatus.PENDING
        backoff = min(2 ** (event.attempts - 1) * 5, 3600)
        delay = timedelta(seconds=max(backoff, retry_after or 0))
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event.id)
        .values(status=status, last_error=error[:2000], next_attempt_at=clock.now() + delay)
    )
    return status


def park(session: Session, event: DueEvent, *, error: str, clock: Clock) -> str:
    """An event that can never succeed as it is (a 4xx): park it for an operator at once."""
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event.id)
        .values(status=OutboxStatus.PARKED, last_error=error[:2000], next_attempt_at=clock.now())
    )
    return OutboxStatus.PARKED


def listing(session: Session, *, status: str | None = None, limit: int = 100) -> list[OutboxEvent]:
    query = select(OutboxEvent).order_by(OutboxEvent.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxEvent.status == status)
    return list(session.scalars(query))


def replay(session: Session, event_id: int, *, clock: Clock) -> bool:
    """Send a parked (or failed) event again from the start."""
    result = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id, OutboxEvent.status != OutboxStatus.DELIVERED)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=clock.now())
        .returning(OutboxEvent.id)
    )
    return result.first() is not None


def count_parked(session: Session) -> int:
    """Events that stopped retrying and wait for an operator (few by design: each one is an alarm)."""
    return session.scalar(select(func.count()).where(OutboxEvent.status == OutboxStatus.PARKED)) or 0


def replay_many(session: Session, event_ids: list[int], *, clock: Clock) -> list[int]:
    """Send these events again from the start; returns the ids that were found and not yet delivered."""
    return [event_id for event_id in event_ids if replay(session, event_id, clock=clock)]
