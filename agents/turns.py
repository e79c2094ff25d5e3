"""A discovery turn: one rep message through the discovery agent, and everything it decided, saved at once.

Order matters for a job that may be re-run: the agent's results, history, messages and audit
commit in one transaction; a re-run after the commit finds the stored reply and skips the agent.
Facts are applied by the deal's own rules (deals.service), quotes by CPQ's one path, approvals
by the policy: the model proposes, code decides.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from agents import history as stored_history
from agents import mrkdwn, paused_runs
from agents.discovery import DiscoveryDeps, MeetingScheduler, TurnOutcome, run_turn
from agents.models import is_external
from agents.offline.discovery_model import offline_discovery
from agents.prompts import turn_prompt
from agents.services import Services
from core import audit, provenance
from core.job_kinds import TakeTurn
from core.redaction import redact
from deals import access, next_steps
from deals import service as deals
from deals.inspection import QuoteFacts, inspect, latest_quote_facts, score_caps
from deals.models import Conversation, ConversationKind, MessageRole
from deals.qualification import Qualification, changes_in_words
from integrations.calendar import offers as meetings
from integrations.calendar.errors import MeetingError
from integrations.calendar.models import MeetingKind
from integrations.calendar.port import CalendarError

logger = logging.getLogger(__name__)

ModelFailed = paused_runs.ModelFailed


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
    quote: QuoteFacts | None = None  # the deal's latest quote, as deal inspection reads it
    who: access.Identity | None = None  # who wrote the message (their roles), for what the turn's tools do


def load_context(services: Services, turn: TakeTurn, who: access.Identity) -> ThreadContext:
    """The thread's conversation (started on first use), its deal, and whether this person may work on it."""
    with services.session_factory() as session, session.begin():
        conversation = deals.get_or_start_conversation(
            session,
            channel_id=turn.channel_id,
            thread_ts=turn.thread_ts,
            kind=ConversationKind(turn.thread_kind),
            started_by=turn.user_id,
            clock=services.clock,
        )
        given = deals.bot_message(session, slack_ts=f"reply:{turn.message_ts}", conversation_id=conversation.id)
        record, account_name, refusal, quote = None, None, None, None
        if conversation.deal_id is not None:
            deal = deals.get_deal(session, conversation.deal_id)
            record, account_name = deal.qualification, deal.account.name
            quote = latest_quote_facts(session, deal.id)
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
            reply_given=given,
            refusal=refusal,
            quote=quote,
            who=who,
        )


async def take_turn(services: Services, turn: TakeTurn, context: ThreadContext, *, bot_user_id: str | None) -> str:
    """Run the message through discovery, price and judge any quote it asks to commit, save everything;
    returns the reply as posted. Raises ModelFailed when the model does not answer properly."""
    text = _without_mention(turn.text, bot_user_id)
    if is_external(services.settings.model) and services.settings.redact_before_model:
        text = redact(text)
    deps = DiscoveryDeps(
        record=Qualification.model_validate(context.record) if context.record is not None else None,
        deal_id=context.deal_id,
        user_id=turn.user_id,
        today=services.clock.now().date(),
        search=services.knowledge_search,
        crm=services.crm,
        account_name=context.account_name,
        catalog=services.catalog(),  # for `preview_price`: a reply's prices come from CPQ
        policy=services.policy(),
        caps_for=_caps_for(services, context),
        schedule=_scheduler(services, turn, context),
    )
    prompt = turn_prompt(user=f"<@{turn.user_id}>", day=deps.today, text=text)
    outcome = await _run(services, prompt=prompt, deps=deps, history=context.history)
    judgement = None
    if outcome.deferred is not None:
        # The model asked to commit a quote: code prices it and the policy decides who must approve.
        judgement = await asyncio.to_thread(paused_runs.judge, services, context.deal_id, outcome)
        if not judgement.paused:
            outcome = await _run(services, prompt=None, deps=outcome.deps, history=outcome.history, decisions=judgement)
    reply = _reply_text(services, outcome, judgement)
    await asyncio.to_thread(_save_turn, services, turn, context, outcome, reply, judgement)
    return reply


def _scheduler(services: Services, turn: TakeTurn, context: ThreadContext) -> MeetingScheduler | None:
    """`schedule_meeting`'s use case, bound to this deal, this person and this message (a re-run of the turn gets
    the same offer back); None where there is no deal or no directory of people."""
    deal_id, who = context.deal_id, context.who
    if deal_id is None or who is None or services.directory is None:
        return None

    async def schedule(kind: Literal["demo", "poc"], when: str | None) -> meetings.Offer | str:
        try:
            return await meetings.offer_meeting(
                services.scheduling(),
                who=who,
                deal_ref=f"#{deal_id}",
                kind=MeetingKind(kind),
                when=when,
                origin=f"message:{turn.channel_id}:{turn.message_ts}",
            )
        except (MeetingError, access.Forbidden, deals.DealNotFound, CalendarError) as exc:
            return str(exc)

    return schedule


def _caps_for(services: Services, context: ThreadContext) -> Callable[[Qualification], list[tuple[int, str]]]:
    """The score caps deal inspection puts on a record of this deal (its latest quote stays as it is)."""
    inspection = services.inspection()

    def caps(record: Qualification) -> list[tuple[int, str]]:
        findings = inspect(record, context.quote, catalog=inspection.catalog, today=inspection.today)
        return score_caps(findings)

    return caps


