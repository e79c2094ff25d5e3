"""Prometheus metrics: what each process counts, and what the database says at scrape time.

Counters and histograms live in the process that observed them (Prometheus sums replicas).
Queue depth, pending approvals and the outbox backlog are the database's truth, shared by all
replicas, so a collector reads them when `/metrics` is scraped instead of each process guessing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Job, JobStatus, OutboxEvent

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

SLACK_REQUESTS = Counter(
    "lto_slack_requests", "Requests on /slack/events by kind and HTTP status", ["kind", "status"], registry=REGISTRY
)
SLACK_REQUESTS_TURNED_AWAY = Counter(
    "lto_slack_requests_turned_away",
    "Requests answered at once without being taken in, at the cap on requests in flight, by kind",
    ["kind"],
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "lto_slack_ack_seconds",
    "Time from receiving a Slack request to answering it",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 3),
    registry=REGISTRY,
)
JOBS_FINISHED = Counter(
    "lto_jobs_finished", "Jobs run by this process, by kind and outcome", ["kind", "outcome"], registry=REGISTRY
)
JOB_SECONDS = Histogram("lto_job_seconds", "Job run time by kind", ["kind"], registry=REGISTRY)
AGENT_TURNS = Counter("lto_agent_turns", "Agent runs by agent and outcome", ["agent", "outcome"], registry=REGISTRY)
MODEL_SECONDS = Histogram(
    "lto_model_run_seconds", "Agent run time (model and tools)", ["agent", "model"], registry=REGISTRY
)
MODEL_TOKENS = Counter("lto_model_tokens", "Tokens used by agent runs", ["agent", "direction"], registry=REGISTRY)
RETRIEVAL_SECONDS = Histogram(
    "lto_retrieval_seconds",
    "Knowledge search latency",
    ["mode"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
WEB_API_ERRORS = Counter(
    "lto_slack_web_api_errors", "Slack Web API errors by method and error", ["method", "error"], registry=REGISTRY
)
WEB_API_RETRIES = Counter("lto_slack_web_api_retries", "Slack Web API retries by reason", ["reason"], registry=REGISTRY)


# A domain's gauges, read at scrape time from the shared database.
GaugeReader = Callable[[Session, datetime], Iterator[Metric]]


class DatabaseCollector(Collector):
    """Shared state read at scrape time: jobs and outbox here, each domain's own gauges through `readers`."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        now: Callable[[], datetime],
        readers: Sequence[GaugeReader] = (),
    ) -> None:
        self.session_factory = session_factory
        self.now = now
        self.readers = list(readers)

    def collect(self) -> Iterator[Metric]:
        try:
            with self.session_factory() as session:
                yield from self._read(session)
        except Exception as exc:  # a scrape must not fail because the database is away
            logger.warning("metrics: database not readable: %s", exc)
            up = GaugeMetricFamily("lto_database_up", "Whether the database answered the scrape")
            up.add_metric([], 0)
            yield up

    def _read(self, session: Session) -> Iterator[Metric]:
        up = GaugeMetricFamily("lto_database_up", "Whether the database answered the scrape")
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily("lto_jobs", "Jobs by status (all replicas)", labels=["status"])
        for status, count in session.execute(select(Job.status, func.count()).group_by(Job.status)):
            jobs.add_metric([status], count)
        yield jobs
        oldest = session.scalar(select(func.min(Job.created_at)).where(Job.status == JobStatus.QUEUED))
        age = GaugeMetricFamily("lto_jobs_oldest_queued_seconds", "Age of the oldest queued job")
        age.add_metric([], (self.now() - oldest).total_seconds() if oldest else 0)
        yield age
        for read in self.readers:
            yield from read(session, self.now())
        outbox = GaugeMetricFamily("lto_outbox_events", "Outbox events by status", labels=["status"])
        for outbox_status, count in session.execute(
            select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)
        ):
            outbox.add_metric([outbox_status], count)
        yield outbox


def register_database(
    session_factory: Callable[[], Session], now: Callable[[], datetime], readers: Sequence[GaugeReader] = ()
) -> None:
    """Once per process: the app and the worker share the registry."""
    global _database_collector
    if _database_collector is not None:
        REGISTRY.unregister(_database_collector)
    _database_collector = DatabaseCollector(session_factory, now, readers)
    REGISTRY.register(_database_collector)


_database_collector: DatabaseCollector | None = None
