"""Every periodic sweep, registered in one place on APScheduler; started by the processes whose role runs
sweeps (bot/roles.py: `lto serve`, `lto worker`, `lto socket`; not `lto serve --no-worker`).

Sweeps claim their rows in the database, so every such process may run the same schedule: whichever gets
to a period's work first does it, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.orm import Session

from approvals import review_sweeps
from approvals import sweeps as approval_sweeps
from bot.runtime import Runtime
from core import audit, privacy, sweeps
from deals import sweeps as deal_sweeps
from integrations.calendar import reminders as meeting_reminders
from integrations.crm import sweeps as crm_sweeps
from integrations.events import sweeps as event_sweeps

logger = logging.getLogger(__name__)


def threaded(name: str, fn: Callable[[], Any]) -> Callable[[], Any]:
    """Run a sweep off the event loop, logging its outcome; a failure waits for the next run."""

    async def run() -> None:
        try:
            result = await asyncio.to_thread(fn)
        except Exception:
            logger.exception("sweep %s failed; it runs again at its next time", name)
        else:
            logger.debug("sweep %s: %s", name, result)

    run.__name__ = name
    return run


def in_transaction(runtime: Runtime, name: str, fn: Callable[[Session], Any]) -> Callable[[], Any]:
    """A sweep that is one unit of work: the decorator owns the session, commit and rollback."""

    def run() -> Any:
        with runtime.session_factory() as session, session.begin():
            return fn(session)

    return threaded(name, run)


def build_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    keys = audit.Keyring.from_settings(runtime.settings)
    scheduler.add_job(
        in_transaction(runtime, "purge_finished", lambda s: sweeps.purge_finished(s, clock=runtime.clock)),
        "interval",
        hours=1,
        id="purge_finished",
    )
    if runtime.settings.retention_days:
        scheduler.add_job(
            in_transaction(
                runtime,
                "purge_old_text",
                lambda s: privacy.purge_old_text(
                    s, clock=runtime.clock, days=runtime.settings.retention_days, keys=keys
                ),
            ),
            "interval",
            hours=24,
            id="purge_old_text",
        )
    # Sealing locks the chain head, so replicas running it take turns and never fork the chain.
    scheduler.add_job(
        threaded(
            "seal_audit",
            lambda: {"sealed": audit.seal_pending(runtime.session_factory, clock=runtime.clock, keys=keys)},
        ),
        "interval",
        seconds=15,
        id="seal_audit",
    )
    # The chain's head, signed, in a file outside the database: a chain rewritten even with the key disagrees with it.
    # Processes sharing the file write one checkpoint per period between them (a tenth spare for the schedules' jitter).
    anchor_period = timedelta(minutes=runtime.settings.audit_anchor_minutes)
    scheduler.add_job(
        in_transaction(
            runtime,
            "anchor_audit",
            lambda s: audit.anchor(
                s,
                clock=runtime.clock,
                keys=keys,
                path=runtime.settings.effective_audit_anchor_path,
                every=anchor_period * 0.9,
            ),
        ),
        "interval",
        minutes=runtime.settings.audit_anchor_minutes,
        id="anchor_audit",
    )
    # Delivery manages its own transactions: it calls the CRM between them.
    scheduler.add_job(
        threaded(
            "deliver_outbox",
            lambda: crm_sweeps.deliver_due(
                session_factory=runtime.session_factory, crm=runtime.crm, clock=runtime.clock
            ),
        ),
        "interval",
        seconds=10,
        id="deliver_outbox",
    )
    # Domain events to the broker and the webhook subscribers (each destination's copy retried on its own).
    publishers = event_sweeps.publishers_from(runtime.settings, clock=runtime.clock)
    scheduler.add_job(
        threaded(
            "publish_events",
            lambda: event_sweeps.deliver_due(
                session_factory=runtime.session_factory, publishers=publishers, clock=runtime.clock
            ),
        ),
        "interval",
        seconds=5,
        id="publish_events",
    )
    scheduler.add_job(
        in_transaction(
            runtime,
            "approval_sla",
            lambda s: {
                **approval_sweeps.remind_and_escalate(s, policy=runtime.policy(), clock=runtime.clock),
                "expired": approval_sweeps.expire(s, policy=runtime.policy(), clock=runtime.clock),
            },
        ),
        "interval",
        minutes=1,
        id="approval_sla",
    )
    # Technical reviews: reminders each period, one escalation, expiry; each notice claimed once by its key.
    scheduler.add_job(
        in_transaction(
            runtime,
            "review_sla",
            lambda s: review_sweeps.sweep(s, policy=runtime.review_policy(), clock=runtime.clock),
        ),
        "interval",
        minutes=1,
        id="review_sla",
    )
    # Due next steps, idle deals and passed close dates: each nudge claimed once by its key, sent by its job.
    scheduler.add_job(
        in_transaction(
            runtime,
            "follow_ups",
            lambda s: deal_sweeps.follow_up(
                s, rules=runtime.follow_up_rules(), roles=runtime.roles(), clock=runtime.clock
            ),
        ),
        "interval",
        minutes=5,
        id="follow_ups",
    )
    # The day-before reminder of each booked meeting: claimed once by its key, posted by its job.
    scheduler.add_job(
        in_transaction(runtime, "meeting_reminders", lambda s: meeting_reminders.remind(s, clock=runtime.clock)),
        "interval",
        minutes=5,
        id="meeting_reminders",
    )
    return scheduler
