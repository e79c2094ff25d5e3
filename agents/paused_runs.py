"""Discovery runs that pause on `commit_quote` and resume with a person's decision.

The model asks to commit a quote; code prices it (CPQ) and the governed policy judges it. Within
the rep's authority the call is approved at once, by the policy. Otherwise the run's history is
stored with an approval request, in the turn's own transaction, and the run ends; when the request
is decided (or expires), a job resumes it from the database with `DeferredToolResults`, so any
replica, after any restart, can pick it up. Callers get plain results: no pydantic-ai types leave.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_ai import DeferredToolResults, ToolApproved, ToolDenied
from pydantic_ai.exceptions import ModelHTTPError, UnexpectedModelBehavior, UsageLimitExceeded
from sqlalchemy.orm import Session

from agents import history as stored_history
from agents import mrkdwn
from agents.discovery import DiscoveryDeps, QuoteAsk, TurnOutcome, run_turn
from agents.offline.discovery_model import offline_discovery
from agents.services import Services
from approvals import service as approval_service
from approvals.models import ApprovalRequest
from approvals.policy import PolicyDecision, card_channel
from core import audit, provenance
from deals import service as deals
from deals.models import Conversation, Deal, MessageRole
from deals.qualification import Qualification, format_money
from integrations.cpq import service as cpq
from integrations.cpq.catalog import BillingFrequency
from integrations.cpq.engine import Quote, QuoteRequest, price
from integrations.cpq.errors import QuoteRefused
from integrations.cpq.models import QuoteRecord

logger = logging.getLogger(__name__)
MODEL_FAILURES = (ModelHTTPError, UnexpectedModelBehavior, UsageLimitExceeded, TimeoutError)


class ModelFailed(Exception):
    """The model did not answer properly; the job that ran it should try again later."""


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

    @property
    def paused(self) -> bool:
        return self.pending is not None


def judge(services: Services, deal_id: int | None, outcome: TurnOutcome) -> Judgement:
    """Price each deferred call and let the policy decide; nothing is written here."""
    judgement = Judgement()
    with services.session_factory() as session:
        deal = deals.get_deal(session, deal_id) if deal_id is not None else None
        next_version = cpq.next_version(session, deal_id) if deal_id is not None else 1
        for call_id, name, args in outcome.pending_approvals():
            if name != "commit_quote" or deal is None:
                judgement.results.approvals[call_id] = ToolDenied("Quotes can only be committed in a deal thread.")
                continue
            priced = _price_call(services, deal, call_id, args, judgement.results)
            if priced is None:
                continue
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
                    "total": format_money(priced.quote.total, priced.quote.currency),
                    "terms": str(cpq.terms_asked(priced.request)),
                    "product_rules": cpq.rule_notes(priced.quote),
                    "approved_by": None,
                }
                next_version += 1
    return judgement


def _price_call(
    services: Services, deal: Deal, call_id: str, args: dict[str, Any], results: DeferredToolResults
) -> Priced | None:
    """The call's ask priced by CPQ and judged by the policy; a malformed or refused ask is denied."""
    try:
        ask = QuoteAsk.model_validate(args.get("ask", args))
        request = cpq.request_for_deal(
            deal,
            lines=[(line.sku.upper(), line.quantity) for line in ask.lines],
            discount_pct=ask.discount_pct,
            years=ask.years,
            catalog=services.catalog(),
            policy=services.policy(),
            payment_terms_days=ask.payment_terms_days,
            billing_frequency=BillingFrequency(ask.billing_frequency) if ask.billing_frequency else None,
            custom_sla=ask.custom_sla,
            legal_changes=ask.legal_changes,
            override_rules=ask.override_rules,
        )
        quote = price(request, services.catalog())
    except ValidationError as exc:
        results.approvals[call_id] = ToolDenied(f"That quote is malformed: {exc.errors()[0]['msg']}.")
        return None
    except QuoteRefused as exc:
        results.approvals[call_id] = ToolDenied(f"The pricing engine refused that quote: {exc}")
        return None
    policy = services.policy()
    decision = cpq.approval_decision(quote, policy, request)
    summary = cpq.summarize(quote, request, standard_payment_terms_days=policy.standard_payment_terms_days)
    return Priced(call_id, request, quote, decision, summary)


