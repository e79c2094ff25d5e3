"""The worker: claims jobs from the queue and runs their handlers, with leases, retries and a clean stop."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from opentelemetry import trace
from sqlalchemy.orm import Session, sessionmaker

from core import audit, jobs, metrics
from core.clock import Clock
from core.job_kinds import BadPayload
from core.jobs import ClaimedJob
from core.logging import correlation

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("lto.worker")  # a no-op until agents/tracing.py installs a provider

Handler = Callable[[ClaimedJob], Awaitable[None]]

# While the listener is busy the worker looks again this often, and claims a job after this long regardless.
LISTENER_POLL_SECONDS = 0.02
LISTENER_MAX_YIELD_SECONDS = 2.0


class RetryLater(Exception):
    """A handler hit a passing problem (rate limit, provider down): run the job again after a back-off."""


class PermanentJobError(Exception):
    """A handler found the job can never succeed: fail it now, do not retry."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Runs queued jobs with bounded concurrency. Safe to run in many processes at once."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        clock: Clock,
        handlers: dict[str, Handler],
        concurrency: int = 4,
        lease: timedelta = timedelta(seconds=120),
        poll_interval: float = 1.0,
        worker_id: str | None = None,
        listener_busy: Callable[[], Awaitable[bool]] | None = None,
        max_yield: float = LISTENER_MAX_YIELD_SECONDS,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.handlers = handlers
        self.concurrency = concurrency
        self.lease = lease
        self.poll_interval = poll_interval
        self.worker_id = worker_id or default_worker_id()
        self.listener_busy = listener_busy
        self.max_yield = max_yield
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    def notify(self) -> None:
        """Wake the loop now: a job was just enqueued in this process."""
        self._wake.set()

    async def _claim(self) -> ClaimedJob | None:
        def claim() -> ClaimedJob | None:
            with self.session_factory() as session, session.begin():
                return jobs.claim(
                    session,
                    worker_id=self.worker_id,
                    clock=self.clock,
                    lease=self.lease,
                    kinds=list(self.handlers),
                )

        return await asyncio.to_thread(claim)

    async def run_once(self) -> bool:
        """Claim one due job and run it to the end; False when nothing was due."""
        job = await self._claim()
        if job is None:
            return False
        await self._run(job)
        return True

    async def run_until_idle(self, max_jobs: int = 10_000) -> int:
        """Run due jobs one after another until none is due (tests and the demo drive work this way)."""
        done = 0
        while done < max_jobs and await self.run_once():
            done += 1
        return done

    async def _run(self, job: ClaimedJob) -> None:
        with correlation(job.correlation_id):
            if job.attempts > job.max_attempts:
                await asyncio.to_thread(
                    self._finish, job, error="gave up: the job's lease expired on every attempt", retry=False
                )
                return
            handler = self.handlers[job.kind]
            heartbeat = asyncio.create_task(self._keep_lease(job))
            started = time.perf_counter()
            span = tracer.start_span(
                f"job {job.kind}",
                attributes={
                    "lto.job_id": job.id,
                    "lto.correlation_id": job.correlation_id or "",
                    "lto.attempt": job.attempts,
                },
            )
            try:
                with trace.use_span(span, end_on_exit=True):
                    await handler(job)
            except asyncio.CancelledError:
                await asyncio.to_thread(self._release, job)
                raise
            except (PermanentJobError, BadPayload) as exc:  # a payload that does not fit will never run
                await asyncio.to_thread(self._finish, job, error=str(exc) or type(exc).__name__, retry=False)
            except RetryLater as exc:
                await asyncio.to_thread(self._finish, job, error=str(exc) or type(exc).__name__, retry=True)
            except Exception as exc:
                logger.exception("job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
                await asyncio.to_thread(self._finish, job, error=f"{type(exc).__name__}: {exc}", retry=True)
            else:
                await asyncio.to_thread(self._finish, job, error=None, retry=False)
            finally:
                heartbeat.cancel()
                metrics.JOB_SECONDS.labels(job.kind).observe(time.perf_counter() - started)

    def _finish(self, job: ClaimedJob, *, error: str | None, retry: bool) -> None:
        with self.session_factory() as session, session.begin():
            if error is None:
                owned = jobs.complete(session, job, clock=self.clock)
                outcome = "done" if owned else "lease_lost"
            else:
                outcome = jobs.fail(session, job, error=error, clock=self.clock, retry=retry)
                outcome = "retry" if outcome == "queued" else "failed"
            metrics.JOBS_FINISHED.labels(job.kind, outcome).inc()
            audit.record(
                session,
                clock=self.clock,
                actor_type="system",
                actor_id=self.worker_id,
                action="job.run",
                subject=f"job:{job.id}",
                inputs={"kind": job.kind, "attempt": job.attempts},
                outcome=outcome,
                detail={"error": error} if error else {},
                correlation_id=job.correlation_id,
            )

    def _release(self, job: ClaimedJob) -> None:
        with self.session_factory() as session, session.begin():
            jobs.release(session, job, clock=self.clock)

    def _extend_lease(self, job: ClaimedJob) -> bool:
        with self.session_factory() as session, session.begin():
            return jobs.extend_lease(session, job, clock=self.clock, lease=self.lease)

    async def _keep_lease(self, job: ClaimedJob) -> None:
        """Renew the lease every third of its length, on the injected clock, until the job ends or is lost."""
        interval = max(self.lease.total_seconds() / 3, 1.0)
        while True:
            await self.clock.sleep(interval)
            try:
                if not await asyncio.to_thread(self._extend_lease, job):
                    return  # the lease was lost (another worker claimed the job): stop renewing
            except Exception:
                # One failed renewal (a locked or briefly unreachable database) must not end the
                # heartbeat: the lease would lapse and a second worker run the job alongside this one.
                logger.warning("renewing the lease of job %s failed; trying again", job.id, exc_info=True)

    async def run_forever(self, stop: asyncio.Event, grace: float = 20.0) -> None:
        """Claim and run jobs until `stop` is set; then let running jobs finish, or release them."""
        slots = asyncio.Semaphore(self.concurrency)

        def finished(task: asyncio.Task[None]) -> None:
            self._running.discard(task)
            slots.release()

        while not stop.is_set():
            await slots.acquire()
            await self._yield_to_listener(stop)
            if stop.is_set():
                slots.release()
                break
            try:
                job = await self._claim()
            except Exception:
                logger.exception("claiming a job failed; retrying shortly")
                job = None
            if job is None:
                slots.release()
                self._wake.clear()
                waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
                await asyncio.wait(waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
                continue
            task = asyncio.create_task(self._run(job))
            self._running.add(task)
            task.add_done_callback(finished)
        if self._running:
            await self._finish_or_release(set(self._running), grace)

    async def _yield_to_listener(self, stop: asyncio.Event) -> None:
        """While the listener in this process has requests queuing up, claim nothing new: acks come first. At
        most `max_yield` seconds on the clock, then a job is claimed anyway, so a long overload starves no job."""
        if self.listener_busy is None:
            return
        since = self.clock.now()
        while (self.clock.now() - since).total_seconds() < self.max_yield and await self.listener_busy():
            pause = asyncio.ensure_future(self.clock.sleep(LISTENER_POLL_SECONDS))
            stopping = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({pause, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                pause.cancel()
                stopping.cancel()
            if stop.is_set():
                return

    async def _finish_or_release(self, running: set[asyncio.Task[None]], grace: float) -> None:
        """Give running jobs `grace` seconds on the clock to finish; cancel the rest, which releases them."""
        all_finished = asyncio.ensure_future(asyncio.wait(running))
        grace_over = asyncio.ensure_future(self.clock.sleep(grace))
        try:
            await asyncio.wait({all_finished, grace_over}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            all_finished.cancel()
            grace_over.cancel()
        pending = {task for task in running if not task.done()}
        for task in pending:  # cancelled tasks release their job for another worker
            task.cancel()
        if pending:
            await asyncio.wait(pending)
