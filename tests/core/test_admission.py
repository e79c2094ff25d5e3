"""Admission: per-minute limits from a view of the database refreshed about once a second, exact within a
process and at most one refresh behind across replicas; the delivery, its job and its audit event in one
transaction."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from core import jobs
from core.admission import CLOCK_SKEW, Accepted, Admissions, Refused, _id_received_before
from core.job_kinds import ShowStatus
from core.models import AuditEvent, Job, SlackDelivery

LIMIT = 3


def _status(user: str = "U0REP1") -> ShowStatus:
    return ShowStatus(user_id=user, deal=None, response_url=None)


def _send(admissions: Admissions, key: str, *, user: str = "U0REP1", channel: str = "C0DEALS", per_channel=None):
    return admissions.accept(
        key=key,
        kind="command",
        job=_status(user),
        actor=user,
        max_attempts=5,
        per_user=LIMIT,
        channel_id=channel,
        per_channel=per_channel,
    )


def _count(sessions, model, *where) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_an_accepted_command_is_its_delivery_job_and_audit_event_together(sessions, clock):
    admissions = Admissions(session_factory=sessions, clock=clock)
    taken = _send(admissions, "command:T1")
    assert isinstance(taken, Accepted) and taken.job_id is not None and taken.queued_ahead == 0
    with sessions() as session:
        delivery = session.scalars(select(SlackDelivery)).one()
        job = session.get(Job, taken.job_id)
        event = session.scalars(select(AuditEvent)).one()
    assert (delivery.key, delivery.job_id, delivery.user_id, delivery.channel_id) == (
        "command:T1",
        taken.job_id,
        "U0REP1",
        "C0DEALS",
    )
    assert job.kind == "deal.status" and job.dedupe_key == "command:T1"
    assert (event.action, event.subject, event.inputs, event.outcome) == (
        "slack.command",
        f"job:{taken.job_id}",
        {"delivery": "command:T1"},
        "queued",
    )
    assert event.correlation_id == job.correlation_id


def test_a_retried_delivery_records_nothing_and_does_not_count_against_the_limit(sessions, clock):
    admissions = Admissions(session_factory=sessions, clock=clock)
    first = _send(admissions, "command:T1")
    for _ in range(5):
        again = _send(admissions, "command:T1")
        assert isinstance(again, Accepted) and again.job_id is None
    assert isinstance(first, Accepted)
    assert _count(sessions, Job) == 1 and _count(sessions, SlackDelivery) == 1 and _count(sessions, AuditEvent) == 1
    assert all(isinstance(_send(admissions, f"command:T{n}"), Accepted) for n in (2, 3))
    assert _send(admissions, "command:T4") == Refused("person")


def test_a_person_over_the_limit_is_refused_with_nothing_recorded_until_the_minute_has_passed(sessions, clock):
    admissions = Admissions(session_factory=sessions, clock=clock)
    assert all(isinstance(_send(admissions, f"command:T{n}"), Accepted) for n in range(LIMIT))
    assert _send(admissions, "command:over") == Refused("person")
    assert isinstance(_send(admissions, "command:other", user="U0REP2"), Accepted)  # per person
    assert _count(sessions, SlackDelivery, SlackDelivery.key == "command:over") == 0
    assert _count(sessions, Job) == LIMIT + 1
    clock.advance(seconds=59)
    assert _send(admissions, "command:early") == Refused("person")
    clock.advance(seconds=2)
    assert isinstance(_send(admissions, "command:later"), Accepted)


def test_the_channel_limit_counts_every_person_in_the_channel(sessions, clock):
    admissions = Admissions(session_factory=sessions, clock=clock)
    for n, user in enumerate(("U0A", "U0B", "U0C")):
        assert isinstance(_send(admissions, f"command:T{n}", user=user, per_channel=3), Accepted)
    assert _send(admissions, "command:T9", user="U0D", per_channel=3) == Refused("channel")
    assert isinstance(_send(admissions, "command:T10", user="U0D", channel="C0OTHER", per_channel=3), Accepted)


def test_concurrent_commands_of_one_person_cannot_all_pass_the_same_count(sessions, clock):
    admissions = Admissions(session_factory=sessions, clock=clock)
    results: list[object] = []
    start = threading.Barrier(12)

    def send(n: int) -> None:
        start.wait()
        results.append(_send(admissions, f"command:T{n}"))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(r, Accepted) for r in results) == LIMIT
    assert _count(sessions, Job) == LIMIT


def test_reads_of_the_counts_amid_commits_count_each_delivery_once(sessions, clock):
    """Refreshing on every request while others commit: a delivery is in the view or counted here, never both
    (nobody is refused early) and never neither (nobody gets through late)."""
    admissions = Admissions(session_factory=sessions, clock=clock, refresh=timedelta(0))
    start = threading.Barrier(8)
    results: list[object] = []

    def send(n: int) -> None:
        start.wait()
        for k in range(6):
            results.append(
                admissions.accept(
                    key=f"command:{n}.{k}", kind="command", job=_status(), actor="U0REP1", max_attempts=5, per_user=40
                )
            )

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(r, Accepted) for r in results) == 40
    assert sum(r == Refused("person") for r in results) == 8
    assert _count(sessions, Job) == 40


def test_another_replica_sees_this_ones_deliveries_within_one_refresh_interval(sessions, clock):
    """Two processes on one database: the second's view is at most one refresh interval behind the first."""
    here = Admissions(session_factory=sessions, clock=clock)
    there = Admissions(session_factory=sessions, clock=clock)
    assert isinstance(_send(there, "command:warm", user="U0WARM"), Accepted)  # `there` has read its view
    for n in range(LIMIT):
        assert isinstance(_send(here, f"command:T{n}"), Accepted)
    # Within the interval `there` still counts on its last read: the staleness the design allows.
    clock.advance(seconds=0.5)
    assert isinstance(_send(there, "command:stale"), Accepted)
    # One interval after its read, `there` reads again and sees all of them.
    clock.advance(seconds=0.5)
    assert _send(there, "command:fresh") == Refused("person")
    assert _send(here, "command:here") == Refused("person")  # and `here` counts what `there` let through
    assert _count(sessions, Job, Job.dedupe_key.like("command:T%")) == LIMIT