def persist(
    session: Session,
    services: Services,
    *,
    deal_id: int,
    user_id: str,
    judgement: Judgement,
    outcome: TurnOutcome,
    conversation_id: int,
    turn: dict[str, Any],
) -> int | None:
    """Commit the quotes the policy let through and, for a paused call, the quote, its approval request and
    the run (one path with `/lto quote`: cpq.commit_quote). Returns the approval request's id."""
    deal = deals.get_deal(session, deal_id)

    def commit(priced: Priced, agent_run: dict[str, Any] | None = None) -> cpq.CommittedQuote:
        return cpq.commit_quote(
            session,
            deal=deal,
            request=priced.request,
            catalog=services.catalog(),
            policy=services.policy(),
            actor_id=user_id,
            clock=services.clock,
            agent_run=agent_run,
        )

    for priced in judgement.committed:
        _audit_commit(session, services, commit(priced).record, actor=outcome.model_name, by="policy")
    if judgement.pending is None:
        return None
    pending = judgement.pending
    run = {
        "agent": "discovery",
        "model": outcome.model_name,
        "model_settings": provenance.model_of(services.settings),
        "usage": outcome.usage,
        "catalog_version": pending.quote.catalog_version,
        "history": outcome.history,
        "tool_call_id": pending.tool_call_id,
        "conversation_id": conversation_id,
        "turn": turn,
        "decided_now": _serialise(judgement.results),
        "quote_version": cpq.next_version(session, deal_id),
    }
    return commit(pending, agent_run=run).approval_request_id


def paused_reply(judgement: Judgement, services: Services) -> str:
    """What the rep reads while the run waits: what was asked, who decides, where."""
    assert judgement.pending is not None
    policy = services.policy()
    who = ", ".join(policy.levels[level].name for level in judgement.pending.decision.levels)
    why = "; ".join(rule.reason for rule in judgement.pending.decision.fired)
    channel = card_channel(policy, judgement.pending.decision.levels, services.settings.approvals_channel)
    rules = "".join(f"\n• {note}" for note in cpq.rule_notes(judgement.pending.quote))
    return (
        f":lock: *{judgement.pending.summary}* needs approval before I can commit it ({why}). "
        f"I've sent it to {who} in #{channel} and will continue here when they decide.{rules}"
    )


