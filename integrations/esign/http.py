"""The e-signature HTTP routes: the local signing page (`GET`/`POST /sign/{token}`) and DocuSign Connect's
status webhook (`POST /hooks/esign/docusign`).

The page opens only with a link we signed that has not expired; posting it records the typed name, the
time and the address it came from, once. The webhook checks the HMAC on the raw bytes first: a failure
is a 401 and records nothing; a signed message about an envelope that is not ours is acknowledged and
ignored. Neither waits on Slack: what people are told is a job.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import ClientDisconnect

from core.clock import Clock
from core.settings import Settings, SettingsError
from deals.contract import ContractError
from integrations.esign import service
from integrations.esign import signing_page as pages
from integrations.esign.connect import MalformedMessage, connect_signed, read_message
from integrations.esign.local import LinkExpired, LinkInvalid, read_signing_token

MAX_FORM_BYTES = 16 * 1024
MAX_WEBHOOK_BYTES = 2 * 1024 * 1024  # a Connect message with its envelope summary (documents are not included)
TEMPLATES = Path(__file__).resolve().parent / "templates"
# Which news wakes the worker: the ones that queued a job telling people.
SETTLING = {"signed", "declined", "voided"}

_pages = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)


def typed_name(raw: str) -> str:
    """The name as the signer typed it, on one line, without control or formatting characters."""
    printable = "".join(ch if ch.isprintable() else " " for ch in unicodedata.normalize("NFC", raw))
    return " ".join(printable.split())[:200]


def _page(status: int, **context: Any) -> HTMLResponse:
    context.setdefault("page", None)
    context.setdefault("problem", None)
    html = _pages.get_template("signing_page.html.j2").render(**context)
    # The page shows a customer's order: no caching by a proxy, no embedding in another site.
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(html, status_code=status, headers=headers)


async def _body(request: Request, limit: int) -> bytes | Response:
    try:
        body = await request.body()
    except ClientDisconnect:  # the sender gave up before its body arrived: nothing to answer
        return Response(status_code=499)
    return body if len(body) <= limit else JSONResponse({"error": "payload too large"}, status_code=413)


def esign_routes(
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
    on_accepted: Callable[[], None],
) -> APIRouter:
    """The routes, bound to the process's database and settings; `on_accepted` wakes the local worker."""
    router = APIRouter()

    def reference_of(token: str) -> str | HTMLResponse:
        try:
            return read_signing_token(settings.esign_link_key, token, now=clock.now())
        except SettingsError:  # production without its key: no link can have been issued
            return _page(503, problem="Signing is not set up here yet. Ask your contact to send the order form again.")
        except LinkExpired:
            return _page(410, problem="This signing link has expired. Ask your contact to send the order form again.")
        except LinkInvalid:
            return _page(404, problem="This signing link is not valid. Check that you copied all of it.")

    async def show(token: str, reference: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        try:
            page = await asyncio.to_thread(pages.signing_page, session_factory, reference=reference)
        except pages.EnvelopeNotFound:
            return _page(404, problem="This order form is no longer available. Ask your contact for the current one.")
        return _page(status, page=page, action=f"/sign/{token}", **context)

    @router.get("/sign/{token}")
    async def signing_page(token: str) -> Response:
        reference = reference_of(token)
        if isinstance(reference, Response):
            return reference
        return await show(token, reference)

    @router.post("/sign/{token}")
    async def sign(token: str, request: Request) -> Response:
        reference = reference_of(token)
        if isinstance(reference, Response):
            return reference
        body = await _body(request, MAX_FORM_BYTES)
        if isinstance(body, Response):
            return body
        form = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
        name = typed_name((form.get("name") or [""])[0])
        if not name or (form.get("agree") or [""])[0] != "yes":
            problem = "Type your full name and tick the box to sign."
            return await show(token, reference, status=400, problem=problem, typed=name)
        ip = request.client.host if request.client else None
        try:
            outcome = await asyncio.to_thread(
                pages.sign_on_page,
                session_factory,
                reference=reference,
                name=name,
                ip=ip,
                user_agent=request.headers.get("user-agent"),
                clock=clock,
            )
        except pages.EnvelopeNotFound:
            return _page(404, problem="This order form is no longer available. Ask your contact for the current one.")
        except ContractError as exc:
            return await show(token, reference, status=409, problem=str(exc))
        if outcome.first:
            on_accepted()
        return await show(token, reference)

    @router.post("/hooks/esign/docusign")
    async def docusign_connect(request: Request) -> Response:
        body = await _body(request, MAX_WEBHOOK_BYTES)
        if isinstance(body, Response):
            return body
        keys = settings.docusign_connect_key_list
        if not keys or not connect_signed(keys, body=body, headers=request.headers):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            news = read_message(body)
        except MalformedMessage as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        outcome = await asyncio.to_thread(
            service.apply_provider_news, session_factory, provider="docusign", news=news, clock=clock
        )
        if outcome in SETTLING:
            on_accepted()
        status = 503 if outcome == service.RETRY_LATER else 200  # Connect delivers a failed message again
        return JSONResponse({"envelope": news.envelope_id, "outcome": outcome}, status_code=status)

    return router
