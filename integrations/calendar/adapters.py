"""The calendar adapter LTO_CALENDAR names, built from the settings."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.settings import Settings
from integrations.calendar.google import GoogleCalendar
from integrations.calendar.local import LocalCalendar
from integrations.calendar.port import CalendarPort


def calendar_for(settings: Settings, session_factory: sessionmaker[Session], clock: Clock) -> CalendarPort:
    if settings.calendar == "google":
        assert settings.google_calendar_token is not None  # the settings refuse LTO_CALENDAR=google without it
        return GoogleCalendar(
            token=settings.google_calendar_token.get_secret_value(),
            base_url=settings.google_calendar_url,
            organizer=settings.calendar_organizer,
        )
    return LocalCalendar(session_factory, clock)
