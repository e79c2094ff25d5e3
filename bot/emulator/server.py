"""The emulator's HTTP face: Slack's Web API under /api/, the upload URLs and the response URLs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from bot.emulator import api
from bot.emulator.workspace import Call, Workspace
from bot.serving import serve_asgi


async def _arguments(request: Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if body and content_type.startswith("application/json"):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise api.ApiError("invalid_json")
        args.update(parsed)
    elif body:
        args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return args


def _token(request: Request, args: dict[str, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    token = args.pop("token", None)
    return str(token) if token else None


def create_emulator_app(workspace: Workspace) -> FastAPI:
    app = FastAPI(title="Slack Web API emulator", docs_url=None, redoc_url=None)

    @app.get("/")
    async def status() -> dict[str, Any]:
        return {
            "emulator": "slack-web-api",
            "team": workspace.team,
            "channels": [c["name"] for c in workspace.channels.values()],
            "messages": sum(len(m) for m in workspace.messages.values()),
        }

    @app.api_route("/api/{method_name}", methods=["GET", "POST"])
    async def web_api(method_name: str, request: Request) -> JSONResponse:
        try:
            args = await _arguments(request)
        except api.ApiError as exc:
            return JSONResponse({"ok": False, "error": exc.code})
        token = _token(request, args)
        workspace.calls.append(Call(method=method_name, args=args, at=workspace.clock()))
        failure = workspace.take_failure(method_name)
        if failure is not None:
            if failure.status == 429:
                return JSONResponse(
                    {"ok": False, "error": "ratelimited"},
                    status_code=429,
                    headers={"Retry-After": str(failure.retry_after or 1)},
                )
            return JSONResponse({"ok": False, "error": "internal_error"}, status_code=failure.status)
        return JSONResponse(api.call(workspace, method_name, token, args))

    @app.post("/upload/{file_id}")
    async def upload(file_id: str, request: Request) -> PlainTextResponse:
        file = workspace.files.get(file_id)
        if file is None:
            return PlainTextResponse("file not found", status_code=404)
        file.content = await request.body()
        if request.headers.get("content-type", "").startswith("application/pdf"):
            file.mimetype = "application/pdf"
        elif file.name.endswith(".pdf"):
            file.mimetype = "application/pdf"
        elif file.name.endswith(".png"):
            file.mimetype = "image/png"
        return PlainTextResponse(f"OK - {len(file.content)}")

    @app.post("/response/{response_id}")
    async def response_url(response_id: str, request: Request) -> PlainTextResponse:
        context = workspace.responses.get(response_id)
        if context is None:
            return PlainTextResponse("invalid_token", status_code=404)
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("invalid_payload", status_code=400)
        if payload.get("blocks") is not None:
            from bot.emulator.blockkit import block_errors

            if block_errors(payload["blocks"]):
                return PlainTextResponse("invalid_blocks", status_code=400)
        channel, user = context["channel"], context["user"]
        if payload.get("delete_original") and context.get("message_ts"):
            original = workspace.find_message(channel, context["message_ts"])
            if original is not None:
                workspace.messages[channel].remove(original)
            return PlainTextResponse("ok")
        if payload.get("replace_original") and context.get("message_ts"):
            original = workspace.find_message(channel, context["message_ts"])
            if original is not None:
                original["text"] = payload.get("text", "")
                original["blocks"] = payload.get("blocks", [])
                return PlainTextResponse("ok")
        message = {"text": payload.get("text", ""), "blocks": payload.get("blocks") or [], "user": user}
        if payload.get("response_type") == "in_channel":
            posted = api.bot_message({**message, "thread_ts": payload.get("thread_ts")})
            workspace.add_message(channel, posted)
        else:
            workspace.ephemeral.append({"channel": channel, **message, "ts": workspace.next_ts()})
        return PlainTextResponse("ok")

    return app


@asynccontextmanager
async def run_emulator(workspace: Workspace, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve the emulator until the block ends; yields its base URL (the Web API is at URL + /api/)."""
    async with serve_asgi(create_emulator_app(workspace), host=host, port=port) as url:
        workspace.base_url = url
        yield url


def serve_emulator(workspace: Workspace, *, host: str = "127.0.0.1", port: int = 8900) -> None:
    """Run the emulator in the foreground (for `lto emulator`)."""
    import uvicorn

    workspace.base_url = f"http://{host}:{port}"
    uvicorn.run(create_emulator_app(workspace), host=host, port=port, log_level="warning")
