"""The Web API methods the bot calls, answering with Slack's shapes and error codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.emulator.blockkit import block_errors, view_errors
from bot.emulator.workspace import APP_ID, BOT_ID, BOT_USER, TEAM_ID, File, Workspace

MAX_TEXT = 40_000
JSON_FIELDS = {"blocks", "metadata", "view", "files", "attachments", "channels"}


class ApiError(Exception):
    """`{"ok": false, "error": code}` with HTTP 200, as Slack answers method errors."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


Method = Callable[[Workspace, dict[str, Any]], dict[str, Any]]
METHODS: dict[str, Method] = {}


def method(name: str) -> Callable[[Method], Method]:
    def register(fn: Method) -> Method:
        METHODS[name] = fn
        return fn

    return register


def normalise_args(args: dict[str, Any]) -> dict[str, Any]:
    """Form posts carry JSON fields as strings; JSON posts carry them as values."""
    out = dict(args)
    for key in JSON_FIELDS & out.keys():
        if isinstance(out[key], str) and out[key][:1] in "[{":
            try:
                out[key] = json.loads(out[key])
            except ValueError:
                raise ApiError("invalid_arguments", detail=f"{key} is not valid JSON") from None
    return out


def _require(args: dict[str, Any], *names: str) -> None:
    for name in names:
        if args.get(name) in (None, ""):
            raise ApiError(
                "invalid_arguments", response_metadata={"messages": [f"[ERROR] missing required field: {name}"]}
            )


def _channel(ws: Workspace, args: dict[str, Any], key: str = "channel") -> str:
    _require(args, key)
    try:
        return ws.channel_id(str(args[key]))
    except KeyError:
        raise ApiError("channel_not_found") from None


def _check_content(args: dict[str, Any]) -> None:
    text = args.get("text") or ""
    if not text and not args.get("blocks") and not args.get("attachments"):
        raise ApiError("no_text")
    if len(text) > MAX_TEXT:
        raise ApiError("msg_too_long")
    if args.get("blocks") is not None:
        errors = block_errors(args["blocks"])
        if errors:
            raise ApiError(
                "invalid_blocks", errors=errors, response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
            )


def bot_message(args: dict[str, Any], ts: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "text": args.get("text") or "",
        "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "lto", "team_id": TEAM_ID},
    }
    if ts:
        message["ts"] = ts
    if args.get("blocks") is not None:
        message["blocks"] = args["blocks"]
    if args.get("metadata"):
        message["metadata"] = args["metadata"]
    if args.get("thread_ts"):
        message["thread_ts"] = str(args["thread_ts"])
    return message


