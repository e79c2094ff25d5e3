"""Accepting a Slack delivery: its job and its audit event are recorded in one transaction before the ack."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from bot.runtime import Runtime
from core import admission
from core.job_kinds import JobPayload


async def accept(
    runtime: Runtime,
    *,
    key: str,
    kind: str,
    job: JobPayload,
    actor: str,
    channel_id: str | None = None,
) -> int | None:
    """Record the job for this delivery (None when Slack sent it before) and wake the worker."""
    job_id = await asyncio.to_thread(
        admission.accept_delivery,
        runtime.session_factory,
        key=key,
        kind=kind,
        job=job,
        actor=actor,
        clock=runtime.clock,
        max_attempts=runtime.settings.job_max_attempts,
        channel_id=channel_id,
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
        if admission.deliveries_by_user(session, user_id=user_id, kind=kind, since=since) >= settings.rate_limit_user:
            return Admission(
                f":raised_hand: That's more than {settings.rate_limit_user} commands in a minute: "
                "please wait a moment and try again. Nothing was recorded.",
                0,
            )
        in_channel = admission.deliveries_in_channel(session, channel_id=channel_id, kind=kind, since=since)
        if in_channel >= settings.rate_limit_channel:
            return Admission(
                ":raised_hand: This channel is sending more commands than I take in a minute: "
                "please try again shortly. Nothing was recorded.",
                0,
            )
        return Admission(None, admission.queue_depth(session))


async def admit(runtime: Runtime, *, user_id: str, channel_id: str, kind: str = "command") -> Admission:
    return await asyncio.to_thread(_admit, runtime, user_id=user_id, channel_id=channel_id, kind=kind)
