"""Meeting buttons: "Schedule demo" on the deal card, an offered time's Book, a meeting's Reschedule and Cancel.

Each validates its value and records a job keyed by the click's trigger, so Slack delivering the same click again
records nothing; two different clicks on the same time are two jobs, and the booking use case books once.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import InvalidPayload
from bot.ids import ActionId, MeetingRef, SlotRef
from bot.listeners.actions import deal_ref
from bot.listeners.intake import accept
from bot.runtime import Runtime
from core.job_kinds import BookMeeting, ChangeMeeting, JobPayload, ScheduleMeeting

BOOK_BUTTON = re.compile(rf"^{re.escape(ActionId.BOOK_SLOT)}\.[0-9]$")


def _value(model: type[BaseModel], action: dict[str, Any]) -> Any:
    try:
        return model.model_validate_json(action.get("value") or "")
    except ValidationError:
        raise InvalidPayload("That button's data is not valid; I did nothing.") from None


async def _record(runtime: Runtime, body: dict[str, Any], job: JobPayload) -> None:
    await accept(runtime, key=f"action:{body['trigger_id']}", kind="action", job=job, actor=body["user"]["id"])


async def on_schedule_demo(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref = deal_ref(action)
    job = ScheduleMeeting(
        user_id=body["user"]["id"], response_url=body.get("response_url"), deal=f"#{ref.deal_id}", meeting_kind="demo"
    )
    await _record(runtime, body, job)


async def on_book(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref: SlotRef = _value(SlotRef, action)
    job = BookMeeting(user_id=body["user"]["id"], response_url=body.get("response_url"), token=ref.token)
    await _record(runtime, body, job)


async def on_change(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], runtime: Runtime) -> None:
    await ack()
    ref: MeetingRef = _value(MeetingRef, action)
    job = ChangeMeeting(
        user_id=body["user"]["id"],
        response_url=body.get("response_url"),
        meeting_id=ref.meeting_id,
        sequence=ref.sequence,
        change="cancel" if action["action_id"] == ActionId.CANCEL_MEETING else "reschedule",
    )
    await _record(runtime, body, job)


def register(app: AsyncApp) -> None:
    """Registered before the other actions: their catch-all for unknown buttons comes last."""
    app.action(ActionId.SCHEDULE_DEMO.value)(on_schedule_demo)
    app.action(BOOK_BUTTON)(on_book)
    app.action(ActionId.RESCHEDULE_MEETING.value)(on_change)
    app.action(ActionId.CANCEL_MEETING.value)(on_change)
