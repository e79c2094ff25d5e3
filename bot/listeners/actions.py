"""Buttons: validate the value, check who clicked, then open a modal or record the work."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.errors import InvalidPayload, NotAllowed
from bot.ids import ActionId, AnswerRef, ApprovalRef, DealRef
from bot.listeners.intake import accept, answer_later
from bot.runtime import Runtime
from bot.views.approval import reason_modal
from bot.views.modals import disqualify_modal
from core.job_kinds import DecideApproval, DraftProposal
from deals.models import Deal
from deals.service import DealNotFound, get_deal
from knowledge import answers


def deal_ref(action: dict[str, Any]) -> DealRef:
    try:
        return DealRef.model_validate_json(action.get("value") or "")
    except ValidationError:
        raise InvalidPayload(
            "That button's data is not valid; I did nothing. Use the buttons on the deal card."
        ) from None


def _load_deal(runtime: Runtime, deal_id: int) -> Deal:
    with runtime.session_factory() as session:
        try:
            deal = get_deal(session, deal_id)
        except DealNotFound:
            raise InvalidPayload("That button points at a deal that does not exist; I did nothing.") from None
        deal.account  # noqa: B018 (load the company name while the session is open)
        return deal


async def on_disqualify(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = deal_ref(action)
    deal = await asyncio.to_thread(_load_deal, runtime, ref.deal_id)
    if body["user"]["id"] != deal.owner_slack_id:
        raise NotAllowed(f"Only the deal's owner (<@{deal.owner_slack_id}>) can disqualify it.")
    if deal.stage == "disqualified":
        raise NotAllowed(f"Deal #{deal.id} is already disqualified.")
    modal = disqualify_modal(deal.id, deal.account.name)
    modal.validate_json()
    # The trigger id lives 3 seconds: open the modal right after the ack, not from a queued job.
    runtime.spawn(runtime.gateway.open_view(trigger_id=body["trigger_id"], view=modal.to_dict()))


async def on_draft_proposal(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = deal_ref(action)
    await accept(
        runtime,
        key=f"action:{body['trigger_id']}",
        kind="action",
        job=DraftProposal(user_id=body["user"]["id"], deal=f"#{ref.deal_id}", response_url=body.get("response_url")),
        actor=body["user"]["id"],
    )


def _record_feedback(runtime: Runtime, answer_id: int, user_id: str, helpful: bool) -> None:
    with runtime.session_factory() as session, session.begin():
        try:
            answers.record_feedback(session, answer_id=answer_id, user_id=user_id, helpful=helpful, clock=runtime.clock)
        except answers.AnswerNotFound:
            raise InvalidPayload("That answer is not on record; I did nothing.") from None


async def on_answer_feedback(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, runtime: Runtime
) -> None:
    await ack()
    try:
        ref = AnswerRef.model_validate_json(action.get("value") or "")
    except ValidationError:
        raise InvalidPayload("That button's data is not valid; I did nothing.") from None
    helpful = action["action_id"] == ActionId.ANSWER_HELPFUL
    await asyncio.to_thread(_record_feedback, runtime, ref.answer_id, body["user"]["id"], helpful)
    thanks = "Thanks, noted as helpful." if helpful else "Thanks, noted as not helpful: the team will review it."
    answer_later(runtime, respond, thanks)


def approval_ref(action: dict[str, Any]) -> ApprovalRef:
    try:
        return ApprovalRef.model_validate_json(action.get("value") or "")
    except ValidationError:
        raise InvalidPayload("That button's data is not valid; I did nothing.") from None


async def on_approve(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = approval_ref(action)
    if ref.decision != "approved":
        raise InvalidPayload("That button's data does not match the button; I did nothing.")
    await accept(
        runtime,
        key=f"action:{body['trigger_id']}",
        kind="action",
        job=DecideApproval(
            request_id=ref.request_id,
            user_id=body["user"]["id"],
            decision="approved",
            response_url=body.get("response_url"),
        ),
        actor=body["user"]["id"],
    )


async def on_decline(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    """Reject and Request changes ask for a reason first, in a modal opened while the trigger is fresh."""
    await ack()
    ref = approval_ref(action)
    expected = "rejected" if action["action_id"] == ActionId.REJECT else "changes_requested"
    if ref.decision != expected:
        raise InvalidPayload("That button's data does not match the button; I did nothing.")
    modal = reason_modal(ref)
    modal.validate_json()
    runtime.spawn(runtime.gateway.open_view(trigger_id=body["trigger_id"], view=modal.to_dict()))


async def on_unknown_action(ack: AsyncAck, respond: AsyncRespond, runtime: Runtime) -> None:
    await ack()
    answer_later(
        runtime, respond, "That button is no longer supported; I did nothing. Run `/lto status` for a fresh card."
    )


def register(app: AsyncApp) -> None:
    app.action(ActionId.DISQUALIFY.value)(on_disqualify)
    app.action(ActionId.DRAFT_PROPOSAL.value)(on_draft_proposal)
    app.action(ActionId.ANSWER_HELPFUL.value)(on_answer_feedback)
    app.action(ActionId.ANSWER_NOT_HELPFUL.value)(on_answer_feedback)
    app.action(ActionId.APPROVE.value)(on_approve)
    app.action(ActionId.REJECT.value)(on_decline)
    app.action(ActionId.REQUEST_CHANGES.value)(on_decline)
    # Registered last: Bolt runs the first listener that matches.
    app.action(re.compile(".*"))(on_unknown_action)
