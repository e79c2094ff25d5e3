"""SLA sweeps: remind, escalate, expire. Each due step or request is claimed by a conditional UPDATE
and its Slack message queued as a job in the same transaction, so replicas running the same
schedule send exactly one reminder per due step, and a crash loses none."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from approvals.policy import Policy
from approvals.service import resume_agent
from core import audit, jobs
from core.clock import Clock
from core.models import ApprovalRequest, ApprovalStep


def _pending_steps(session: Session) -> list[tuple[ApprovalStep, ApprovalRequest]]:
    rows = session.execute(
        select(ApprovalStep, ApprovalRequest)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStep.request_id)
        .where(ApprovalStep.status == "pending", ApprovalRequest.status == "pending")
    ).all()
    return [(step, request) for step, request in rows]


def _claim(session: Session, step_id: int, column: str, clock: Clock) -> bool:
    column_attr = getattr(ApprovalStep, column)
    won = session.execute(
        update(ApprovalStep)
        .where(ApprovalStep.id == step_id, ApprovalStep.status == "pending", column_attr.is_(None))
        .values({column: clock.now()})
        .returning(ApprovalStep.id)
    ).first()
    return won is not None


def remind_and_escalate(session: Session, *, policy: Policy, clock: Clock) -> dict[str, int]:
    """Claim due reminders and escalations; queue their messages. Returns counts."""
    now = clock.now()
    counts = {"reminded": 0, "escalated": 0}
    for step, request in _pending_steps(session):
        sla = policy.levels[step.level].sla
        age = now - (step.created_at or request.created_at)  # an escalated level's clock starts when it is asked
        remind, escalate = sla.after("remind_after"), sla.after("escalate_after")
        if remind and age >= remind and step.reminded_at is None and _claim(session, step.id, "reminded_at", clock):
            jobs.enqueue(
                session,
                kind="approval.notify",
                payload={"request_id": request.id, "level": step.level, "what": "reminder"},
                clock=clock,
                dedupe_key=f"approval:{request.id}:{step.level}:reminder",
            )
            counts["reminded"] += 1
        if (
            escalate
            and sla.escalate_to
            and age >= escalate
            and step.escalated_at is None
            and _claim(session, step.id, "escalated_at", clock)
        ):
            # The decision moves up: the level that ran out of time no longer decides; the next one does
            # (one step per level, so a level already asked keeps its own step).
            target = sla.escalate_to
            session.execute(update(ApprovalStep).where(ApprovalStep.id == step.id).values(status="escalated"))
            exists = session.scalar(
                select(ApprovalStep.id).where(ApprovalStep.request_id == request.id, ApprovalStep.level == target)
            )
            if exists is None:
                session.add(
                    ApprovalStep(
                        request_id=request.id,
                        level=target,
                        status="pending",
                        escalated_from=step.level,
                        created_at=now,
                    )
                )
            audit.record(
                session,
                clock=clock,
                actor_type="system",
                actor_id="sla",
                action="approval.escalate",
                subject=f"approval:{request.id}",
                deal_id=request.deal_id,
                inputs={"from": step.level, "to": target},
                outcome="escalated",
            )
            jobs.enqueue(
                session,
                kind="approval.notify",
                payload={"request_id": request.id, "level": target, "what": "escalation", "from": step.level},
                clock=clock,
                dedupe_key=f"approval:{request.id}:{step.level}:escalation",
            )
            counts["escalated"] += 1
    return counts


def expire(session: Session, *, policy: Policy, clock: Clock) -> int:
    """Expire requests older than the longest SLA of their pending levels."""
    now = clock.now()
    expired = 0
    for request in session.scalars(select(ApprovalRequest).where(ApprovalRequest.status == "pending")):
        levels = [s.level for s in session.scalars(select(ApprovalStep).where(ApprovalStep.request_id == request.id))]
        limit = max((policy.levels[level].sla.after("expire_after") for level in levels), default=None)
        if limit is None or now - request.created_at < limit:
            continue
        won = session.execute(
            update(ApprovalRequest)
            .where(ApprovalRequest.id == request.id, ApprovalRequest.status == "pending")
            .values(status="expired", decided_at=now)
            .returning(ApprovalRequest.id)
        ).first()
        if won is None:
            continue
        audit.record(
            session,
            clock=clock,
            actor_type="system",
            actor_id="sla",
            action="approval.expire",
            subject=f"approval:{request.id}",
            deal_id=request.deal_id,
            outcome="expired",
        )
        resume_agent(session, request, clock=clock)
        jobs.enqueue(
            session,
            kind="approval.notify",
            payload={"request_id": request.id, "what": "expiry"},
            clock=clock,
            dedupe_key=f"approval:{request.id}:expiry",
        )
        expired += 1
    return expired