def test_the_queue_depth_is_read_once_a_second_and_counts_this_processs_own_jobs_in_between(sessions, clock):
    with sessions() as session, session.begin():
        for n in range(5):
            jobs.enqueue(session, job=_status(), clock=clock, dedupe_key=f"other:{n}")
    admissions = Admissions(session_factory=sessions, clock=clock)
    depths = [_send(admissions, f"command:T{n}", user=f"U0{n}").queued_ahead for n in range(3)]
    assert depths == [5, 6, 7]
    with sessions() as session, session.begin():  # a worker elsewhere takes everything
        while jobs.claim(session, worker_id="w", clock=clock, lease=timedelta(minutes=1)):
            pass
    assert _send(admissions, "command:T3", user="U03").queued_ahead == 8  # not read again yet
    clock.advance(seconds=1)
    assert _send(admissions, "command:T4", user="U04").queued_ahead == 1  # read again: only T3's job waits


def test_the_window_is_found_through_the_primary_key_above_an_id_older_than_it(sessions, clock):
    admissions = Admissions(session_factory=sessions, clock=clock)
    for n in range(LIMIT):
        assert isinstance(_send(admissions, f"command:old{n}"), Accepted)
    clock.advance(minutes=10)
    for n in range(LIMIT - 1):
        assert isinstance(_send(admissions, f"command:new{n}"), Accepted)
    with sessions() as session:
        ids = {key: id_ for key, id_ in session.execute(select(SlackDelivery.key, SlackDelivery.id))}
        floor = _id_received_before(session, clock.now() - admissions.window - CLOCK_SKEW)
    # An id among the old deliveries (so none in the window is skipped), never one of the new.
    assert ids["command:old0"] <= floor <= ids[f"command:old{LIMIT - 1}"]
    assert isinstance(_send(admissions, "command:last"), Accepted)  # the old ones no longer count...
    assert _send(admissions, "command:one-too-many") == Refused("person")  # ...and every new one does


def test_with_every_delivery_inside_the_window_nothing_is_skipped(sessions, clock):
    admissions = Admissions(session_factory=sessions, clock=clock)
    for n in range(LIMIT):
        assert isinstance(_send(admissions, f"command:T{n}"), Accepted)
    with sessions() as session:
        assert _id_received_before(session, clock.now() - admissions.window - CLOCK_SKEW) == 0
    fresh = Admissions(session_factory=sessions, clock=clock)  # a process started now reads them all
    assert _send(fresh, "command:over") == Refused("person")
