"""The outbox delivery sweep: send due CRM events with retries; park the ones that keep failing."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from core import outbox
from core.clock import Clock
from integrations.crm.delivery import UnknownTopic, deliver
from integrations.crm.port import CrmError, CrmPort, CrmRateLimited

logger = logging.getLogger(__name__)

CRM_TOPICS = "crm."  # the outbox topics this sweep delivers; other sweeps claim theirs


def deliver_due(
    *, session_factory: sessionmaker[Session], crm: CrmPort, clock: Clock, limit: int = 50, rounds: int = 20
) -> dict[str, int]:
    """Claim due events (committed before any call), deliver each and record the outcome; repeat while
    deliveries unblock the next events of their deals."""
    counts = {"delivered": 0, "retry": 0, "parked": 0}
    for _ in range(rounds):
        delivered_before = counts["delivered"]
        with session_factory() as session, session.begin():
            due = outbox.claim_due(session, clock=clock, limit=limit, topic_prefix=CRM_TOPICS)
        for event in due:
            _deliver_one(event, session_factory=session_factory, crm=crm, clock=clock, counts=counts)
        if counts["delivered"] == delivered_before:
            break
    return counts


def _deliver_one(
    event: outbox.DueEvent,
    *,
    session_factory: sessionmaker[Session],
    crm: CrmPort,
    clock: Clock,
    counts: dict[str, int],
) -> None:
    try:
        deliver(event, crm)
    except (CrmError, UnknownTopic) as exc:
        error = f"{type(exc).__name__}: {exc}"
        retryable = isinstance(exc, CrmError) and exc.retryable
        retry_after = exc.retry_after if isinstance(exc, CrmRateLimited) else None
        with session_factory() as session, session.begin():
            if retryable:
                status = outbox.failed(session, event, error=error, clock=clock, retry_after=retry_after)
            else:
                status = outbox.park(session, event, error=error, clock=clock)
        counts["parked" if status == "parked" else "retry"] += 1
        logger.warning("CRM delivery of outbox event %s failed (%s): %s", event.id, status, exc)
    else:
        with session_factory() as session, session.begin():
            outbox.delivered(session, event, clock=clock)
        counts["delivered"] += 1
