"""The contract's buttons and modals: the order form, a security review, and "Send for signature".

Buttons open their modal while the trigger is fresh, or record the work; a modal's input is validated
here (a field's error is shown on the field), then recorded as a job. Who may do it is checked by the
use case the job runs, which says why when it refuses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import InvalidPayload
from bot.ids import ActionId, BlockId, CallbackId, DealRef, InputId, OrderFormInput
from bot.listeners.actions import deal_ref
from bot.listeners.intake import accept, clean_text
from bot.runtime import Runtime
from bot.views.contract import PO_REQUIRED, order_form_modal, security_review_modal
from core.job_kinds import RecordOrderForm, RecordSecurityReview, SendForSignature
from deals import contract, contract_service
from deals.contract_models import OrderFormEntry


async def _open(runtime: Runtime, trigger_id: str, modal: Any) -> None:
    modal.validate_json()
    # The trigger id lives 3 seconds: open the modal right after the ack, not from a queued job.
    runtime.spawn(runtime.gateway.open_view(trigger_id=trigger_id, view=modal.to_dict()))


async def on_order_form(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = deal_ref(action)
    try:
        company, entry = await asyncio.to_thread(
            contract_service.order_form_for, runtime.session_factory, deal_id=ref.deal_id
        )
    except contract.ContractError:
        raise InvalidPayload("That button points at a deal that does not exist; I did nothing.") from None
    await _open(runtime, body["trigger_id"], order_form_modal(ref.deal_id, company, entry))


async def on_security_review(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = deal_ref(action)
    inspection = runtime.inspection()
    try:
        company, gaps = await asyncio.to_thread(
            contract_service.security_gaps,
            runtime.session_factory,
            deal_id=ref.deal_id,
            catalog=inspection.catalog,
            today=inspection.today,
        )
    except contract.ContractError:
        raise InvalidPayload("That button points at a deal that does not exist; I did nothing.") from None
    await _open(runtime, body["trigger_id"], security_review_modal(ref.deal_id, company, gaps))


async def on_send(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = deal_ref(action)
    await accept(
        runtime,
        key=f"action:{body['trigger_id']}",
        kind="action",
        job=SendForSignature(user_id=body["user"]["id"], deal_id=ref.deal_id, response_url=body.get("response_url")),
        actor=body["user"]["id"],
    )


def _state(view: dict[str, Any]) -> dict[str, Any]:
    return (view.get("state") or {}).get("values") or {}


def _text(view: dict[str, Any], field: str) -> str | None:
    value = ((_state(view).get(field) or {}).get(field) or {}).get("value")
    cleaned = clean_text(value).strip() if isinstance(value, str) else ""
    return cleaned or None


def _checked(view: dict[str, Any], field: str) -> bool:
    selected = ((_state(view).get(field) or {}).get(field) or {}).get("selected_options") or []
    return any(isinstance(option, dict) and option.get("value") == PO_REQUIRED for option in selected)


def order_form_entry(view: dict[str, Any]) -> OrderFormEntry | dict[str, str]:
    """The submitted order form, validated; or each invalid field's block id with what is wrong with it."""
    values: dict[str, Any] = {field.value: _text(view, field) for field in OrderFormInput if field != "po_required"}
    values["po_required"] = _checked(view, OrderFormInput.PO_REQUIRED)
    try:
        return OrderFormEntry.model_validate(values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else OrderFormInput.LEGAL_ENTITY
            emailish = field in (OrderFormInput.BILLING_CONTACT_EMAIL, OrderFormInput.SIGNER_EMAIL)
            errors.setdefault(field, "Enter an email address such as jane@acme.example." if emailish else error["msg"])
        return errors


async def on_order_form_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    try:
        ref = DealRef.model_validate_json(view.get("private_metadata") or "")
    except ValidationError:
        await ack(response_action="errors", errors={OrderFormInput.LEGAL_ENTITY: "This form is out of date; close it."})
        raise InvalidPayload("That form's data is not valid; I did nothing.") from None
    entry = order_form_entry(view)
    if isinstance(entry, dict):
        await ack(response_action="errors", errors=entry)
        return
    dumped = entry.model_dump(mode="json")
    fingerprint = hashlib.sha256(f"{view['id']}:{json.dumps(dumped, sort_keys=True)}".encode()).hexdigest()[:24]
    await accept(
        runtime,
        key=f"view:{fingerprint}",
        kind="view_submission",
        job=RecordOrderForm(user_id=body["user"]["id"], deal_id=ref.deal_id, order_form=dumped),
        actor=body["user"]["id"],
    )
    await ack()


async def on_security_review_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], runtime: Runtime
) -> None:
    try:
        ref = DealRef.model_validate_json(view.get("private_metadata") or "")
    except ValidationError:
        await ack(response_action="errors", errors={BlockId.SECURITY_NOTE: "This form is out of date; close it."})
        raise InvalidPayload("That form's data is not valid; I did nothing.") from None
    state = (_state(view).get(BlockId.SECURITY_NOTE) or {}).get(InputId.NOTE) or {}
    note = clean_text(state.get("value") or "").strip()
    if len(note) < 5:
        await ack(
            response_action="errors", errors={BlockId.SECURITY_NOTE: "Give your position in at least 5 characters."}
        )
        return
    await accept(
        runtime,
        key=f"view:{view['id']}",
        kind="view_submission",
        job=RecordSecurityReview(user_id=body["user"]["id"], deal_id=ref.deal_id, note=note[:1000]),
        actor=body["user"]["id"],
    )
    await ack()


def register(app: AsyncApp) -> None:
    """Registered before the other actions: their catch-all for unknown buttons comes last."""
    app.action(ActionId.ORDER_FORM.value)(on_order_form)
    app.action(ActionId.SECURITY_REVIEW.value)(on_security_review)
    app.action(ActionId.SEND_FOR_SIGNATURE.value)(on_send)
    app.view(CallbackId.ORDER_FORM.value)(on_order_form_submitted)
    app.view(CallbackId.SECURITY_REVIEW.value)(on_security_review_submitted)
