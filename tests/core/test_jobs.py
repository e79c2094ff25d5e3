"""The durable job queue: de-duplication, claims, leases, back-off, and concurrent workers."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from core import jobs
from core.models import Job, JobStatus
from core.worker import RetryLater, Worker
from tests.conftest import postgres_only

LEASE = timedelta(seconds=60)


def _enqueue(sessions, clock, n=1, **kwargs):
    ids = []
    with sessions() as session, session.begin():
        for i in range(n):
            ids.append(jobs.enqueue(session, kind="k", payload={"i": i}, clock=clock, **kwargs))
    return ids


def test_a_second_job_with_the_same_dedupe_key_is_not_recorded(sessions, clock):
    with sessions() as session, session.begin():
        first = jobs.enqueue(session, kind="k", payload={}, clock=clock, dedupe_key="event:Ev1")
        second = jobs.enqueue(session, kind="k", payload={}, clock=clock, dedupe_key="event:Ev1")
    assert first is not None and second is None
    with sessions() as session:
        assert len(session.scalars(select(Job)).all()) == 1


def test_a_redelivered_slack_request_records_no_second_delivery_or_job(sessions, clock):
    with sessions() as session, session.begin():
        kwargs = dict(key="event:Ev9", kind="event", job_kind="k", payload={}, clock=clock, correlation_id="c")
        assert jobs.record_delivery(session, **kwargs) is not None
        assert jobs.record_delivery(session, **kwargs) is None


def test_claims_take_the_oldest_due_job_and_skip_future_ones(sessions, clock):
    with sessions() as session, session.begin():
        later = jobs.enqueue(session, kind="k", payload={}, clock=clock, delay=timedelta(minutes=5))
        now = jobs.enqueue(session, kind="k", payload={}, clock=clock)
    with sessions() as session, session.begin():
        claimed = jobs.claim(session, worker_id="w1", clock=clock, lease=LEASE)
        assert claimed is not None and claimed.id == now and claimed.attempts == 1
        assert jobs.claim(session, worker_id="w1", clock=clock, lease=LEASE) is None
        jobs.complete(session, claimed, clock=clock)
    clock.advance(minutes=6)
    with sessions() as session, session.begin():
        assert jobs.claim(session, worker_id="w1", clock=clock, lease=LEASE).id == later


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease_and_the_dead_worker_cannot_finish_it(sessions, clock):
    _enqueue(sessions, clock)
    with sessions() as session, session.begin():
        dead = jobs.claim(session, worker_id="dead", clock=clock, lease=LEASE)
    with sessions() as session, session.begin():
        assert jobs.claim(session, worker_id="alive", clock=clock, lease=LEASE) is None  # lease still held
    clock.advance(seconds=61)
    with sessions() as session, session.begin():
        alive = jobs.claim(session, worker_id="alive", clock=clock, lease=LEASE)
    assert alive is not None and alive.id == dead.id and alive.attempts == 2
    with sessions() as session, session.begin():
        assert jobs.complete(session, dead, clock=clock) is False
        assert jobs.complete(session, alive, clock=clock) is True
    with sessions() as session:
        assert session.get(Job, alive.id).status == JobStatus.DONE


def test_failures_back_off_exponentially_then_fail_for_good(sessions, clock):
    _enqueue(sessions, clock, max_attempts=3)
    delays = []
    for attempt in range(1, 4):
        with sessions() as session, session.begin():
            job = jobs.claim(session, worker_id="w", clock=clock, lease=LEASE)
            assert job is not None and job.attempts == attempt
            status = jobs.fail(session, job, error="boom", clock=clock)
            row = session.get(Job, job.id)
            delays.append((row.run_after - clock.now()).total_seconds())
        clock.advance(seconds=600)
    assert status == JobStatus.FAILED
    assert delays[:2] == [2.0, 4.0]


async def test_the_worker_retries_a_job_that_asks_to_be_retried_and_completes_it_later(sessions, clock):
    runs = []

    async def flaky(job):
        runs.append(job.attempts)
        if job.attempts == 1:
            raise RetryLater("rate limited")

    worker = Worker(session_factory=sessions, clock=clock, handlers={"k": flaky}, worker_id="w")
    _enqueue(sessions, clock)
    assert await worker.run_until_idle() == 1
    assert await worker.run_until_idle() == 0  # backing off
    clock.advance(seconds=3)
    assert await worker.run_until_idle() == 1
    assert runs == [1, 2]
    with sessions() as session:
        assert session.scalars(select(Job.status)).one() == JobStatus.DONE


@postgres_only
def test_two_workers_racing_for_one_job_make_exactly_one_claim(sessions, clock):
    for _ in range(20):
        _enqueue(sessions, clock)
        barrier = threading.Barrier(2)
        claims = []

        def race(name):
            barrier.wait()
            with sessions() as session, session.begin():
                claims.append(jobs.claim(session, worker_id=name, clock=clock, lease=LEASE))

        threads = [threading.Thread(target=race, args=(f"w{i}",)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(c is not None for c in claims) == 1
        with sessions() as session, session.begin():
            for c in claims:
                if c is not None:
                    jobs.complete(session, c, clock=clock)


@postgres_only
def test_many_workers_drain_the_queue_with_each_job_claimed_once(sessions, clock):
    _enqueue(sessions, clock, n=200)
    claimed: list[int] = []
    lock = threading.Lock()

    def drain(name):
        while True:
            with sessions() as session, session.begin():
                job = jobs.claim(session, worker_id=name, clock=clock, lease=LEASE)
                if job is None:
                    return
                jobs.complete(session, job, clock=clock)
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=drain, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 200


async def test_shutdown_lets_quick_jobs_finish_and_releases_slow_ones_for_another_worker(sessions, clock):
    import asyncio

    started = asyncio.Event()

    async def handler(job):
        if job.payload["i"] == 0:
            started.set()
            await asyncio.sleep(0.05)  # finishes within the grace period
        else:
            await asyncio.sleep(3600)  # still running when the grace period ends

    _enqueue(sessions, clock, n=2)
    worker = Worker(session_factory=sessions, clock=clock, handlers={"k": handler}, worker_id="w1", poll_interval=0.01)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, grace=0.5))
    await started.wait()
    await asyncio.sleep(0.1)
    stop.set()
    await running
    with sessions() as session:
        statuses = {job.payload["i"]: job.status for job in session.scalars(select(Job))}
    assert statuses == {0: JobStatus.DONE, 1: JobStatus.QUEUED}  # released, not lost

    async def quick(job):
        return None

    other = Worker(session_factory=sessions, clock=clock, handlers={"k": quick}, worker_id="w2")
    assert await other.run_until_idle() == 1


async def test_one_failed_lease_renewal_does_not_stop_the_heartbeat(sessions, clock, monkeypatch):
    import asyncio

    from sqlalchemy.exc import OperationalError

    renewals = []
    real_extend = jobs.extend_lease

    def flaky_extend(session, job, **kwargs):
        renewals.append(job.id)
        if len(renewals) == 1:
            raise OperationalError("UPDATE jobs", {}, Exception("database is locked"))
        return real_extend(session, job, **kwargs)

    monkeypatch.setattr(jobs, "extend_lease", flaky_extend)

    async def slow(job):
        await asyncio.sleep(2.6)  # three heartbeats at one-second intervals

    worker = Worker(
        session_factory=sessions, clock=clock, handlers={"k": slow}, worker_id="w", lease=timedelta(seconds=3)
    )
    _enqueue(sessions, clock)
    assert await worker.run_until_idle() == 1
    assert len(renewals) >= 2  # it kept renewing after the failure
    with sessions() as session:
        job = session.scalars(select(Job)).one()
        assert job.status == JobStatus.DONE and job.attempts == 1
