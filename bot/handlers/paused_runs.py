"""Agent runs that pause on `commit_quote` and resume with a person's decision.

The model asks to commit a quote; code prices it (CPQ) and the governed policy judges it. Within
the rep's authority the call is approved at once, by the policy. Otherwise the run's history is
stored with an approval request, in the turn's own transaction, and the run ends; when the request
is decided (or expires), a job resumes it from the database with `DeferredToolResults`, so any
replica, after any restart, can pick it up.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_ai import DeferredToolResults, ToolApproved, ToolDenied
from pydantic_ai.exceptions import ModelHTTPError, UnexpectedModelBehavior, UsageLimitExceeded
from pydantic_ai.messages import ModelMessagesTypeAdapter, ModelRequest, UserPromptPart
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agents.discovery import HISTORY_TURNS, DiscoveryDeps, QuoteAsk, TurnOutcome, bounded_history, run_turn
from agents.offline.discovery_model import offline_discovery
from approvals import service as approval_service
from approvals.policy import PolicyDecision, card_channel
from bot.handlers.followups import draft_proposal
from bot.runtime import Runtime
from core import audit, deals, jobs, provenance
from core.jobs import ClaimedJob
from core.models import ApprovalRequest, Conversation, Deal, Message, QuoteRecord
from core.qualification import format_money
from core.worker import RetryLater
from integrations.cpq import service as cpq
from integrations.cpq.engine import Quote, QuoteRequest, price
from integrations.cpq.errors import QuoteRefused

logger = logging.getLogger(__name__)
MODEL_FAILURES = (ModelHTTPError, UnexpectedModelBehavior, UsageLimitExceeded, TimeoutError)


@dataclass
class Priced:
    """One `commit_quote` call, priced and judged."""

    tool_call_id: str
    request: QuoteRequest
    quote: Quote
    decision: PolicyDecision
    summary: str


@dataclass
class Judgement:
    """What code decided about a paused run's calls."""

    results: DeferredToolResults = field(default_factory=DeferredToolResults)
    committed: list[Priced] = field(default_factory=list)  # within the rep's authority: committed now
    pending: Priced | None = None  # needs people: the run stays paused on this call


def judge(runtime: Runtime, deal_id: int | None, outcome: TurnOutcome) -> Judgement:
    """Price each deferred call and let the policy decide; nothing is written here."""
    judgement = Judgement()
    policy, catalog = runtime.policy(), runtime.catalog()
    with runtime.session_factory() as session:
        deal = session.get(Deal, deal_id) if deal_id is not None else None
        next_version = (
            session.scalar(select(func.max(QuoteRecord.version)).where(QuoteRecord.deal_id == deal_id)) or 0
        ) + 1
        for call_id, name, args in outcome.pending_approvals():
            if name != "commit_quote" or deal is None:
                judgement.results.approvals[call_id] = ToolDenied("Quotes can only be committed in a deal thread.")
                continue
            try:
                ask = QuoteAsk.model_validate(args.get("ask", args))
                request = cpq.request_for_deal(
                    deal,
                    lines=[(line.sku.upper(), line.quantity) for line in ask.lines],
                    discount_pct=ask.discount_pct,
                    years=ask.years,
                    payment_terms_days=ask.payment_terms_days,
                    custom_sla=ask.custom_sla,
                    legal_changes=ask.legal_changes,
                )
                quote = price(request, catalog)
            except ValidationError as exc:
                judgement.results.approvals[call_id] = ToolDenied(f"That quote is malformed: {exc.errors()[0]['msg']}.")
                continue
            except QuoteRefused as exc:
                judgement.results.approvals[call_id] = ToolDenied(f"The pricing engine refused that quote: {exc}")
                continue
            priced = Priced(call_id, request, quote, cpq.approval_decision(quote, policy, request), "")
            priced.summary = cpq.summarize(quote, request)
            if priced.decision.needs_approval and judgement.pending is None:
                judgement.pending = priced
            elif priced.decision.needs_approval:
                judgement.results.approvals[call_id] = ToolDenied("One quote at a time goes for approval.")
            else:
                judgement.committed.append(priced)
                judgement.results.approvals[call_id] = ToolApproved()
                judgement.results.metadata[call_id] = {
                    "version": next_version,
                    "summary": priced.summary,
                    "total": format_money(quote.total, quote.currency),
                    "approved_by": None,
                }
                next_version += 1
    return judgement


