"""Approval gauges for /metrics, read from the database at scrape time (every replica sees the same)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from approvals.models import ApprovalRequest, ApprovalStatus, ApprovalStep, StepStatus


def approval_gauges(session: Session, now: datetime) -> Iterator[Metric]:
    """Pending steps by level, and how many are past their reminder or were escalated."""
    pending = GaugeMetricFamily("lto_approvals_pending", "Pending approval steps by level", labels=["level"])
    breaches = GaugeMetricFamily(
        "lto_approvals_sla_breaches", "Pending steps past their reminder or escalation time", labels=["kind"]
    )
    rows = session.execute(
        select(ApprovalStep.level, ApprovalStep.reminded_at, ApprovalStep.escalated_at)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStep.request_id)
        .where(ApprovalStep.status == StepStatus.PENDING, ApprovalRequest.status == ApprovalStatus.PENDING)
    ).all()
    by_level: dict[str, int] = {}
    reminded = 0
    for level, reminded_at, _ in rows:
        by_level[level] = by_level.get(level, 0) + 1
        reminded += reminded_at is not None
    for level, count in sorted(by_level.items()):
        pending.add_metric([level], count)
    escalated = session.scalar(select(func.count()).where(ApprovalStep.status == StepStatus.ESCALATED)) or 0
    breaches.add_metric(["reminded"], reminded)
    breaches.add_metric(["escalated"], escalated)
    yield pending
    yield breaches
