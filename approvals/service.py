"""The approval lifecycle: request, decide exactly once, cancel when superseded. Slack-agnostic.

A decision is a conditional UPDATE of a pending step by an authorized approver, so a double
click, a retried delivery or two approvers at the same moment produce one decision; the
others learn it was already decided. The requester never approves their own request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from approvals.models import ApprovalRequest, ApprovalStatus, ApprovalStep, StepStatus
from approvals.policy import Policy, PolicyDecision
from core import audit, events, jobs
from core.clock import Clock
from core.job_kinds import ApprovalDecided, DecideApproval, ResumeRun
from integrations.cpq.models import QuoteRecord, QuoteStatus

Decision = Literal["approved", "rejected", "changes_requested"]


class ApprovalError(Exception):
    """A decision that cannot be taken; the message is for the person who clicked."""


class NotAuthorized(ApprovalError):
    pass


class AlreadyDecided(ApprovalError):
    pass


class RequestNotFound(ApprovalError):
    pass


def request_approval(
    session: Session,
    *,
    deal_id: int,
    quote_id: int,
    requester: str,
    decision: PolicyDecision,
    summary: str,
    clock: Clock,
    agent_run: dict[str, Any] | None = None,
) -> ApprovalRequest:
    """Open a request with one step per level the policy named; pending requests of the deal are cancelled.

    `agent_run` is the paused agent run that asked (its history and the deferred tool call);
    when the request is decided, a job resumes it with the decision.
    """
    cancel_pending(session, deal_id=deal_id, actor_id=requester, clock=clock, reason="superseded by a new quote")
    request = ApprovalRequest(
        deal_id=deal_id,
        quote_id=quote_id,
        requester=requester,
        status=ApprovalStatus.PENDING,
        summary=summary,
        fired=[rule.model_dump() for rule in decision.fired],
        policy_version=decision.policy_version,
        agent_run=agent_run,
        created_at=clock.now(),
    )
    session.add(request)
    session.flush()
    for level in decision.levels:
        session.add(ApprovalStep(request_id=request.id, level=level, status=StepStatus.PENDING, created_at=clock.now()))
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=requester,
        action="approval.request",
        subject=f"approval:{request.id}",
        deal_id=deal_id,
        inputs={
            "quote_id": quote_id,
            "policy_version": decision.policy_version,
            # A paused agent run's provenance: which message, model and tool call asked for it.
            **(
                {
                    key: agent_run[key]
                    for key in ("model", "model_settings", "usage", "tool_call_id", "turn", "quote_version")
                    if key in agent_run
                }
                if agent_run
                else {}
            ),
        },
        outcome="pending",
        detail={"levels": decision.levels, "fired": request.fired},
    )
    return request


def cancel_pending(session: Session, *, deal_id: int, actor_id: str, clock: Clock, reason: str) -> list[int]:
    ids = list(
        session.scalars(
            update(ApprovalRequest)
            .where(ApprovalRequest.deal_id == deal_id, ApprovalRequest.status == ApprovalStatus.PENDING)
            .values(status=ApprovalStatus.CANCELLED, decided_at=clock.now())
            .returning(ApprovalRequest.id)
        )
    )
    for request_id in ids:
        settle_quote(session, session.get_one(ApprovalRequest, request_id))
        audit.record(
            session,
            clock=clock,
            actor_type="user",
            actor_id=actor_id,
            action="approval.cancel",
            subject=f"approval:{request_id}",
            deal_id=deal_id,
            outcome="cancelled",
            detail={"reason": reason},
        )
    return ids


def approvers_of(policy: Policy, level: str) -> list[str]:
    return policy.levels[level].approvers


@dataclass(frozen=True)
class Outcome:
    request: ApprovalRequest
    step_level: str
    decision: Decision
    final: bool  # the request as a whole is decided now
    repeated: bool = False  # this job had recorded it already (a re-run): nothing new was decided


def decide(
    session: Session,
    *,
    request_id: int,
    actor_id: str,
    actor_groups: set[str],
    decision: Decision,
    reason: str | None,
    policy: Policy,
    clock: Clock,
    origin: str | None = None,
) -> Outcome:
    """Record one level's decision by an authorized approver, exactly once.

    `origin` names the job deciding (its click): that job, run again after a crash or a failed
    Web API call, gets its own earlier decision back instead of AlreadyDecided. What the decision
    changes for people (the card, the deal thread, the requester, the proposal) is an
    `approval.decided` job queued here, in the deciding transaction, so none of it is lost.
    """
    # Decisions on one request are serialised by its row lock (PostgreSQL; SQLite has one writer),
    # so the last of several levels sees the others' decisions and closes the request.
    request = session.scalars(select(ApprovalRequest).where(ApprovalRequest.id == request_id).with_for_update()).first()
    if request is None:
        raise RequestNotFound("That approval request does not exist; I did nothing.")
    earlier = _decided_by_origin(session, request, origin=origin, actor_id=actor_id, decision=decision)
    if earlier is not None:
        return earlier
    if request.status != ApprovalStatus.PENDING:
        raise AlreadyDecided(f"This request was already {request.status.replace('_', ' ')}.")
    if actor_id == request.requester:
        raise NotAuthorized("You asked for this approval, so someone else must decide it (four-eyes rule).")
    if decision != "approved" and not (reason or "").strip():
        raise ApprovalError("A reason is required to reject or request changes.")
    steps = list(
        session.scalars(select(ApprovalStep).where(ApprovalStep.request_id == request_id).order_by(ApprovalStep.id))
    )
    mine = [
        step
        for step in steps
        if step.status == StepStatus.PENDING and ({actor_id} | actor_groups) & set(approvers_of(policy, step.level))
    ]
    if not mine:
        levels = ", ".join(policy.levels[s.level].name for s in steps if s.status == StepStatus.PENDING)
        raise NotAuthorized(f"Only approvers for {levels or 'this request'} can decide it; I did nothing.")
    step = mine[0]
    now = clock.now()
    won = session.execute(
        update(ApprovalStep)
        .where(ApprovalStep.id == step.id, ApprovalStep.status == StepStatus.PENDING)
        .values(status=decision, decided_by=actor_id, decided_at=now, reason=reason, origin=origin)
        .returning(ApprovalStep.id)
    ).first()
    if won is None:
        raise AlreadyDecided("Someone else decided this a moment ago.")
    remaining = [s for s in steps_of(session, request_id) if s.status == StepStatus.PENDING]
    final_status = decision if decision != "approved" else ("approved" if not remaining else None)
    final = False
    if final_status is not None:
        final = (
            session.execute(
                update(ApprovalRequest)
                .where(ApprovalRequest.id == request_id, ApprovalRequest.status == ApprovalStatus.PENDING)
                .values(status=final_status, decided_at=now)
                .returning(ApprovalRequest.id)
            ).first()
            is not None
        )
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=actor_id,
        action="approval.decide",
        subject=f"approval:{request_id}",
        deal_id=request.deal_id,
        inputs={"level": step.level, "policy_version": request.policy_version},
        outcome=decision,
        detail={"reason": reason, "request_final": final},
    )
    events.publish_event(
        session,
        events.ApprovalDecided(
            id=events.event_id_for(f"approval:{request_id}:step:{step.id}:decided"),
            occurred_at=now,
            deal_id=request.deal_id,
            data=events.ApprovalDecision(
                request_id=request_id,
                quote_id=request.quote_id,
                level=step.level,
                decision=decision,
                decided_by=actor_id,
                reason=reason,
                final=final,
                policy_version=request.policy_version,
            ),
        ),
        clock=clock,
    )
    session.refresh(request)
    # People hear of the decision first; then a paused run resumes and answers in the thread.
    jobs.enqueue(
        session,
        job=ApprovalDecided(request_id=request_id, step_id=step.id, final=final),
        clock=clock,
        dedupe_key=f"approval:{request_id}:step:{step.id}:decided",
    )
    if final:
        settle_quote(session, request)
        resume_agent(session, request, clock=clock)
    return Outcome(request=request, step_level=step.level, decision=decision, final=final)


def _decided_by_origin(
    session: Session, request: ApprovalRequest, *, origin: str | None, actor_id: str, decision: Decision
) -> Outcome | None:
    """The decision this job already recorded (same actor, same decision), when it runs again; else None."""
    if origin is None:
        return None
    step = session.scalars(
        select(ApprovalStep).where(ApprovalStep.request_id == request.id, ApprovalStep.origin == origin)
    ).first()
    if step is None or step.decided_by != actor_id or step.status != decision:
        return None
    return Outcome(request=request, step_level=step.level, decision=decision, final=False, repeated=True)


def request_of_quote(session: Session, quote_id: int) -> ApprovalRequest | None:
    """The approval request a quote was sent for; None when it was within the rep's authority."""
    return session.scalars(select(ApprovalRequest).where(ApprovalRequest.quote_id == quote_id)).first()


