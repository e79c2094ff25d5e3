"""The review SLA: remind the reviewers every period, escalate once, expire. Each notice is claimed by inserting
its key (the review and the period) with its job in one transaction, so schedulers running the same sweep send
each notice once, and a crash loses none."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from approvals import reviews
from approvals.review_models import OPEN, ReviewNotice, TechnicalReview
from approvals.review_policy import ReviewPolicy
from core import jobs
from core.clock import Clock
from core.job_kinds import NotifyReview


def _claim(session: Session, review: TechnicalReview, period: str, clock: Clock) -> bool:
    return jobs.insert_ignoring_conflict(
        session, ReviewNotice, {"review_id": review.id, "period": period, "created_at": clock.now()}
    )


def _notify(session: Session, review: TechnicalReview, what: str, period: str, clock: Clock) -> None:
    jobs.enqueue(
        session,
        job=NotifyReview(review_id=review.id, what=what),  # type: ignore[arg-type]
        clock=clock,
        dedupe_key=f"review:{review.id}:{period}",
    )


def sweep(session: Session, *, policy: ReviewPolicy, clock: Clock) -> dict[str, int]:
    """Claim due reminders, escalations and expiries of open reviews; queue their messages. Returns counts."""
    now = clock.now()
    counts = {"reminded": 0, "escalated": 0, "expired": 0}
    sla = policy.sla
    remind, escalate = sla.after("remind_after"), sla.after("escalate_after")
    due = session.scalars(select(TechnicalReview).where(TechnicalReview.status.in_(OPEN)).order_by(TechnicalReview.id))
    for review in list(due):
        age = now - review.created_at
        if age >= sla.expires_after:
            if _claim(session, review, "expiry", clock) and reviews.expire_review(session, review, clock=clock):
                _notify(session, review, "expiry", "expiry", clock)
                counts["expired"] += 1
            continue
        if escalate and age >= escalate and _claim(session, review, "escalation", clock):
            _notify(session, review, "escalation", "escalation", clock)
            counts["escalated"] += 1
        if remind and age >= remind:
            period = f"reminder:{age // remind}"  # the first reminder, the second, ...: each once
            if _claim(session, review, period, clock):
                _notify(session, review, "reminder", period, clock)
                counts["reminded"] += 1
    return counts
