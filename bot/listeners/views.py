"""Modal submissions: validate the input, record the work, close the modal (or show the field's error)."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import InvalidPayload
from bot.ids import ApprovalRef, BlockId, CallbackId, DealRef, InputId
from bot.listeners.intake import accept, clean_text
from bot.runtime import Runtime
from core.job_kinds import DecideApproval, Disqualify


def _input_value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    return clean_text((state.get(action_id) or {}).get("value") or "").strip()


async def on_disqualify_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    try:
        ref = DealRef.model_validate_json(view.get("private_metadata") or "")
    except ValidationError:
        await ack(
            response_action="errors",
            errors={BlockId.DISQUALIFY_REASON: "This form is out of date; close it and try again."},
        )
        raise InvalidPayload("That form's data is not valid; I did nothing.") from None
    reason = _input_value(view, BlockId.DISQUALIFY_REASON, InputId.REASON)
    if len(reason) < 5:
        await ack(
            response_action="errors",
            errors={BlockId.DISQUALIFY_REASON: "Give a reason of at least 5 characters."},
        )
        return
    fingerprint = hashlib.sha256(f"{view['id']}:{reason}".encode()).hexdigest()[:24]
    await accept(
        runtime,
        key=f"view:{fingerprint}",
        kind="view_submission",
        job=Disqualify(user_id=body["user"]["id"], deal_id=ref.deal_id, reason=reason[:500]),
        actor=body["user"]["id"],
    )
    await ack()


async def on_approval_reason(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    try:
        ref = ApprovalRef.model_validate_json(view.get("private_metadata") or "")
    except ValidationError:
        await ack(response_action="errors", errors={BlockId.APPROVAL_REASON: "This form is out of date; close it."})
        raise InvalidPayload("That form's data is not valid; I did nothing.") from None
    reason = _input_value(view, BlockId.APPROVAL_REASON, InputId.REASON)
    if len(reason) < 5:
        await ack(response_action="errors", errors={BlockId.APPROVAL_REASON: "Give a reason of at least 5 characters."})
        return
    await accept(
        runtime,
        key=f"view:{view['id']}",
        kind="view_submission",
        job=DecideApproval(
            request_id=ref.request_id,
            user_id=body["user"]["id"],
            decision=ref.decision,
            reason=reason[:500],
        ),
        actor=body["user"]["id"],
    )
    await ack()


def register(app: AsyncApp) -> None:
    app.view(CallbackId.DISQUALIFY.value)(on_disqualify_submitted)
    app.view(CallbackId.APPROVAL_REASON.value)(on_approval_reason)
