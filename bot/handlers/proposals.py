"""Draft a proposal: grounded prose from the agent, prices from the stored quote, checked, uploaded as a PDF."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from pydantic_ai.usage import RunUsage
from sqlalchemy import select

from agents.proposal import PROPOSAL_LIMITS, ProposalDeps, guardrail, offline_proposal, proposal_agent
from agents.proposal_document import allowed_figures, render_markdown, to_pdf
from bot.handlers.conversation import refresh_deal_card
from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.quote import quote_blocks, quote_text
from bot.views.text import as_dicts, escape
from core import access, audit, deals, provenance
from core.jobs import ClaimedJob
from core.models import DealStage, QuoteRecord
from core.qualification import Stage, format_money
from integrations.cpq.engine import Quote


class ProposalRefused(Exception):
    """The deal is not ready for a proposal; the message says what to do first."""


def _load(runtime: Runtime, reference: str, who: access.Identity) -> dict[str, Any]:
    with runtime.session_factory() as session:
        deal = deals.find_deal(session, reference=reference, user_id=who.user_id)
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        record = deals.qualification_of(deal)
        if deals.assessment_of(deal).stage != Stage.QUALIFIED and deal.stage != DealStage.PROPOSAL:
            missing = ", ".join(deals.assessment_of(deal).missing[:4])
            raise ProposalRefused(f"Deal #{deal.id} is not qualified yet (still missing: {missing}).")
        latest = session.scalars(
            select(QuoteRecord).where(QuoteRecord.deal_id == deal.id).order_by(QuoteRecord.version.desc()).limit(1)
        ).first()
        if latest is None:
            raise ProposalRefused(f"Price deal #{deal.id} first: `/lto quote #{deal.id} <SKU> <qty> ...`.")
        return {
            "deal_id": deal.id,
            "company": deal.account.name,
            "channel": deal.channel_id,
            "thread_ts": deal.thread_ts,
            "record": record,
            "quote": Quote.model_validate(latest.quote),
            "quote_version": latest.version,
            "quote_status": latest.status,
        }


async def handle_proposal(runtime: Runtime, job: ClaimedJob) -> None:
    payload = job.payload
    try:
        who = await runtime.who(payload["user_id"])
        ctx = await asyncio.to_thread(_load, runtime, payload["deal"], who)
    except (deals.DealNotFound, ProposalRefused, access.Forbidden) as exc:
        await respond(payload.get("response_url"), text=f":no_entry: {exc}")
        return
    record, quote = ctx["record"], ctx["quote"]
    brief = {
        k: v for k, v in record.model_dump(mode="json").items() if k not in ("budget",) and v not in (None, [], "")
    }
    catalog_skus = {s.sku for s in runtime.catalog().skus}
    money, percents = allowed_figures(quote)
    problems: list[str] = []
    usage = RunUsage()
    for _attempt in range(2):  # a failing draft is regenerated once, then posted as needing review
        deps = ProposalDeps(brief=brief, search=runtime.knowledge_search)
        result = await proposal_agent.run(
            json.dumps(brief), deps=deps, model=runtime.model_for(offline_proposal), usage_limits=PROPOSAL_LIMITS
        )
        usage.incr(result.usage)
        approval_note = ""
        if ctx["quote_status"] == "needs_approval":
            approval_note = "These prices are not final until the approvals this quote needs are granted."
        markdown = render_markdown(
            draft=result.output,
            record=record,
            quote=quote,
            quote_version=ctx["quote_version"],
            deal_id=ctx["deal_id"],
            passages=deps.passages,
            today=runtime.clock.now().date(),
            approval_note=approval_note,
        )
        grounded = " ".join(p.text for p in deps.passages)
        problems = guardrail(
            markdown, allowed_money=money, allowed_percent=percents, catalog_skus=catalog_skus, grounded_text=grounded
        )
        if not problems:
            break
    pdf = await asyncio.to_thread(to_pdf, markdown, title=f"Proposal for {ctx['company']}")
    status = "needs review" if problems else ("draft, pending approvals" if approval_note else "ready to send")

    def save() -> None:
        with runtime.session_factory() as session, session.begin():
            deal = deals.get_deal(session, ctx["deal_id"])
            if not problems and deal.stage == DealStage.QUALIFIED:
                deals.set_stage(
                    session,
                    deal,
                    stage=DealStage.PROPOSAL,
                    actor_id=payload["user_id"],
                    clock=runtime.clock,
                    reason=f"proposal drafted from quote v{ctx['quote_version']}",
                )
            audit.record(
                session,
                clock=runtime.clock,
                actor_type="model",
                actor_id=runtime.settings.model,
                action="proposal.draft",
                subject=f"deal:{deal.id}",
                deal_id=deal.id,
                inputs={
                    "quote_version": ctx["quote_version"],
                    "catalog_version": quote.catalog_version,
                    "policy_version": runtime.policy().version,
                    "chunks": provenance.chunks_of(deps.passages),
                    "model": provenance.model_of(runtime.settings),
                },
                outcome="needs_review" if problems else "drafted",
                detail={
                    "problems": problems,
                    "total": str(quote.total),
                    "currency": quote.currency,
                    "usage": provenance.usage_of(usage),
                },
            )

    await asyncio.to_thread(save)
    comment = (
        f"Proposal for *{escape(ctx['company'])}* (quote v{ctx['quote_version']}, "
        f"{format_money(quote.total, quote.currency)} over {quote.term_years} year(s)): *{status}*."
    )
    if problems:
        comment += "\nThe guardrail stopped it from going out as is:\n" + "\n".join(f"• {escape(p)}" for p in problems)
    if ctx["channel"] and ctx["thread_ts"]:
        summary = quote_blocks(ctx["company"], ctx["quote_version"], quote, [approval_note] if approval_note else [])
        await runtime.gateway.post_message(
            key=f"job:{job.id}:proposal-summary",
            channel=ctx["channel"],
            thread_ts=ctx["thread_ts"],
            text=quote_text(ctx["company"], ctx["quote_version"], quote),
            blocks=as_dicts(summary),
            deal_id=ctx["deal_id"],
        )
        await runtime.gateway.upload_file(
            key=f"job:{job.id}:proposal-markdown",
            channel=ctx["channel"],
            thread_ts=ctx["thread_ts"],
            filename=f"proposal-deal-{ctx['deal_id']}-v{ctx['quote_version']}.md",
            content=markdown.encode(),
            title=f"Proposal for {ctx['company']} (Markdown)",
            comment="",
            deal_id=ctx["deal_id"],
        )
        await runtime.gateway.upload_file(
            key=f"job:{job.id}:proposal",
            channel=ctx["channel"],
            thread_ts=ctx["thread_ts"],
            filename=f"proposal-deal-{ctx['deal_id']}-v{ctx['quote_version']}.pdf",
            content=pdf,
            title=f"Proposal for {ctx['company']}",
            comment=comment,
            deal_id=ctx["deal_id"],
        )
        await refresh_deal_card(runtime, ctx["deal_id"])
    await respond(payload.get("response_url"), text=comment)
