"""Meetings with a deal's customer once times are offered (offers.py): one booked once, rescheduled or cancelled
once.

Booking is one conditional UPDATE of the meeting on the round of times offered, so a second click (or two at
once) books nothing more and is told the meeting is booked; the next step and the job that brings the
provider's event, the .ics invite and the thread message along are written in the same transaction.
Rescheduling offers a new round; the booked time moves and SEQUENCE grows. Cancelling is one conditional UPDATE
on the sequence the person saw. The day-before reminder is claimed by its key, so schedulers on several replicas
send it once (reminders.py); the provider's event and the .ics invite follow the meeting's sequence (invites.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core import audit, jobs
from core.clock import Clock
from core.job_kinds import SyncMeeting
from deals import access
from deals import service as deals
from deals.models import Deal, NextStep, NextStepSource, NextStepStatus
from deals.next_steps import add_step
from integrations.calendar.errors import AlreadyBooked, MeetingChanged, MeetingError, SlotNotFound
from integrations.calendar.models import Meeting, MeetingKind, MeetingSlot, MeetingStatus
from integrations.calendar.offers import (
    DealSide,
    Offer,
    Scheduling,
    ensure_may_change,
    make_offer,
    offer_of_origin,
)
from integrations.calendar.people import Person, zone_named

# Booking ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingView:
    """A meeting as people see it (the thread message, the invite, the reminder)."""

    id: int
    deal_id: int
    company: str
    kind: MeetingKind
    status: MeetingStatus
    title: str
    start: datetime | None
    end: datetime | None
    people: list[Person]
    sequence: int
    ics_uid: str
    provider: str
    channel_id: str | None
    thread_ts: str | None
    message_ts: str | None
    owner: str
    booked_by: str | None

    @property
    def no_sales_engineer(self) -> bool:
        return not any(person.role == "se" for person in self.people)

    @property
    def sales_engineer(self) -> str | None:
        return next((p.slack_id for p in self.people if p.role == "se"), None)


@dataclass(frozen=True)
class Booking:
    meeting: MeetingView
    repeated: bool  # this request had booked it before (a re-run): nothing new was booked


def view_of(session: Session, meeting: Meeting) -> MeetingView:
    deal = deals.get_deal(session, meeting.deal_id)
    return MeetingView(
        id=meeting.id,
        deal_id=meeting.deal_id,
        company=deal.account.name,
        kind=meeting.kind,
        status=meeting.status,
        title=meeting.title,
        start=meeting.start_at,
        end=meeting.end_at,
        people=[Person.from_json(p) for p in meeting.attendees],
        sequence=meeting.sequence,
        ics_uid=meeting.ics_uid,
        provider=meeting.provider,
        channel_id=meeting.channel_id,
        thread_ts=meeting.thread_ts,
        message_ts=meeting.message_ts,
        owner=deal.owner_slack_id,
        booked_by=meeting.booked_by,
    )


def meeting_view(session_factory: sessionmaker[Session], *, meeting_id: int) -> MeetingView:
    with session_factory() as session:
        return view_of(session, session.get_one(Meeting, meeting_id))


def _step_title(meeting: Meeting, company: str, zone: ZoneInfo) -> str:
    assert meeting.start_at is not None
    local = meeting.start_at.astimezone(zone)
    return f"{meeting.kind.label} with {company} on {local:%a %d %b}, {local:%H:%M} {local.tzname()}"


def book(
    session_factory: sessionmaker[Session], *, who: access.Identity, token: str, origin: str, clock: Clock
) -> Booking:
    """Book the offered time a button names, once: a conditional UPDATE on the round of times it came from. The
    same request run again gets its booking back; any other finds it booked (AlreadyBooked, with when) or its round
    replaced by newer times (MeetingChanged). The next step and the sync job commit with the booking."""
    with session_factory() as session, session.begin():
        slot = session.scalar(select(MeetingSlot).where(MeetingSlot.token == token))
        if slot is None:
            raise SlotNotFound("That time is not on record; I booked nothing. Ask for new times.")
        meeting = session.get_one(Meeting, slot.meeting_id)
        deal = deals.get_deal(session, meeting.deal_id)
        ensure_may_change(session, who, deal)
        if meeting.changed_by_origin == origin:
            return Booking(meeting=view_of(session, meeting), repeated=True)
        first = meeting.booked_round is None
        now = clock.now()
        won = session.execute(
            update(Meeting)
            .where(
                Meeting.id == meeting.id,
                Meeting.round == slot.round,
                Meeting.status != MeetingStatus.CANCELLED,
                Meeting.booked_round.is_(None) if first else Meeting.booked_round < slot.round,
            )
            .values(
                status=MeetingStatus.BOOKED if first else MeetingStatus.RESCHEDULED,
                start_at=slot.start_at,
                end_at=slot.end_at,
                booked_round=slot.round,
                sequence=Meeting.sequence + (0 if first else 1),
                booked_by=who.user_id,
                changed_by_origin=origin,
                updated_at=now,
            )
            .returning(Meeting.id)
            .execution_options(synchronize_session=False)
        ).first()
        session.refresh(meeting)
        if won is None:
            raise _why_not_booked(meeting, slot)
        _step_follows(session, meeting, deal, who=who, clock=clock, origin=origin)
        _queue_sync(session, meeting, clock=clock)
        audit.record(
            session,
            clock=clock,
            actor_type="user",
            actor_id=who.user_id,
            action="meeting.book" if first else "meeting.reschedule",
            subject=f"meeting:{meeting.id}",
            deal_id=deal.id,
            inputs={"token": token, "round": slot.round},
            outcome=str(meeting.status),
            detail={"start": slot.start_at.isoformat(), "sequence": meeting.sequence},
        )
        return Booking(meeting=view_of(session, meeting), repeated=False)


def _why_not_booked(meeting: Meeting, slot: MeetingSlot) -> MeetingError:
    if meeting.status == MeetingStatus.CANCELLED:
        return MeetingChanged("That meeting was cancelled; I booked nothing.")
    if meeting.round != slot.round:
        return MeetingChanged("Newer times were offered for this meeting since; use those. I booked nothing.")
    return AlreadyBooked(
        f"It is already booked (by <@{meeting.booked_by}>); I booked nothing more.", start=meeting.start_at
    )


def _zone_of_owner(meeting: Meeting, owner: str) -> ZoneInfo:
    for person in meeting.attendees:
        if person.get("slack_id") == owner:
            return zone_named(person.get("zone"))
    return zone_named(None)


def _step_follows(
    session: Session, meeting: Meeting, deal: Deal, *, who: access.Identity, clock: Clock, origin: str
) -> None:
    """The rep's next step says when the meeting is: added on the first booking, moved on a reschedule."""
    zone = _zone_of_owner(meeting, deal.owner_slack_id)
    assert meeting.start_at is not None
    due = meeting.start_at.astimezone(zone).date()
    title = _step_title(meeting, deal.account.name, zone)
    if meeting.next_step_id is None:
        step, _ = add_step(
            session,
            deal=deal,
            title=title,
            owner_slack_id=deal.owner_slack_id,
            due=due,
            source=NextStepSource.REP,
            created_by=who.user_id,
            origin=f"meeting:{meeting.id}",
            clock=clock,
        )
        meeting.next_step_id = step.id
        return
    session.execute(
        update(NextStep)
        .where(NextStep.id == meeting.next_step_id, NextStep.status == NextStepStatus.OPEN)
        .values(title=title, due=due, updated_at=clock.now())
    )


