"""Approval cards: post them, and turn a click into exactly one recorded decision, shown everywhere it matters."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from approvals import service
from approvals.models import ApprovalRequest, ApprovalStatus, ApprovalStep
from approvals.policy import Policy, card_channel
from bot.handlers.deals import respond
from bot.handlers.followups import draft_proposal
from bot.runtime import Runtime
from bot.views.approval import approval_card, approval_text, deal_context
from bot.views.quote import rule_lines
from bot.views.text import as_dicts, escape
from core.job_kinds import ApprovalDecided, DecideApproval, ListApprovals, NotifyApproval, PostApprovalCard
from core.jobs import ClaimedJob
from deals import service as deals
from deals.inspection import budget_fit, inspect, quote_facts
from deals.models import Deal
from deals.qualification import FIELD_LABELS, format_money
from integrations.cpq.engine import Quote, discount_waterfall
from integrations.cpq.models import QuoteRecord


def _card(runtime: Runtime, request_id: int) -> tuple[ApprovalRequest, str, list[dict[str, Any]], dict[str, Any]]:
    with runtime.session_factory() as session:
        request = session.get_one(ApprovalRequest, request_id)
        deal = deals.get_deal(session, request.deal_id)
        record = deals.qualification_of(deal)
        policy = runtime.policy()
        highlights = " · ".join(
            part
            for part in (
                f"{record.seats} seats" if record.seats else "",
                f"budget {record.budget}" if record.budget else "",
                ", ".join(c.value for c in record.compliance),
                f"close {record.target_close}" if record.target_close else "",
            )
            if part
        )
        steps = service.steps_of(session, request_id)
        quote_row = session.get_one(QuoteRecord, request.quote_id)
        blocks = approval_card(
            company=deal.account.name,
            deal_link=request.deal_link,
            request=request,
            steps=steps,
            level_names={name: level.name for name, level in policy.levels.items()},
            highlights=highlights,
            pricing=_pricing(quote_row),
            deadline=_deadline(request, steps, policy),
            context=_deal_context(runtime, session, deal, request, quote_row),
        )
        where = {"channel": deal.channel_id, "thread_ts": deal.thread_ts, "company": deal.account.name}
        return request, approval_text(deal.account.name, request), as_dicts(blocks), where


def _deal_context(
    runtime: Runtime, session: Session, deal: Deal, request: ApprovalRequest, quote_row: QuoteRecord
) -> list[str]:
    """Budget fit, competition, the discount waterfall, gaps, findings and the rep's reason, for the approver."""
    record = deals.qualification_of(deal)
    quote = Quote.model_validate(quote_row.quote)
    inspection, facts = runtime.inspection(), quote_facts(quote)
    findings = inspect(record, facts, catalog=inspection.catalog, today=inspection.today)
    rules = rule_lines(quote)
    return [
        *([f"*Product rules*\n{rules}"] if rules else []),
        *deal_context(
            record=record,
            fit=budget_fit(record, facts),
            waterfall=discount_waterfall(quote),
            list_total=quote.list_total,
            total=quote.total,
            currency=quote.currency,
            gaps=[FIELD_LABELS[name] for name in deals.assessment_of(deal).missing[:4]],
            findings=[f for f in findings if f.code not in ("budget_gap", "over_sign_off_limit")],
            justification=_justification(session, request, quote_row),
        ),
    ]


def _justification(session: Session, request: ApprovalRequest, quote_row: QuoteRecord) -> str | None:
    """What the rep said when asking: `--why` on `/lto quote`, or the thread message an agent run paused on."""
    said = (quote_row.request or {}).get("justification")
    if said:
        return str(said)
    turn = (request.agent_run or {}).get("turn") or {}
    asked = turn.get("message_ts")
    return deals.rep_message(session, slack_ts=str(asked)) if asked else None


def _pricing(quote: QuoteRecord) -> str:
    """List vs. proposed and the difference, from the stored quote (Decimal strings, never floats)."""
    priced = quote.quote
    currency = priced["currency"]
    listed, total = Decimal(priced["list_total"]), Decimal(priced["total"])
    off = (listed - total) / listed * 100 if listed else Decimal(0)
    return (
        f"List {format_money(listed, currency)} → proposed *{format_money(total, currency)}* "
        f"(−{format_money(listed - total, currency)}, {off.quantize(Decimal('0.1'))}% below list)\n"
        f"Terms: {escape(str(quote.terms))}"
    )


def _deadline(request: ApprovalRequest, steps: list[Any], policy: Any) -> datetime | None:
    """When the request expires: the longest expiry among its levels, counted from the request."""
    limits = [policy.levels[s.level].sla.after("expire_after") for s in steps if s.level in policy.levels]
    limits = [limit for limit in limits if limit is not None]
    return request.created_at + max(limits) if limits else None


