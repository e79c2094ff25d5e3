"""HTTP mode: FastAPI serves Slack's requests on one URL, plus health and readiness probes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp
from starlette.requests import ClientDisconnect

from approvals.metrics import approval_gauges
from bot import roles
from bot.app import create_app
from bot.commands import whole_number
from bot.overload import turned_away
from bot.roles import Component
from bot.runtime import Runtime
from core import metrics
from core.db import ping
from deals.metrics import OutcomeGauges
from deals.outcomes import load_time_saved
from integrations.esign.http import esign_routes
from integrations.leads.http import lead_routes

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_TIMESTAMP = 10**11  # seconds since 1970: far beyond any clock, and small enough for a float


def _kind_of(body: bytes) -> str:
    """command | interaction | event | other, from the body's shape, without parsing it twice."""
    head = body[:200]
    if head.startswith(b"{"):
        return "event"
    if b"payload=" in head:
        return "interaction"
    if b"command=" in body:
        return "command"
    return "other"


def _well_formed(body: Any, kind: str) -> bool:
    """The shapes Bolt assumes before any listener runs: objects where Slack sends objects, and the keys
    it reads without looking (an interaction's `type` and person, a view's `type` and `id`, an action's id)."""
    if not isinstance(body, dict):
        return False
    for key in ("event", "user", "team", "channel", "view", "container", "message"):
        if key in body and not isinstance(body[key], dict | str | type(None)):
            return False
    if "event" in body and not isinstance(body["event"], dict):
        return False
    if "type" in body and not isinstance(body["type"], str):
        return False
    if kind == "interaction" and not (isinstance(body.get("type"), str) and _has_str(body.get("user"), "id")):
        return False
    if "view" in body and not (_has_str(body["view"], "type") and _has_str(body["view"], "id")):
        return False
    actions = body.get("actions", [])
    return isinstance(actions, list) and all(_has_str(action, "action_id") for action in actions)


def _has_str(value: Any, key: str) -> bool:
    return isinstance(value, dict) and isinstance(value.get(key), str)


def create_api(runtime: Runtime, *, run_worker: bool = True, run_scheduler: bool = True) -> FastAPI:
    """The ASGI app. Its lifespan runs this process's job worker (`run_worker`) and sweeps (`run_scheduler`)
    too; `api.state.running` says which it started."""
    bolt: AsyncApp = create_app(runtime)
    assert runtime.settings.slack_signing_secret is not None
    secret = runtime.settings.slack_signing_secret.get_secret_value().encode()
    components = frozenset(
        {Component.LISTENER}
        | ({Component.WORKER} if run_worker else set())
        | ({Component.SWEEPS} if run_scheduler else set())
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.identify()
        async with roles.running(runtime, components) as started:
            app.state.running = started
            yield

    api = FastAPI(title="lead-to-order", lifespan=lifespan, docs_url=None, redoc_url=None)
    outcome_gauges = OutcomeGauges(
        segment_of=lambda employees: runtime.routing().segment_of(employees),  # the routing rules in force
        assumptions=partial(load_time_saved, runtime.settings.time_saved_path),
    )
    metrics.register_database(runtime.session_factory, runtime.clock.now, readers=[approval_gauges, outcome_gauges])
    api.include_router(
        lead_routes(
            settings=runtime.settings,
            session_factory=runtime.session_factory,
            clock=runtime.clock,
            on_accepted=runtime.notify_worker,
        )
    )
    api.include_router(
        esign_routes(
            settings=runtime.settings,
            session_factory=runtime.session_factory,
            clock=runtime.clock,
            on_accepted=runtime.notify_worker,
        )
    )

    @api.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        started = time.perf_counter()
        try:
            body = await request.body()
        except ClientDisconnect:  # the sender gave up before its body arrived: nothing to answer
            metrics.SLACK_REQUESTS.labels("other", "499").inc()
            return Response(status_code=499)
        kind = _kind_of(body)
        response = await _dispatch(request, body, kind)
        metrics.SLACK_REQUESTS.labels(kind, str(response.status_code)).inc()
        metrics.ACK_SECONDS.labels(kind).observe(time.perf_counter() - started)
        return response

    def signed(body: bytes, headers: Any) -> bool:
        """Slack's v0 signature over the raw bytes, checked before anything parses them."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        # Strict ASCII digits, bounded before int(): `²` or four hundred nines are a forgery, not a 500.
        sent = whole_number(timestamp, high=MAX_TIMESTAMP)
        if sent is None or abs(time.time() - sent) > 60 * 5:
            return False
        digest = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={digest}", headers.get("x-slack-signature", ""))

    async def _dispatch(request: Request, body: bytes, kind: str) -> Response:
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        if not signed(body, request.headers):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        if not runtime.requests.enter():  # at the cap: answered at once, nothing recorded (bot/overload.py)
            metrics.SLACK_REQUESTS_TURNED_AWAY.labels(kind).inc()
            return turned_away(kind)
        try:
            return await _listen(request, body, kind)
        finally:
            runtime.requests.leave()

    async def _listen(request: Request, body: bytes, kind: str) -> Response:
        try:
            body.decode("utf-8")
            bolt_request = to_async_bolt_request(request, body)
        except Exception:  # signed but not a payload Bolt can read (e.g. `payload=0`): Slack's bytes, our 400
            return JSONResponse({"error": "malformed payload"}, status_code=400)
        if not _well_formed(bolt_request.body, kind):
            return JSONResponse({"error": "malformed payload"}, status_code=400)
        bolt_response = await bolt.async_dispatch(bolt_request)
        return to_starlette_response(bolt_response)

    @api.get("/metrics")
    async def metrics_endpoint() -> Response:
        # The database part of a scrape runs queries: keep it off the event loop.
        payload = await asyncio.to_thread(generate_latest, metrics.REGISTRY)
        return Response(payload, media_type=CONTENT_TYPE_LATEST)

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz")
    async def readyz() -> Response:
        checks = await readiness(runtime)
        # A CRM outage degrades, it does not make the replica unready: the outbox holds the changes.
        ready = all(state == "ok" for name, state in checks.items() if name != "crm")
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
        await asyncio.to_thread(lambda: runtime.knowledge().info())  # opened once per process, then cheap
        checks["qdrant"] = "ok"
    except Exception as exc:  # a probe reports, it does not raise
        checks["qdrant"] = f"error: {type(exc).__name__}"
    checks["slack"] = "ok" if runtime.identity is not None else "not identified yet"
    breaker = getattr(runtime.crm, "breaker", None)
    open_circuit = breaker is not None and breaker.current_state == "open"
    checks["crm"] = "circuit open: the outbox holds changes" if open_circuit else "ok"
    return checks