def _queue_sync(session: Session, meeting: Meeting, *, clock: Clock) -> None:
    jobs.enqueue(
        session,
        job=SyncMeeting(meeting_id=meeting.id, sequence=meeting.sequence),
        clock=clock,
        dedupe_key=f"meeting:{meeting.id}:sync:{meeting.sequence}",
    )


# Rescheduling and cancelling ------------------------------------------------------------------------------


def _booked_as_seen(
    session: Session, *, who: access.Identity, meeting_id: int, seen_sequence: int
) -> tuple[Meeting, Deal]:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingError("That meeting is not on record; I did nothing.")
    deal = deals.get_deal(session, meeting.deal_id)
    ensure_may_change(session, who, deal)
    return meeting, deal


async def reoffer(
    scheduling: Scheduling, *, who: access.Identity, meeting_id: int, seen_sequence: int, origin: str
) -> Offer:
    """Reschedule: new times for a booked meeting (the booked time stays until one of them is chosen)."""
    factory = scheduling.session_factory
    done = await asyncio.to_thread(offer_of_origin, factory, origin)
    if done is not None:
        return done

    def load() -> tuple[DealSide, MeetingKind]:
        with factory() as session:
            meeting, deal = _booked_as_seen(session, who=who, meeting_id=meeting_id, seen_sequence=seen_sequence)
            if not meeting.status.is_booked or meeting.sequence != seen_sequence:
                raise MeetingChanged(_changed_text(meeting))
            return DealSide.of(session, deal, channel_id=meeting.channel_id, thread_ts=meeting.thread_ts), meeting.kind

    side, kind = await asyncio.to_thread(load)
    return await make_offer(scheduling, side=side, who=who, kind=kind, when=None, origin=origin, meeting_id=meeting_id)


