"""HTTP mode: FastAPI serves Slack's requests on one URL, plus health and readiness probes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.app import create_app
from bot.runtime import Runtime
from bot.scheduler import build_scheduler
from core.db import ping

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


def create_api(runtime: Runtime, *, run_worker: bool = True, run_scheduler: bool = True) -> FastAPI:
    """The ASGI app. With `run_worker`, the lifespan runs this process's job worker too."""
    bolt: AsyncApp = create_app(runtime)
    assert runtime.settings.slack_signing_secret is not None
    verifier = SignatureVerifier(runtime.settings.slack_signing_secret.get_secret_value())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.identify()
        stop = asyncio.Event()
        worker_task = None
        scheduler = build_scheduler(runtime) if run_scheduler else None
        if run_worker and runtime.worker is not None:
            worker_task = asyncio.create_task(runtime.worker.run_forever(stop))
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            stop.set()
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            if worker_task is not None:
                await worker_task

    api = FastAPI(title="lead-to-order", lifespan=lifespan, docs_url=None, redoc_url=None)

    @api.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        try:
            bolt_request = to_async_bolt_request(request, body)
        except (ValueError, UnicodeDecodeError, KeyError, TypeError):
            # Unparseable: say "unauthorized" to strangers, "bad request" only to Slack itself.
            if not verifier.is_valid_request(body, dict(request.headers)):
                return JSONResponse({"error": "invalid signature"}, status_code=401)
            return JSONResponse({"error": "malformed payload"}, status_code=400)
        bolt_response = await bolt.async_dispatch(bolt_request)
        return to_starlette_response(bolt_response)

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz")
    async def readyz() -> Response:
        checks = await readiness(runtime)
        ready = all(state == "ok" for state in checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    return api


async def readiness(runtime: Runtime) -> dict[str, Any]:
    """Each dependency's state, as `ok` or the reason it is not."""
    checks: dict[str, Any] = {}
    try:
        await asyncio.to_thread(ping, runtime.engine)
        checks["database"] = "ok"
    except Exception as exc:  # a probe reports, it does not raise
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await asyncio.to_thread(lambda: runtime.qdrant_client().get_collections())
        checks["qdrant"] = "ok"
    except Exception as exc:  # a probe reports, it does not raise
        checks["qdrant"] = f"error: {type(exc).__name__}"
    checks["slack"] = "ok" if runtime.identity is not None else "not identified yet"
    return checks
