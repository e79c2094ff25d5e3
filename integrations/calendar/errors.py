"""What a meeting request can fail with; each message says why, for the person who asked."""

from __future__ import annotations

from datetime import datetime


class MeetingError(Exception):
    """A meeting request that cannot be done; the message says why, for the person who asked."""


class NoCommonTime(MeetingError):
    pass


class SlotNotFound(MeetingError):
    pass


class AlreadyBooked(MeetingError):
    """Another click booked the meeting from these times first."""

    def __init__(self, message: str, *, start: datetime | None) -> None:
        super().__init__(message)
        self.start = start


class MeetingChanged(MeetingError):
    """The meeting is no longer as the person saw it (rescheduled, cancelled or re-offered since)."""