def _audit_commit(session: Session, services: Services, record: QuoteRecord, *, actor: str, by: str) -> None:
    audit.record(
        session,
        clock=services.clock,
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
    terms: str  # the quote's commercial terms as the rep reads them
    rules: list[str]  # the product rules CPQ applied or suggested, worth a line
    decisions: list[tuple[str, str, str | None, str | None]]  # (level name, status, by, reason)
    record: dict[str, Any]
    account_name: str
    channel_id: str | None
    thread_ts: str | None
    reply_given: str | None


@dataclass(frozen=True)
class Resumed:
    """What the resumed run said, and where: the caller posts it in the deal thread."""

    request_id: int
    status: str  # the request's outcome: approved, rejected, changes_requested, expired
    deal_id: int
    requester: str
    reply: str
    channel_id: str | None
    thread_ts: str | None


def _load_paused(services: Services, request_id: int) -> Paused:
    policy = services.policy()
    with services.session_factory() as session:
        request = session.get_one(ApprovalRequest, request_id)
        deal = deals.get_deal(session, request.deal_id)
        quote = session.get_one(QuoteRecord, request.quote_id)
        steps = approval_service.steps_of(session, request_id)
        return Paused(
            request_id=request_id,
            status=request.status,
            deal_id=deal.id,
            requester=request.requester,
            run=dict(request.agent_run or {}),
            quote_id=quote.id,
            quote_version=quote.version,
            summary=request.summary,
            terms=str(quote.terms),
            rules=cpq.rule_notes(Quote.model_validate(quote.quote)),
            decisions=[
                (policy.levels[s.level].name if s.level in policy.levels else s.level, s.status, s.decided_by, s.reason)
                for s in steps
                if s.decided_by
            ],
            record=dict(deal.qualification or {}),
            account_name=deal.account.name,
            channel_id=deal.channel_id,
            thread_ts=deal.thread_ts,
            reply_given=deals.bot_message(session, slack_ts=f"resume:{request_id}"),
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
            "terms": paused.terms,
            "product_rules": paused.rules,
            "approved_by": approvers,
        }
        return results
    results.approvals[call_id] = ToolDenied(_refusal(paused))
    return results


def _refusal(paused: Paused) -> str:
    refusal = next(((level, s, by, why) for level, s, by, why in paused.decisions if s != "approved"), None)
    if paused.status == "expired":
        return f"Nobody decided in time: the approval request for {paused.summary} expired."
    if refusal is not None:
        level, status, by, why = refusal
        verb = "rejected" if status == "rejected" else "asked for changes to"
        return f"{level} (<@{by}>) {verb} {paused.summary}: {why}."
    return f"The approval request for {paused.summary} was {paused.status.replace('_', ' ')}."


def _save_resumed(services: Services, paused: Paused, outcome: TurnOutcome, reply: str) -> None:
    """The resumed turn joins the conversation (after any turns taken while it waited), with its reply."""
    clock = services.clock
    with services.session_factory() as session, session.begin():
        request = session.get_one(ApprovalRequest, paused.request_id)
        if request.resumed_at is not None:
            return  # an earlier run of this job saved it
        request.resumed_at = clock.now()
        conversation = session.get_one(Conversation, paused.run["conversation_id"])
        conversation.history = stored_history.append_turn(conversation.history, outcome.history)
        conversation.updated_at = clock.now()
        deals.record_message(
            session,
            conversation,
            slack_ts=f"resume:{paused.request_id}",
            user_id=None,
            role=MessageRole.BOT,
            text=reply,
            clock=clock,
        )
        committed = outcome.deps.committed_quote is not None
        if committed:  # the quote's status was set when the request was decided (approvals.service)
            quote = session.get_one(QuoteRecord, paused.quote_id)
            _audit_commit(session, services, quote, actor=outcome.model_name, by=f"approval:{paused.request_id}")
        audit.record(
            session,
            clock=clock,
            actor_type="model",
            actor_id=outcome.model_name,
            action="agent.resume",
            subject=f"approval:{paused.request_id}",
            deal_id=paused.deal_id,
            inputs={"tool_call_id": paused.run["tool_call_id"], "request_status": paused.status},
            outcome="committed" if committed else "not_committed",
            detail={"usage": outcome.usage},
        )


async def resume(services: Services, request_id: int) -> Resumed:
    """Resume the paused run with the request's outcome and keep its answer (once: a re-run reuses it).
    Raises ModelFailed when the model does not answer properly."""
    paused = await asyncio.to_thread(_load_paused, services, request_id)
    reply = paused.reply_given
    if reply is None:
        deps = DiscoveryDeps(
            record=Qualification.model_validate(paused.record),
            deal_id=paused.deal_id,
            user_id=paused.requester,
            today=services.clock.now().date(),
            search=services.knowledge_search,
            crm=services.crm,
            account_name=paused.account_name,
        )
        try:
            outcome = await run_turn(
                prompt=None,
                deps=deps,
                history_json=paused.run["history"],
                model=services.model_for(offline_discovery),
                model_name=services.settings.model,
                decisions=decisions_for(paused),
            )
        except MODEL_FAILURES as exc:
            logger.warning("resuming approval %s failed: %s", request_id, exc)
            raise ModelFailed(f"model: {type(exc).__name__}: {exc}") from exc
        reply = outcome.reply.reply if outcome.reply else "The run paused again; ask me to quote it anew."
        # It may echo an approver's reason or the rep's words: they cannot ping a channel or hide a link.
        people = {paused.requester, *(by for _, _, by, _ in paused.decisions if by)}
        sources = {passage.source for passage in outcome.deps.passages}
        reply = mrkdwn.untrusted(reply, links=sources, users=people)
        await asyncio.to_thread(_save_resumed, services, paused, outcome, reply)
    return Resumed(
        request_id=request_id,
        status=paused.status,
        deal_id=paused.deal_id,
        requester=paused.requester,
        reply=reply,
        channel_id=paused.channel_id,
        thread_ts=paused.thread_ts,
    )