@method("auth.test")
def auth_test(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": f"https://{ws.team['domain']}.slack.com/",
        "team": ws.team["name"],
        "user": "lto",
        "team_id": TEAM_ID,
        "user_id": BOT_USER,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


@method("chat.postMessage")
def chat_post_message(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _channel(ws, args)
    _check_content(args)
    thread_ts = args.get("thread_ts")
    if thread_ts and ws.find_message(channel, str(thread_ts)) is None:
        raise ApiError("thread_not_found")
    message = ws.add_message(channel, bot_message(args))
    public = {k: v for k, v in message.items() if k != "metadata"}
    return {"channel": channel, "ts": message["ts"], "message": public}


@method("chat.update")
def chat_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _channel(ws, args)
    _require(args, "ts")
    _check_content(args)
    message = ws.find_message(channel, str(args["ts"]))
    if message is None:
        raise ApiError("message_not_found")
    if message.get("bot_id") != BOT_ID:
        raise ApiError("cant_update_message")
    message["text"] = args.get("text") or ""
    if args.get("blocks") is not None:
        message["blocks"] = args["blocks"]
    message["edited"] = {"user": BOT_USER, "ts": ws.next_ts()}
    return {"channel": channel, "ts": message["ts"], "text": message["text"], "message": dict(message)}


@method("chat.delete")
def chat_delete(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _channel(ws, args)
    message = ws.find_message(channel, str(args.get("ts")))
    if message is None:
        raise ApiError("message_not_found")
    if message.get("bot_id") != BOT_ID:
        raise ApiError("cant_delete_message")
    ws.messages[channel].remove(message)
    return {"channel": channel, "ts": message["ts"]}


@method("chat.postEphemeral")
def chat_post_ephemeral(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _channel(ws, args)
    _require(args, "user")
    if args["user"] not in ws.users:
        raise ApiError("user_not_found")
    _check_content(args)
    ts = ws.next_ts()
    ws.ephemeral.append({"channel": channel, "user": args["user"], "ts": ts, **bot_message(args, ts)})
    ws.ephemeral[-1]["user"] = args["user"]
    return {"message_ts": ts}


@method("chat.getPermalink")
def chat_get_permalink(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _channel(ws, args)
    ts = str(args.get("message_ts") or "")
    if ws.find_message(channel, ts) is None:
        raise ApiError("message_not_found")
    return {
        "channel": channel,
        "permalink": f"https://{ws.team['domain']}.slack.com/archives/{channel}/p{ts.replace('.', '')}",
    }


def _with_metadata(message: dict[str, Any], include: bool) -> dict[str, Any]:
    return message if include else {k: v for k, v in message.items() if k != "metadata"}


def _page(items: list[Any], args: dict[str, Any], default_limit: int = 100) -> tuple[list[Any], str]:
    limit = max(1, min(int(args.get("limit") or default_limit), 1000))
    start = int(args.get("cursor") or 0)
    page = items[start : start + limit]
    next_cursor = str(start + limit) if start + limit < len(items) else ""
    return page, next_cursor


def _truthy(value: Any) -> bool:
    return value in (True, "true", "1", 1)


@method("conversations.replies")
def conversations_replies(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _channel(ws, args)
    _require(args, "ts")
    thread = ws.replies(channel, str(args["ts"]))
    if not thread:
        raise ApiError("thread_not_found")
    include = _truthy(args.get("include_all_metadata"))
    page, cursor = _page([_with_metadata(m, include) for m in thread], args)
    return {"messages": page, "has_more": bool(cursor), "response_metadata": {"next_cursor": cursor}}


@method("conversations.history")
def conversations_history(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _channel(ws, args)
    include = _truthy(args.get("include_all_metadata"))
    newest_first = [_with_metadata(m, include) for m in reversed(ws.history(channel))]
    page, cursor = _page(newest_first, args)
    return {"messages": page, "has_more": bool(cursor), "response_metadata": {"next_cursor": cursor}}


@method("conversations.info")
def conversations_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {"channel": ws.channels[_channel(ws, args)]}


@method("conversations.list")
def conversations_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    types = set(str(args.get("types") or "public_channel").split(","))
    channels = [
        c
        for c in ws.channels.values()
        if (("im" in types) if c["is_im"] else ({"public_channel", "private_channel"} & types))
        and not (c["is_archived"] and _truthy(args.get("exclude_archived")))
    ]
    page, cursor = _page(channels, args)
    return {"channels": page, "response_metadata": {"next_cursor": cursor}}


@method("conversations.open")
def conversations_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    _require(args, "users")
    user = str(args["users"]).split(",")[0]
    if user not in ws.users:
        raise ApiError("user_not_found")
    return {"channel": {"id": ws.open_dm(user)}}


@method("users.info")
def users_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    _require(args, "user")
    user = ws.users.get(str(args["user"]))
    if user is None:
        raise ApiError("user_not_found")
    return {"user": user}


@method("users.list")
def users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    page, cursor = _page(list(ws.users.values()), args)
    return {"members": page, "response_metadata": {"next_cursor": cursor}}


@method("usergroups.users.list")
def usergroups_users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    _require(args, "usergroup")
    group = ws.usergroups.get(str(args["usergroup"]))
    if group is None:
        raise ApiError("no_such_subteam")
    return {"users": list(group["users"])}


def _store_view(ws: Workspace, view: dict[str, Any], user: str, view_id: str | None = None) -> dict[str, Any]:
    errors = view_errors(view)
    if errors:
        raise ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
    view_id = view_id or ws.next_id("V")
    stored = {
        **view,
        "id": view_id,
        "team_id": TEAM_ID,
        "app_id": APP_ID,
        "bot_id": BOT_ID,
        "hash": ws.next_ts(),
        "state": {"values": {}},
        "user": user,
        "state_open": True,
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
    }
    ws.views[view_id] = stored
    return {k: v for k, v in stored.items() if k not in ("user", "state_open")}


@method("views.open")
def views_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    _require(args, "trigger_id", "view")
    state = ws.trigger_state(str(args["trigger_id"]))
    if state != "ok":
        raise ApiError(state)
    user = ws.triggers.pop(str(args["trigger_id"]))[1]
    return {"view": _store_view(ws, args["view"], user)}


@method("views.push")
def views_push(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return views_open(ws, args)


@method("views.update")
def views_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    _require(args, "view")
    existing = ws.views.get(str(args.get("view_id") or ""))
    if existing is None:
        raise ApiError("not_found")
    if args.get("hash") and args["hash"] != existing["hash"]:
        raise ApiError("hash_conflict")
    return {"view": _store_view(ws, args["view"], existing["user"], view_id=existing["id"])}


HOME_VIEW_BYTES = 250_000  # Slack refuses a larger view with view_too_large


def _invalid_view(problem: str, pointer: str) -> ApiError:
    message = f"[ERROR] {problem} [json-pointer:{pointer}]"
    return ApiError("invalid_arguments", response_metadata={"messages": [message]})


@method("views.publish")
def views_publish(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """A person's Home tab: one view per person, replaced by each publish (guarded by `hash` when given)."""
    _require(args, "user_id", "view")
    user = str(args["user_id"])
    if user not in ws.users:
        raise ApiError("user_not_found")
    view = args["view"]
    if not isinstance(view, dict):
        raise _invalid_view("must provide an object", "/view")
    if view.get("type") != "home":
        raise _invalid_view("must be home", "/view/type")
    if len(json.dumps(view).encode()) > HOME_VIEW_BYTES:
        raise ApiError("view_too_large")
    errors = view_errors(view)
    if errors:
        raise ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
    existing = ws.home_views.get(user)
    if args.get("hash") and (existing is None or args["hash"] != existing["hash"]):
        raise ApiError("hash_conflict")
    published = {
        **view,
        "id": existing["id"] if existing else ws.next_id("V"),
        "team_id": TEAM_ID,
        "app_id": APP_ID,
        "bot_id": BOT_ID,
        "hash": ws.next_ts(),
        "state": {"values": {}},
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "root_view_id": existing["id"] if existing else None,
        "previous_view_id": None,
    }
    published["root_view_id"] = published["id"]
    ws.home_views[user] = published
    return {"view": published}


@method("files.getUploadURLExternal")
def files_get_upload_url(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    _require(args, "filename", "length")
    try:
        length = int(args["length"])
    except (TypeError, ValueError):
        raise ApiError("invalid_arguments") from None
    if length <= 0:
        raise ApiError("invalid_arguments")
    file = File(
        id=ws.next_id("F"),
        name=str(args["filename"]),
        title=str(args.get("alt_txt") or args["filename"]),
        length=length,
    )
    ws.files[file.id] = file
    return {"upload_url": f"{ws.base_url}/upload/{file.id}", "file_id": file.id}


@method("files.completeUploadExternal")
def files_complete_upload(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    _require(args, "files")
    entries = args["files"]
    if not isinstance(entries, list) or not entries:
        raise ApiError("invalid_arguments")
    channel = _channel(ws, args, "channel_id") if args.get("channel_id") else None
    thread_ts = args.get("thread_ts")
    if channel and thread_ts and ws.find_message(channel, str(thread_ts)) is None:
        raise ApiError("thread_not_found")
    shared = []
    for entry in entries:
        file = ws.files.get(str(entry.get("id")))
        if file is None:
            raise ApiError("file_not_found")
        if file.content is None:
            raise ApiError("file_upload_not_completed")
        if len(file.content) != file.length:
            raise ApiError("file_size_mismatch")
        if entry.get("title"):
            file.title = entry["title"]
        shared.append(file)
    if channel:
        message = bot_message({"text": args.get("initial_comment") or "", "thread_ts": thread_ts})
        message["files"] = [f.public() for f in shared]
        message["upload"] = True
        ws.add_message(channel, message)
        for file in shared:
            file.shared_to.append((channel, thread_ts))
    return {"files": [f.public() for f in shared]}


@method("files.info")
def files_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    file = ws.files.get(str(args.get("file") or ""))
    if file is None:
        raise ApiError("file_not_found")
    return {"file": file.public()}


def _reaction_target(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    if not args.get("timestamp"):
        raise ApiError("no_item_specified")
    channel = _channel(ws, args)
    message = ws.find_message(channel, str(args["timestamp"]))
    if message is None:
        raise ApiError("message_not_found")
    _require(args, "name")
    return message


@method("reactions.add")
def reactions_add(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    message = _reaction_target(ws, args)
    reactions = message.setdefault("reactions", [])
    for reaction in reactions:
        if reaction["name"] == args["name"]:
            if BOT_USER in reaction["users"]:
                raise ApiError("already_reacted")
            reaction["users"].append(BOT_USER)
            reaction["count"] += 1
            return {}
    reactions.append({"name": args["name"], "users": [BOT_USER], "count": 1})
    return {}


@method("reactions.remove")
def reactions_remove(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    message = _reaction_target(ws, args)
    for reaction in message.get("reactions", []):
        if reaction["name"] == args["name"] and BOT_USER in reaction["users"]:
            reaction["users"].remove(BOT_USER)
            reaction["count"] -= 1
            if not reaction["count"]:
                message["reactions"].remove(reaction)
            return {}
    raise ApiError("no_reaction")


@method("assistant.threads.setStatus")
def assistant_set_status(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    _channel(ws, args, "channel_id")
    _require(args, "thread_ts")
    return {}


def call(ws: Workspace, name: str, token: str | None, args: dict[str, Any]) -> dict[str, Any]:
    """Run one method as Slack would: auth first, then arguments, then the method itself."""
    if token is None:
        return {"ok": False, "error": "not_authed"}
    if token != ws.bot_token:
        return {"ok": False, "error": "invalid_auth"}
    handler = METHODS.get(name)
    if handler is None:
        return {"ok": False, "error": "unknown_method"}
    try:
        return {"ok": True, **handler(ws, normalise_args(args))}
    except ApiError as exc:
        return {"ok": False, "error": exc.code, **exc.extra}
