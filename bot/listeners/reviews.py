"""Technical reviews' buttons and modal: "Request SE review" on a deal card, Claim on a review card, the edit
modal's submission.

Claim is decided right after the ack (one conditional update), because the engineer who wins it gets the edit
modal, and a trigger id lives 3 seconds. The modal's submission is validated here (a field's error is shown on
the field) and recorded as a job whose use case decides once.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp

from approvals import reviews
from approvals.review_models import Verdict
from bot.errors import InvalidPayload, NotAllowed
from bot.ids import ActionId, BlockId, CallbackId, InputId, ReviewFormRef, ReviewRef, review_section_block
from bot.listeners.actions import deal_ref
from bot.listeners.intake import accept, clean_text, on_ack_thread
from bot.runtime import Runtime
from bot.views.review import review_modal
from core.job_kinds import DecideReview, RequestReview
from deals import service as deals
from deals.access import Identity


async def on_request_review(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = deal_ref(action)
    await accept(
        runtime,
        key=f"action:{body['trigger_id']}",
        kind="action",
        job=RequestReview(user_id=body["user"]["id"], deal=f"#{ref.deal_id}", response_url=body.get("response_url")),
        actor=body["user"]["id"],
    )


def _claim_and_form(runtime: Runtime, review_id: int, who: Identity) -> dict[str, Any]:
    """Claim the review (once) and the edit modal for the engineer who holds it."""
    claimed = reviews.claim(runtime.session_factory, review_id=review_id, who=who, clock=runtime.clock)
    with runtime.session_factory() as session:
        review = reviews.get_review(session, claimed.review.id)
        company = deals.get_deal(session, review.deal_id).account.name
        modal = review_modal(review, company)
    modal.validate_json()
    return modal.to_dict()


async def on_claim(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    try:
        ref = ReviewRef.model_validate_json(action.get("value") or "")
    except ValidationError:
        raise InvalidPayload("That button's data is not valid; I did nothing.") from None
    user_id = body["user"]["id"]
    who = await runtime.who(user_id)
    try:
        view = await on_ack_thread(runtime, _claim_and_form, runtime, ref.review_id, who)
    except reviews.ReviewError as exc:
        raise NotAllowed(str(exc)) from None
    runtime.notify_worker()  # the card shows who claimed it
    # The trigger id lives 3 seconds: open the modal now, not from a queued job.
    runtime.spawn(runtime.gateway.open_view(trigger_id=body["trigger_id"], view=view))


def _state(view: dict[str, Any]) -> dict[str, Any]:
    return (view.get("state") or {}).get("values") or {}


def _text(view: dict[str, Any], block_id: str) -> str:
    value = ((_state(view).get(block_id) or {}).get(block_id) or {}).get("value")
    return clean_text(value).strip() if isinstance(value, str) else ""


def _verdict(view: dict[str, Any]) -> str | None:
    chosen = ((_state(view).get(BlockId.REVIEW_VERDICT) or {}).get(InputId.VERDICT) or {}).get("selected_option")
    value = chosen.get("value") if isinstance(chosen, dict) else None
    return value if value in {str(v) for v in Verdict} else None


def form_errors(verdict: str | None, conditions: str, notes: str) -> dict[str, str]:
    """What the engineer must fix before the decision is recorded, by block."""
    if verdict is None:
        return {BlockId.REVIEW_VERDICT: "Choose a verdict."}
    if verdict == Verdict.FEASIBLE_WITH_CONDITIONS and not reviews.lines_of(conditions):
        return {BlockId.REVIEW_CONDITIONS: "List the conditions, one a line."}
    if verdict == Verdict.NOT_FEASIBLE and len(notes) < 5:
        return {BlockId.REVIEW_NOTES: "Say why it is not feasible (the rep reads it)."}
    return {}


async def on_review_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    try:
        ref = ReviewFormRef.model_validate_json(view.get("private_metadata") or "")
    except ValidationError:
        await ack(response_action="errors", errors={BlockId.REVIEW_VERDICT: "This form is out of date; close it."})
        raise InvalidPayload("That form's data is not valid; I did nothing.") from None
    verdict = _verdict(view)
    conditions, notes = _text(view, BlockId.REVIEW_CONDITIONS), _text(view, BlockId.REVIEW_NOTES)
    errors = form_errors(verdict, conditions, notes)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    sections = tuple((name, _text(view, review_section_block(i))[:3000]) for i, name in enumerate(ref.sections))
    await accept(
        runtime,
        key=f"view:{view['id']}",
        kind="view_submission",
        job=DecideReview(
            user_id=body["user"]["id"],
            review_id=ref.review_id,
            sections=sections,
            assumptions=_text(view, BlockId.REVIEW_ASSUMPTIONS)[:3000],
            conditions=conditions[:3000],
            verdict=verdict,  # type: ignore[arg-type]
            notes=notes[:3000],
        ),
        actor=body["user"]["id"],
    )
    await ack()


def register(app: AsyncApp) -> None:
    """Registered before the other actions: their catch-all for unknown buttons comes last."""
    app.action(ActionId.REQUEST_REVIEW.value)(on_request_review)
    app.action(ActionId.CLAIM_REVIEW.value)(on_claim)
    app.view(CallbackId.REVIEW_EDIT.value)(on_review_submitted)
