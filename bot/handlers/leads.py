"""Lead jobs: read a HubSpot lead's records, open its routed deal, post the deal card and the account brief."""

from __future__ import annotations

import asyncio

from bot.handlers.deals import post_deal_card
from bot.runtime import Runtime
from bot.views.brief import brief_blocks, brief_text
from core.job_kinds import OpenLead
from core.jobs import ClaimedJob
from core.worker import PermanentJobError, RetryLater
from integrations.crm.port import CrmAccount, CrmError, CrmNotFound, CrmPort
from integrations.leads import service as leads
from integrations.leads.brief import AccountBrief, account_brief
from integrations.leads.hubspot import HubSpotEvent, lead_from_contact
from integrations.leads.models import LeadIn, LeadSource
from knowledge.search import search


async def handle_open_lead(runtime: Runtime, job: ClaimedJob) -> None:
    """The lead's deal, owner, card in the sales channel and brief in its thread; each step once."""
    args = job.args(OpenLead)
    lead = await asyncio.to_thread(leads.received, runtime.session_factory, lead_id=args.lead_id)
    if lead.details is None:
        details = await _read_from_hubspot(runtime, lead)
        await asyncio.to_thread(
            leads.record_details, runtime.session_factory, lead_id=lead.id, details=details, clock=runtime.clock
        )
    routed = await asyncio.to_thread(
        leads.open_routed_deal,
        runtime.session_factory,
        lead_id=lead.id,
        rules=runtime.routing(),
        clock=runtime.clock,
    )
    crm = runtime.hubspot() if lead.source == LeadSource.HUBSPOT else runtime.crm
    brief = await asyncio.to_thread(_brief, runtime, routed, crm)
    try:
        channel = await runtime.channel_id(runtime.settings.sales_channel)
    except LookupError:
        raise PermanentJobError(
            f"deal #{routed.deal_id} is open, but the sales channel {runtime.settings.sales_channel!r} was not "
            "found: invite the bot there or check LTO_SALES_CHANNEL, then replay this job"
        ) from None
    posted = await post_deal_card(runtime, deal_id=routed.deal_id, thread_ts=routed.thread_ts, channel=channel)
    await runtime.gateway.post_message(
        key=f"deal:{routed.deal_id}:brief",
        channel=posted.channel,
        thread_ts=posted.ts,
        text=brief_text(brief),
        blocks=brief_blocks(brief),
        deal_id=routed.deal_id,
    )
    await asyncio.to_thread(leads.mark_posted, runtime.session_factory, lead_id=lead.id, clock=runtime.clock)


async def _read_from_hubspot(runtime: Runtime, lead: leads.ReceivedLead) -> LeadIn:
    """The lead a HubSpot event names, read from HubSpot now (never on the webhook's ack path)."""
    event = HubSpotEvent.model_validate(lead.reference)
    try:
        hubspot = runtime.hubspot()
        details, _company = await asyncio.to_thread(lead_from_contact, hubspot, event)
    except LookupError as exc:  # no token: it will not work on a retry either
        raise PermanentJobError(str(exc)) from None
    except CrmNotFound as exc:
        raise PermanentJobError(f"HubSpot contact {event.object_id} is gone: {exc}") from None
    except CrmError as exc:
        if exc.retryable:
            raise RetryLater(str(exc)) from exc
        raise PermanentJobError(str(exc)) from exc
    return details


def _brief(runtime: Runtime, routed: leads.RoutedDeal, crm: CrmPort) -> AccountBrief:
    """The brief from the CRM's record of the account and the knowledge base's shareable material."""
    try:
        record: CrmAccount | None = crm.find_account(routed.lead.company)
    except CrmError as exc:
        if exc.retryable:
            raise RetryLater(str(exc)) from exc
        record = None  # a CRM that refuses the look-up leaves the brief with what the lead said
    today = runtime.clock.now().date()
    store = runtime.knowledge()
    return account_brief(
        routed.lead,
        crm=record,
        search=lambda query, **options: search(store, query, today=today, **options),
        owner=routed.assignment.owner,
        routing_rule=routed.assignment.rule,
        territory=routed.assignment.territory,
        segment=routed.assignment.segment,
    )
