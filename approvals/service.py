"""The approval lifecycle: request, decide exactly once, cancel when superseded. Slack-agnostic.

A decision is a conditional UPDATE of a pending step by an authorized approver, so a double
click, a retried delivery or two approvers at the same moment produce one decision; the
others learn it was already decided. The requester never approves their own request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from approvals.policy import Policy, PolicyDecision
from core import audit, jobs
from core.clock import Clock
from core.models import ApprovalRequest, ApprovalStep

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
        status="pending",
        summary=summary,
        fired=[rule.model_dump() for rule in decision.fired],
        policy_version=decision.policy_version,
        agent_run=agent_run,
        created_at=clock.now(),
    )
    session.add(request)
    session.flush()
    for level in decision.levels:
        session.add(ApprovalStep(request_id=request.id, level=level, status="pending", created_at=clock.now()))
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
            .where(ApprovalRequest.deal_id == deal_id, ApprovalRequest.status == "pending")
            .values(status="cancelled", decided_at=clock.now())
            .returning(ApprovalRequest.id)
        )
    )
    for request_id in ids:
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
) -> Outcome:
    """Record one level's decision by an authorized approver, exactly once."""
    # Decisions on one request are serialised by its row lock (PostgreSQL; SQLite has one writer),
    # so the last of several levels sees the others' decisions and closes the request.
    request = session.scalars(select(ApprovalRequest).where(ApprovalRequest.id == request_id).with_for_update()).first()
    if request is None:
        raise RequestNotFound("That approval request does not exist; I did nothing.")
    if request.status != "pending":
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
        if step.status == "pending" and ({actor_id} | actor_groups) & set(approvers_of(policy, step.level))
    ]
    if not mine:
        levels = ", ".join(policy.levels[s.level].name for s in steps if s.status == "pending")
        raise NotAuthorized(f"Only approvers for {levels or 'this request'} can decide it; I did nothing.")
    step = mine[0]
    now = clock.now()
    won = session.execute(
        update(ApprovalStep)
        .where(ApprovalStep.id == step.id, ApprovalStep.status == "pending")
        .values(status=decision, decided_by=actor_id, decided_at=now, reason=reason)
        .returning(ApprovalStep.id)
    ).first()
    if won is None:
        raise AlreadyDecided("Someone else decided this a moment ago.")
    remaining = [s for s in steps_of(session, request_id) if s.status == "pending"]
    final_status = decision if decision != "approved" else ("approved" if not remaining else None)
    final = False
    if final_status is not None:
        final = (
            session.execute(
                update(ApprovalRequest)
                .where(ApprovalRequest.id == request_id, ApprovalRequest.status == "pending")
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
    session.refresh(request)
    if final:
        resume_agent(session, request, clock=clock)
    return Outcome(request=request, step_level=step.level, decision=decision, final=final)


def resume_agent(session: Session, request: ApprovalRequest, *, clock: Clock) -> None:
    """Queue the paused agent run's resumption with this request's outcome, in the deciding transaction."""
    if request.agent_run:
        jobs.enqueue(
            session,
            kind="approval.resume",
            payload={"request_id": request.id},
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
        session.scalars(select(ApprovalRequest).where(ApprovalRequest.status == "pending").order_by(ApprovalRequest.id))
    )
    identities = {user_id} | groups
    mine_to_decide = [
        request
        for request in pending
        if request.requester != user_id
        and any(
            step.status == "pending" and identities & set(approvers_of(policy, step.level))
            for step in steps_of(session, request.id)
        )
    ]
    asked = [request for request in pending if request.requester == user_id]
    return mine_to_decide, asked
