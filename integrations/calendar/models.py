"""Meetings with a deal's customer (demos, POC sessions): the times offered, the one booked, its reminders; and the
local calendar's events."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, enum_column
from core.privacy import holds_personal_text


class MeetingKind(enum.StrEnum):
    DEMO = "demo"
    POC = "poc"

    @property
    def label(self) -> str:
        return "Demo" if self is MeetingKind.DEMO else "POC session"


class MeetingStatus(enum.StrEnum):
    OFFERED = "offered"  # times were offered; none chosen yet
    BOOKED = "booked"  # a time was chosen: the event exists (or is being created) at the provider
    RESCHEDULED = "rescheduled"  # booked again at another time
    CANCELLED = "cancelled"

    @property
    def is_booked(self) -> bool:
        return self in (MeetingStatus.BOOKED, MeetingStatus.RESCHEDULED)


# One meeting of a kind being offered per deal at a time: asking again re-offers it.
OFFERED_MEETING = "status = 'offered'"


class Meeting(Base):
    """A demo or POC session for a deal: offered, booked once, rescheduled or cancelled; every change bumps
    `sequence`, which the provider's event, the .ics invite, the thread message and the next step follow."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind, 8))
    status: Mapped[MeetingStatus] = mapped_column(enum_column(MeetingStatus, 12))
    title: Mapped[str] = mapped_column(String(200))
    start_at: Mapped[datetime | None] = mapped_column(doc="UTC; set once booked")
    end_at: Mapped[datetime | None]
    attendees: Mapped[list[Any]] = mapped_column(default=list, doc="who takes part, their zone and its source")
    provider: Mapped[str] = mapped_column(String(16), doc="local or google")
    provider_event_id: Mapped[str | None] = mapped_column(String(200))
    provider_sequence: Mapped[int | None] = mapped_column(doc="the sequence the provider's event holds")
    ics_uid: Mapped[str] = mapped_column(String(100), unique=True, doc="the invite's UID: stable per meeting")
    sequence: Mapped[int] = mapped_column(default=0, doc="the invite's SEQUENCE: bumped on reschedule and cancel")
    round: Mapped[int] = mapped_column(default=0, doc="the latest set of times offered")
    booked_round: Mapped[int | None] = mapped_column(doc="the set of times the booked one came from")
    channel_id: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32), doc="the deal thread")
    message_ts: Mapped[str | None] = mapped_column(String(32), doc="the meeting's message in the deal thread")
    next_step_id: Mapped[int | None] = mapped_column(ForeignKey("next_steps.id"))
    requested_by: Mapped[str] = mapped_column(String(32))
    booked_by: Mapped[str | None] = mapped_column(String(32))
    # The request that made the last change (booking, rescheduling, cancelling): its job, run again, is recognised.
    changed_by_origin: Mapped[str | None] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(200), unique=True, doc="the request that opened it")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index(
            "uq_meetings_offered",
            "deal_id",
            "kind",
            unique=True,
            sqlite_where=text(OFFERED_MEETING),
            postgresql_where=text(OFFERED_MEETING),
        ),
        Index("ix_meetings_start", "status", "start_at"),
    )


class MeetingSlot(Base):
    """One of the times offered for a meeting; its token is the value of its button."""

    __tablename__ = "meeting_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    round: Mapped[int]
    position: Mapped[int]
    token: Mapped[str] = mapped_column(String(48), unique=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    offered_to: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(200), doc="the request the times were offered for")
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("meeting_id", "round", "position", name="uq_meeting_offers_slot"),
        Index("ix_meeting_offers_origin", "origin"),
    )


class MeetingReminder(Base):
    """The day-before reminder of a meeting at one time, claimed by its key (`meeting:3:reminder:<start>`): sent
    once, whichever scheduler gets there first."""

    __tablename__ = "meeting_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    skipped: Mapped[str | None] = mapped_column(String(200))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))


class LocalCalendarEvent(Base):
    """An event of the local calendar (LTO_CALENDAR=local): what makes people busy for the next meeting offered."""

    __tablename__ = "local_calendar_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    summary: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    attendees: Mapped[list[Any]] = mapped_column(default=list, doc="calendar ids (emails)")
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]


holds_personal_text(Meeting.attendees, LocalCalendarEvent.attendees, LocalCalendarEvent.description)
