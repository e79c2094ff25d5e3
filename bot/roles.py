"""What each kind of process runs: the listener that acks Slack, the job worker, the periodic sweeps.

`lto serve` and `lto socket` run all three in one process. `lto serve --no-worker` only listens, so its CPU
goes to acks; `lto worker` runs jobs and sweeps. Any number of each may share one database: jobs are
claimed and every sweep claims its rows, so a deployment needs at least one process that runs sweeps
(the audit chain is sealed by one) and may run many.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime
from bot.scheduler import build_scheduler

logger = logging.getLogger(__name__)


class Component(enum.StrEnum):
    LISTENER = "listener"  # HTTP or Socket Mode: verify, record the job, ack
    WORKER = "worker"  # claims and runs jobs
    SWEEPS = "sweeps"  # the APScheduler schedule of bot/scheduler.py


class Role(enum.StrEnum):
    """A process's role, named after the command that starts it."""

    ALL = "all"  # `lto serve`, `lto socket`
    LISTENER = "listener"  # `lto serve --no-worker`
    WORKER = "worker"  # `lto worker`

    @property
    def components(self) -> frozenset[Component]:
        return ROLE_COMPONENTS[self]


ROLE_COMPONENTS: dict[Role, frozenset[Component]] = {
    Role.ALL: frozenset(Component),
    Role.LISTENER: frozenset({Component.LISTENER}),
    Role.WORKER: frozenset({Component.WORKER, Component.SWEEPS}),
}


@dataclass(frozen=True)
class Running:
    """The background parts a process started; the listener is its server's."""

    components: frozenset[Component]
    worker: asyncio.Task[None] | None
    scheduler: AsyncIOScheduler | None


@asynccontextmanager
async def running(runtime: Runtime, components: frozenset[Component]) -> AsyncIterator[Running]:
    """Start the worker and the sweeps if `components` names them; on the way out stop the sweeps and let
    running jobs finish or release them."""
    stop = asyncio.Event()
    scheduler = build_scheduler(runtime) if Component.SWEEPS in components else None
    worker = None
    if Component.WORKER in components and runtime.worker is not None:
        worker = asyncio.create_task(runtime.worker.run_forever(stop))
    if scheduler is not None:
        scheduler.start()
    logger.info("this process runs: %s", ", ".join(c.value for c in Component if c in components))
    try:
        yield Running(components=components, worker=worker, scheduler=scheduler)
    finally:
        stop.set()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if worker is not None:
            await worker
