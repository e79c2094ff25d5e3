"""Next steps people write in a deal thread ("follow up with their CISO next Tuesday"): read, added once per
message, confirmed in the thread. Runs in the conversation turn's job, before discovery."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.views.next_steps import added_text
from core.job_kinds import TakeTurn
from deals import access, next_steps
from deals.follow_up_rules import zone
from deals.service import DealNotFound
from deals.step_words import ReadMessage, read_steps


async def timezone_of(runtime: Runtime, user_id: str) -> ZoneInfo:
    """Where the person is, from their Slack profile (`users.info` tz); UTC when Slack does not say."""
    try:
        response = await runtime.client.users_info(user=user_id)
    except SlackApiError:
        return ZoneInfo("UTC")
    user: dict[str, Any] = response.get("user") or {}
    return zone(user.get("tz"))


async def add_steps_from_words(runtime: Runtime, turn: TakeTurn, *, deal_id: int, bot_user_id: str | None) -> bool:
    """Steps someone wrote in the deal thread, added (once per message) and confirmed there; due dates read
    relative to when the message was written, where its writer is. True when the message was only steps, so
    discovery has nothing to read in it."""
    written_at = _written_at(turn.message_ts, runtime)
    if not read_steps(turn.text, written_at=written_at, bot_user_id=bot_user_id).steps:
        return False  # most messages: no step, and no need to ask Slack where the writer is
    written_at = written_at.astimezone(await timezone_of(runtime, turn.user_id))
    read: ReadMessage = read_steps(turn.text, written_at=written_at, bot_user_id=bot_user_id)
    who = await runtime.who(turn.user_id)
    try:
        added = await asyncio.to_thread(
            next_steps.add_said_steps,
            runtime.session_factory,
            who=who,
            deal_id=deal_id,
            said=read.steps,
            origin=f"message:{turn.channel_id}:{turn.message_ts}",
            rules=runtime.follow_up_rules(),
            today=written_at.date(),
            clock=runtime.clock,
        )
    except (DealNotFound, access.Forbidden):
        return False  # the turn tells the person why they may not work on this deal
    unread = [step.title for step in read.steps if step.due is None]
    text = added_text(added, written_at.date(), when_said=[step.when_said for step in read.steps])
    if unread:
        text += "\n_No date given (or none I could read): the default applies; snooze it from its nudge if needed._"
    await runtime.gateway.post_message(
        key=f"turn:{turn.channel_id}:{turn.message_ts}:next_steps",
        channel=turn.channel_id,
        thread_ts=turn.thread_ts,
        text=text,
        deal_id=deal_id,
    )
    return read.only_steps


def _written_at(message_ts: str, runtime: Runtime) -> datetime:
    """A Slack ts is the message's time in epoch seconds; anything else (a test's or a command's) means now."""
    try:
        return datetime.fromtimestamp(float(message_ts), tz=UTC)
    except ValueError:
        return runtime.clock.now()
