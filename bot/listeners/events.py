"""Events: @mentions, replies in the bot's threads and direct messages start or continue a conversation."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.listeners.intake import accept, admit_message, clean_text
from bot.runtime import Runtime
from core.job_kinds import TakeTurn, ThreadKind
from deals.service import conversation_for

# Message subtypes that are not a person writing something new.
IGNORED_SUBTYPES = {
    "message_changed",
    "message_deleted",
    "message_replied",
    "bot_message",
    "channel_join",
    "channel_leave",
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "thread_broadcast",
    "pinned_item",
    "unpinned_item",
    "ekm_access_denied",
    "assistant_app_thread",
}


def _is_person_writing(event: dict[str, Any]) -> bool:
    return (
        not event.get("bot_id")
        and event.get("subtype") not in IGNORED_SUBTYPES
        and bool(event.get("user"))
        and bool(clean_text(event.get("text") or "").strip())
    )


def _turn(event: dict[str, Any], *, thread_kind: ThreadKind, thread_ts: str) -> TakeTurn:
    return TakeTurn(
        thread_kind=thread_kind,
        user_id=event["user"],
        channel_id=event["channel"],
        thread_ts=thread_ts,
        message_ts=event["ts"],
        text=clean_text(event.get("text") or ""),
    )


async def _take_in(runtime: Runtime, body: dict[str, Any], event: dict[str, Any], turn: TakeTurn) -> None:
    """Record the turn, unless the person is over the per-person limit (then they are told, once a minute)."""
    if not await admit_message(
        runtime, user_id=event["user"], channel_id=event["channel"], thread_ts=event.get("thread_ts")
    ):
        return
    await accept(runtime, key=f"event:{body['event_id']}", kind="event", job=turn, actor=event["user"])


async def on_mention(body: dict[str, Any], event: dict[str, Any], runtime: Runtime) -> None:
    if not _is_person_writing(event):
        return
    thread_ts = event.get("thread_ts") or event["ts"]
    await _take_in(runtime, body, event, _turn(event, thread_kind="mention", thread_ts=thread_ts))


def _owns_thread(runtime: Runtime, channel: str, thread_ts: str) -> bool:
    with runtime.session_factory() as session:
        return conversation_for(session, channel_id=channel, thread_ts=thread_ts) is not None


async def on_message(body: dict[str, Any], event: dict[str, Any], runtime: Runtime) -> None:
    if not _is_person_writing(event):
        return
    identity = runtime.identity
    if identity and f"<@{identity.user_id}>" in (event.get("text") or ""):
        return  # the app_mention event carries this one
    if event.get("channel_type") == "im":
        kind, thread_ts = "dm", event.get("thread_ts") or event["channel"]
    else:
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event["ts"]:
            return  # channel chatter outside our threads is not ours to read
        if not await asyncio.to_thread(_owns_thread, runtime, event["channel"], thread_ts):
            return
        kind = "thread"
    await _take_in(runtime, body, event, _turn(event, thread_kind=kind, thread_ts=thread_ts))


def register(app: AsyncApp) -> None:
    app.event("app_mention")(on_mention)
    app.event("message")(on_message)
