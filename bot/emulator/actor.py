"""The emulator acting as Slack towards the bot: signed slash commands, events, clicks and submissions."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.emulator.workspace import APP_ID, BOT_USER, TEAM_ID, Workspace


class SlackActor:
    """Sends what Slack sends, shaped as Slack documents it, to the bot's request URL."""

    def __init__(
        self, workspace: Workspace, request_url: str, signing_secret: str, http: httpx.AsyncClient | None = None
    ) -> None:
        self.workspace = workspace
        self.request_url = request_url
        self.signing_secret = signing_secret
        self.http = http or httpx.AsyncClient(timeout=30)
        self.last_event_id: str | None = None
        self._last_event_body: bytes | None = None

    # Signing ----------------------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        digest = hmac.new(self.signing_secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}

    async def send_raw(
        self,
        body: bytes,
        *,
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """Post bytes to the bot as they are (to test forged, replayed and malformed requests)."""
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        if sign:
            all_headers.update(self.sign(body, timestamp))
        return await self.http.post(self.request_url, content=body, headers=all_headers)

    def _response_url(self, channel: str, user: str, message_ts: str | None = None) -> str:
        response_id = secrets.token_hex(8)
        self.workspace.responses[response_id] = {"channel": channel, "user": user, "message_ts": message_ts}
        return f"{self.workspace.base_url}/response/{response_id}"

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.workspace.users[user_id]
        return {"id": user_id, "username": user["name"], "name": user["name"], "team_id": TEAM_ID}

    # Slash commands ---------------------------------------------------------------------------

    async def slash_command(
        self, user_id: str, channel_id: str, command: str, text: str, *, timestamp: int | None = None
    ) -> httpx.Response:
        channel = self.workspace.channels[channel_id]
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": self.workspace.team["domain"],
            "channel_id": channel_id,
            "channel_name": "directmessage" if channel["is_im"] else channel["name"],
            "user_id": user_id,
            "user_name": self.workspace.users[user_id]["name"],
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self._response_url(channel_id, user_id),
            "trigger_id": self.workspace.issue_trigger(user_id),
        }
        return await self.send_raw(urlencode(form).encode(), timestamp=timestamp)

    # Events -----------------------------------------------------------------------------------

    def _envelope(self, event: dict[str, Any]) -> dict[str, Any]:
        self.last_event_id = f"Ev{secrets.token_hex(5).upper()}"
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "context_team_id": TEAM_ID,
            "context_enterprise_id": None,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": self.last_event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_hex(12)}",
        }

    async def send_event(self, event: dict[str, Any]) -> httpx.Response:
        body = json.dumps(self._envelope(event)).encode()
        self._last_event_body = body
        return await self.send_raw(body, headers={"Content-Type": "application/json"})

    async def resend_last_event(self, *, retry_num: int = 1, retry_reason: str = "http_timeout") -> httpx.Response:
        """Deliver the previous event again, byte for byte, as Slack's retry does."""
        assert self._last_event_body is not None, "no event sent yet"
        return await self.send_raw(
            self._last_event_body,
            headers={
                "Content-Type": "application/json",
                "X-Slack-Retry-Num": str(retry_num),
                "X-Slack-Retry-Reason": retry_reason,
            },
        )

    def _message_event(
        self, user_id: str, channel_id: str, text: str, ts: str, thread_ts: str | None
    ) -> dict[str, Any]:
        stored = self.workspace.find_message(channel_id, ts) or {}
        event = {
            "type": "message",
            "user": user_id,
            "text": text,
            "ts": ts,
            "channel": channel_id,
            "event_ts": ts,
            "channel_type": "im" if self.workspace.channels[channel_id]["is_im"] else "channel",
            "client_msg_id": stored.get("client_msg_id"),
            "team": TEAM_ID,
            "blocks": stored.get("blocks", []),
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
            event["parent_user_id"] = (self.workspace.find_message(channel_id, thread_ts) or {}).get("user")
        return event

    async def post_message(
        self, user_id: str, channel_id: str, text: str, *, thread_ts: str | None = None
    ) -> httpx.Response:
        """A person writes in a channel, thread or DM: recorded in the workspace, then the event is sent."""
        ts = self.workspace.post_as(user_id, channel_id, text, thread_ts=thread_ts)
        return await self.send_event(self._message_event(user_id, channel_id, text, ts, thread_ts))

    async def mention(
        self, user_id: str, channel_id: str, text: str, *, thread_ts: str | None = None, also_message_event: bool = True
    ) -> httpx.Response:
        """A person @mentions the bot; Slack sends `app_mention` and, when subscribed, `message` too."""
        full = f"<@{BOT_USER}> {text}"
        ts = self.workspace.post_as(user_id, channel_id, full, thread_ts=thread_ts)
        event = self._message_event(user_id, channel_id, full, ts, thread_ts)
        event["type"] = "app_mention"
        event.pop("channel_type", None)
        response = await self.send_event(event)
        if also_message_event:
            await self.send_event(self._message_event(user_id, channel_id, full, ts, thread_ts))
        return response

    # Interactivity ----------------------------------------------------------------------------

    def _find_button(self, message: dict[str, Any], action_id: str) -> tuple[str, dict[str, Any]]:
        for block in message.get("blocks") or []:
            for element in block.get("elements") or []:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return block.get("block_id", ""), element
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("action_id") == action_id:
                return block.get("block_id", ""), accessory
        raise LookupError(f"no element {action_id} in message {message.get('ts')}")

    async def click(
        self, user_id: str, channel_id: str, message_ts: str, action_id: str, *, value: str | None = None
    ) -> httpx.Response:
        """Click a button of a stored message; `value` overrides the button's (a tampered payload)."""
        message = self.workspace.find_message(channel_id, message_ts)
        if message is None:
            raise LookupError(f"no message {message_ts} in {channel_id}")
        block_id, element = self._find_button(message, action_id)
        action = {
            "action_id": action_id,
            "block_id": block_id,
            "text": element.get("text"),
            "value": element.get("value") if value is None else value,
            "type": element.get("type", "button"),
            "action_ts": f"{time.time():.6f}",
        }
        if element.get("style"):
            action["style"] = element["style"]
        payload = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
                **({"thread_ts": message["thread_ts"]} if message.get("thread_ts") else {}),
            },
            "trigger_id": self.workspace.issue_trigger(user_id),
            "team": {"id": TEAM_ID, "domain": self.workspace.team["domain"]},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": self.workspace.channels[channel_id]["name"]},
            "message": message,
            "state": {"values": {}},
            "response_url": self._response_url(channel_id, user_id, message_ts),
            "actions": [action],
        }
        return await self.send_raw(urlencode({"payload": json.dumps(payload)}).encode())

    async def submit_view(self, user_id: str, view_id: str, values: dict[str, dict[str, str]]) -> httpx.Response:
        """Submit an open modal; `values` is {block_id: {action_id: text}} for plain-text inputs."""
        view = self.workspace.views[view_id]
        state = {
            block_id: {action_id: {"type": "plain_text_input", "value": text} for action_id, text in inputs.items()}
            for block_id, inputs in values.items()
        }
        public_view = {k: v for k, v in view.items() if k not in ("user", "state_open")}
        public_view["state"] = {"values": state}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": self.workspace.team["domain"]},
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": self.workspace.issue_trigger(user_id),
            "view": public_view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        response = await self.send_raw(urlencode({"payload": json.dumps(payload)}).encode())
        closes = response.status_code == 200 and (not response.content.strip() or b"errors" not in response.content)
        if closes:
            view["state_open"] = False
        return response

    async def url_verification(self, challenge: str) -> httpx.Response:
        body = json.dumps({"token": "legacy-verification-token", "challenge": challenge, "type": "url_verification"})
        return await self.send_raw(body.encode(), headers={"Content-Type": "application/json"})

    async def close(self) -> None:
        await self.http.aclose()
