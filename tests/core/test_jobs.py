"""The durable job queue: de-duplication, claims, leases, back-off, and concurrent workers."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sqlalchemy import select

from core import jobs
from core.clock import ManualClock
from core.job_kinds import PostApprovalCard as K  # any kind: these tests are about the queue
from core.models import Job, JobStatus
from core.worker import RetryLater, Worker
from tests.conftest import postgres_only

LEASE = timedelta(seconds=60)
HEARTBEAT = LEASE / 3  # the worker renews a lease every third of its length


def _enqueue(sessions, clock, n=1, **kwargs):
    ids = []
    with sessions() as session, session.begin():
        for i in range(n):
            ids.append(jobs.enqueue(session, job=K(request_id=i + 1), clock=clock, **kwargs))
    return ids


def test_a_second_job_with_the_same_dedupe_key_is_not_recorded(sessions, clock):
    with sessions() as session, session.begin():
        first = jobs.enqueue(session, job=K(request_id=1), clock=clock, dedupe_key="event:Ev1")
        second = jobs.enqueue(session, job=K(request_id=1), clock=clock, dedupe_key="event:Ev1")
    assert first is not None and second is None
    with sessions() as session:
        assert len(session.scalars(select(Job)).all()) == 1


def test_a_redelivered_slack_request_records_no_second_delivery_or_job(sessions, clock):
    with sessions() as session, session.begin():
        kwargs = dict(key="event:Ev9", kind="event", job=K(request_id=1), clock=clock, correlation_id="c")
        assert jobs.record_delivery(session, **kwargs) is not None
        assert jobs.record_delivery(session, **kwargs) is None


def test_claims_take_the_oldest_due_job_and_skip_future_ones(sessions, clock):
    with sessions() as session, session.begin():
        later = jobs.enqueue(session, job=K(request_id=1), clock=clock, delay=timedelta(minutes=5))
        now = jobs.enqueue(session, job=K(request_id=1), clock=clock)
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

    worker = Worker(session_factory=sessions, clock=clock, handlers={K.kind: flaky}, worker_id="w")
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


async def test_shutdown_waits_for_a_running_job_to_finish(sessions, clock):
    started, may_finish = asyncio.Event(), asyncio.Event()

    async def handler(job):
        started.set()
        await may_finish.wait()

    _enqueue(sessions, clock)
    worker = Worker(session_factory=sessions, clock=clock, handlers={K.kind: handler}, worker_id="w1")
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop))
    await started.wait()
    stop.set()
    await clock.wait_for_sleepers(2)  # the job's heartbeat and the grace period
    assert not running.done()
    may_finish.set()  # finishes within the grace period
    await running
    with sessions() as session:
        assert session.scalars(select(Job.status)).one() == JobStatus.DONE


async def test_shutdown_releases_a_job_still_running_after_the_grace_period_for_another_worker(sessions, clock):
    started = asyncio.Event()

    async def never_finishes(job):
        started.set()
        await asyncio.Event().wait()

    _enqueue(sessions, clock)
    worker = Worker(session_factory=sessions, clock=clock, handlers={K.kind: never_finishes}, worker_id="w1")
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, grace=20))
    await started.wait()
    stop.set()
    await clock.wait_for_sleepers(2)  # the job's heartbeat (every 40 s) and the 20 s grace period
    clock.advance(seconds=20)
    await running
    with sessions() as session:
        job = session.scalars(select(Job)).one()
        assert job.status == JobStatus.QUEUED and job.attempts == 0  # released, not lost

    async def quick(job):
        return None

    other = Worker(session_factory=sessions, clock=clock, handlers={K.kind: quick}, worker_id="w2")
    assert await other.run_until_idle() == 1


async def _one_heartbeat(clock: ManualClock) -> None:
    """Move the clock to the worker's next lease renewal and wait until the renewal is over."""
    async with asyncio.timeout(10):  # fail, rather than hang, when the heartbeat has stopped
        await clock.wait_for_sleepers()
        clock.advance(seconds=HEARTBEAT.total_seconds())
        await clock.wait_for_sleepers()  # asleep again: the renewal has run


