"""Every periodic sweep, registered in one place on APScheduler and started by the app's lifespan.

Sweeps claim their rows in the database, so every replica may run the same schedule.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.orm import Session

from approvals import sweeps as approval_sweeps
from bot.runtime import Runtime
from core import audit, privacy, sweeps
from integrations.crm import sweeps as crm_sweeps

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
                lambda s: privacy.purge_old_text(s, clock=runtime.clock, days=runtime.settings.retention_days),
            ),
            "interval",
            hours=24,
            id="purge_old_text",
        )
    # Sealing locks the chain head, so replicas running it take turns and never fork the chain.
    scheduler.add_job(
        in_transaction(runtime, "seal_audit", lambda s: {"sealed": audit.seal(s, clock=runtime.clock)}),
        "interval",
        seconds=15,
        id="seal_audit",
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
    return scheduler
