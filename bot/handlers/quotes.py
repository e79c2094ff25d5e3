"""`/lto quote`: price a deal with the CPQ engine (one use case), show the stored version in the deal thread."""

from __future__ import annotations

import asyncio

from bot.handlers.conversation import refresh_deal_card
from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.quote import quote_blocks, quote_text
from bot.views.text import as_dicts, escape
from core.job_kinds import PriceQuote
from core.jobs import ClaimedJob
from deals import access
from deals import service as deals
from integrations.cpq import service as cpq
from integrations.cpq.errors import MissingBaseSku, MissingRequiredSku, QuoteRefused

# Refusals of a `requires` product rule: the rep may insist, and the deal desk decides.
OVERRIDABLE = (MissingRequiredSku, MissingBaseSku)


async def handle_quote(runtime: Runtime, job: ClaimedJob) -> None:
    ask = job.args(PriceQuote)
    who = await runtime.who(ask.user_id)
    try:
        priced = await asyncio.to_thread(
            cpq.quote_deal,
            runtime.session_factory,
            who=who,
            ask=ask,
            catalog=runtime.catalog(),
            policy=runtime.policy(),
            clock=runtime.clock,
            origin=f"job:{job.id}",  # a re-run of this job shows the version it stored, it does not price again
        )
    except (deals.DealNotFound, QuoteRefused, access.Forbidden) as exc:
        insist = (
            " If the customer really needs it this way, add `--override-rules`: it is priced and the deal desk decides."
            if isinstance(exc, OVERRIDABLE)
            else ""
        )
        await respond(ask.response_url, text=f":no_entry: I did not price that: {escape(str(exc))}{insist}")
        return
    record = priced.committed.record
    version, quote, reasons = record.version, priced.committed.quote, priced.committed.reasons
    text = quote_text(priced.company, version, quote)
    blocks = as_dicts(quote_blocks(priced.company, version, quote, reasons, terms=record.terms))
    if priced.channel_id and priced.thread_ts:
        await runtime.gateway.post_message(
            key=f"job:{job.id}:quote", channel=priced.channel_id, thread_ts=priced.thread_ts, text=text, blocks=blocks
        )
        await respond(ask.response_url, text=f":white_check_mark: {escape(text)}: posted in the deal thread.")
        await refresh_deal_card(runtime, priced.committed.record.deal_id)  # a new quote changes the findings
    else:
        await respond(ask.response_url, text=text, blocks=blocks)