# What a quote waiting on people becomes when its request is closed, whichever way it closes.
QUOTE_OUTCOME = {
    ApprovalStatus.APPROVED: QuoteStatus.APPROVED,
    ApprovalStatus.REJECTED: QuoteStatus.REJECTED,
    ApprovalStatus.CHANGES_REQUESTED: QuoteStatus.CHANGES_REQUESTED,
    ApprovalStatus.EXPIRED: QuoteStatus.EXPIRED,
    ApprovalStatus.CANCELLED: QuoteStatus.SUPERSEDED,
}


def settle_quote(session: Session, request: ApprovalRequest) -> None:
    """The one place a quote that needed approval takes its request's outcome (in the closing transaction)."""
    session.execute(
        update(QuoteRecord)
        .where(QuoteRecord.id == request.quote_id, QuoteRecord.status == QuoteStatus.NEEDS_APPROVAL)
        .values(status=QUOTE_OUTCOME[ApprovalStatus(request.status)])
    )


def expire_request(session: Session, request: ApprovalRequest, *, clock: Clock) -> bool:
    """Close a pending request nobody decided in time; False when it was decided meanwhile."""
    won = session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == request.id, ApprovalRequest.status == ApprovalStatus.PENDING)
        .values(status=ApprovalStatus.EXPIRED, decided_at=clock.now())
        .returning(ApprovalRequest.id)
    ).first()
    if won is None:
        return False
    session.refresh(request)
    settle_quote(session, request)
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
    events.publish_event(
        session,
        events.ApprovalDecided(
            id=events.event_id_for(f"approval:{request.id}:expired"),
            occurred_at=clock.now(),
            deal_id=request.deal_id,
            data=events.ApprovalDecision(
                request_id=request.id,
                quote_id=request.quote_id,
                level=None,
                decision="expired",
                decided_by="sla",
                reason=None,
                final=True,
                policy_version=request.policy_version,
            ),
        ),
        clock=clock,
    )
    resume_agent(session, request, clock=clock)
    return True


