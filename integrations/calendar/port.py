"""What the product needs from a calendar provider, whichever provider it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, order=True)
class Interval:
    """A span of time, in UTC: [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class EventRequest:
    """One meeting as the provider should hold it. `uid` is ours and stable per meeting (the .ics UID): a create
    whose answer was lost, sent again, is recognised instead of creating a second event."""

    uid: str
    summary: str
    description: str
    start: datetime
    end: datetime
    attendees: Sequence[Attendee]
    sequence: int = 0


class CalendarError(Exception):
    """The provider refused the request; sending it again as it is would fail again."""

    retryable = False


class CalendarUnavailable(CalendarError):
    """Down, timing out, rate limiting or answering 5xx: try again later."""

    retryable = True


class CalendarUnauthorized(CalendarError):
    """The provider refused our credentials (an expired or revoked token)."""


class CalendarNotFound(CalendarError):
    """No such calendar or event at the provider."""


class CalendarPort(Protocol):
    provider: str

    def busy(self, calendars: Sequence[str], *, start: datetime, end: datetime) -> dict[str, list[Interval]]:
        """Each calendar's busy intervals within [start, end); a calendar the provider cannot read has none."""
        ...

    def create_event(self, event: EventRequest) -> str:
        """Create the event and invite its attendees; returns the provider's event id (the same one when the
        event was created before under this uid)."""
        ...

    def update_event(self, event_id: str, event: EventRequest) -> None:
        """Move or change the event; the attendees are told."""
        ...

    def cancel_event(self, event_id: str) -> None:
        """Cancel the event; the attendees are told. Cancelling an event already gone does nothing."""
        ...
