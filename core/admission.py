"""Admitting inbound work: the rate limits and the queue's depth, and the accepted delivery.

The limits count deliveries in the database, so every replica sees the same limits, but not with a count per
request: `Admissions` reads the last minute's deliveries by sender, and the queue's depth, at most once per
refresh interval (a second), and counts what its own process accepts in between. Within one process the
limits are therefore exact. Across replicas the view lags by at most one refresh interval: a person may get
through what the other replicas accepted from them since this replica's last refresh (about a second's worth)
before being refused. Counts err the other way too, by as little: a delivery that left the window since the
last refresh still counts until the next.

Accepting a delivery records its job, the delivery and its audit event in one transaction, before the ack.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core import audit, jobs
from core.clock import Clock
from core.job_kinds import JobPayload
from core.logging import current_correlation_id
from core.models import Job, JobStatus, SlackDelivery

WINDOW = timedelta(minutes=1)
REFRESH = timedelta(seconds=1)
# Replicas stamp deliveries with their own clocks: a delivery id counts as older than the window only this
# much later, so clocks that disagree by less never hide a delivery from the count.
CLOCK_SKEW = timedelta(seconds=10)
# How long an id known to be older than the window is used to skip older rows before it is looked up again.
FLOOR_LIFETIME = timedelta(minutes=2)

Sender = tuple[str, str]  # (delivery kind, person or channel id)


@dataclass(frozen=True)
class Refused:
    """Over a per-minute limit: nothing was recorded."""

    over: Literal["person", "channel"]


@dataclass(frozen=True)
class Accepted:
    job_id: int | None  # None: this delivery was accepted before (a Slack retry); nothing new was recorded
    queued_ahead: int  # jobs waiting before this one (as of the last refresh, plus this process's since)


@dataclass(frozen=True)
class _Counts:
    taken_at: datetime
    by_user: Counter[Sender]
    by_channel: Counter[Sender]
    queued: int


@dataclass(eq=False)
class _Local:
    """A delivery this process accepted since the last refresh (or is accepting now)."""

    kind: str
    user_id: str
    channel_id: str | None
    committed: bool = False


class _CommitsAndReads:
    """Commits of accepted deliveries run side by side; a read of the counts waits for those under way and holds
    new ones back until it is done (a reader-writer lock that lets the reader in first)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._committing = 0
        self._reading = False

    @contextmanager
    def committing(self) -> Iterator[None]:
        with self._changed:
            while self._reading:
                self._changed.wait()
            self._committing += 1
        try:
            yield
        finally:
            with self._changed:
                self._committing -= 1
                self._changed.notify_all()

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._changed:
            self._reading = True
            while self._committing:
                self._changed.wait()
        try:
            yield
        finally:
            with self._changed:
                self._reading = False
                self._changed.notify_all()


@dataclass
class _Floor:
    """A delivery id at or below which every delivery is older than the window, and when it was found."""

    found_at: datetime
    id: int


