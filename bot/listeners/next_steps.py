"""Next-step buttons and the reassign modal: validate the value, record the work, ack. Who may change a step is
the job's to check (the use case decides), so a tampered value that parses still changes nothing it may not."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import InvalidPayload
from bot.ids import ActionId, BlockId, CallbackId, FindingRef, InputId, ProposalRef, ReassignRef, StepRef
from bot.listeners.intake import accept
from bot.runtime import Runtime
from bot.views.next_steps import reassign_modal
from core.job_kinds import AcceptFinding, ChangeStep, DecideProposal

INVALID = "That button's data is not valid; I did nothing. Use the buttons of the latest nudge or the deal card."
SNOOZE_DAYS: dict[ActionId, Literal[1, 7]] = {ActionId.STEP_SNOOZE_DAY: 1, ActionId.STEP_SNOOZE_WEEK: 7}


def _step_ref(action: dict[str, Any]) -> StepRef:
    try:
        return StepRef.model_validate_json(action.get("value") or "")
    except ValidationError:
        raise InvalidPayload(INVALID) from None


def _clicked_message(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The message whose button was clicked (the nudge to update), as Slack names it in the payload."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return channel, container.get("message_ts")


async def on_add_next_step(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    try:
        ref = FindingRef.model_validate_json(action.get("value") or "")
    except ValidationError:
        raise InvalidPayload(INVALID) from None
    await accept(
        runtime,
        key=f"action:{body['trigger_id']}",
        kind="action",
        job=AcceptFinding(
            user_id=body["user"]["id"], response_url=body.get("response_url"), deal_id=ref.deal_id, code=ref.code
        ),
        actor=body["user"]["id"],
    )


async def on_proposal_decision(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    """ "Add as next step" or "Dismiss" on a step the agent proposed."""
    await ack()
    try:
        ref = ProposalRef.model_validate_json(action.get("value") or "")
    except ValidationError:
        raise InvalidPayload(INVALID) from None
    channel, ts = _clicked_message(body)
    await accept(
        runtime,
        key=f"action:{body['trigger_id']}",
        kind="action",
        job=DecideProposal(
            user_id=body["user"]["id"],
            response_url=body.get("response_url"),
            proposal_id=ref.proposal_id,
            decision="add" if action["action_id"] == ActionId.ADD_PROPOSED_STEP else "dismiss",
            message_channel=channel,
            message_ts=ts,
        ),
        actor=body["user"]["id"],
    )


async def on_step_done_or_snooze(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = _step_ref(action)
    channel, ts = _clicked_message(body)
    days = SNOOZE_DAYS.get(ActionId(action["action_id"]))
    await accept(
        runtime,
        key=f"action:{body['trigger_id']}",
        kind="action",
        job=ChangeStep(
            user_id=body["user"]["id"],
            response_url=body.get("response_url"),
            step_id=ref.step_id,
            change="done" if days is None else "snooze",
            seen_due=ref.due,
            days=days,
            message_channel=channel,
            message_ts=ts,
        ),
        actor=body["user"]["id"],
    )


async def on_step_reassign(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    """Reassign asks whom in a modal (a users_select), opened while the trigger is fresh."""
    await ack()
    ref = _step_ref(action)
    channel, ts = _clicked_message(body)
    modal = reassign_modal(ReassignRef(**ref.model_dump(), channel_id=channel, message_ts=ts))
    modal.validate_json()
    runtime.spawn(runtime.gateway.open_view(trigger_id=body["trigger_id"], view=modal.to_dict()))


async def on_reassign_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    try:
        ref = ReassignRef.model_validate_json(view.get("private_metadata") or "")
    except ValidationError:
        await ack(response_action="errors", errors={BlockId.REASSIGN_TO: "This form is out of date; close it."})
        raise InvalidPayload("That form's data is not valid; I did nothing.") from None
    state = ((view.get("state") or {}).get("values") or {}).get(BlockId.REASSIGN_TO) or {}
    chosen = str((state.get(InputId.ASSIGNEE) or {}).get("selected_user") or "")
    try:
        job = ChangeStep(
            user_id=body["user"]["id"],
            step_id=ref.step_id,
            change="reassign",
            seen_owner=ref.owner,
            new_owner=chosen,
            message_channel=ref.channel_id,
            message_ts=ref.message_ts,
        )
    except ValidationError:
        await ack(response_action="errors", errors={BlockId.REASSIGN_TO: "Choose a person."})
        return
    fingerprint = hashlib.sha256(f"{view['id']}:{chosen}".encode()).hexdigest()[:24]
    await accept(runtime, key=f"view:{fingerprint}", kind="view_submission", job=job, actor=body["user"]["id"])
    await ack()


def register(app: AsyncApp) -> None:
    """Registered before the actions module's catch-all: Bolt runs the first listener that matches."""
    app.action(ActionId.ADD_NEXT_STEP.value)(on_add_next_step)
    app.action(ActionId.ADD_PROPOSED_STEP.value)(on_proposal_decision)
    app.action(ActionId.DISMISS_PROPOSED_STEP.value)(on_proposal_decision)
    app.action(ActionId.STEP_DONE.value)(on_step_done_or_snooze)
    app.action(ActionId.STEP_SNOOZE_DAY.value)(on_step_done_or_snooze)
    app.action(ActionId.STEP_SNOOZE_WEEK.value)(on_step_done_or_snooze)
    app.action(ActionId.STEP_REASSIGN.value)(on_step_reassign)
    app.view(CallbackId.REASSIGN_STEP.value)(on_reassign_submitted)