def resume_agent(session: Session, request: ApprovalRequest, *, clock: Clock) -> None:
    """Queue the paused agent run's resumption with this request's outcome, in the deciding transaction."""
    if request.agent_run:
        jobs.enqueue(
            session,
            job=ResumeRun(request_id=request.id),
            clock=clock,
            dedupe_key=f"approval:{request.id}:resume",
        )


def steps_of(session: Session, request_id: int) -> list[ApprovalStep]:
    return list(
        session.scalars(select(ApprovalStep).where(ApprovalStep.request_id == request_id).order_by(ApprovalStep.id))
    )


def waiting_for(
    session: Session, *, user_id: str, groups: set[str], policy: Policy
) -> tuple[list[ApprovalRequest], list[ApprovalRequest]]:
    """(pending requests this person may decide, pending requests this person asked for)."""
    pending = list(
        session.scalars(
            select(ApprovalRequest).where(ApprovalRequest.status == ApprovalStatus.PENDING).order_by(ApprovalRequest.id)
        )
    )
    identities = {user_id} | groups
    mine_to_decide = [
        request
        for request in pending
        if request.requester != user_id
        and any(
            step.status == StepStatus.PENDING and identities & set(approvers_of(policy, step.level))
            for step in steps_of(session, request.id)
        )
    ]
    asked = [request for request in pending if request.requester == user_id]
    return mine_to_decide, asked


def decide_request(
    session_factory: sessionmaker[Session],
    *,
    ask: DecideApproval,
    actor_groups: set[str],
    policy: Policy,
    clock: Clock,
    origin: str | None = None,
) -> Outcome:
    """A click on an approval card, in its own transaction: the step's decision, and when it closes the
    request, the quote's new status, the paused run's resumption and the job that tells people (see `decide`)."""
    with session_factory() as session, session.begin():
        return decide(
            session,
            request_id=ask.request_id,
            actor_id=ask.user_id,
            actor_groups=actor_groups,
            decision=ask.decision,
            reason=ask.reason,
            policy=policy,
            clock=clock,
            origin=origin,
        )
