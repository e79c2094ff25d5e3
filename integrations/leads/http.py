"""The lead webhooks' HTTP routes: `POST /hooks/crm/hubspot` and `POST /hooks/leads`.

Each checks the signature on the raw bytes first (a failure is a 401 and records nothing), validates
the body (a 400 that says what is wrong), records the leads and their jobs in one transaction, and
answers; the ack waits on the database only, never on HubSpot, the knowledge base or Slack.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import ClientDisconnect

from core.clock import Clock
from core.settings import Settings
from core.validation import one_line
from integrations.leads import service
from integrations.leads.hubspot import MalformedEvents, lead_events
from integrations.leads.models import LeadIn, LeadSource
from integrations.leads.signatures import hubspot_signed, lto_signed

MAX_BODY_BYTES = 1024 * 1024


def _refused(status: int, error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status)


def signed_uri(request: Request, public_url: str | None) -> str:
    """The URL the sender called, as it sent it: the configured public base (behind a proxy) or the request's
    own scheme and host, then the path and query exactly as received (percent-encodings included)."""
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    base = public_url or f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
    return base + path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


def lead_routes(
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
    on_accepted: Callable[[], None],
) -> APIRouter:
    """The routes, bound to the process's database and settings; `on_accepted` wakes the local worker."""
    router = APIRouter()

    async def body_of(request: Request) -> bytes | Response:
        try:
            body = await request.body()
        except ClientDisconnect:  # the sender gave up before its body arrived: nothing to answer
            return Response(status_code=499)
        return body if len(body) <= MAX_BODY_BYTES else _refused(413, "payload too large")

    async def admit(arrivals: list[service.Arrival]) -> JSONResponse:
        admitted = await asyncio.to_thread(
            service.admit, session_factory, arrivals, clock=clock, max_attempts=settings.job_max_attempts
        )
        if admitted.queued:
            on_accepted()
        return JSONResponse({"accepted": len(admitted.queued), "duplicates": admitted.seen_before})

    @router.post("/hooks/crm/hubspot")
    async def hubspot_webhook(request: Request) -> Response:
        body = await body_of(request)
        if isinstance(body, Response):
            return body
        secret = settings.hubspot_app_secret.get_secret_value() if settings.hubspot_app_secret else ""
        uri = signed_uri(request, settings.public_url)
        now_ms = int(time.time() * 1000)
        if not secret or not hubspot_signed(
            secret, method=request.method, uri=uri, body=body, headers=request.headers, now_ms=now_ms
        ):
            return _refused(401, "invalid signature")
        try:
            events = lead_events(body)
        except MalformedEvents as exc:
            return _refused(400, str(exc))
        arrivals = [
            service.Arrival(key=event.key, source=LeadSource.HUBSPOT, reference=event.model_dump(by_alias=True))
            for event in events
        ]
        return await admit(arrivals)

    @router.post("/hooks/leads")
    async def lead_webhook(request: Request) -> Response:
        body = await body_of(request)
        if isinstance(body, Response):
            return body
        secret = settings.leads_secret.get_secret_value() if settings.leads_secret else ""
        if not secret or not lto_signed(secret, body=body, headers=request.headers, now=int(time.time())):
            return _refused(401, "invalid signature")
        try:
            lead = LeadIn.model_validate(json.loads(body))
        except ValueError as exc:  # pydantic's ValidationError is one
            return _refused(400, one_line(exc) if isinstance(exc, ValidationError) else "the body is not JSON")
        key = f"webhook:{lead.source}:{lead.event_id}"
        return await admit([service.Arrival(key=key, source=LeadSource.WEBHOOK, details=lead)])

    return router