async def test_one_failed_lease_renewal_does_not_stop_the_heartbeat(sessions, clock, monkeypatch):
    from sqlalchemy.exc import OperationalError

    renewals = []
    real_extend = jobs.extend_lease

    def flaky_extend(session, job, **kwargs):
        renewals.append(job.id)
        if len(renewals) == 1:
            raise OperationalError("UPDATE jobs", {}, Exception("database is locked"))
        return real_extend(session, job, **kwargs)

    monkeypatch.setattr(jobs, "extend_lease", flaky_extend)

    async def runs_for_three_heartbeats(job):
        for _ in range(3):
            await _one_heartbeat(clock)

    worker = Worker(
        session_factory=sessions, clock=clock, handlers={K.kind: runs_for_three_heartbeats}, worker_id="w", lease=LEASE
    )
    _enqueue(sessions, clock)
    assert await worker.run_until_idle() == 1
    assert len(renewals) == 3  # it kept renewing after the failure
    with sessions() as session:
        job = session.scalars(select(Job)).one()
        assert job.status == JobStatus.DONE and job.attempts == 1


async def test_the_heartbeat_keeps_a_job_that_outlives_its_first_lease_from_another_worker(sessions, clock):
    claims_by_another_worker = []

    async def outlives_its_first_lease(job):
        for _ in range(4):  # 80 s on the clock; the first lease ran out after 60 s
            await _one_heartbeat(clock)
        with sessions() as session, session.begin():
            claims_by_another_worker.append(jobs.claim(session, worker_id="other", clock=clock, lease=LEASE))

    worker = Worker(
        session_factory=sessions, clock=clock, handlers={K.kind: outlives_its_first_lease}, worker_id="w", lease=LEASE
    )
    _enqueue(sessions, clock)
    assert await worker.run_until_idle() == 1
    assert claims_by_another_worker == [None]
    with sessions() as session:
        job = session.scalars(select(Job)).one()
        assert job.status == JobStatus.DONE and job.attempts == 1


def _status_of_the_job(sessions) -> JobStatus:
    with sessions() as session:
        return session.scalars(select(Job.status)).one()


async def test_the_worker_claims_nothing_while_the_listener_is_busy_and_resumes_once_it_calms(sessions, clock):
    busy, ran = True, asyncio.Event()

    async def handler(job):
        ran.set()

    async def listener_busy():
        return busy

    _enqueue(sessions, clock)
    worker = Worker(
        session_factory=sessions, clock=clock, handlers={K.kind: handler}, worker_id="w", listener_busy=listener_busy
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop))
    await clock.wait_for_sleepers()  # waiting for the listener, on the clock
    assert _status_of_the_job(sessions) == JobStatus.QUEUED
    clock.advance(seconds=1)  # looked again: still busy, still waiting
    await clock.wait_for_sleepers()
    assert _status_of_the_job(sessions) == JobStatus.QUEUED and not ran.is_set()
    busy = False
    clock.advance(seconds=0.1)
    await ran.wait()
    stop.set()
    await running
    assert _status_of_the_job(sessions) == JobStatus.DONE


async def test_a_listener_busy_for_long_delays_a_claim_by_at_most_max_yield(sessions, clock):
    ran = asyncio.Event()

    async def handler(job):
        ran.set()

    async def always_busy():
        return True

    _enqueue(sessions, clock)
    worker = Worker(
        session_factory=sessions,
        clock=clock,
        handlers={K.kind: handler},
        worker_id="w",
        listener_busy=always_busy,
        max_yield=2.0,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop))
    await clock.wait_for_sleepers()
    clock.advance(seconds=1.9)
    await clock.wait_for_sleepers()
    assert not ran.is_set()
    clock.advance(seconds=0.1)
    await ran.wait()  # claimed although the listener is still busy
    stop.set()
    await running
    assert _status_of_the_job(sessions) == JobStatus.DONE