async def _run(
    services: Services,
    *,
    prompt: str | None,
    deps: DiscoveryDeps,
    history: list[Any],
    decisions: paused_runs.Judgement | None = None,
) -> TurnOutcome:
    try:
        return await run_turn(
            prompt=prompt,
            deps=deps,
            history_json=history,
            model=services.model_for(offline_discovery),
            model_name=services.settings.model,
            decisions=decisions.results if decisions is not None else None,
        )
    except paused_runs.MODEL_FAILURES as exc:
        logger.warning("discovery turn failed: %s", exc)
        raise ModelFailed(f"model: {type(exc).__name__}: {exc}") from exc


def _reply_text(services: Services, outcome: TurnOutcome, judgement: paused_runs.Judgement | None) -> str:
    """The reply as posted: the model's mrkdwn, where whatever it echoed of the rep's words (or of a
    passage) cannot ping a channel or hide a link; it may link only to the sources it retrieved."""
    if outcome.reply is not None:
        reply = _render_stored(outcome.reply.reply, outcome.reply.next_questions)
    elif judgement is not None and judgement.paused:
        reply = _render_stored(_noted(outcome.deps) + paused_runs.paused_reply(judgement, services), [])
    else:
        return "I could not finish that one; please ask again."
    sources = {passage.source for passage in outcome.deps.passages}
    return mrkdwn.untrusted(reply, links=sources, users={outcome.deps.user_id})


def _save_turn(
    services: Services,
    turn: TakeTurn,
    context: ThreadContext,
    outcome: TurnOutcome,
    reply_text: str,
    judgement: paused_runs.Judgement | None,
) -> None:
    """Everything the turn decided, in one transaction: messages, history, facts, risks, quotes, approvals."""
    clock = services.clock
    deps = outcome.deps
    with services.session_factory() as session, session.begin():
        # Two messages in one thread can run at once on two workers: lock the conversation (and
        # below, the deal) so neither overwrites the other's turn.
        conversation = session.get_one(Conversation, context.conversation_id, with_for_update=True)
        _record_exchange(services, session, conversation, turn, reply_text)
        if judgement is None or not judgement.paused:  # a paused run's history waits with its approval request
            conversation.history = (
                outcome.history
                if conversation.turns == context.turns
                else stored_history.append_turn(conversation.history, outcome.history)
            )
        conversation.turns = Conversation.turns + 1  # in SQL: a concurrent save cannot lose the count
        conversation.updated_at = clock.now()
        source = {"slack_message_ts": turn.message_ts, "channel": turn.channel_id, "model": outcome.model_name}
        if deps.deal_id is not None:
            _apply_to_deal(services, session, turn, context, outcome, judgement, source)
        audit.record(
            session,
            clock=clock,
            actor_type="model",
            actor_id=outcome.model_name,
            action="agent.turn",
            subject=f"conversation:{context.conversation_id}",
            deal_id=deps.deal_id,
            inputs={
                **source,
                "model_settings": provenance.model_of(services.settings),
                "chunks": provenance.chunks_of(deps.passages),
                "record_before": deps.record.model_dump(mode="json", exclude_defaults=True) if deps.record else None,
            },
            outcome="replied",
            detail={"usage": outcome.usage, "risks": len(deps.risks), "updates": len(deps.updates)},
        )


def _record_exchange(
    services: Services, session: Session, conversation: Conversation, turn: TakeTurn, reply: str
) -> None:
    for slack_ts, user_id, role, text in (
        (turn.message_ts, turn.user_id, MessageRole.REP, turn.text),
        (f"reply:{turn.message_ts}", None, MessageRole.BOT, reply),
    ):
        deals.record_message(
            session, conversation, slack_ts=slack_ts, user_id=user_id, role=role, text=text, clock=services.clock
        )


def _apply_to_deal(
    services: Services,
    session: Session,
    turn: TakeTurn,
    context: ThreadContext,
    outcome: TurnOutcome,
    judgement: paused_runs.Judgement | None,
    source: dict[str, Any],
) -> None:
    """The facts the model recorded, the quotes it committed or asked for, and the risks it flagged."""
    deps, clock = outcome.deps, services.clock
    assert deps.deal_id is not None
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
            services,
            deal_id=deal.id,
            user_id=turn.user_id,
            judgement=judgement,
            outcome=outcome,
            conversation_id=context.conversation_id,
            turn={"channel": turn.channel_id, "thread_ts": turn.thread_ts, "message_ts": turn.message_ts},
        )
    if outcome.proposals:
        next_steps.record_proposals(
            session,
            deal=deal,
            proposals=outcome.proposals,
            key=proposal_key(turn.channel_id, turn.message_ts),
            actor_id=outcome.model_name,
            inputs=source,
            clock=clock,
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


def proposal_key(channel_id: str, message_ts: str) -> str:
    """The key a turn's proposed next steps are recorded under: the rep's message they came from."""
    return f"{channel_id}:{message_ts}"


def _noted(deps: DiscoveryDeps) -> str:
    """The facts a paused turn changed, said before the approval notice."""
    record, changed = deps.record or Qualification(), set()
    for update, _ in deps.updates:
        record, changes = record.merged(update)
        changed |= set(changes)
    facts, cleared = changes_in_words(record, sorted(changed))
    said = f"Noted — {' · '.join(facts)}\n" if facts else ""
    return said + (f"Cleared — {', '.join(cleared)}\n" if cleared else "")


def _without_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id is None:
        return text
    return re.sub(rf"<@{bot_user_id}>\s*", "", text).strip() or text


def _render_stored(reply: str, questions: list[str]) -> str:
    """The reply as posted and stored: the answer, then the next questions as a list."""
    if not questions:
        return reply
    asks = "\n".join(f"• {q}" for q in questions)
    return f"{reply}\n\n*Next, could you find out:*\n{asks}"
