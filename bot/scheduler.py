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

from bot.runtime import Runtime
from core import sweeps
from integrations.crm import sweeps as crm_sweeps

logger = logging.getLogger(__name__)


def sweep(runtime: Runtime, name: str, fn: Callable[[Session], Any]) -> Callable[[], Any]:
    """Own the session, the commit or rollback, and the logging of one sweep run."""

    def run_in_transaction() -> Any:
        with runtime.session_factory() as session, session.begin():
            return fn(session)

    async def run() -> None:
        try:
            result = await asyncio.to_thread(run_in_transaction)
        except Exception:
            logger.exception("sweep %s failed; it runs again at its next time", name)
        else:
            logger.debug("sweep %s: %s", name, result)

    run.__name__ = name
    return run


def build_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(
        sweep(runtime, "purge_finished", lambda s: sweeps.purge_finished(s, clock=runtime.clock)),
        "interval",
        hours=1,
        id="purge_finished",
    )
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
    return scheduler


def threaded(name: str, fn: Callable[[], Any]) -> Callable[[], Any]:
    """A sweep that manages its own transactions (it calls outside systems between them)."""

    async def run() -> None:
        try:
            result = await asyncio.to_thread(fn)
        except Exception:
            logger.exception("sweep %s failed; it runs again at its next time", name)
        else:
            logger.debug("sweep %s: %s", name, result)

    run.__name__ = name
    return run
