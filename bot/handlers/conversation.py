"""A conversation turn: the rep's message through the discovery agent, the reply posted in place.

Order matters for a job that may be re-run: the status message is posted once (keyed);
the agent's results, history, messages and audit commit in one transaction; then the
status message is replaced by the reply and the deal card refreshed, both of which are
harmless to repeat. A re-run after the commit skips the agent and only re-renders.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

from pydantic_ai.exceptions import ModelHTTPError, UnexpectedModelBehavior, UsageLimitExceeded
from pydantic_ai.messages import ModelMessagesTypeAdapter
from sqlalchemy import select

from agents.discovery import DiscoveryDeps, TurnOutcome, bounded_history, run_turn
from agents.models import is_external
from agents.offline.discovery_model import offline_discovery
from agents.prompts import turn_prompt
from bot.handlers import paused_runs
from bot.runtime import Runtime
from bot.views.deal import deal_card, deal_card_text
from bot.views.reply import notice_blocks, reply_blocks, working_blocks
from bot.views.text import as_dicts
from core import access, audit, deals, provenance
from core.clock import Clock
from core.jobs import ClaimedJob
from core.models import Conversation, Deal, Message
from core.qualification import FIELD_LABELS, display_value
from core.redaction import redact
from core.worker import RetryLater

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnInput:
    channel_id: str
    thread_ts: str
    message_ts: str
    user_id: str
    text: str
    kind: str  # deal | thread | mention | dm


@dataclass(frozen=True)
class ThreadContext:
    conversation_id: int
    deal_id: int | None
    account_name: str | None
    record: dict[str, Any] | None
    history: list[Any]
    turns: int  # how many turns the history held when this one started
    reply_given: str | None  # set when a previous run of this job already answered
    refusal: str | None  # why this person may not work on the thread's deal, if they may not


def _load_context(runtime: Runtime, turn: TurnInput, who: access.Identity) -> ThreadContext:
    with runtime.session_factory() as session, session.begin():
        conversation = deals.get_or_start_conversation(
            session,
            channel_id=turn.channel_id,
            thread_ts=turn.thread_ts,
            kind="mention" if turn.kind == "mention" else turn.kind,
            started_by=turn.user_id,
            clock=runtime.clock,
        )
        done = session.scalar(
            select(Message.text).where(
                Message.conversation_id == conversation.id,
                Message.role == "bot",
                Message.slack_ts == f"reply:{turn.message_ts}",
            )
        )
        record, account_name, refusal = None, None, None
        if conversation.deal_id is not None:
            deal = session.get_one(Deal, conversation.deal_id)
            record, account_name = deal.qualification, deal.account.name
            try:
                access.check(session, who, access.Action.CHANGE_DEAL, deal)
            except access.Forbidden as exc:
                refusal = str(exc)
        return ThreadContext(
            conversation_id=conversation.id,
            deal_id=conversation.deal_id,
            account_name=account_name,
            record=record,
            history=list(conversation.history or []),
            turns=conversation.turns,
            reply_given=done,
            refusal=refusal,
        )


def _with_concurrent_turns(conversation: Conversation, outcome: TurnOutcome, turns_seen: int) -> list[Any]:
    """This turn's history; if other turns were saved while it ran, theirs are kept and this one follows."""
    if conversation.turns == turns_seen:
        return outcome.history
    earlier = list(conversation.history or [])
    merged = ModelMessagesTypeAdapter.validate_python(earlier + paused_runs.this_turn(outcome.history))
    return ModelMessagesTypeAdapter.dump_python(bounded_history(merged), mode="json")


