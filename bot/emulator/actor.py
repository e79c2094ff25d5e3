"""The emulator acting as Slack towards the bot: signed slash commands, events, clicks and submissions."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from bot.emulator import requests
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
        return requests.sign(self.signing_secret, body, timestamp)

    async def send_raw(
        self,
        body: bytes,
        *,
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """Post bytes to the bot as they are (to test forged, replayed and malformed requests)."""
        all_headers = {"Content-Type": requests.FORM, **(headers or {})}
        if sign:
            all_headers.update(self.sign(body, timestamp))
        return await self.http.post(self.request_url, content=body, headers=all_headers)

    def _response_url(self, channel: str, user: str, message_ts: str | None = None) -> str:
        response_id = secrets.token_hex(8)
        self.workspace.responses[response_id] = {"channel": channel, "user": user, "message_ts": message_ts}
        return f"{self.workspace.base_url}/response/{response_id}"

    def _user(self, user_id: str) -> dict[str, Any]:
        return requests.slack_user(user_id, self.workspace.users[user_id]["name"])

    async def send(self, request: requests.SlackRequest, *, timestamp: int | None = None) -> httpx.Response:
        return await self.send_raw(request.body, headers={"Content-Type": request.content_type}, timestamp=timestamp)

    # Slash commands ---------------------------------------------------------------------------

    async def slash_command(
        self, user_id: str, channel_id: str, command: str, text: str, *, timestamp: int | None = None
    ) -> httpx.Response:
        channel = self.workspace.channels[channel_id]
        request = requests.slash_command(
            command=command,
            text=text,
            user_id=user_id,
            user_name=self.workspace.users[user_id]["name"],
            channel_id=channel_id,
            channel_name="directmessage" if channel["is_im"] else channel["name"],
            team_domain=self.workspace.team["domain"],
            response_url=self._response_url(channel_id, user_id),
            trigger_id=self.workspace.issue_trigger(user_id),
        )
        return await self.send(request, timestamp=timestamp)

    # Events -----------------------------------------------------------------------------------

    async def send_event(self, event: dict[str, Any]) -> httpx.Response:
        self.last_event_id = requests.new_event_id()
        request = requests.event_callback(event, event_id=self.last_event_id)
        self._last_event_body = request.body
        return await self.send(request)

    async def resend_last_event(self, *, retry_num: int = 1, retry_reason: str = "http_timeout") -> httpx.Response:
        """Deliver the previous event again, byte for byte, as Slack's retry does."""
        assert self._last_event_body is not None, "no event sent yet"
        return await self.send_raw(
            self._last_event_body,
            headers={
                "Content-Type": requests.JSON,
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

    async def open_home(self, user_id: str) -> httpx.Response:
        """A person opens the app's Home tab: `app_home_opened`, with the view published before, if any."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.workspace.open_dm(user_id),
            "tab": "home",
            "event_ts": self.workspace.next_ts(),
        }
        published = self.workspace.home_views.get(user_id)
        if published is not None:
            event["view"] = published
        return await self.send_event(event)

    # Interactivity ----------------------------------------------------------------------------

    async def click(
        self, user_id: str, channel_id: str, message_ts: str, action_id: str, *, value: str | None = None
    ) -> httpx.Response:
        """Click a button of a stored message; `value` overrides the button's (a tampered payload)."""
        message = self.workspace.find_message(channel_id, message_ts)
        if message is None:
            raise LookupError(f"no message {message_ts} in {channel_id}")
        payload = requests.button_click(
            user=self._user(user_id),
            message=message,
            message_ts=message_ts,
            channel_id=channel_id,
            channel_name=self.workspace.channels[channel_id]["name"],
            team_domain=self.workspace.team["domain"],
            action_id=action_id,
            trigger_id=self.workspace.issue_trigger(user_id),
            response_url=self._response_url(channel_id, user_id, message_ts),
            value=value,
        )
        return await self.send(requests.interaction(payload))

    def ephemeral_click(self, user_id: str, message: dict[str, Any], action_id: str) -> dict[str, Any]:
        """The payload of a click on a button of an ephemeral message shown to `user_id`: Slack sends no copy of
        an ephemeral message with the click, only its container."""
        channel_id = message["channel"]
        payload = requests.button_click(
            user=self._user(user_id),
            message=message,
            message_ts=message["ts"],
            channel_id=channel_id,
            channel_name=self.workspace.channels[channel_id]["name"],
            team_domain=self.workspace.team["domain"],
            action_id=action_id,
            trigger_id=self.workspace.issue_trigger(user_id),
            response_url=self._response_url(channel_id, user_id),
        )
        payload["container"]["is_ephemeral"] = True
        del payload["message"]
        return payload

    async def click_ephemeral(self, user_id: str, message: dict[str, Any], action_id: str) -> httpx.Response:
        """Click a button of an ephemeral message shown to `user_id`."""
        return await self.send(requests.interaction(self.ephemeral_click(user_id, message, action_id)))

    async def submit_view(
        self, user_id: str, view_id: str, values: dict[str, dict[str, str | list[str]]]
    ) -> httpx.Response:
        """Submit an open modal; `values` is {block_id: {action_id: value}}: the text of a plain-text input, the
        user id chosen in a users_select, the values of the options ticked in checkboxes (a list), the value of the
        option chosen in radio buttons or a static select."""
        view = self.workspace.views[view_id]
        kinds = {
            (block.get("block_id"), (block.get("element") or {}).get("action_id")): (block.get("element") or {}).get(
                "type"
            )
            for block in view.get("blocks") or []
        }
        # Like Slack, the state holds every input of the view: what the person left alone keeps its initial value.
        state = _untouched_inputs(view)
        for block_id, inputs in values.items():
            for action_id, value in inputs.items():
                state.setdefault(block_id, {})[action_id] = _input_state(kinds.get((block_id, action_id)), value)
        public_view = {k: v for k, v in view.items() if k not in ("user", "state_open")}
        public_view["state"] = {"values": state}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": self.workspace.team["domain"]},
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": requests.VERIFICATION_TOKEN,
            "trigger_id": self.workspace.issue_trigger(user_id),
            "view": public_view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        response = await self.send(requests.interaction(payload))
        closes = response.status_code == 200 and (not response.content.strip() or b"errors" not in response.content)
        if closes:
            view["state_open"] = False
        return response

    async def url_verification(self, challenge: str) -> httpx.Response:
        return await self.send(requests.url_verification(challenge))

    async def close(self) -> None:
        await self.http.aclose()


def _untouched_inputs(view: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """The state Slack reports for the view's inputs nobody changed: their initial values, or nothing chosen."""
    state: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") != "input" or not element.get("action_id"):
            continue
        kind = element.get("type") or "plain_text_input"
        entry: dict[str, Any] = {"type": kind}
        if kind == "users_select":
            entry["selected_user"] = element.get("initial_user")
        elif kind == "checkboxes":
            entry["selected_options"] = element.get("initial_options") or []
        elif kind in ("radio_buttons", "static_select"):
            entry["selected_option"] = element.get("initial_option")
        else:
            entry["value"] = element.get("initial_value")
        state.setdefault(block.get("block_id", ""), {})[element["action_id"]] = entry
    return state


def _input_state(kind: str | None, value: str | list[str]) -> dict[str, Any]:
    """An input's state as Slack reports it in a view submission, by the kind of element it is."""
    if kind == "users_select":
        return {"type": "users_select", "selected_user": value}
    if kind == "checkboxes":
        ticked = [value] if isinstance(value, str) else value
        options = [{"text": {"type": "plain_text", "text": v}, "value": v} for v in ticked]
        return {"type": "checkboxes", "selected_options": options}
    if kind in ("radio_buttons", "static_select"):
        chosen = value if isinstance(value, str) else value[0]
        return {"type": kind, "selected_option": {"text": {"type": "plain_text", "text": chosen}, "value": chosen}}
    return {"type": kind or "plain_text_input", "value": value}
