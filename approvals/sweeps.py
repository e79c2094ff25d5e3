"""SLA sweeps: remind, escalate, expire. Each due step or request is claimed by a conditional UPDATE
and its Slack message queued as a job in the same transaction, so replicas running the same
schedule send exactly one reminder per due step, and a crash loses none."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from approvals import service
from approvals.models import ApprovalRequest, ApprovalStatus, ApprovalStep, StepStatus
from approvals.policy import Policy, parse_duration
from core import audit, jobs
from core.clock import Clock
from core.job_kinds import NotifyApproval


def _pending_steps(session: Session) -> list[tuple[ApprovalStep, ApprovalRequest]]:
    rows = session.execute(
        select(ApprovalStep, ApprovalRequest)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStep.request_id)
        .where(ApprovalStep.status == StepStatus.PENDING, ApprovalRequest.status == ApprovalStatus.PENDING)
    ).all()
    return [(step, request) for step, request in rows]


def _claim(session: Session, step_id: int, column: str, clock: Clock) -> bool:
    column_attr = getattr(ApprovalStep, column)
    won = session.execute(
        update(ApprovalStep)
        .where(ApprovalStep.id == step_id, ApprovalStep.status == StepStatus.PENDING, column_attr.is_(None))
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
                job=NotifyApproval(request_id=request.id, level=step.level, what="reminder"),
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
            session.execute(update(ApprovalStep).where(ApprovalStep.id == step.id).values(status=StepStatus.ESCALATED))
            exists = session.scalar(
                select(ApprovalStep.id).where(ApprovalStep.request_id == request.id, ApprovalStep.level == target)
            )
            if exists is None:
                session.add(
                    ApprovalStep(
                        request_id=request.id,
                        level=target,
                        status=StepStatus.PENDING,
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
                job=NotifyApproval(request_id=request.id, level=target, what="escalation", from_level=step.level),
                clock=clock,
                dedupe_key=f"approval:{request.id}:{step.level}:escalation",
            )
            counts["escalated"] += 1
    return counts


def expire(session: Session, *, policy: Policy, clock: Clock) -> int:
    """Expire requests older than the longest SLA of their pending levels."""
    now = clock.now()
    expired = 0
    for request in session.scalars(select(ApprovalRequest).where(ApprovalRequest.status == ApprovalStatus.PENDING)):
        levels = [s.level for s in session.scalars(select(ApprovalStep).where(ApprovalStep.request_id == request.id))]
        limit = max((parse_duration(policy.levels[level].sla.expire_after) for level in levels), default=None)
        if limit is None or now - request.created_at < limit:
            continue
        if not service.expire_request(session, request, clock=clock):
            continue
        jobs.enqueue(
            session,
            job=NotifyApproval(request_id=request.id, what="expiry"),
            clock=clock,
            dedupe_key=f"approval:{request.id}:expiry",
        )
        expired += 1
    return expired
