"""The durable job queue: listeners enqueue, workers claim with a lease, failures back off and retry.

Claims are one conditional UPDATE. On PostgreSQL the candidate row is picked with
`FOR UPDATE SKIP LOCKED`, so concurrent workers never wait on each other; SQLite has a
single writer, so the same UPDATE is already exclusive there. A job whose worker died
keeps status `running` until its lease expires, then any worker claims it again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Insert, Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.clock import Clock
from core.job_kinds import BadPayload, JobPayload, P, parse_payload
from core.models import Job, JobStatus, SlackDelivery

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    correlation_id: str
    worker_id: str

    def args(self, model: type[P]) -> P:
        """The payload, validated as the model its kind names (BadPayload if it does not fit)."""
        parsed = parse_payload(self.kind, self.payload)
        if not isinstance(parsed, model):
            raise BadPayload(f"a {self.kind} job is not a {model.__name__}")
        return parsed


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:16]


def insert_ignoring_conflict(session: Session, model: type[Any], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # RETURNING, not rowcount: drivers disagree on rowcount for a skipped conflicting insert.
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(model.id)
    return session.execute(statement).first() is not None


def _job_values(
    job: JobPayload,
    *,
    now: datetime,
    dedupe_key: str | None,
    correlation_id: str | None,
    max_attempts: int,
    delay: timedelta | None = None,
) -> dict[str, Any]:
    return {
        "kind": str(job.kind),
        "payload": job.model_dump(mode="json"),
        "dedupe_key": dedupe_key,
        "status": JobStatus.QUEUED,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": now + (delay or timedelta()),
        "correlation_id": correlation_id or new_correlation_id(),
        "created_at": now,
        "updated_at": now,
    }


@cache
def _insert_returning_id(dialect: str, table: Table) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per table: the values come as parameters."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


def enqueue(
    session: Session,
    *,
    job: JobPayload,
    clock: Clock,
    dedupe_key: str | None = None,
    correlation_id: str | None = None,
    max_attempts: int = 5,
    delay: timedelta | None = None,
) -> int | None:
    """Record a job in the caller's transaction; None when a job with this dedupe key exists."""
    values = _job_values(
        job,
        now=clock.now(),
        dedupe_key=dedupe_key,
        correlation_id=correlation_id,
        max_attempts=max_attempts,
        delay=delay,
    )
    if dedupe_key is None:
        row = Job(**values)
        session.add(row)
        session.flush()
        return row.id
    job_id: int | None = session.scalar(_insert_returning_id(session.get_bind().dialect.name, Job.__table__), values)
    return job_id


def record_delivery(
    session: Session,
    *,
    key: str,
    kind: str,
    job: JobPayload,
    clock: Clock,
    correlation_id: str,
    max_attempts: int = 5,
    user_id: str | None = None,
    channel_id: str | None = None,
) -> int | None:
    """Accept one inbound Slack delivery and its job; None when this delivery was seen before.

    Two statements on the ack path: the job, keyed by the delivery's key (a retry conflicts and stops
    here), then the delivery pointing at it."""
    connection = session.connection()
    now = clock.now()
    values = _job_values(job, now=now, dedupe_key=key, correlation_id=correlation_id, max_attempts=max_attempts)
    job_id: int | None = connection.scalar(_insert_returning_id(connection.dialect.name, Job.__table__), values)
    if job_id is None:
        return None
    delivery = {"key": key, "kind": kind, "received_at": now, "user_id": user_id, "channel_id": channel_id}
    insert_delivery = _insert_returning_id(connection.dialect.name, SlackDelivery.__table__)
    if connection.scalar(insert_delivery, {**delivery, "job_id": job_id}) is None:
        # The delivery was accepted before and its job is gone since (not a path the purge takes): a repeat.
        connection.execute(delete(Job).where(Job.id == job_id))
        return None
    return job_id


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Job.status == JobStatus.QUEUED, Job.run_after <= now),
        and_(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now),
    )


def claim(
    session: Session, *, worker_id: str, clock: Clock, lease: timedelta, kinds: list[str] | None = None
) -> ClaimedJob | None:
    """Take the oldest due job (queued, or running with an expired lease) for this worker."""
    now = clock.now()
    due = _due(now)
    if kinds:
        due = and_(due, Job.kind.in_(kinds))
    candidate = (
        select(Job.id)
        .where(due)
        .order_by(Job.run_after, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = session.execute(
        update(Job)
        .where(Job.id == candidate, due)
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            locked_by=worker_id,
            lease_expires_at=now + lease,
            updated_at=now,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.correlation_id)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    return ClaimedJob(
        id=row.id,
        kind=row.kind,
        payload=row.payload,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        correlation_id=row.correlation_id,
        worker_id=worker_id,
    )


def _owned(job: ClaimedJob) -> ColumnElement[bool]:
    return and_(Job.id == job.id, Job.status == JobStatus.RUNNING, Job.locked_by == job.worker_id)


def complete(session: Session, job: ClaimedJob, *, clock: Clock) -> bool:
    """Mark done; False when the lease was lost to another worker (its run wins)."""
    now = clock.now()
    result = session.execute(
        update(Job)
        .where(_owned(job))
        .values(status=JobStatus.DONE, finished_at=now, updated_at=now, lease_expires_at=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def backoff(attempts: int) -> timedelta:
    """Exponential: 2 s, 4 s, 8 s ... capped at five minutes."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def fail(session: Session, job: ClaimedJob, *, error: str, clock: Clock, retry: bool = True) -> str:
    """Record a failure: back to the queue after a back-off, or failed for good. Returns the new status."""
    now = clock.now()
    final = not retry or job.attempts >= job.max_attempts
    status = JobStatus.FAILED if final else JobStatus.QUEUED
    session.execute(
        update(Job)
        .where(_owned(job))
        .values(
            status=status,
            last_error=error[:4000],
            run_after=now + backoff(job.attempts),
            lease_expires_at=None,
            locked_by=None,
            updated_at=now,
            finished_at=now if final else None,
        )
        .execution_options(synchronize_session=False)
    )
    return status


def release(session: Session, job: ClaimedJob, *, clock: Clock) -> None:
    """Give an unfinished job back (graceful shutdown): it is queued again at once, attempt not counted."""
    now = clock.now()
    session.execute(
        update(Job)
        .where(_owned(job))
        .values(
            status=JobStatus.QUEUED,
            attempts=Job.attempts - 1,
            run_after=now,
            lease_expires_at=None,
            locked_by=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


def extend_lease(session: Session, job: ClaimedJob, *, clock: Clock, lease: timedelta) -> bool:
    result = session.execute(
        update(Job)
        .where(_owned(job))
        .values(lease_expires_at=clock.now() + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {status: count for status, count in rows}


def oldest_queued_age(session: Session, *, clock: Clock) -> timedelta | None:
    oldest = session.scalar(select(func.min(Job.created_at)).where(Job.status == JobStatus.QUEUED))
    return None if oldest is None else clock.now() - oldest
