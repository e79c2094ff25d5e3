"""Web API calls made by jobs: journalled so a re-run never repeats a post, and audited.

A job that dies after Slack accepted a message but before we recorded its `ts` would post
it again when the job is re-run. To keep that window as small as it can be, every keyed post
is journalled (pending) before the call and completed right after it, and it carries its key
in Slack message metadata; a re-run that finds a pending entry looks for the key in the
channel or thread before posting again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session, sessionmaker

from core import audit, effects, metrics
from core.clock import Clock

logger = logging.getLogger(__name__)

FIND_PAGES = 25  # 5,000 messages: far more than a channel moves while a job is retried
EFFECT_EVENT_TYPE = "lto_effect"
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str
    repeated: bool = False


class SlackGateway:
    """The jobs' door to the Web API (the same code talks to Slack or to the emulator)."""

    def __init__(
        self, *, client: AsyncWebClient, session_factory: sessionmaker[Session], clock: Clock, actor_id: str
    ) -> None:
        self.client = client
        self.session_factory = session_factory
        self.clock = clock
        self.actor_id = actor_id

    # Journal -------------------------------------------------------------------------------

    def _journal(self, key: str, method: str, channel: str | None) -> effects.Effect:
        with self.session_factory() as session, session.begin():
            return effects.journal(session, key=key, method=method, channel_id=channel, clock=self.clock)

    def _complete(self, key: str, *, ts: str | None, channel: str | None, result: dict[str, Any]) -> None:
        with self.session_factory() as session, session.begin():
            effects.complete(session, key=key, ts=ts, channel_id=channel, result=result, clock=self.clock)

    def _audit(self, method: str, *, outcome: str, deal_id: int | None, detail: dict[str, Any]) -> None:
        with self.session_factory() as session, session.begin():
            audit.record(
                session,
                clock=self.clock,
                actor_type="bot",
                actor_id=self.actor_id,
                action=f"slack.{method}",
                subject=f"slack:{method}",
                deal_id=deal_id,
                outcome=outcome,
                detail=detail,
            )

    async def _call(self, method: str, deal_id: int | None, detail: dict[str, Any], **kwargs: Any) -> Any:
        try:
            response = await self.client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown") if exc.response is not None else "unknown"
            metrics.WEB_API_ERRORS.labels(method, error).inc()
            await asyncio.to_thread(self._audit, method, outcome=f"error:{error}", deal_id=deal_id, detail=detail)
            raise
        await asyncio.to_thread(self._audit, method, outcome="ok", deal_id=deal_id, detail=detail)
        return response

    async def _find_by_key(self, key: str, channel: str, thread_ts: str | None) -> str | None:
        """Look for a message we posted with this effect key (the re-run after a crash).

        Pages through the channel (or thread), newest first for a channel, however far it has
        moved on since; a bound keeps a pathological channel from turning this into a crawl.
        """
        cursor: str | None = None
        for _ in range(FIND_PAGES):
            try:
                if thread_ts:
                    response = await self.client.conversations_replies(
                        channel=channel, ts=thread_ts, include_all_metadata=True, limit=200, cursor=cursor
                    )
                else:
                    response = await self.client.conversations_history(
                        channel=channel, include_all_metadata=True, limit=200, cursor=cursor
                    )
            except SlackApiError:
                return None
            messages: list[dict[str, Any]] = response.get("messages", [])
            for message in messages:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload", {})
                if metadata.get("event_type") == EFFECT_EVENT_TYPE and payload.get("key") == key:
                    return str(message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        logger.warning("effect %s not found in the last %s messages of %s; posting it", key, FIND_PAGES * 200, channel)
        return None

    # Calls ---------------------------------------------------------------------------------

    async def post_message(
        self,
        *,
        key: str,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        deal_id: int | None = None,
        unfurl: bool = False,
    ) -> Posted:
        """Post once per key: a re-run returns the message the first run posted."""
        effect = await asyncio.to_thread(self._journal, key, "chat.postMessage", channel)
        if effect.ts:
            return Posted(channel=effect.channel_id or channel, ts=effect.ts, repeated=True)
        if effect.attempted:
            found = await self._find_by_key(key, channel, thread_ts)
            if found:
                await asyncio.to_thread(self._complete, key, ts=found, channel=channel, result={"recovered": True})
                return Posted(channel=channel, ts=found, repeated=True)
        await asyncio.to_thread(self._mark_attempted, key)
        kwargs: dict[str, Any] = {
            "channel": channel,
            "text": text,
            "metadata": {"event_type": EFFECT_EVENT_TYPE, "event_payload": {"key": key}},
            "unfurl_links": unfurl,
            "unfurl_media": unfurl,
        }
        if blocks is not None:
            kwargs["blocks"] = blocks
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        response = await self._call(
            "chat.postMessage", deal_id, {"key": key, "channel": channel, "thread_ts": thread_ts}, **kwargs
        )
        posted = Posted(channel=response["channel"], ts=response["ts"])
        await asyncio.to_thread(self._complete, key, ts=posted.ts, channel=posted.channel, result={})
        return posted

    def _mark_attempted(self, key: str) -> None:
        with self.session_factory() as session, session.begin():
            effects.mark_attempted(session, key=key)

    async def update_message(
        self,
        *,
        channel: str,
        ts: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        deal_id: int | None = None,
    ) -> None:
        """Replace a message in place; repeating it is harmless."""
        kwargs: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if blocks is not None:
            kwargs["blocks"] = blocks
        await self._call("chat.update", deal_id, {"channel": channel, "ts": ts}, **kwargs)

    async def post_ephemeral(
        self,
        *,
        key: str,
        channel: str,
        user: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        deal_id: int | None = None,
    ) -> None:
        """An only-visible-to-you message, sent once per key."""
        effect = await asyncio.to_thread(self._journal, key, "chat.postEphemeral", channel)
        if effect.completed_at is not None:
            return
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if blocks is not None:
            kwargs["blocks"] = blocks
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        response = await self._call(
            "chat.postEphemeral", deal_id, {"key": key, "channel": channel, "user": user}, **kwargs
        )
        await asyncio.to_thread(self._complete, key, ts=response.get("message_ts"), channel=channel, result={})

    async def upload_file(
        self,
        *,
        key: str,
        channel: str,
        thread_ts: str | None,
        filename: str,
        content: bytes,
        title: str,
        comment: str,
        deal_id: int | None = None,
    ) -> str:
        """Share a file once per key with Slack's external upload flow (files_upload_v2)."""
        effect = await asyncio.to_thread(self._journal, key, "files.uploadV2", channel)
        if effect.completed_at is not None:
            return str(effect.result.get("file_id", ""))
        try:
            response = await self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                filename=filename,
                content=content,
                title=title,
                initial_comment=comment,
            )
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown") if exc.response is not None else "unknown"
            await asyncio.to_thread(
                self._audit, "files.uploadV2", outcome=f"error:{error}", deal_id=deal_id, detail={"key": key}
            )
            raise
        file_id = str(response["file"]["id"])
        await asyncio.to_thread(
            self._audit,
            "files.uploadV2",
            outcome="ok",
            deal_id=deal_id,
            detail={"key": key, "file": file_id, "bytes": len(content)},
        )
        await asyncio.to_thread(self._complete, key, ts=None, channel=channel, result={"file_id": file_id})
        return file_id

    async def open_view(self, *, trigger_id: str, view: dict[str, Any]) -> str:
        response = await self._call(
            "views.open", None, {"callback_id": view.get("callback_id")}, trigger_id=trigger_id, view=view
        )
        return str(response["view"]["id"])

    async def publish_home(self, *, user_id: str, view: dict[str, Any]) -> None:
        """Replace this person's Home tab with `view`; publishing it again is harmless."""
        await self._call("views.publish", None, {"user_id": user_id}, user_id=user_id, view=view)

    async def resolve_channel(self, name_or_id: str) -> str:
        """A channel id from `#name`, `name` or an id (ids pass through without a call)."""
        name = name_or_id.lstrip("#")
        if CHANNEL_ID.fullmatch(name):  # channel names are lower-case; ids are not
            return name
        cursor = None
        while True:
            response = await self.client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=200, cursor=cursor
            )
            channels: list[dict[str, Any]] = response.get("channels", [])
            for channel in channels:
                if channel.get("name") == name:
                    return str(channel["id"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise LookupError(f"channel #{name} was not found (is the bot invited to it?)")