async def _remember_deal_link(runtime: Runtime, request_id: int) -> None:
    """The card links to the deal thread; Slack gives the permalink once and it is kept."""

    def where() -> tuple[str | None, str | None, str | None]:
        with runtime.session_factory() as session:
            request = session.get_one(ApprovalRequest, request_id)
            deal = deals.get_deal(session, request.deal_id)
            return request.deal_link, deal.channel_id, deal.thread_ts

    link, channel, thread_ts = await asyncio.to_thread(where)
    if link or not (channel and thread_ts):
        return
    try:
        response = await runtime.client.chat_getPermalink(channel=channel, message_ts=thread_ts)
    except SlackApiError:
        return  # the card is still useful without the link

    def keep() -> None:
        with runtime.session_factory() as session, session.begin():
            session.get_one(ApprovalRequest, request_id).deal_link = response["permalink"]

    await asyncio.to_thread(keep)


async def post_card(runtime: Runtime, request_id: int) -> None:
    await _remember_deal_link(runtime, request_id)
    request, text, blocks, where = await asyncio.to_thread(_card, runtime, request_id)

    def levels() -> list[str]:
        with runtime.session_factory() as session:
            return [step.level for step in service.steps_of(session, request_id)]

    name = card_channel(runtime.policy(), await asyncio.to_thread(levels), runtime.settings.approvals_channel)
    channel = await runtime.channel_id(name)
    posted = await runtime.gateway.post_message(
        key=f"approval:{request_id}:card", channel=channel, text=text, blocks=blocks
    )

    def remember() -> None:
        with runtime.session_factory() as session, session.begin():
            row = session.get_one(ApprovalRequest, request_id)
            row.card_channel, row.card_ts = posted.channel, posted.ts

    await asyncio.to_thread(remember)
    # A paused agent run already told the thread what it sent where; a `/lto quote` did not.
    if where["channel"] and where["thread_ts"] and not request.agent_run:
        await runtime.gateway.post_message(
            key=f"approval:{request_id}:asked",
            channel=where["channel"],
            thread_ts=where["thread_ts"],
            text=f":lock: Sent for approval in <#{posted.channel}>: {escape(request.summary)}.",
        )


async def _groups_of(runtime: Runtime, user_id: str) -> set[str]:
    """The policy's user groups this person belongs to (asked of Slack, cached briefly)."""
    groups = {a for level in runtime.policy().levels.values() for a in level.approvers if a.startswith("S")}
    return await runtime.groups_of(user_id, groups)


async def handle_decision(runtime: Runtime, job: ClaimedJob) -> None:
    """A click: decide once (a re-run of this job gets its own decision back). What the decision changes for
    people is the `approval.decided` job the decision queued; a refusal is told to the person who clicked."""
    ask = job.args(DecideApproval)
    groups = await _groups_of(runtime, ask.user_id)
    try:
        await asyncio.to_thread(
            service.decide_request,
            runtime.session_factory,
            ask=ask,
            actor_groups=groups,
            policy=runtime.policy(),
            clock=runtime.clock,
            origin=f"job:{job.id}",
        )
    except service.ApprovalError as exc:
        await _refuse(runtime, job, ask, exc)


async def _refuse(runtime: Runtime, job: ClaimedJob, ask: DecideApproval, problem: Exception) -> None:
    if ask.response_url:
        await respond(ask.response_url, text=f":no_entry: {problem}")
        return
    if isinstance(problem, service.RequestNotFound):  # a forged or stale form: no card to answer beside
        dm = await runtime.client.conversations_open(users=ask.user_id)
        await runtime.gateway.post_message(
            key=f"job:{job.id}:refused", channel=dm["channel"]["id"], text=f":no_entry: {problem}"
        )
        return
    # A modal submission has no response URL: tell them beside the card.
    request, _, _, _ = await asyncio.to_thread(_card, runtime, ask.request_id)
    if request.card_channel:
        await runtime.gateway.post_ephemeral(
            key=f"job:{job.id}:refused", channel=request.card_channel, user=ask.user_id, text=f":no_entry: {problem}"
        )