def _save_turn(
    runtime: Runtime,
    turn: TurnInput,
    conversation_id: int,
    outcome: TurnOutcome,
    reply_text: str,
    judgement: paused_runs.Judgement | None = None,
    turns_seen: int = 0,
) -> None:
    """Everything the turn decided, in one transaction: messages, history, facts, risks, quotes, approvals."""
    clock: Clock = runtime.clock
    deps = outcome.deps
    paused = judgement is not None and judgement.pending is not None
    with runtime.session_factory() as session, session.begin():
        # Two messages in one thread can run at once on two workers: lock the conversation (and
        # below, the deal) so neither overwrites the other's turn.
        conversation = session.get_one(Conversation, conversation_id, with_for_update=True)
        deals.record_message(
            session,
            conversation,
            slack_ts=turn.message_ts,
            user_id=turn.user_id,
            role="rep",
            text=turn.text,
            clock=clock,
        )
        deals.record_message(
            session,
            conversation,
            slack_ts=f"reply:{turn.message_ts}",
            user_id=None,
            role="bot",
            text=reply_text,
            clock=clock,
        )
        if not paused:  # a paused run's history is kept with its approval request until it resumes
            conversation.history = _with_concurrent_turns(conversation, outcome, turns_seen)
        conversation.turns = Conversation.turns + 1  # in SQL: a concurrent save cannot lose the count
        conversation.updated_at = clock.now()
        source = {
            "slack_message_ts": turn.message_ts,
            "channel": turn.channel_id,
            "model": outcome.model_name,
        }
        model = provenance.model_of(runtime.settings)
        if deps.deal_id is not None:
            deal = deals.get_deal(session, deps.deal_id, for_update=True)
            for update, evidence in deps.updates:
                deals.apply_qualification(
                    session,
                    deal,
                    update,
                    clock=clock,
                    actor_type="model",
                    actor_id=outcome.model_name,
                    source=source,
                    evidence=evidence,
                )
            if judgement is not None:
                paused_runs.persist(
                    session,
                    runtime,
                    deal_id=deal.id,
                    user_id=turn.user_id,
                    judgement=judgement,
                    outcome=outcome,
                    conversation_id=conversation_id,
                    turn={"channel": turn.channel_id, "thread_ts": turn.thread_ts, "message_ts": turn.message_ts},
                )
            for risk in deps.risks:
                audit.record(
                    session,
                    clock=clock,
                    actor_type="model",
                    actor_id=outcome.model_name,
                    action="deal.risk_flagged",
                    subject=f"deal:{deal.id}",
                    deal_id=deal.id,
                    inputs=source,
                    outcome=risk.kind,
                    detail={"reason": risk.reason},
                )
        audit.record(
            session,
            clock=clock,
            actor_type="model",
            actor_id=outcome.model_name,
            action="agent.turn",
            subject=f"conversation:{conversation_id}",
            deal_id=deps.deal_id,
            inputs={
                **source,
                "model_settings": model,
                "chunks": provenance.chunks_of(deps.passages),
                "record_before": deps.record.model_dump(mode="json", exclude_defaults=True) if deps.record else None,
            },
            outcome="replied",
            detail={"usage": outcome.usage, "risks": len(deps.risks), "updates": len(deps.updates)},
        )


async def refresh_deal_card(runtime: Runtime, deal_id: int) -> None:
    def load() -> tuple[str | None, str | None, str, list[dict[str, Any]]]:
        with runtime.session_factory() as session:
            deal = deals.get_deal(session, deal_id)
            record = deals.qualification_of(deal)
            assessment = deals.assessment_of(deal)
            return (
                deal.channel_id,
                deal.thread_ts,
                deal_card_text(deal, assessment),
                as_dicts(deal_card(deal, record, assessment)),
            )

    channel, ts, text, blocks = await asyncio.to_thread(load)
    if channel and ts:
        await runtime.gateway.update_message(channel=channel, ts=ts, text=text, blocks=blocks, deal_id=deal_id)


async def take_turn(runtime: Runtime, turn: TurnInput) -> None:
    """Run one rep message through discovery and show the reply where the rep wrote."""
    async with runtime.thread_lock(turn.channel_id, turn.thread_ts):
        await _take_turn(runtime, turn)


