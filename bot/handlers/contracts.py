"""Contract jobs: the order form and security reviews recorded, the contract sent for signature, and a signed,
declined or voided envelope told to the deal's thread and its owner. Each is safe to run again: the use cases
recognise their own earlier work, and every post is keyed."""

from __future__ import annotations

import asyncio
from functools import partial

from pydantic import ValidationError

from agents.contract_document import render_contract
from bot.handlers.conversation import refresh_deal_card
from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.contract import link_text, sent_text, settled_text
from bot.views.text import escape
from core.job_kinds import EnvelopeSettled, RecordOrderForm, RecordSecurityReview, SendForSignature
from core.jobs import ClaimedJob
from core.settings import SettingsError
from core.worker import PermanentJobError, RetryLater
from deals import access, contract, contract_service
from deals.contract_models import OrderFormEntry
from integrations.esign import service as esign
from integrations.esign.port import ESignError, ESignUnavailable


async def _tell_in_dm(runtime: Runtime, job: ClaimedJob, user_id: str, text: str) -> None:
    """A modal has no response URL: the person learns of a refusal in a DM, once."""
    dm = await runtime.client.conversations_open(users=user_id)
    await runtime.gateway.post_message(key=f"job:{job.id}:refused", channel=dm["channel"]["id"], text=text)


async def handle_order_form(runtime: Runtime, job: ClaimedJob) -> None:
    """The order form modal's submission: recorded for the deal, its card refreshed."""
    args = job.args(RecordOrderForm)
    who = await runtime.who(args.user_id)
    try:
        entry = OrderFormEntry.model_validate(args.order_form)
        await asyncio.to_thread(
            contract_service.record_order_form,
            runtime.session_factory,
            who=who,
            deal_id=args.deal_id,
            entry=entry,
            clock=runtime.clock,
        )
    except (ValidationError, contract.ContractError, access.Forbidden) as exc:
        await _tell_in_dm(runtime, job, args.user_id, f":no_entry: I did not save the order form: {escape(str(exc))}")
        raise PermanentJobError(str(exc)) from exc
    await refresh_deal_card(runtime, args.deal_id)


async def handle_security_review(runtime: Runtime, job: ClaimedJob) -> None:
    """A security approver's review: recorded, said in the deal's thread, the card refreshed."""
    args = job.args(RecordSecurityReview)
    policy = runtime.policy()
    approvers = policy.levels["security"].approvers
    groups = await runtime.groups_of(args.user_id, {a for a in approvers if a.startswith("S")})
    inspection = runtime.inspection()
    try:
        place = await asyncio.to_thread(
            contract_service.record_security_review,
            runtime.session_factory,
            reviewer=args.user_id,
            reviewer_groups=groups,
            approvers=approvers,
            deal_id=args.deal_id,
            note=args.note,
            catalog=inspection.catalog,
            today=inspection.today,
            clock=runtime.clock,
        )
    except contract.ContractError as exc:
        await _tell_in_dm(runtime, job, args.user_id, f":no_entry: {escape(str(exc))}")
        raise PermanentJobError(str(exc)) from exc
    if place.channel_id and place.thread_ts:
        await runtime.gateway.post_message(
            key=f"job:{job.id}:security-review",
            channel=place.channel_id,
            thread_ts=place.thread_ts,
            text=f":shield: <@{args.user_id}> recorded the security review: {escape(args.note)}",
            deal_id=args.deal_id,
        )
    await refresh_deal_card(runtime, args.deal_id)


async def handle_send(runtime: Runtime, job: ClaimedJob) -> None:
    """The "Send for signature" button: refused with what is missing, or sent once through the configured provider; the
    thread is told, and for the local signing page the rep gets the link to pass on."""
    args = job.args(SendForSignature)
    who = await runtime.who(args.user_id)
    inspection = runtime.inspection()
    try:
        sent = await asyncio.to_thread(
            esign.send_for_signature,
            runtime.session_factory,
            who=who,
            deal_id=args.deal_id,
            esign=runtime.esign(),
            render=partial(render_contract, today=inspection.today),
            catalog=inspection.catalog,
            clock=runtime.clock,
            origin=f"job:{job.id}",
        )
    except ESignUnavailable as exc:
        raise RetryLater(str(exc)) from exc
    except (contract.ContractError, access.Forbidden, ESignError, SettingsError) as exc:  # the last two: set-up
        await respond(args.response_url, text=f":no_entry: Not sent. {escape(str(exc))}")
        return
    place = sent.place
    if place.channel_id and place.thread_ts:
        await runtime.gateway.post_message(
            key=f"envelope:{sent.envelope_row_id}:sent",
            channel=place.channel_id,
            thread_ts=place.thread_ts,
            text=sent_text(sent, args.user_id),
            deal_id=place.deal_id,
        )
    await refresh_deal_card(runtime, place.deal_id)
    if sent.signing_url:
        await respond(args.response_url, text=link_text(sent, runtime.settings.esign_link_days))


async def handle_envelope(runtime: Runtime, job: ClaimedJob) -> None:
    """An envelope was signed, declined or voided: the card, the deal's thread and its owner hear of it."""
    args = job.args(EnvelopeSettled)
    settled = await asyncio.to_thread(
        esign.settled_envelope, runtime.session_factory, envelope_id=args.envelope_id, outcome=args.outcome
    )
    place, text = settled.place, settled_text(settled)
    await refresh_deal_card(runtime, place.deal_id)
    if place.channel_id and place.thread_ts:
        await runtime.gateway.post_message(
            key=f"envelope:{args.envelope_id}:{args.outcome}:thread",
            channel=place.channel_id,
            thread_ts=place.thread_ts,
            text=text,
            deal_id=place.deal_id,
        )
    dm = await runtime.client.conversations_open(users=place.owner)
    await runtime.gateway.post_message(
        key=f"envelope:{args.envelope_id}:{args.outcome}:owner",
        channel=dm["channel"]["id"],
        text=text,
        deal_id=place.deal_id,
    )