async def handle_decided(runtime: Runtime, job: ClaimedJob) -> None:
    """The card, the deal thread and the requester learn of one level's decision; an approved `/lto quote`
    request's proposal follows. Each post is keyed by the decision, so a re-run completes only what is missing."""
    decided = job.args(ApprovalDecided)
    request, text, blocks, where = await asyncio.to_thread(_card, runtime, decided.request_id)
    if request.card_channel and request.card_ts:  # not posted yet: the card job renders the decision itself
        await runtime.gateway.update_message(channel=request.card_channel, ts=request.card_ts, text=text, blocks=blocks)
    message = await asyncio.to_thread(_decision_message, runtime, request, decided)
    key = f"approval:{request.id}:step:{decided.step_id}"
    if where["channel"] and where["thread_ts"]:
        await runtime.gateway.post_message(
            key=f"{key}:thread", channel=where["channel"], thread_ts=where["thread_ts"], text=message
        )
    dm = await runtime.client.conversations_open(users=request.requester)
    await runtime.gateway.post_message(key=f"{key}:requester", channel=dm["channel"]["id"], text=message)
    if decided.final and request.status == ApprovalStatus.APPROVED and not request.agent_run:
        # A paused agent run drafts it after it resumes and answers the rep.
        await draft_proposal(runtime, request_id=request.id, deal_id=request.deal_id, requester=request.requester)


def _decision_message(runtime: Runtime, request: ApprovalRequest, decided: ApprovalDecided) -> str:
    """What the thread and the requester read, from the recorded step: who decided what, why, and where the
    request stands when this decision closed it."""
    with runtime.session_factory() as session:
        step = session.get_one(ApprovalStep, decided.step_id)
        decision, by, reason = str(step.status), step.decided_by, step.reason
    verb = {"approved": "approved", "rejected": "rejected", "changes_requested": "asked for changes on"}[decision]
    message = f"<@{by}> {verb} *{escape(request.summary)}*{f': {escape(reason)}' if reason else ''}."
    if decided.final:
        message += f" The request is now *{request.status.replace('_', ' ')}*."
    return message


async def handle_post_card(runtime: Runtime, job: ClaimedJob) -> None:
    """A request opened by a quote: its card goes to the approvals channel (keyed, safe to re-run)."""
    await post_card(runtime, job.args(PostApprovalCard).request_id)


async def handle_list(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto approvals`: what waits for me, and what I am waiting for."""
    ask = job.args(ListApprovals)
    groups = await _groups_of(runtime, ask.user_id)

    def load() -> tuple[list[str], list[str]]:
        with runtime.session_factory() as session:
            to_decide, asked = service.waiting_for(session, user_id=ask.user_id, groups=groups, policy=runtime.policy())

            def line(request: ApprovalRequest) -> str:
                deal = deals.get_deal(session, request.deal_id)
                return f"• #{request.id} *{escape(deal.account.name)}*: {escape(request.summary)}"

            return [line(r) for r in to_decide], [line(r) for r in asked]

    to_decide, asked = await asyncio.to_thread(load)
    parts = ["*Waiting for your decision*", *(to_decide or ["Nothing."]), "", "*Your requests waiting for others*"]
    parts += asked or ["Nothing."]
    await respond(ask.response_url, text="\n".join(parts))


def _mention(approver: str) -> str:
    return f"<!subteam^{approver}>" if approver.startswith("S") else f"<@{approver}>"


EXPIRED_NOTICE = (
    ":hourglass: This request expired without a decision. Ask again with a new quote if it is still needed."
)


async def handle_notify(runtime: Runtime, job: ClaimedJob) -> None:
    """A reminder, escalation or expiry from the SLA sweeps, posted in the card's thread."""
    notice = job.args(NotifyApproval)
    request, text, blocks, where = await asyncio.to_thread(_card, runtime, notice.request_id)
    if not (request.card_channel and request.card_ts):
        return
    if notice.what == "expiry":
        message = (
            ":hourglass: This request expired without a decision. Ask again with a new quote if it is still needed."
        )
        if where["channel"] and where["thread_ts"]:
            await runtime.gateway.post_message(
                key=f"job:{job.id}:deal",
                channel=where["channel"],
                thread_ts=where["thread_ts"],
                text=f":hourglass: The approval request for {escape(request.summary)} expired without a decision.",
            )
    else:
        message = _sla_message(runtime.policy(), notice)
    if notice.what != "reminder":  # the card shows the expiry or the escalated level
        await runtime.gateway.update_message(channel=request.card_channel, ts=request.card_ts, text=text, blocks=blocks)
    await runtime.gateway.post_message(
        key=f"job:{job.id}:card-thread", channel=request.card_channel, thread_ts=request.card_ts, text=message
    )


def _sla_message(policy: Policy, notice: NotifyApproval) -> str:
    level = policy.levels[notice.level or ""]
    who = " ".join(_mention(a) for a in level.approvers)
    if notice.what == "reminder":
        return f":bell: Reminder for {who} ({level.name}): this request is waiting for your decision."
    source = policy.levels[notice.from_level or ""].name
    return f":arrow_up: Escalated to {who} ({level.name}): {source} has not decided in time."
