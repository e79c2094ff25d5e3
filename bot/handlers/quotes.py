"""`/lto quote`: price a deal with the CPQ engine, store the version, show it in the deal thread."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from approvals import service as approval_service
from bot.handlers.approvals import post_card
from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.quote import quote_blocks, quote_text
from bot.views.text import as_dicts, escape
from core import access, deals
from core.jobs import ClaimedJob
from integrations.cpq import service
from integrations.cpq.errors import QuoteRefused


async def handle_quote(runtime: Runtime, job: ClaimedJob) -> None:
    payload = job.payload
    catalog = runtime.catalog()
    who = await runtime.who(payload["user_id"])

    def create() -> tuple[str, str | None, str | None, int, object, list[str], int | None]:
        with runtime.session_factory() as session, session.begin():
            deal = deals.find_deal(session, reference=payload["deal"], user_id=payload["user_id"])
            access.check(session, who, access.Action.CHANGE_DEAL, deal)
            request = service.request_for_deal(
                deal,
                lines=[(line["sku"], int(line["quantity"])) for line in payload["lines"]],
                discount_pct=Decimal(payload.get("discount_pct") or "0"),
                years=int(payload.get("years") or 1),
                payment_terms_days=int(payload.get("payment_terms_days") or 30),
                custom_sla=bool(payload.get("custom_sla")),
                legal_changes=bool(payload.get("legal_changes")),
            )
            record, quote, reasons = service.create_quote(
                session,
                deal=deal,
                request=request,
                catalog=catalog,
                policy=runtime.policy(),
                actor_id=payload["user_id"],
                clock=runtime.clock,
            )
            request_id = None
            decision = service.approval_decision(quote, runtime.policy(), request)
            if decision.needs_approval:
                request_id = approval_service.request_approval(
                    session,
                    deal_id=deal.id,
                    quote_id=record.id,
                    requester=payload["user_id"],
                    decision=decision,
                    summary=service.summarize(quote, request),
                    clock=runtime.clock,
                ).id
            return deal.account.name, deal.channel_id, deal.thread_ts, record.version, quote, reasons, request_id

    try:
        company, channel, thread_ts, version, quote, reasons, request_id = await asyncio.to_thread(create)
    except (deals.DealNotFound, QuoteRefused, access.Forbidden) as exc:
        await respond(payload.get("response_url"), text=f":no_entry: I did not price that: {exc}")
        return
    text = quote_text(company, version, quote)  # type: ignore[arg-type]
    blocks = as_dicts(quote_blocks(company, version, quote, reasons))  # type: ignore[arg-type]
    if channel and thread_ts:
        await runtime.gateway.post_message(
            key=f"job:{job.id}:quote", channel=channel, thread_ts=thread_ts, text=text, blocks=blocks
        )
        await respond(
            payload.get("response_url"), text=f":white_check_mark: {escape(text)}: posted in the deal thread."
        )
    else:
        await respond(payload.get("response_url"), text=text, blocks=blocks)
    if request_id is not None:
        await post_card(runtime, request_id)