def _changed_text(meeting: Meeting) -> str:
    if meeting.status == MeetingStatus.CANCELLED:
        return "That meeting is cancelled already; nothing changed."
    return "That meeting changed since this message was posted; use its latest message. Nothing changed."


def cancel(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    meeting_id: int,
    seen_sequence: int,
    origin: str,
    clock: Clock,
) -> Booking:
    """Cancel a booked meeting as the person saw it, once: one conditional UPDATE on its sequence. The next step
    is closed and the sync job (event, CANCEL invite, thread message) commits with it."""
    with session_factory() as session, session.begin():
        meeting, deal = _booked_as_seen(session, who=who, meeting_id=meeting_id, seen_sequence=seen_sequence)
        if meeting.changed_by_origin == origin:
            return Booking(meeting=view_of(session, meeting), repeated=True)
        now = clock.now()
        won = session.execute(
            update(Meeting)
            .where(
                Meeting.id == meeting.id,
                Meeting.sequence == seen_sequence,
                Meeting.status.in_([MeetingStatus.BOOKED, MeetingStatus.RESCHEDULED]),
            )
            .values(
                status=MeetingStatus.CANCELLED,
                sequence=Meeting.sequence + 1,
                changed_by_origin=origin,
                updated_at=now,
            )
            .returning(Meeting.id)
            .execution_options(synchronize_session=False)
        ).first()
        session.refresh(meeting)
        if won is None:
            raise MeetingChanged(_changed_text(meeting))
        if meeting.next_step_id is not None:
            step = session.get_one(NextStep, meeting.next_step_id)
            session.execute(
                update(NextStep)
                .where(NextStep.id == step.id, NextStep.status == NextStepStatus.OPEN)
                .values(
                    title=f"{step.title} (cancelled)",
                    status=NextStepStatus.DONE,
                    done_at=now,
                    done_by=who.user_id,
                    updated_at=now,
                )
            )
        _queue_sync(session, meeting, clock=clock)
        audit.record(
            session,
            clock=clock,
            actor_type="user",
            actor_id=who.user_id,
            action="meeting.cancel",
            subject=f"meeting:{meeting.id}",
            deal_id=deal.id,
            inputs={"seen_sequence": seen_sequence},
            outcome="cancelled",
        )
        return Booking(meeting=view_of(session, meeting), repeated=False)
