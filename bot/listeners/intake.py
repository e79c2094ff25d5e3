"""Accepting a Slack delivery: its job and its audit event are recorded in one transaction before the ack."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.runtime import Runtime
from core import audit, jobs
from core.logging import current_correlation_id


def _accept(runtime: Runtime, *, key: str, kind: str, job_kind: str, payload: dict[str, Any], actor: str) -> int | None:
    correlation_id = current_correlation_id() or jobs.new_correlation_id()
    with runtime.session_factory() as session, session.begin():
        job_id = jobs.record_delivery(
            session,
            key=key,
            kind=kind,
            job_kind=job_kind,
            payload=payload,
            clock=runtime.clock,
            correlation_id=correlation_id,
            max_attempts=runtime.settings.job_max_attempts,
        )
        if job_id is not None:
            audit.record(
                session,
                clock=runtime.clock,
                actor_type="user",
                actor_id=actor,
                action=f"slack.{kind}",
                subject=f"job:{job_id}",
                inputs={"delivery": key},
                outcome="queued",
                correlation_id=correlation_id,
            )
    return job_id


async def accept(
    runtime: Runtime, *, key: str, kind: str, job_kind: str, payload: dict[str, Any], actor: str
) -> int | None:
    """Record the job for this delivery (None when Slack sent it before) and wake the worker."""
    job_id = await asyncio.to_thread(
        _accept, runtime, key=key, kind=kind, job_kind=job_kind, payload=payload, actor=actor
    )
    if job_id is not None:
        runtime.notify_worker()
    return job_id
