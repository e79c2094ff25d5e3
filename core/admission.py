"""Admitting inbound work: rate limits and queue depth read from the database, and the accepted delivery.

Counts come from the database, not from memory, so every replica sees the same limits.
Accepting a delivery records its job and its audit event in one transaction, before the ack.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from core import audit, jobs
from core.clock import Clock
from core.job_kinds import JobPayload
from core.logging import current_correlation_id
from core.models import Job, JobStatus, SlackDelivery


def deliveries_by_user(session: Session, *, user_id: str, kind: str, since: datetime) -> int:
    """How many deliveries of this kind the person sent since `since`."""
    return _recent(session, SlackDelivery.user_id == user_id, kind=kind, since=since)


def deliveries_in_channel(session: Session, *, channel_id: str, kind: str, since: datetime) -> int:
    """How many deliveries of this kind came from the channel since `since`."""
    return _recent(session, SlackDelivery.channel_id == channel_id, kind=kind, since=since)


def _recent(session: Session, sender: ColumnElement[bool], *, kind: str, since: datetime) -> int:
    counted = (
        select(func.count())
        .select_from(SlackDelivery)
        .where(sender, SlackDelivery.kind == kind, SlackDelivery.received_at >= since)
    )
    return session.scalar(counted) or 0


def queue_depth(session: Session) -> int:
    """Jobs waiting to be claimed."""
    return session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.QUEUED)) or 0


def first_refusal_in_window(
    session_factory: sessionmaker[Session], *, user_id: str, kind: str, clock: Clock, window_seconds: int = 60
) -> bool:
    """Record a refused delivery once per person and window; True for the first (on any replica), so the
    person is told to slow down once, not once per message. Rate limits do not count these."""
    window = int(clock.now().timestamp()) // window_seconds
    row = {
        "key": f"refused:{kind}:{user_id}:{window}",
        "kind": f"{kind}.refused",
        "received_at": clock.now(),
        "user_id": user_id,
        "channel_id": None,
    }
    with session_factory() as session, session.begin():
        return jobs.insert_ignoring_conflict(session, SlackDelivery, row)


def accept_delivery(
    session_factory: sessionmaker[Session],
    *,
    key: str,
    kind: str,
    job: JobPayload,
    actor: str,
    clock: Clock,
    max_attempts: int,
    channel_id: str | None = None,
) -> int | None:
    """Record a delivery's job and its audit event; None when this delivery was accepted before."""
    correlation_id = current_correlation_id() or jobs.new_correlation_id()
    with session_factory() as session, session.begin():
        job_id = jobs.record_delivery(
            session,
            key=key,
            kind=kind,
            job=job,
            clock=clock,
            correlation_id=correlation_id,
            max_attempts=max_attempts,
            user_id=actor,
            channel_id=channel_id,
        )
        if job_id is not None:
            audit.record(
                session,
                clock=clock,
                actor_type="user",
                actor_id=actor,
                action=f"slack.{kind}",
                subject=f"job:{job_id}",
                inputs={"delivery": key},
                outcome="queued",
                correlation_id=correlation_id,
            )
    return job_id
