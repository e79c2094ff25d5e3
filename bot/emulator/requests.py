"""Requests as Slack sends them to an app: slash commands, events and interactions, and their signatures.

Pure builders shared by the emulator's SlackActor (tests, `lto demo`) and the benchmarks: each returns a
`SlackRequest` (the body bytes and their content type); `headers(secret)` signs it as Slack does, over
`v0:{timestamp}:{body}`, at the moment it is called, so a request built early still leaves with a fresh
timestamp (Bolt refuses one older than five minutes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.emulator.workspace import APP_ID, BOT_USER, TEAM_ID

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated by Slack, still sent; Bolt ignores it


@dataclass(frozen=True)
class SlackRequest:
    """A request body as Slack would post it, and its content type."""

    body: bytes
    content_type: str

    def headers(
        self, signing_secret: str, *, timestamp: int | None = None, extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Content type, `extra` (retry headers) and the signature, made now unless `timestamp` is given."""
        return {"Content-Type": self.content_type, **(extra or {}), **sign(signing_secret, self.body, timestamp)}


def sign(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature headers for `body` (v0, HMAC-SHA256 over `v0:{ts}:{body}`)."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(signing_secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


# Slash commands ---------------------------------------------------------------------------------


def slash_command(
    *,
    command: str,
    text: str,
    user_id: str,
    user_name: str,
    channel_id: str,
    channel_name: str,
    team_domain: str,
    response_url: str,
    trigger_id: str,
) -> SlackRequest:
    """A slash command, form-encoded with the fields Slack documents, in Slack's order."""
    form = {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return SlackRequest(urlencode(form).encode(), FORM)


# Events -----------------------------------------------------------------------------------------


def new_event_id() -> str:
    return f"Ev{secrets.token_hex(5).upper()}"


def event_envelope(event: dict[str, Any], *, event_id: str, event_time: int | None = None) -> dict[str, Any]:
    """The Events API `event_callback` around `event`, as delivered to the bot's request URL."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time if event_time is not None else int(time.time()),
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


def event_callback(event: dict[str, Any], *, event_id: str, event_time: int | None = None) -> SlackRequest:
    """An event, in its envelope, as JSON."""
    return SlackRequest(json.dumps(event_envelope(event, event_id=event_id, event_time=event_time)).encode(), JSON)


def url_verification(challenge: str) -> SlackRequest:
    """The handshake Slack sends when a request URL is saved."""
    body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    return SlackRequest(json.dumps(body).encode(), JSON)


# Interactivity ----------------------------------------------------------------------------------


def interaction(payload: dict[str, Any]) -> SlackRequest:
    """A block action or view submission: the JSON payload in a `payload` form field."""
    return SlackRequest(urlencode({"payload": json.dumps(payload)}).encode(), FORM)


def slack_user(user_id: str, name: str) -> dict[str, Any]:
    """A person as interaction payloads name them."""
    return {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID}


def find_element(message: dict[str, Any], action_id: str) -> tuple[str, dict[str, Any]]:
    """The block id and the interactive element (a button, an accessory) with `action_id` in a message."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block.get("block_id", ""), element
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("action_id") == action_id:
            return block.get("block_id", ""), accessory
    raise LookupError(f"no element {action_id} in message {message.get('ts')}")


def button_click(
    *,
    user: dict[str, Any],
    message: dict[str, Any],
    message_ts: str,
    channel_id: str,
    channel_name: str,
    team_domain: str,
    action_id: str,
    trigger_id: str,
    response_url: str,
    value: str | None = None,
) -> dict[str, Any]:
    """The `block_actions` payload of a click on a message's button; `value` overrides the button's."""
    block_id, element = find_element(message, action_id)
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
    container = {"type": "message", "message_ts": message_ts, "channel_id": channel_id, "is_ephemeral": False}
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    return {
        "type": "block_actions",
        "user": user,
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": {"id": TEAM_ID, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
