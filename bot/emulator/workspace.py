"""The emulated workspace's state: team, users, channels, messages, files, views and injected failures."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0EMULATE"
BOT_USER = "U0LTOBOT"
BOT_ID = "B0LTOBOT"
APP_ID = "A0LTOAPP"
TRIGGER_LIFETIME = 3.0  # seconds, as on Slack

HUMANS = (
    ("U0REP1", "riley", "Riley Rep"),
    ("U0REP2", "sam", "Sam Seller"),
    ("U0MGR", "morgan", "Morgan Manager"),
    ("U0VP", "val", "Val VP Sales"),
    ("U0DESK", "dana", "Dana DealDesk"),
    ("U0CFO", "casey", "Casey CFO"),
    ("U0LEGAL", "lee", "Lee Legal"),
    ("U0SEC", "sasha", "Sasha Security"),
    ("U0ADMIN", "ari", "Ari Admin"),
    ("U0SE1", "sky", "Sky Sales Engineer"),
    ("U0SE2", "jo", "Jo Sales Engineer"),
)
CHANNELS = (
    ("C0DEALS", "deals"),
    ("C0APPROVE", "deal-approvals"),
    ("C0GENERAL", "general"),
    ("C0SALESENG", "sales-engineering"),
)
USER_GROUPS = (
    ("S0MANAGERS", "sales-managers", ("U0MGR",)),
    ("S0DEALDESK", "deal-desk", ("U0DESK",)),
    ("S0SALESENG", "sales-engineers", ("U0SE1", "U0SE2")),
)


@dataclass
class Failure:
    status: int
    remaining: int
    retry_after: int | None = None


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float


@dataclass
class File:
    id: str
    name: str
    title: str
    length: int
    content: bytes | None = None
    mimetype: str = "application/octet-stream"
    shared_to: list[tuple[str, str | None]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "size": len(self.content or b""),
            "mimetype": self.mimetype,
            "url_private": f"https://files.emulated/{self.id}/{self.name}",
        }


class Workspace:
    """One Slack workspace in memory. Everything the Web API methods read and write lives here."""

    def __init__(self, *, clock: Callable[[], float] = time.time, signing_secret: str | None = None) -> None:
        self.clock = clock
        self.team = {"id": TEAM_ID, "name": "Halyard Systems (emulated)", "domain": "halyard-emulated"}
        self.bot_token = f"xoxb-emulator-{secrets.token_hex(8)}"
        self.app_token = f"xapp-emulator-{secrets.token_hex(8)}"
        self.signing_secret = signing_secret or secrets.token_hex(16)
        self.users: dict[str, dict[str, Any]] = {}
        for user_id, name, real_name in HUMANS:
            self.add_user(user_id, name, real_name)
        self.users[BOT_USER] = {
            "id": BOT_USER,
            "team_id": TEAM_ID,
            "name": "lto",
            "real_name": "lto",
            "is_bot": True,
            "is_admin": False,
            "tz": "UTC",
            "profile": {"real_name": "lto", "display_name": "lto", "bot_id": BOT_ID},
        }
        self.usergroups = {
            gid: {"id": gid, "handle": handle, "users": list(members)} for gid, handle, members in USER_GROUPS
        }
        self.channels: dict[str, dict[str, Any]] = {}
        for channel_id, name in CHANNELS:
            self.add_channel(channel_id, name)
        self.messages: dict[str, list[dict[str, Any]]] = {cid: [] for cid in self.channels}
        self.ephemeral: list[dict[str, Any]] = []
        self.files: dict[str, File] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> their published Home tab
        self.triggers: dict[str, tuple[float, str]] = {}
        self.responses: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.failures: dict[str, Failure] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self.base_url = ""  # set by the server once it listens

    # Setup ----------------------------------------------------------------------------------

    def add_user(self, user_id: str, name: str, real_name: str, *, is_admin: bool = False) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": real_name,
            "is_bot": False,
            "is_admin": is_admin,
            "tz": "America/New_York",
            "profile": {"real_name": real_name, "display_name": name, "email": f"{name}@halyard.example"},
        }

    def add_channel(self, channel_id: str, name: str, *, is_im: bool = False, user: str | None = None) -> None:
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_channel": not is_im,
            "is_im": is_im,
            "is_private": False,
            "is_archived": False,
            "is_member": True,
            "created": int(self.clock()),
            **({"user": user} if user else {}),
        }
        if hasattr(self, "messages"):
            self.messages.setdefault(channel_id, [])

    def channel_id(self, name_or_id: str) -> str:
        key = name_or_id.lstrip("#")
        if key in self.channels:
            return key
        for channel in self.channels.values():
            if channel["name"] == key:
                return channel["id"]
        raise KeyError(f"no channel {name_or_id}")

    def open_dm(self, user_id: str) -> str:
        for channel in self.channels.values():
            if channel["is_im"] and channel.get("user") == user_id:
                return channel["id"]
        channel_id = f"D0{user_id[2:]}"
        self.add_channel(channel_id, channel_id, is_im=True, user=user_id)
        return channel_id

    # Failure injection ------------------------------------------------------------------------

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with Retry-After."""
        self.failures[method] = Failure(status=429, remaining=times, retry_after=retry_after)

    def fail(self, method: str, *, times: int = 1, status: int = 500) -> None:
        """The next `times` calls of `method` answer with an HTTP error status."""
        self.failures[method] = Failure(status=status, remaining=times)

    def heal(self) -> None:
        self.failures.clear()

    def take_failure(self, method: str) -> Failure | None:
        failure = self.failures.get(method)
        if failure is None or failure.remaining <= 0:
            return None
        failure.remaining -= 1
        return failure

    # Ids, triggers ----------------------------------------------------------------------------

    def next_ts(self) -> str:
        # Strictly increasing, shaped like Slack's "seconds.micro" timestamps.
        return f"{int(self.clock())}.{next(self._ts):06d}"

    def next_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._ids):08d}"

    def issue_trigger(self, user_id: str) -> str:
        trigger = f"{next(self._ids)}.{secrets.token_hex(6)}"
        self.triggers[trigger] = (self.clock(), user_id)
        return trigger

    def trigger_state(self, trigger_id: str) -> str:
        """`ok`, `expired_trigger_id` or `invalid_trigger_id`; a trigger opens one view only."""
        issued = self.triggers.get(trigger_id)
        if issued is None:
            return "invalid_trigger_id"
        if self.clock() - issued[0] > TRIGGER_LIFETIME:
            return "expired_trigger_id"
        return "ok"

    # Messages ---------------------------------------------------------------------------------

    def find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        return None

    def add_message(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        message.setdefault("type", "message")
        message.setdefault("ts", self.next_ts())
        self.messages.setdefault(channel, []).append(message)
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"]:
            parent = self.find_message(channel, thread_ts)
            if parent is not None:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                users = parent.setdefault("reply_users", [])
                if message.get("user") and message["user"] not in users:
                    users.append(message["user"])
                parent["reply_users_count"] = len(users)
                parent["latest_reply"] = message["ts"]
        return message

    def post_as(self, user_id: str, channel: str, text: str, *, thread_ts: str | None = None) -> str:
        """Record a person's message as Slack would (used by the actor before it sends the event)."""
        message: dict[str, Any] = {
            "user": user_id,
            "text": text,
            "team": TEAM_ID,
            "client_msg_id": secrets.token_hex(8),
            "blocks": [
                {
                    "type": "rich_text",
                    "block_id": secrets.token_hex(2),
                    "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
                }
            ],
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
        return self.add_message(channel, message)["ts"]

    def history(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages (and thread broadcasts), oldest first, as a person scrolling the channel sees."""
        return [m for m in self.messages.get(channel, []) if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]]

    def replies(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The thread: its parent first, then replies in order."""
        parent = self.find_message(channel, ts)
        if parent is None:
            return []
        return [parent] + [m for m in self.messages.get(channel, []) if m.get("thread_ts") == ts and m["ts"] != ts]

    def ephemeral_for(self, user_id: str) -> list[dict[str, Any]]:
        return [m for m in self.ephemeral if m["user"] == user_id]

    def open_views_for(self, user_id: str) -> list[dict[str, Any]]:
        return [v for v in self.views.values() if v["user"] == user_id and v["state_open"]]

    def add_button(self, channel: str, ts: str, *, action_id: str, text: str, value: str = "x") -> None:
        """Add a button to a stored message (to test clicks on buttons a newer or older app posted)."""
        message = self.find_message(channel, ts)
        if message is None:
            raise KeyError(ts)
        message.setdefault("blocks", []).append(
            {
                "type": "actions",
                "block_id": f"extra_{action_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "text": {"type": "plain_text", "text": text},
                        "value": value,
                    }
                ],
            }
        )

    def user_name(self, user_id: str | None) -> str:
        if user_id is None:
            return "?"
        user = self.users.get(user_id)
        return user["real_name"] if user else user_id