@dataclass
class Admissions:
    """Rate limits and queue depth from a view of the database refreshed about once a second; accepting a
    delivery. One per process, shared by the threads that admit requests."""

    session_factory: sessionmaker[Session]
    clock: Clock
    refresh: timedelta = REFRESH
    window: timedelta = WINDOW
    _counts: _Counts | None = None
    _local: list[_Local] = field(default_factory=list)
    _floor: _Floor | None = None
    _commits: _CommitsAndReads = field(default_factory=_CommitsAndReads)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # guards the counts
    _refreshing: threading.Lock = field(default_factory=threading.Lock)  # one refresh at a time

    def accept(
        self,
        *,
        key: str,
        kind: str,
        job: JobPayload,
        actor: str,
        max_attempts: int,
        per_user: int | None = None,
        channel_id: str | None = None,
        per_channel: int | None = None,
    ) -> Accepted | Refused:
        """Check the person's and the channel's limits for `kind` (those given), then record the delivery, its
        job and its audit event in one transaction. A retry of an accepted delivery records and counts nothing."""
        self._refresh_if_stale()
        with self._lock:
            counts = self._counts
            assert counts is not None
            if (
                per_user is not None
                and counts.by_user[(kind, actor)] + self._local_count(kind, user_id=actor) >= per_user
            ):
                return Refused("person")
            if (
                per_channel is not None
                and channel_id is not None
                and counts.by_channel[(kind, channel_id)] + self._local_count(kind, channel_id=channel_id)
                >= per_channel
            ):
                return Refused("channel")
            queued_ahead = counts.queued + len(self._local)
            # Held before the transaction, so concurrent requests of one person cannot all pass the same count.
            held = _Local(kind, actor, channel_id)
            self._local.append(held)
        job_id = None
        try:
            job_id = self._record(held, key=key, job=job, tries=max_attempts)
        finally:
            if job_id is None:  # a retry, or a failure: nothing was recorded
                with self._lock:
                    self._local.remove(held)
        return Accepted(job_id, queued_ahead)

    def _local_count(self, kind: str, *, user_id: str | None = None, channel_id: str | None = None) -> int:
        return sum(
            1
            for held in self._local
            if held.kind == kind
            and (user_id is None or held.user_id == user_id)
            and (channel_id is None or held.channel_id == channel_id)
        )

    def _record(self, held: _Local, *, key: str, job: JobPayload, tries: int) -> int | None:
        correlation_id = current_correlation_id() or jobs.new_correlation_id()
        with self.session_factory() as session:
            session.begin()
            job_id = jobs.record_delivery(
                session,
                key=key,
                kind=held.kind,
                job=job,
                clock=self.clock,
                correlation_id=correlation_id,
                max_attempts=tries,
                user_id=held.user_id,
                channel_id=held.channel_id,
            )
            if job_id is None:
                return None  # the session's end rolls back: nothing was written
            audit.append(
                session,
                clock=self.clock,
                actor_type="user",
                actor_id=held.user_id,
                action=f"slack.{held.kind}",
                subject=f"job:{job_id}",
                inputs={"delivery": key},
                outcome="queued",
                correlation_id=correlation_id,
            )
            with self._commits.committing():
                session.commit()
                held.committed = True
        return job_id

    # The view of the database ---------------------------------------------------------------------

    def _refresh_if_stale(self) -> None:
        if self._fresh():
            return
        if self._counts is not None and not self._refreshing.acquire(blocking=False):
            return  # another thread is reading: count on the view it replaces meanwhile
        if self._counts is None:
            self._refreshing.acquire()  # nothing to count on yet: wait for the first read
        try:
            if self._fresh():
                return
            now = self.clock.now()
            floor = self._floor_id(now)
            # No delivery of this process commits while the counts are read: what committed before is in them,
            # what commits after is not, so each is counted once, by the view or here.
            with self._commits.reading():
                with self._lock:
                    counted = {held for held in self._local if held.committed}
                counts = self._read(now, floor)
            with self._lock:
                self._counts = counts
                self._local = [held for held in self._local if held not in counted]
        finally:
            self._refreshing.release()

    def _fresh(self) -> bool:
        counts = self._counts
        return counts is not None and self.clock.now() - counts.taken_at < self.refresh

    def _read(self, now: datetime, floor: int) -> _Counts:
        by_user: Counter[Sender] = Counter()
        by_channel: Counter[Sender] = Counter()
        with self.session_factory() as session:
            rows = session.execute(
                select(SlackDelivery.kind, SlackDelivery.user_id, SlackDelivery.channel_id, func.count())
                .where(SlackDelivery.id > floor, SlackDelivery.received_at >= now - self.window)
                .group_by(SlackDelivery.kind, SlackDelivery.user_id, SlackDelivery.channel_id)
            ).all()
            queued = session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.QUEUED))
        for kind, user_id, channel_id, count in rows:
            if user_id is not None:
                by_user[(kind, user_id)] += count
            if channel_id is not None:
                by_channel[(kind, channel_id)] += count
        return _Counts(taken_at=now, by_user=by_user, by_channel=by_channel, queued=queued or 0)

    def _floor_id(self, now: datetime) -> int:
        """Deliveries keep for days and no index leads with their time: the window's rows are found through
        the primary key, above an id known to be older than the window (looked up again every few minutes)."""
        if self._floor is None or now - self._floor.found_at >= FLOOR_LIFETIME:
            with self.session_factory() as session:
                found = _id_received_before(session, now - self.window - CLOCK_SKEW)
            self._floor = _Floor(found_at=now, id=found)
        return self._floor.id


def _id_received_before(session: Session, before: datetime) -> int:
    """The id of a delivery received before `before` (0 if none): ids grow as deliveries arrive, so step back
    from the newest in doubling strides, a few primary-key lookups however long the table."""
    newest = session.scalar(select(func.max(SlackDelivery.id))) or 0
    stride = 1
    while newest - stride > 0:
        row = session.execute(
            select(SlackDelivery.id, SlackDelivery.received_at)
            .where(SlackDelivery.id <= newest - stride)
            .order_by(SlackDelivery.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return 0
        if row.received_at < before:
            return int(row.id)
        stride *= 2
    return 0


def first_refusal_in_window(
    session_factory: sessionmaker[Session], *, user_id: str, kind: str, clock: Clock, window_seconds: int = 60
) -> bool:
    """Record a refused delivery once per person and window; True for the first (on any replica), so the
    person is told to slow down once, not once per message. Rate limits do not count these."""
    window = int(clock.now().timestamp()) // window_seconds
    row = {
        "key": f"refused:{kind}:{user_id}:{window}",
        "kind": f"{kind}.refused",
        "received_at": clock.now(),
        "user_id": user_id,
        "channel_id": None,
    }
    with session_factory() as session, session.begin():
        return jobs.insert_ignoring_conflict(session, SlackDelivery, row)
