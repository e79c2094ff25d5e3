"""The local calendar: events kept in our own database (LTO_CALENDAR=local).

People's busy time is the meetings booked here; nobody is emailed: the .ics invite is what reaches people (the
deal thread and the sales engineer's DM), for them to add to their own calendars.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from integrations.calendar.models import LocalCalendarEvent
from integrations.calendar.port import CalendarNotFound, EventRequest, Interval


class LocalCalendar:
    provider = "local"

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self.session_factory, self.clock = session_factory, clock

    def busy(self, calendars: Sequence[str], *, start: datetime, end: datetime) -> dict[str, list[Interval]]:
        wanted = {calendar.casefold(): calendar for calendar in calendars}
        found: dict[str, list[Interval]] = {calendar: [] for calendar in calendars}
        with self.session_factory() as session:
            events = session.scalars(
                select(LocalCalendarEvent).where(
                    LocalCalendarEvent.cancelled.is_(False),
                    LocalCalendarEvent.start_at < end,
                    LocalCalendarEvent.end_at > start,
                )
            )
            for event in events:
                for attendee in event.attendees:
                    calendar = wanted.get(str(attendee).casefold())
                    if calendar is not None:
                        found[calendar].append(Interval(event.start_at, event.end_at))
        return {calendar: sorted(spans) for calendar, spans in found.items()}

    def create_event(self, event: EventRequest) -> str:
        with self.session_factory() as session, session.begin():
            existing = session.scalar(select(LocalCalendarEvent).where(LocalCalendarEvent.uid == event.uid))
            if existing is not None:
                return existing.event_id
            row = LocalCalendarEvent(
                event_id=f"local-{event.uid}"[:100],
                uid=event.uid,
                summary=event.summary[:200],
                description=event.description,
                start_at=event.start,
                end_at=event.end,
                attendees=[person.email for person in event.attendees],
                sequence=event.sequence,
                cancelled=False,
                updated_at=self.clock.now(),
            )
            session.add(row)
            return row.event_id

    def _event(self, session: Session, event_id: str) -> LocalCalendarEvent:
        row = session.scalar(select(LocalCalendarEvent).where(LocalCalendarEvent.event_id == event_id))
        if row is None:
            raise CalendarNotFound(f"no local event {event_id}")
        return row

    def update_event(self, event_id: str, event: EventRequest) -> None:
        with self.session_factory() as session, session.begin():
            row = self._event(session, event_id)
            row.summary, row.description = event.summary[:200], event.description
            row.start_at, row.end_at, row.sequence = event.start, event.end, event.sequence
            row.attendees = [person.email for person in event.attendees]
            row.updated_at = self.clock.now()

    def cancel_event(self, event_id: str) -> None:
        with self.session_factory() as session, session.begin():
            row = session.scalar(select(LocalCalendarEvent).where(LocalCalendarEvent.event_id == event_id))
            if row is not None and not row.cancelled:
                row.cancelled, row.updated_at = True, self.clock.now()
