"""Kernel housekeeping sweeps: forget old deliveries, effects and finished jobs (the audit trail stays)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from core.clock import Clock
from core.models import Job, JobStatus, SlackDelivery, SlackEffect

# Slack retries a delivery for at most about an hour; a week of keys is ample.
DELIVERY_RETENTION = timedelta(days=7)
FINISHED_JOB_RETENTION = timedelta(days=30)


def purge_finished(session: Session, *, clock: Clock) -> dict[str, int]:
    now = clock.now()
    deliveries = session.execute(delete(SlackDelivery).where(SlackDelivery.received_at < now - DELIVERY_RETENTION))
    effects = session.execute(delete(SlackEffect).where(SlackEffect.created_at < now - FINISHED_JOB_RETENTION))
    finished = session.execute(
        delete(Job).where(
            Job.status == JobStatus.DONE,
            Job.finished_at < now - FINISHED_JOB_RETENTION,
            ~Job.id.in_(
                SlackDelivery.__table__.select()
                .with_only_columns(SlackDelivery.job_id)
                .where(SlackDelivery.job_id.is_not(None))
                .scalar_subquery()
            ),
        )
    )
    return {
        "deliveries": deliveries.rowcount,  # type: ignore[attr-defined]
        "effects": effects.rowcount,  # type: ignore[attr-defined]
        "jobs": finished.rowcount,  # type: ignore[attr-defined]
    }
