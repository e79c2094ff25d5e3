"""An erasure reaching Slack: the bot edits its own messages that carry the identifier and reports the rest."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from core import privacy
from core.job_kinds import EraseFromSlack
from core.jobs import ClaimedJob
from core.worker import RetryLater

THREAD_PAGES = 25  # 5,000 messages a thread: far beyond a deal thread
GONE = {"thread_not_found", "message_not_found"}  # deleted since: nothing left to erase


async def handle_erase_from_slack(runtime: Runtime, job: ClaimedJob) -> None:
    """Read every message the bot posted (with its thread), edit the bot's own that carry the identifier,
    and record what could not be reached: people's messages, attachments, channels the bot left."""
    args = job.args(EraseFromSlack)
    target = privacy.Hashed(sha256=args.identifier_sha256, length=args.length)
    bot_id = (runtime.identity or await runtime.identify()).bot_id
    report = privacy.SlackErasure()
    seen: set[tuple[str, str]] = set()
    for channel, ts in await asyncio.to_thread(privacy.bot_posts, runtime.session_factory):
        if (channel, ts) in seen:
            continue  # read already, with the thread it belongs to
        try:
            messages = await _thread(runtime, channel, ts)
        except SlackApiError as exc:
            error = _error(exc)
            if error == "ratelimited":  # the client's own retries ran out: the whole job again, later
                raise RetryLater("Slack rate limit while reading the bot's messages") from exc
            if error not in GONE:
                report.unreachable.append((channel, ts, f"could not read it ({error})"))
            continue
        for message in messages:
            if (channel, message["ts"]) not in seen:
                seen.add((channel, message["ts"]))
                report.checked += 1
                await _erase_from(runtime, channel, message, target, bot_id, report)
    await asyncio.to_thread(
        privacy.record_slack_erasure,
        runtime.session_factory,
        clock=runtime.clock,
        erasure_id=args.erasure_id,
        report=report,
    )


async def _thread(runtime: Runtime, channel: str, ts: str) -> list[dict[str, Any]]:
    """The message at `ts` with its thread (Slack returns the whole thread for a parent or a reply)."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(THREAD_PAGES):
        response = await runtime.gateway.client.conversations_replies(channel=channel, ts=ts, limit=200, cursor=cursor)
        messages += response.get("messages", [])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return messages


async def _erase_from(
    runtime: Runtime,
    channel: str,
    message: dict[str, Any],
    target: privacy.Hashed,
    bot_id: str,
    report: privacy.SlackErasure,
) -> None:
    ts = str(message["ts"])
    (text, blocks), in_content = privacy.scrub_hashed([message.get("text") or "", message.get("blocks")], target)
    elsewhere = privacy.scrub_hashed({k: v for k, v in message.items() if k not in ("text", "blocks")}, target)[1]
    if elsewhere:
        report.unreachable.append((channel, ts, "it is in an attachment or file, which the bot cannot edit"))
    if not in_content:
        return
    if message.get("bot_id") != bot_id:
        who = f"<@{message['user']}>" if message.get("user") else "another app"
        report.unreachable.append((channel, ts, f"written by {who}: only they or a workspace admin can delete it"))
        return
    try:
        await runtime.gateway.update_message(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as exc:
        report.unreachable.append((channel, ts, f"chat.update refused: {_error(exc)}"))
        return
    report.edited.append((channel, ts))


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "unknown")) if exc.response is not None else "unknown"
