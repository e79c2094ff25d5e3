"""A booked meeting at its provider and in people's calendars: the provider's event brought to the meeting's
sequence (created once, moved, cancelled), and the .ics invite at that sequence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from integrations.calendar.ics import Invite, invite_ics
from integrations.calendar.models import Meeting, MeetingStatus
from integrations.calendar.port import Attendee, CalendarNotFound, CalendarPort, EventRequest
from integrations.calendar.service import MeetingView, meeting_view


def _event_request(meeting: MeetingView) -> EventRequest:
    assert meeting.start is not None and meeting.end is not None
    return EventRequest(
        uid=meeting.ics_uid,
        summary=meeting.title,
        description=_description(meeting),
        start=meeting.start,
        end=meeting.end,
        attendees=[Attendee(email=p.email, name=p.name) for p in meeting.people if p.email],
        sequence=meeting.sequence,
    )


def _description(meeting: MeetingView) -> str:
    lines = [f"{meeting.title} (deal #{meeting.deal_id})."]
    for person in meeting.people:
        lines.append(f"{person.name}: {person.zone} ({person.zone_source})")
    if meeting.no_sales_engineer:
        lines.append("No sales engineer is assigned to the deal yet.")
    return "\n".join(lines)


def sync_provider(
    session_factory: sessionmaker[Session], *, meeting_id: int, calendar: CalendarPort, clock: Clock
) -> MeetingView:
    """Bring the provider's event to the meeting's sequence: created once, moved, or cancelled. Harmless to repeat:
    the sequence the provider holds is recorded after each call. Raises CalendarError (retryable ones: later)."""
    meeting = meeting_view(session_factory, meeting_id=meeting_id)
    with session_factory() as session:
        row = session.get_one(Meeting, meeting_id)
        event_id, synced = row.provider_event_id, row.provider_sequence
    if synced is not None and synced >= meeting.sequence:
        return meeting
    if meeting.status == MeetingStatus.CANCELLED:
        if event_id is not None:
            calendar.cancel_event(event_id)
    elif event_id is None:
        event_id = calendar.create_event(_event_request(meeting))
    else:
        try:
            calendar.update_event(event_id, _event_request(meeting))
        except CalendarNotFound:  # deleted at the provider meanwhile: the meeting stands, so it is made again
            event_id = calendar.create_event(_event_request(meeting))
    with session_factory() as session, session.begin():
        session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(provider_event_id=event_id, provider_sequence=meeting.sequence, updated_at=clock.now())
        )
    return meeting


def invite_for(meeting: MeetingView, *, stamp: datetime) -> bytes:
    """The meeting's .ics at its current sequence: a REQUEST, or a CANCEL once cancelled."""
    assert meeting.start is not None and meeting.end is not None
    ours = [p for p in meeting.people if p.email]
    organizer = next((p for p in ours if p.slack_id == meeting.owner), ours[0] if ours else None)
    return invite_ics(
        Invite(
            uid=meeting.ics_uid,
            sequence=meeting.sequence,
            summary=meeting.title,
            description=_description(meeting),
            start=meeting.start,
            end=meeting.end,
            organizer=Attendee(email=organizer.email or "", name=organizer.name)
            if organizer
            else Attendee(email="calendar@lead-to-order.invalid"),
            attendees=[Attendee(email=p.email or "", name=p.name) for p in ours],
            stamp=stamp,
        ),
        method="CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST",
    )


def record_message(session_factory: sessionmaker[Session], *, meeting_id: int, channel_id: str, ts: str) -> None:
    with session_factory() as session, session.begin():
        session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id, Meeting.message_ts.is_(None))
            .values(channel_id=channel_id, message_ts=ts)
        )
