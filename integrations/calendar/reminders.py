"""The day-before reminder of a booked meeting: claimed once by its key, whichever scheduler sweeps first, and
skipped when the meeting moved or was cancelled since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from core import jobs
from core.clock import Clock
from core.job_kinds import RemindMeeting
from integrations.calendar.models import Meeting, MeetingReminder, MeetingStatus
from integrations.calendar.service import MeetingView, view_of

REMIND_BEFORE = timedelta(hours=24)


def remind(session: Session, *, clock: Clock) -> dict[str, int]:
    """The sweep: every booked meeting starting within a day gets its reminder claimed (once per meeting and time,
    whichever scheduler inserts the key first) with its job, in the sweep's transaction."""
    now = clock.now()
    due = session.execute(
        select(Meeting.id, Meeting.start_at).where(
            Meeting.status.in_([MeetingStatus.BOOKED, MeetingStatus.RESCHEDULED]),
            Meeting.start_at > now,
            Meeting.start_at <= now + REMIND_BEFORE,
        )
    ).all()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    claimed = 0
    for meeting_id, start in due:
        assert start is not None  # booked meetings have their time
        key = f"meeting:{meeting_id}:reminder:{start.isoformat()}"
        statement = (
            insert(MeetingReminder)
            .values(key=key, meeting_id=meeting_id, created_at=now)
            .on_conflict_do_nothing()
            .returning(MeetingReminder.id)
        )
        reminder_id = session.execute(statement).scalar()
        if reminder_id is None:
            continue
        jobs.enqueue(session, job=RemindMeeting(reminder_id=reminder_id), clock=clock, dedupe_key=key)
        claimed += 1
    return {"reminders": claimed}


@dataclass(frozen=True)
class Reminder:
    reminder_id: int
    meeting: MeetingView
    sent_ts: str | None


def reminder_to_send(session_factory: sessionmaker[Session], *, reminder_id: int) -> Reminder | str:
    """The reminder to post, or why not (the meeting moved or was cancelled since it was claimed)."""
    with session_factory() as session, session.begin():
        reminder = session.get_one(MeetingReminder, reminder_id)
        meeting = session.get_one(Meeting, reminder.meeting_id)
        reason = reminder.skipped
        if reason is None and reminder.sent_at is None:
            if not meeting.status.is_booked:
                reason = f"the meeting is {meeting.status}"
            elif meeting.start_at is None or not reminder.key.endswith(f":reminder:{meeting.start_at.isoformat()}"):
                reason = "the meeting moved"
            if reason is not None:
                reminder.skipped = reason
        if reason is not None:
            return reason
        return Reminder(reminder_id=reminder.id, meeting=view_of(session, meeting), sent_ts=reminder.ts)


def reminder_sent(
    session_factory: sessionmaker[Session], *, reminder_id: int, channel_id: str, ts: str, clock: Clock
) -> None:
    with session_factory() as session, session.begin():
        session.execute(
            update(MeetingReminder)
            .where(MeetingReminder.id == reminder_id, MeetingReminder.sent_at.is_(None))
            .values(sent_at=clock.now(), channel_id=channel_id, ts=ts)
        )
