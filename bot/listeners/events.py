"""Events: @mentions, replies in the bot's threads and direct messages start or continue a conversation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.listeners.intake import clean_text, take_in_message
from bot.runtime import Runtime
from core.job_kinds import TakeTurn, ThreadKind
from deals.service import has_conversation

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


async def _take_in(
    runtime: Runtime,
    body: dict[str, Any],
    event: dict[str, Any],
    turn: TakeTurn,
    only_if: Callable[[], bool] | None = None,
) -> None:
    """Record the turn, unless the person is over the per-person limit (then they are told, once a minute)."""
    await take_in_message(
        runtime,
        key=f"event:{body['event_id']}",
        job=turn,
        user_id=event["user"],
        channel_id=event["channel"],
        thread_ts=event.get("thread_ts"),
        only_if=only_if,
    )


async def on_mention(body: dict[str, Any], event: dict[str, Any], runtime: Runtime) -> None:
    if not _is_person_writing(event):
        return
    thread_ts = event.get("thread_ts") or event["ts"]
    await _take_in(runtime, body, event, _turn(event, thread_kind="mention", thread_ts=thread_ts))


def _owns_thread(runtime: Runtime, channel: str, thread_ts: str) -> bool:
    with runtime.session_factory() as session:
        return has_conversation(session, channel_id=channel, thread_ts=thread_ts)


async def on_message(body: dict[str, Any], event: dict[str, Any], runtime: Runtime) -> None:
    if not _is_person_writing(event):
        return
    identity = runtime.identity
    if identity and f"<@{identity.user_id}>" in (event.get("text") or ""):
        return  # the app_mention event carries this one
    if event.get("channel_type") == "im":
        thread_ts = event.get("thread_ts") or event["channel"]
        await _take_in(runtime, body, event, _turn(event, thread_kind="dm", thread_ts=thread_ts))
        return
    thread_ts = event.get("thread_ts")
    if not thread_ts or thread_ts == event["ts"]:
        return  # channel chatter outside our threads is not ours to read
    # Whether the thread is ours is asked on the admission's own thread, just before it: one hop off the loop.
    ours = functools.partial(_owns_thread, runtime, event["channel"], thread_ts)
    await _take_in(runtime, body, event, _turn(event, thread_kind="thread", thread_ts=thread_ts), only_if=ours)


def register(app: AsyncApp) -> None:
    app.event("app_mention")(on_mention)
    app.event("message")(on_message)
