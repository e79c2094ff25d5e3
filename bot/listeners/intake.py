"""Accepting a Slack delivery: its job and its audit event are recorded in one transaction before the ack."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.runtime import Runtime
from core import audit, jobs
from core.logging import current_correlation_id
from core.models import Job, JobStatus, SlackDelivery


def _accept(
    runtime: Runtime,
    *,
    key: str,
    kind: str,
    job_kind: str,
    payload: dict[str, Any],
    actor: str,
    channel_id: str | None = None,
) -> int | None:
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
            user_id=actor,
            channel_id=channel_id,
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
    runtime: Runtime,
    *,
    key: str,
    kind: str,
    job_kind: str,
    payload: dict[str, Any],
    actor: str,
    channel_id: str | None = None,
) -> int | None:
    """Record the job for this delivery (None when Slack sent it before) and wake the worker."""
    job_id = await asyncio.to_thread(
        _accept, runtime, key=key, kind=kind, job_kind=job_kind, payload=payload, actor=actor, channel_id=channel_id
    )
    if job_id is not None:
        runtime.notify_worker()
    return job_id


@dataclass(frozen=True)
class Admission:
    refused: str | None  # why the request is turned away (rate limit), in words for the person
    queued_ahead: int  # jobs waiting before this one


def _admit(runtime: Runtime, *, user_id: str, channel_id: str, kind: str) -> Admission:
    """Rate limits per person and per channel, and the queue's depth, read from the database (all replicas)."""
    settings, since = runtime.settings, runtime.clock.now() - timedelta(minutes=1)
    with runtime.session_factory() as session:

        def recent(column: Any, value: str) -> int:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(SlackDelivery)
                    .where(column == value, SlackDelivery.kind == kind, SlackDelivery.received_at >= since)
                )
                or 0
            )

        if recent(SlackDelivery.user_id, user_id) >= settings.rate_limit_user:
            return Admission(
                f":raised_hand: That's more than {settings.rate_limit_user} commands in a minute: "
                "please wait a moment and try again. Nothing was recorded.",
                0,
            )
        if recent(SlackDelivery.channel_id, channel_id) >= settings.rate_limit_channel:
            return Admission(
                ":raised_hand: This channel is sending more commands than I take in a minute: "
                "please try again shortly. Nothing was recorded.",
                0,
            )
        queued = session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.QUEUED)) or 0
        return Admission(None, queued)


async def admit(runtime: Runtime, *, user_id: str, channel_id: str, kind: str = "command") -> Admission:
    return await asyncio.to_thread(_admit, runtime, user_id=user_id, channel_id=channel_id, kind=kind)
