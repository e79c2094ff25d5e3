"""The POC plan's buttons and its outcome modal: validate the value, record the work (or open the modal while the
trigger is fresh), ack. Who may do it is checked by the use case the job runs, which says why when it refuses."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import InvalidPayload
from bot.ids import ActionId, CallbackId, PocRef, poc_measured_block, poc_outcome_block
from bot.listeners.intake import accept, clean_text
from bot.runtime import Runtime
from bot.views.poc import MODAL_CRITERIA, outcome_modal
from core.job_kinds import PocCriterionResult, RecordPocOutcome, SendPocForReview
from deals import poc_service
from deals.poc import contradiction
from deals.poc_models import Criterion, Outcome

INVALID = "That button's data is not valid; I did nothing. Run `/lto poc <deal>` for the latest plan."


def _poc_ref(raw: str | None) -> PocRef:
    try:
        return PocRef.model_validate_json(raw or "")
    except ValidationError:
        raise InvalidPayload(INVALID) from None


async def on_send_for_review(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = _poc_ref(action.get("value"))
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ts = container.get("message_ts")
    await accept(
        runtime,
        key=f"action:{body['trigger_id']}",
        kind="action",
        job=SendPocForReview(
            user_id=body["user"]["id"],
            response_url=body.get("response_url"),
            plan_id=ref.plan_id,
            version=ref.version,
            message_channel=channel,
            message_ts=ts,
        ),
        actor=body["user"]["id"],
    )


async def on_record_outcome(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = _poc_ref(action.get("value"))
    try:
        view = await asyncio.to_thread(poc_service.load_plan, runtime.session_factory, plan_id=ref.plan_id)
    except poc_service.PlanNotFound:
        raise InvalidPayload("That POC plan does not exist; I did nothing.") from None
    modal = outcome_modal(view)
    modal.validate_json()
    # The trigger id lives 3 seconds: open the modal right after the ack, not from a queued job.
    runtime.spawn(runtime.gateway.open_view(trigger_id=body["trigger_id"], view=modal.to_dict()))


def _state(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    values = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    state = values.get(action_id) or {}
    return state if isinstance(state, dict) else {}


def results_of(view: dict[str, Any], criteria: list[Criterion]) -> list[PocCriterionResult] | dict[str, str]:
    """Each criterion's outcome and measured value; or each block with what is wrong (a choice missing, a value
    that contradicts the choice)."""
    results: list[PocCriterionResult] = []
    errors: dict[str, str] = {}
    for criterion in criteria:
        key = criterion.key
        chosen = (_state(view, poc_outcome_block(key), poc_outcome_block(key)).get("selected_option") or {}).get(
            "value"
        )
        measured = clean_text(_state(view, poc_measured_block(key), poc_measured_block(key)).get("value") or "").strip()
        if chosen not in {str(outcome) for outcome in Outcome}:
            errors[poc_outcome_block(key)] = "Choose met, not met or not measured."
            continue
        if why := contradiction(criterion, chosen, measured):
            errors[poc_measured_block(key)] = why[:150]
            continue
        results.append(PocCriterionResult(key=key, outcome=chosen, measured=measured[:200] or None))
    return errors or results


async def on_outcome_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    try:
        ref = PocRef.model_validate_json(view.get("private_metadata") or "")
    except ValidationError:
        await ack()
        raise InvalidPayload("That form's data is not valid; I did nothing.") from None
    try:
        plan = await asyncio.to_thread(poc_service.load_plan, runtime.session_factory, plan_id=ref.plan_id)
    except poc_service.PlanNotFound:
        await ack()
        raise InvalidPayload("That POC plan does not exist; I did nothing.") from None
    results = results_of(view, plan.plan.criteria[:MODAL_CRITERIA])
    if isinstance(results, dict):
        await ack(response_action="errors", errors=results)
        return
    said = "|".join(f"{r.key}={r.outcome}:{r.measured or ''}" for r in results)
    fingerprint = hashlib.sha256(f"{view['id']}:{said}".encode()).hexdigest()[:24]
    await accept(
        runtime,
        key=f"view:{fingerprint}",
        kind="view_submission",
        job=RecordPocOutcome(user_id=body["user"]["id"], plan_id=ref.plan_id, results=tuple(results)),
        actor=body["user"]["id"],
    )
    await ack()


def register(app: AsyncApp) -> None:
    """Registered before the other actions: their catch-all for unknown buttons comes last."""
    app.action(ActionId.POC_SEND_FOR_REVIEW.value)(on_send_for_review)
    app.action(ActionId.POC_RECORD_OUTCOME.value)(on_record_outcome)
    app.view(CallbackId.POC_OUTCOME.value)(on_outcome_submitted)