def persist(
    session: Session,
    runtime: Runtime,
    *,
    deal_id: int,
    user_id: str,
    judgement: Judgement,
    outcome: TurnOutcome,
    conversation_id: int,
    turn: dict[str, Any],
) -> int | None:
    """Store committed quotes and, for a paused call, the quote, the request and the run. Returns the request id."""
    deal = deals.get_deal(session, deal_id)

    def store(priced: Priced) -> QuoteRecord:
        record, _, _ = cpq.create_quote(
            session,
            deal=deal,
            request=priced.request,
            catalog=runtime.catalog(),
            policy=runtime.policy(),
            actor_id=user_id,
            clock=runtime.clock,
        )
        return record

    for priced in judgement.committed:
        _audit_commit(session, runtime, store(priced), actor=outcome.model_name, by="policy")
    if judgement.pending is None:
        return None
    pending = judgement.pending
    record = store(pending)
    request = approval_service.request_approval(
        session,
        deal_id=deal_id,
        quote_id=record.id,
        requester=user_id,
        decision=pending.decision,
        summary=pending.summary,
        clock=runtime.clock,
        agent_run={
            "agent": "discovery",
            "model": outcome.model_name,
            "model_settings": provenance.model_of(runtime.settings),
            "usage": outcome.usage,
            "quote_version": record.version,
            "catalog_version": pending.quote.catalog_version,
            "history": outcome.history,
            "tool_call_id": pending.tool_call_id,
            "conversation_id": conversation_id,
            "turn": turn,
            "decided_now": _serialise(judgement.results),
        },
    )
    jobs.enqueue(
        session,
        kind="approval.card",
        payload={"request_id": request.id},
        clock=runtime.clock,
        dedupe_key=f"approval:{request.id}:card",
    )
    return request.id


def paused_reply(judgement: Judgement, runtime: Runtime) -> str:
    """What the rep reads while the run waits: what was asked, who decides, where."""
    assert judgement.pending is not None
    policy = runtime.policy()
    who = ", ".join(policy.levels[level].name for level in judgement.pending.decision.levels)
    why = "; ".join(rule.reason for rule in judgement.pending.decision.fired)
    channel = card_channel(policy, judgement.pending.decision.levels, runtime.settings.approvals_channel)
    return (
        f":lock: *{judgement.pending.summary}* needs approval before I can commit it ({why}). "
        f"I've sent it to {who} in #{channel} and will continue here when they decide."
    )


def _audit_commit(session: Session, runtime: Runtime, record: QuoteRecord, *, actor: str, by: str) -> None:
    audit.record(
        session,
        clock=runtime.clock,
        actor_type="model",
        actor_id=actor,
        action="quote.commit",
        subject=f"quote:{record.id}",
        deal_id=record.deal_id,
        inputs={"version": record.version, "approved_by": by},
        outcome=record.status,
    )


def _serialise(results: DeferredToolResults) -> dict[str, Any]:
    """Decisions code took at once for the run's other calls, replayed on resumption."""
    return {
        "approvals": {
            call_id: (
                {"kind": "tool-denied", "message": result.message}
                if isinstance(result, ToolDenied)
                else {"kind": "tool-approved"}
            )
            for call_id, result in results.approvals.items()
        },
        "metadata": results.metadata,
    }


# Resuming ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paused:
    request_id: int
    status: str
    deal_id: int
    requester: str
    run: dict[str, Any]
    quote_id: int
    quote_version: int
    summary: str
    decisions: list[tuple[str, str, str | None, str | None]]  # (level name, status, by, reason)
    record: dict[str, Any]
    account_name: str
    channel_id: str | None
    thread_ts: str | None
    reply_given: str | None


def _load_paused(runtime: Runtime, request_id: int) -> Paused:
    policy = runtime.policy()
    with runtime.session_factory() as session:
        request = session.get_one(ApprovalRequest, request_id)
        deal = deals.get_deal(session, request.deal_id)
        quote = session.get_one(QuoteRecord, request.quote_id)
        steps = approval_service.steps_of(session, request_id)
        given = session.scalar(select(Message.text).where(Message.slack_ts == f"resume:{request_id}"))
        return Paused(
            request_id=request_id,
            status=request.status,
            deal_id=deal.id,
            requester=request.requester,
            run=dict(request.agent_run or {}),
            quote_id=quote.id,
            quote_version=quote.version,
            summary=request.summary,
            decisions=[
                (policy.levels[s.level].name if s.level in policy.levels else s.level, s.status, s.decided_by, s.reason)
                for s in steps
                if s.decided_by
            ],
            record=dict(deal.qualification or {}),
            account_name=deal.account.name,
            channel_id=deal.channel_id,
            thread_ts=deal.thread_ts,
            reply_given=given,
        )


