"""Outcome gauges for /metrics: the headline figures of the outcome report over the last 90 days.

They read the whole period's history, so a process computes them at most once per `refresh` and serves
the figures it has in between (every replica computes the same figures from the same database). A figure
with nothing to measure yet (no deal qualified, no deal closed) is left out rather than shown as 0.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.orm import Session

from core.governed import GovernedFileError
from deals.outcomes import INTERVENTION_KINDS, OutcomeReport, TimeSavedAssumptions, compute_outcomes

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=90)
REFRESH = timedelta(minutes=5)


def outcome_metrics(report: OutcomeReport) -> list[Metric]:
    """The report's headline figures as gauges."""
    deals = GaugeMetricFamily("lto_outcome_deals", "Deals that started in the last 90 days")
    deals.add_metric([], report.deals)
    speed = GaugeMetricFamily(
        "lto_outcome_lead_to_hours",
        "Median hours from the lead (received, or the deal opened) to a milestone, deals of the last 90 days",
        labels=["milestone"],
    )
    for milestone, stats in (
        ("qualified", report.lead_to_qualified),
        ("first_proposal", report.lead_to_first_proposal),
    ):
        if stats.median_hours is not None:
            speed.add_metric([milestone], stats.median_hours)
    cycle = GaugeMetricFamily(
        "lto_outcome_approval_cycle_hours", "Median hours from a level being asked to its decision", labels=["level"]
    )
    for level in report.approval_cycle:
        if level.median_hours is not None:
            cycle.add_metric([level.level], level.median_hours)
    people = GaugeMetricFamily(
        "lto_outcome_human_steps_per_deal",
        "Approval decisions, proposal reviews and record corrections per deal",
        labels=["kind"],
    )
    for row in report.human_in_the_loop:
        if row.per_deal is not None and (row.kind in INTERVENTION_KINDS or row.kind == "total"):
            people.add_metric([row.kind], row.per_deal)
    wins = GaugeMetricFamily(
        "lto_outcome_win_rate", "Won / (won + lost) by segment, deals of the last 90 days", labels=["segment"]
    )
    for segment in report.win_rate:
        if segment.win_rate is not None:
            wins.add_metric([segment.segment], segment.win_rate)
    saved = GaugeMetricFamily(
        "lto_outcome_minutes_saved_per_deal",
        "Estimated minutes of manual work saved per deal, by the governed assumptions",
        labels=["assumptions_version"],
    )
    if report.time_saved.per_deal_minutes is not None:
        saved.add_metric([report.time_saved.assumptions_version], report.time_saved.per_deal_minutes)
    return [deals, speed, cycle, people, wins, saved]


class OutcomeGauges:
    """A `GaugeReader` (core/metrics.py) for the outcome figures, recomputed at most once per `refresh`."""

    def __init__(
        self,
        *,
        segment_of: Callable[[int | None], str | None],
        assumptions: Callable[[], TimeSavedAssumptions],
        window: timedelta = WINDOW,
        refresh: timedelta = REFRESH,
    ) -> None:
        self.segment_of = segment_of
        self.assumptions = assumptions
        self.window = window
        self.refresh = refresh
        self._lock = threading.Lock()
        self._computed: tuple[datetime, list[Metric]] | None = None

    def __call__(self, session: Session, now: datetime) -> Iterator[Metric]:
        with self._lock:  # two scrapes at once compute once
            if self._computed is None or now - self._computed[0] >= self.refresh:
                try:
                    assumptions = self.assumptions()
                except GovernedFileError as exc:  # the other gauges still answer; this says what to fix
                    logger.warning("outcome gauges: %s", exc)
                    return
                report = compute_outcomes(
                    session,
                    since=(now - self.window).date(),
                    now=now,
                    segment_of=self.segment_of,
                    assumptions=assumptions,
                )
                self._computed = (now, outcome_metrics(report))
            metrics = self._computed[1]
        yield from metrics
