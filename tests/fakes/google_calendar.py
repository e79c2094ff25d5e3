"""A local server that speaks Google Calendar API v3's side of the calendar boundary: `freeBusy`, and events
insert (with a client-chosen id: a second insert of it is a 409), patch and delete, with `sendUpdates`. Busy time
is set per calendar by the test; a bearer token is required (401 otherwise), and failures can be injected."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
REASONS = {
    401: ("authError", "UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("rateLimitExceeded", "PERMISSION_DENIED", "Rate Limit Exceeded"),
    404: ("notFound", "NOT_FOUND", "Not Found"),
    409: ("duplicate", "ALREADY_EXISTS", "The requested identifier already exists."),
    410: ("deleted", "NOT_FOUND", "Resource has been deleted"),
    429: ("rateLimitExceeded", "RESOURCE_EXHAUSTED", "Rate Limit Exceeded"),
    500: ("backendError", "INTERNAL", "Backend Error"),
    503: ("backendError", "UNAVAILABLE", "The service is currently unavailable."),
}


def error(status: int, message: str | None = None) -> JSONResponse:
    """An error as Google's APIs shape it."""
    reason, code, text = REASONS.get(status, ("invalid", "INVALID_ARGUMENT", "Bad Request"))
    body = {
        "error": {
            "code": status,
            "message": message or text,
            "errors": [{"domain": "global", "reason": reason, "message": message or text}],
            "status": code,
        }
    }
    return JSONResponse(body, status)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGoogleCalendar:
    def __init__(self, token: str = "ya29.test-token") -> None:
        self.token = token
        self.url = ""  # where it listens, once served
        self.busy: dict[str, list[tuple[datetime, datetime]]] = {}  # calendar id -> busy spans (UTC)
        self.known: set[str] = set()  # calendars that exist; others answer notFound in freeBusy
        self.events: dict[str, dict[str, Any]] = {}  # event id -> the event as Google keeps it
        self.calls: list[tuple[str, str, dict[str, Any]]] = []  # (method, path, query) of every accepted call
        self.failures: list[int] = []  # statuses to answer the next calls with, first to last
        self.app = FastAPI()
        self.app.post("/calendar/v3/freeBusy")(self._free_busy)
        self.app.post("/calendar/v3/calendars/{calendar_id}/events")(self._insert)
        self.app.patch("/calendar/v3/calendars/{calendar_id}/events/{event_id}")(self._patch)
        self.app.delete("/calendar/v3/calendars/{calendar_id}/events/{event_id}")(self._delete)

    # Test controls --------------------------------------------------------------------------------------

    def add_calendar(self, calendar_id: str, *busy: tuple[datetime, datetime]) -> None:
        self.known.add(calendar_id)
        self.busy.setdefault(calendar_id, []).extend(busy)

    def fail_next(self, status: int, times: int = 1) -> None:
        self.failures.extend([status] * times)

    def live_events(self) -> list[dict[str, Any]]:
        return [event for event in self.events.values() if event["status"] != "cancelled"]

    # The API -----------------------------------------------------------------------------------------------

    def _gate(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return error(401)
        if self.failures:
            return error(self.failures.pop(0))
        self.calls.append((request.method, request.url.path, dict(request.query_params)))
        return None

    async def _free_busy(self, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        body = await request.json()
        try:
            start, end = _time(body["timeMin"]), _time(body["timeMax"])
        except (KeyError, ValueError):
            return error(400, "timeMin and timeMax are required RFC 3339 times")
        if end <= start:
            return error(400, "The specified time range is empty.")
        items = body.get("items") or []
        if len(items) > 50:
            return error(400, "Too many calendars requested.")
        calendars: dict[str, Any] = {}
        for item in items:
            calendar_id = item.get("id")
            if calendar_id not in self.known:
                calendars[calendar_id] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                continue
            spans = list(self.busy.get(calendar_id, []))
            spans += [
                (_time(e["start"]["dateTime"]), _time(e["end"]["dateTime"]))
                for e in self.live_events()
                if calendar_id in {a["email"] for a in e.get("attendees", [])} or calendar_id == e["organizer"]
            ]
            calendars[calendar_id] = {
                "busy": [
                    {"start": _rfc3339(max(s, start)), "end": _rfc3339(min(t, end))}
                    for s, t in sorted(spans)
                    if s < end and t > start
                ]
            }
        return JSONResponse(
            {
                "kind": "calendar#freeBusy",
                "timeMin": _rfc3339(start),
                "timeMax": _rfc3339(end),
                "calendars": calendars,
            }
        )

    async def _insert(self, calendar_id: str, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        body = await request.json()
        event_id = body.get("id")
        if event_id is not None and not EVENT_ID.match(event_id):
            return error(400, "Invalid resource id value.")
        if event_id in self.events:
            return error(409)
        if not (body.get("start", {}).get("dateTime") and body.get("end", {}).get("dateTime")):
            return error(400, "Missing time.")
        event_id = event_id or f"fake{len(self.events):08d}"
        event = {
            "kind": "calendar#event",
            "id": event_id,
            "status": "confirmed",
            "organizer": calendar_id,
            "iCalUID": f"{event_id}@google.com",
            "htmlLink": f"https://calendar.google.com/event?eid={event_id}",
            "sendUpdates": request.query_params.get("sendUpdates"),
            **{k: v for k, v in body.items() if k != "id"},
        }
        self.events[event_id] = event
        return JSONResponse(event)

    async def _patch(self, calendar_id: str, event_id: str, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        event = self.events.get(event_id)
        if event is None:
            return error(404)
        if event["status"] == "cancelled":
            return error(410)
        event.update(await request.json())
        event["sendUpdates"] = request.query_params.get("sendUpdates")
        return JSONResponse(event)

    async def _delete(self, calendar_id: str, event_id: str, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        event = self.events.get(event_id)
        if event is None:
            return error(404)
        if event["status"] == "cancelled":
            return error(410)
        event["status"] = "cancelled"
        event["sendUpdates"] = request.query_params.get("sendUpdates")
        return Response(status_code=204)