def decisions_for(paused: Paused) -> DeferredToolResults:
    """The request's outcome as the paused call's result: approved runs the tool, anything else tells the model why."""
    call_id = paused.run["tool_call_id"]
    earlier = paused.run.get("decided_now") or {}
    results = DeferredToolResults(
        approvals={
            other: ToolApproved() if r["kind"] == "tool-approved" else ToolDenied(r["message"])
            for other, r in (earlier.get("approvals") or {}).items()
        },
        metadata=dict(earlier.get("metadata") or {}),
    )
    approvers = ", ".join(f"{level} (<@{by}>)" for level, status, by, _ in paused.decisions if status == "approved")
    if paused.status == "approved":
        results.approvals[call_id] = ToolApproved()
        results.metadata[call_id] = {
            "quote_id": paused.quote_id,
            "version": paused.quote_version,
            "summary": paused.summary,
            "approved_by": approvers,
        }
        return results
    refusal = next(((level, s, by, why) for level, s, by, why in paused.decisions if s != "approved"), None)
    if paused.status == "expired":
        message = f"Nobody decided in time: the approval request for {paused.summary} expired."
    elif refusal is not None:
        level, status, by, why = refusal
        verb = "rejected" if status == "rejected" else "asked for changes to"
        message = f"{level} (<@{by}>) {verb} {paused.summary}: {why}."
    else:
        message = f"The approval request for {paused.summary} was {paused.status.replace('_', ' ')}."
    results.approvals[call_id] = ToolDenied(message)
    return results


def this_turn(history: list[Any]) -> list[Any]:
    """The resumed run's last turn: from its user prompt to the end."""
    messages = ModelMessagesTypeAdapter.validate_python(history)
    starts = [
        i
        for i, m in enumerate(messages)
        if isinstance(m, ModelRequest) and any(isinstance(p, UserPromptPart) for p in m.parts)
    ]
    return ModelMessagesTypeAdapter.dump_python(messages[starts[-1] if starts else 0 :], mode="json")


def _save_resumed(runtime: Runtime, paused: Paused, outcome: TurnOutcome, reply: str) -> None:
    clock = runtime.clock
    with runtime.session_factory() as session, session.begin():
        request = session.get_one(ApprovalRequest, paused.request_id)
        if request.resumed_at is not None:
            return  # an earlier run of this job saved it
        request.resumed_at = clock.now()
        conversation = session.get_one(Conversation, paused.run["conversation_id"])
        # Other turns may have happened while the request waited: this turn joins the history after them.
        earlier = list(conversation.history or [])
        merged = ModelMessagesTypeAdapter.validate_python(earlier + this_turn(outcome.history))
        conversation.history = ModelMessagesTypeAdapter.dump_python(
            bounded_history(merged, turns=HISTORY_TURNS), mode="json"
        )
        conversation.updated_at = clock.now()
        deals.record_message(
            session,
            conversation,
            slack_ts=f"resume:{paused.request_id}",
            user_id=None,
            role="bot",
            text=reply,
            clock=clock,
        )
        quote = session.get_one(QuoteRecord, paused.quote_id)
        if outcome.deps.committed_quote is not None and quote.status == "needs_approval":
            quote.status = "approved"
            _audit_commit(session, runtime, quote, actor=outcome.model_name, by=f"approval:{paused.request_id}")
        elif outcome.deps.committed_quote is None and quote.status == "needs_approval":
            quote.status = paused.status
        audit.record(
            session,
            clock=clock,
            actor_type="model",
            actor_id=outcome.model_name,
            action="agent.resume",
            subject=f"approval:{paused.request_id}",
            deal_id=paused.deal_id,
            inputs={"tool_call_id": paused.run["tool_call_id"], "request_status": paused.status},
            outcome="committed" if outcome.deps.committed_quote else "not_committed",
            detail={"usage": outcome.usage},
        )


async def handle_resume(runtime: Runtime, job: ClaimedJob) -> None:
    """Resume the paused run with the decision; post its answer in the deal thread."""
    paused = await asyncio.to_thread(_load_paused, runtime, job.payload["request_id"])
    reply = paused.reply_given
    if reply is None:
        deps = DiscoveryDeps(
            record=deals.Qualification.model_validate(paused.record),
            deal_id=paused.deal_id,
            user_id=paused.requester,
            today=runtime.clock.now().date(),
            search=runtime.knowledge_search,
            crm=runtime.crm,
            account_name=paused.account_name,
        )
        try:
            outcome = await run_turn(
                prompt=None,
                deps=deps,
                history_json=paused.run["history"],
                model=runtime.model_for(offline_discovery),
                model_name=runtime.settings.model,
                decisions=decisions_for(paused),
            )
        except MODEL_FAILURES as exc:
            logger.warning("resuming approval %s failed: %s", paused.request_id, exc)
            raise RetryLater(f"model: {type(exc).__name__}: {exc}") from exc
        reply = outcome.reply.reply if outcome.reply else "The run paused again; ask me to quote it anew."
        await asyncio.to_thread(_save_resumed, runtime, paused, outcome, reply)
    if paused.channel_id and paused.thread_ts:
        await runtime.gateway.post_message(
            key=f"approval:{paused.request_id}:resumed",
            channel=paused.channel_id,
            thread_ts=paused.thread_ts,
            text=reply,
            deal_id=paused.deal_id,
        )
    if paused.status == "approved":
        await draft_proposal(runtime, request_id=paused.request_id, deal_id=paused.deal_id, requester=paused.requester)
