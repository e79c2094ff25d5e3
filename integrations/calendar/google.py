"""The Google Calendar adapter: the calendar port over the Google Calendar API v3.

Free/busy is one `freeBusy` query for every calendar at once. An event is created in the organiser's calendar
with an id derived from our invite UID, so a create whose answer was lost, sent again, meets a 409 and finds the
event it made instead of inviting everyone twice; changes are PATCHed and cancellations DELETEd, with
`sendUpdates=all` so Google emails the attendees. Transient failures (a dropped connection, 5xx) are retried
briefly (tenacity); 429 and what remains become CalendarUnavailable, for the job to try again later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import tenacity

from integrations.calendar.port import (
    CalendarError,
    CalendarNotFound,
    CalendarUnauthorized,
    CalendarUnavailable,
    EventRequest,
    Interval,
)

MAX_CALENDARS = 50  # the most items one freeBusy query takes


def event_id_for(uid: str) -> str:
    """A Google event id for our UID: 5-1024 characters of base32hex (0-9, a-v); hex digits are."""
    return hashlib.sha256(uid.encode()).hexdigest()[:40]


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class _Transient(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"Google Calendar {status}")
        self.status = status


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, httpx.TransportError | _Transient)


class GoogleCalendar:
    provider = "google"

    def __init__(
        self,
        *,
        token: str,
        base_url: str = "https://www.googleapis.com",
        organizer: str = "primary",
        timeout: float = 10.0,
        attempts: int = 3,
    ) -> None:
        self.http = httpx.Client(
            base_url=f"{base_url.rstrip('/')}/calendar/v3",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
        self.organizer = organizer
        self.retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_is_transient),
            stop=tenacity.stop_after_attempt(attempts),
            wait=tenacity.wait_exponential_jitter(multiplier=0.05, max=1),
            reraise=True,
        )

    # Calls ---------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 500:
            raise _Transient(response.status_code)
        return response

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.retrying(self._send, method, path, **kwargs)
        except httpx.TransportError as exc:
            raise CalendarUnavailable(f"Google Calendar unreachable: {type(exc).__name__}") from exc
        except _Transient as exc:
            raise CalendarUnavailable(str(exc)) from exc
        return response

    @staticmethod
    def _refused(response: httpx.Response) -> CalendarError:
        """The typed error for a 4xx, with Google's own reason and message."""
        try:
            error = (response.json() or {}).get("error") or {}
        except ValueError:
            error = {}
        reasons = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
        message = f"Google Calendar {response.status_code} ({', '.join(filter(None, reasons)) or 'refused'}): " + str(
            error.get("message") or response.text[:200]
        )
        if response.status_code == 401:
            return CalendarUnauthorized(message)
        if response.status_code == 429 or (response.status_code == 403 and "rateLimitExceeded" in reasons):
            return CalendarUnavailable(message)
        if response.status_code in (404, 410):
            return CalendarNotFound(message)
        return CalendarError(message)

    def _events(self, calendar_id: str | None = None) -> str:
        return f"/calendars/{quote(calendar_id or self.organizer, safe='@.')}/events"

    # The port ------------------------------------------------------------------------------------------

    def busy(self, calendars: Sequence[str], *, start: datetime, end: datetime) -> dict[str, list[Interval]]:
        found: dict[str, list[Interval]] = {}
        wanted = list(dict.fromkeys(calendars))
        for first in range(0, len(wanted), MAX_CALENDARS):
            body = {
                "timeMin": _rfc3339(start),
                "timeMax": _rfc3339(end),
                "timeZone": "UTC",
                "items": [{"id": calendar} for calendar in wanted[first : first + MAX_CALENDARS]],
            }
            response = self._request("POST", "/freeBusy", json=body)
            if response.status_code >= 400:
                raise self._refused(response)
            for calendar, answer in ((response.json() or {}).get("calendars") or {}).items():
                if not isinstance(answer, dict) or answer.get("errors"):
                    continue  # notFound or not shared with us: nothing we can read
                found[calendar] = sorted(
                    Interval(_parse(b["start"]), _parse(b["end"])) for b in answer.get("busy") or []
                )
        return {calendar: found.get(calendar, []) for calendar in wanted}

    @staticmethod
    def _body(event: EventRequest) -> dict[str, Any]:
        return {
            "summary": event.summary,
            "description": event.description,
            "start": {"dateTime": _rfc3339(event.start), "timeZone": "UTC"},
            "end": {"dateTime": _rfc3339(event.end), "timeZone": "UTC"},
            "attendees": [
                {"email": person.email, **({"displayName": person.name} if person.name else {})}
                for person in event.attendees
            ],
            "sequence": event.sequence,
        }

    def create_event(self, event: EventRequest) -> str:
        event_id = event_id_for(event.uid)
        body = {"id": event_id, **self._body(event)}
        response = self._request("POST", self._events(), params={"sendUpdates": "all"}, json=body)
        if response.status_code == 409:  # made by an earlier try whose answer was lost
            return event_id
        if response.status_code >= 400:
            raise self._refused(response)
        return str((response.json() or {}).get("id") or event_id)

    def update_event(self, event_id: str, event: EventRequest) -> None:
        path = f"{self._events()}/{quote(event_id, safe='')}"
        response = self._request("PATCH", path, params={"sendUpdates": "all"}, json=self._body(event))
        if response.status_code >= 400:
            raise self._refused(response)

    def cancel_event(self, event_id: str) -> None:
        path = f"{self._events()}/{quote(event_id, safe='')}"
        response = self._request("DELETE", path, params={"sendUpdates": "all"})
        if response.status_code in (404, 410):  # deleted already (an earlier try, or someone at Google)
            return
        if response.status_code >= 400:
            raise self._refused(response)

    def close(self) -> None:
        self.http.close()