async def _take_turn(runtime: Runtime, turn: TurnInput) -> None:
    who = await runtime.who(turn.user_id)  # roles: user groups are cached, so usually no call
    context = await asyncio.to_thread(_load_context, runtime, turn, who)
    deal_id, done = context.deal_id, context.reply_given
    if done is None and context.refusal is not None:
        await runtime.gateway.post_ephemeral(
            key=f"turn:{turn.channel_id}:{turn.message_ts}:refused",
            channel=turn.channel_id,
            user=turn.user_id,
            text=f":no_entry: {context.refusal} I did not record anything from your message.",
        )
        return
    status = await runtime.gateway.post_message(
        key=f"turn:{turn.channel_id}:{turn.message_ts}:status",
        channel=turn.channel_id,
        thread_ts=turn.thread_ts if turn.kind != "dm" or turn.thread_ts != turn.channel_id else None,
        text="Working on it…",
        blocks=as_dicts(working_blocks()),
        deal_id=deal_id,
    )
    if done is None:
        settings = runtime.settings
        text = _without_bot_mention(turn.text, runtime)
        if is_external(settings.model) and settings.redact_before_model:
            text = redact(text)
        deps = DiscoveryDeps(
            record=deals.Qualification.model_validate(context.record) if context.record is not None else None,
            deal_id=deal_id,
            user_id=turn.user_id,
            today=runtime.clock.now().date(),
            search=runtime.knowledge_search,
            crm=runtime.crm,
            account_name=context.account_name,
        )
        try:
            outcome = await run_turn(
                prompt=turn_prompt(user=f"<@{turn.user_id}>", day=deps.today, text=text),
                deps=deps,
                history_json=context.history,
                model=runtime.model_for(offline_discovery),
                model_name=settings.model,
            )
        except (ModelHTTPError, UnexpectedModelBehavior, UsageLimitExceeded, TimeoutError) as exc:
            logger.warning("discovery turn failed: %s", exc)
            notice = (
                ":warning: I could not finish that one: the model did not answer properly. "
                "Your message is kept and I will try again shortly."
            )
            await runtime.gateway.update_message(
                channel=status.channel,
                ts=status.ts,
                text=notice,
                blocks=as_dicts(notice_blocks(notice)),
                deal_id=deal_id,
            )
            raise RetryLater(f"model: {type(exc).__name__}: {exc}") from exc
        judgement = None
        if outcome.deferred is not None:
            # The model asked to commit a quote: code prices it and the policy decides who must approve.
            judgement = await asyncio.to_thread(paused_runs.judge, runtime, deal_id, outcome)
            if judgement.pending is None:
                try:
                    outcome = await run_turn(
                        prompt=None,
                        deps=outcome.deps,
                        history_json=outcome.history,
                        model=runtime.model_for(offline_discovery),
                        model_name=settings.model,
                        decisions=judgement.results,
                    )
                except paused_runs.MODEL_FAILURES as exc:
                    raise RetryLater(f"model: {type(exc).__name__}: {exc}") from exc
        if outcome.reply is not None:
            done = _render_stored(outcome.reply.reply, outcome.reply.next_questions)
        elif judgement is not None and judgement.pending is not None:
            done = _render_stored(_noted(outcome.deps) + paused_runs.paused_reply(judgement, runtime), [])
        else:
            done = "I could not finish that one; please ask again."
        await asyncio.to_thread(
            _save_turn, runtime, turn, context.conversation_id, outcome, done, judgement, context.turns
        )
    await runtime.gateway.update_message(
        channel=status.channel,
        ts=status.ts,
        text=done,
        blocks=as_dicts(reply_blocks(done, model=runtime.settings.model)),
        deal_id=deal_id,
    )
    if deal_id is not None:
        await refresh_deal_card(runtime, deal_id)


def _noted(deps: DiscoveryDeps) -> str:
    """The facts a paused turn changed, said before the approval notice."""
    record, changed = deps.record or deals.Qualification(), set()
    for update, _ in deps.updates:
        record, changes = record.merged(update)
        changed |= set(changes)
    facts = [f"*{FIELD_LABELS[name]}:* {display_value(record, name)}" for name in FIELD_LABELS if name in changed]
    return f"Noted — {' · '.join(facts)}\n" if facts else ""


def _without_bot_mention(text: str, runtime: Runtime) -> str:
    if runtime.identity is None:
        return text
    return re.sub(rf"<@{runtime.identity.user_id}>\s*", "", text).strip() or text


def _render_stored(reply: str, questions: list[str]) -> str:
    """The reply as posted and stored: the answer, then the next questions as a list."""
    if not questions:
        return reply
    asks = "\n".join(f"• {q}" for q in questions)
    return f"{reply}\n\n*Next, could you find out:*\n{asks}"


async def handle_turn(runtime: Runtime, job: ClaimedJob) -> None:
    payload = job.payload
    await take_turn(
        runtime,
        TurnInput(
            channel_id=payload["channel_id"],
            thread_ts=payload["thread_ts"],
            message_ts=payload["message_ts"],
            user_id=payload["user_id"],
            text=payload["text"],
            kind=payload["kind"],
        ),
    )
