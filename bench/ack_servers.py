"""The two apps `ack_latency.py` compares, each run in its own process: ours, and a bare Bolt app."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Request
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def bare_app(api_url: str, token: str, secret: str) -> FastAPI:
    """Bolt + FastAPI with one slash command that only acks: the floor for an ack path."""
    bolt = AsyncApp(
        token=token,
        signing_secret=secret,
        client=AsyncWebClient(token=token, base_url=api_url),
        process_before_response=True,
    )

    @bolt.command("/lto")
    async def lto(ack):  # type: ignore[no-untyped-def]
        await ack(text="ok")

    handler = AsyncSlackRequestHandler(bolt)
    api = FastAPI()

    @api.post("/slack/events")
    async def events(request: Request):  # type: ignore[no-untyped-def]
        return await handler.handle(request)

    return api


def project_app(api_url: str, token: str, secret: str, home: str, *, worker: bool = True) -> FastAPI:
    from bot.http import create_api
    from bot.runtime import build_runtime
    from core.settings import load_settings

    settings = load_settings(
        LTO_HOME=home,
        SLACK_API_URL=api_url,
        SLACK_BOT_TOKEN=token,
        SLACK_SIGNING_SECRET=secret,
        LTO_LOG_LEVEL="WARNING",
    )
    return create_api(build_runtime(settings), run_worker=worker)


def main() -> None:
    kind, port, api_url, token, secret, home = sys.argv[1:7]
    if kind == "bare":
        app = bare_app(api_url, token, secret)
    else:
        app = project_app(api_url, token, secret, home, worker=kind != "project-queue-only")
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
