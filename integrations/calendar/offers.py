"""Offering meeting times: three well-spread times that suit the rep, the sales engineer and the customer.

Offering reads the rep's and the sales engineer's calendars (free/busy through the configured port) and the
customer contact's working day (their time zone, from the CRM or the account's country), and stores the times,
each under a token of its own: the value of its button. Booking one is service.py's.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core import audit, jobs
from core.clock import Clock
from core.job_kinds import PostMeetingOffer
from deals import access
from deals import service as deals
from deals.models import Deal
from deals.next_steps import CLOSED_STAGES
from integrations.calendar import slots as slot_rules
from integrations.calendar.errors import MeetingError, NoCommonTime
from integrations.calendar.models import Meeting, MeetingKind, MeetingSlot, MeetingStatus
from integrations.calendar.people import Directory, Person, customer_zone
from integrations.calendar.port import CalendarPort, Interval
from integrations.leads.models import Lead

# Offering -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferedSlot:
    token: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Offer:
    meeting_id: int
    round: int
    deal_id: int
    company: str
    kind: MeetingKind
    people: list[Person]
    slots: list[OfferedSlot]
    offered_to: str
    channel_id: str | None
    thread_ts: str | None
    booked_start: datetime | None  # a reschedule's offer: when the meeting is now

    @property
    def no_sales_engineer(self) -> bool:
        return not any(person.role == "se" for person in self.people)


@dataclass(frozen=True)
class DealSide:
    """The deal a meeting is for, as offering needs it: its people and the thread the times go to."""

    deal_id: int
    company: str
    owner: str
    sales_engineer: str | None
    customer: Person | None
    channel_id: str | None
    thread_ts: str | None

    @classmethod
    def of(cls, session: Session, deal: Deal, *, channel_id: str | None, thread_ts: str | None) -> DealSide:
        return cls(
            deal_id=deal.id,
            company=deal.account.name,
            owner=deal.owner_slack_id,
            sales_engineer=deal.sales_engineer_slack_id,
            customer=_customer_person(session, deal),
            channel_id=channel_id,
            thread_ts=thread_ts,
        )


@dataclass(frozen=True)
class Scheduling:
    """What offering needs besides the request: the calendar, the clock, the hours and how long a meeting is."""

    session_factory: sessionmaker[Session]
    calendar: CalendarPort
    directory: Directory
    clock: Clock
    hours: slot_rules.WorkingHours
    minutes: int


def ensure_may_change(session: Session, who: access.Identity, deal: Deal) -> None:
    """The deal's people (owner, shares, managers) and its assigned sales engineer may book and change its meetings."""
    if deal.sales_engineer_slack_id and deal.sales_engineer_slack_id == who.user_id:
        return
    access.check(session, who, access.Action.CHANGE_DEAL, deal)


def _customer_person(session: Session, deal: Deal) -> Person | None:
    """The customer's named contact (or the company's team) and their zone: the lead's contact and country, else
    the account's country. None when nothing says where they are."""
    record = deals.qualification_of(deal)
    lead = session.scalar(select(Lead).where(Lead.deal_id == deal.id).order_by(Lead.id.desc()).limit(1))
    details = lead.details if lead is not None else {}
    contact = details.get("contact") or {}
    name = record.contact_name or contact.get("name") or f"{deal.account.name}'s team"
    if zone := customer_zone(details.get("country")):
        source = "the lead's country"
    elif zone := customer_zone(deal.account.region):
        source = "the account's country"
    else:
        return None
    return Person(role="customer", name=name, zone=zone, zone_source=source, email=contact.get("email"))


def _deal_side(session_factory: sessionmaker[Session], *, who: access.Identity, deal_ref: str) -> DealSide:
    with session_factory() as session:
        deal = deals.find_deal(session, reference=deal_ref, user_id=who.user_id, who=who)
        ensure_may_change(session, who, deal)
        if deal.stage in CLOSED_STAGES:
            raise MeetingError(f"Deal #{deal.id} is {deal.stage}: there is nothing to schedule.")
        return DealSide.of(session, deal, channel_id=deal.channel_id, thread_ts=deal.thread_ts)


def _participants(people: Sequence[Person], busy: dict[str, list[Interval]]) -> list[slot_rules.Participant]:
    return [
        slot_rules.Participant(
            name=person.name, zone=person.tz, busy=tuple(busy.get(person.email, [])) if person.email else ()
        )
        for person in people
    ]


def _free_slots(
    scheduling: Scheduling, people: Sequence[Person], *, when: str | None, organiser: Person
) -> list[Interval]:
    now = scheduling.clock.now()
    window = slot_rules.window_for(when, now=now, zone=organiser.tz)
    calendars = [person.email for person in people if person.email and person.role != "customer"]
    busy = scheduling.calendar.busy(calendars, start=window.start, end=window.end) if calendars else {}
    found = slot_rules.common_free_slots(
        _participants(people, busy),
        window=window,
        duration=timedelta(minutes=scheduling.minutes),
        hours=scheduling.hours,
        not_before=now + slot_rules.LEAD,
    )
    return slot_rules.spread(found, zone=organiser.tz)


def _title(kind: MeetingKind, company: str) -> str:
    return f"{kind.label} with {company}"[:200]


async def offer_meeting(
    scheduling: Scheduling,
    *,
    who: access.Identity,
    deal_ref: str,
    kind: MeetingKind,
    when: str | None,
    origin: str,
) -> Offer:
    """Three times for a demo or POC session of the deal, offered to `who`: common free time of the rep and the
    sales engineer (their calendars, their hours) within the customer's working day. A request run again (the same
    origin) gets its offer back. Raises MeetingError (NoCommonTime), DealNotFound or Forbidden."""
    factory = scheduling.session_factory
    done = await asyncio.to_thread(offer_of_origin, factory, origin)
    if done is not None:
        return done
    side = await asyncio.to_thread(_deal_side, factory, who=who, deal_ref=deal_ref)
    return await make_offer(scheduling, side=side, who=who, kind=kind, when=when, origin=origin, meeting_id=None)


async def make_offer(
    scheduling: Scheduling,
    *,
    side: DealSide,
    who: access.Identity,
    kind: MeetingKind,
    when: str | None,
    origin: str,
    meeting_id: int | None,
) -> Offer:
    rep = await scheduling.directory.person(side.owner, role="rep")
    people = [rep]
    if side.sales_engineer:
        people.append(await scheduling.directory.person(side.sales_engineer, role="se"))
    if side.customer is not None:
        people.append(side.customer)
    asker = rep if who.user_id == side.owner else await scheduling.directory.person(who.user_id, role="rep")
    chosen = await asyncio.to_thread(_free_slots, scheduling, people, when=when, organiser=asker)
    if not chosen:
        span = f" {when}" if when else " in the next days"
        raise NoCommonTime(
            f"I found no time{span} when everyone is free within working hours "
            f"({', '.join(f'{p.name}: {p.zone}' for p in people)}). Try another week, e.g. `/lto schedule "
            f"#{side.deal_id} {kind.value} next week`."
        )
    return await asyncio.to_thread(
        _record_offer,
        scheduling.session_factory,
        side=side,
        who=who,
        kind=kind,
        people=people,
        chosen=chosen,
        origin=origin,
        meeting_id=meeting_id,
        clock=scheduling.clock,
        calendar=scheduling.calendar,
    )


def _record_offer(
    session_factory: sessionmaker[Session],
    *,
    side: DealSide,
    who: access.Identity,
    kind: MeetingKind,
    people: list[Person],
    chosen: list[Interval],
    origin: str,
    meeting_id: int | None,
    clock: Clock,
    calendar: CalendarPort,
) -> Offer:
    """The meeting (the deal's one being offered, or a new one) and this round's times, with the job that shows them."""
    for attempt in range(2):
        try:
            with session_factory() as session, session.begin():
                meeting = _meeting_to_offer(
                    session,
                    side=side,
                    who=who,
                    kind=kind,
                    origin=origin,
                    meeting_id=meeting_id,
                    clock=clock,
                    provider=calendar.provider,
                )
                now = clock.now()
                if session.scalar(_any_slot(meeting.id)) is not None:  # times were offered before: a new round
                    meeting.round += 1
                meeting.attendees = [person.as_json() for person in people]
                meeting.updated_at = now
                for position, interval in enumerate(chosen):
                    session.add(
                        MeetingSlot(
                            meeting_id=meeting.id,
                            round=meeting.round,
                            position=position,
                            token=secrets.token_urlsafe(18),
                            start_at=interval.start,
                            end_at=interval.end,
                            offered_to=who.user_id,
                            origin=origin,
                            created_at=now,
                        )
                    )
                session.flush()
                jobs.enqueue(
                    session,
                    job=PostMeetingOffer(meeting_id=meeting.id, round=meeting.round),
                    clock=clock,
                    dedupe_key=f"meeting:{meeting.id}:offer:{meeting.round}",
                )
                audit.record(
                    session,
                    clock=clock,
                    actor_type="user",
                    actor_id=who.user_id,
                    action="meeting.offer",
                    subject=f"meeting:{meeting.id}",
                    deal_id=side.deal_id,
                    inputs={"origin": origin, "round": meeting.round},
                    outcome="offered",
                    detail={"times": [i.start.isoformat() for i in chosen], "zones": [p.zone for p in people]},
                )
                return _offer_from(session, meeting, meeting.round)
        except IntegrityError:
            if attempt:  # the deal's meeting was offered by another request at the same moment: join it
                raise
    raise AssertionError("unreachable")


def _any_slot(meeting_id: int) -> Any:
    return select(MeetingSlot.id).where(MeetingSlot.meeting_id == meeting_id).limit(1)


def _meeting_to_offer(
    session: Session,
    *,
    side: DealSide,
    who: access.Identity,
    kind: MeetingKind,
    origin: str,
    meeting_id: int | None,
    clock: Clock,
    provider: str,
) -> Meeting:
    if meeting_id is not None:
        return session.get_one(Meeting, meeting_id)
    offered = session.scalar(
        select(Meeting).where(
            Meeting.deal_id == side.deal_id, Meeting.kind == kind, Meeting.status == MeetingStatus.OFFERED
        )
    )
    if offered is not None:
        return offered
    now = clock.now()
    meeting = Meeting(
        deal_id=side.deal_id,
        kind=kind,
        status=MeetingStatus.OFFERED,
        title=_title(kind, side.company),
        attendees=[],
        provider=provider,
        ics_uid=f"{secrets.token_hex(12)}@lead-to-order",
        sequence=0,
        round=0,
        channel_id=side.channel_id,
        thread_ts=side.thread_ts,
        requested_by=who.user_id,
        origin=origin,
        created_at=now,
        updated_at=now,
    )
    session.add(meeting)
    session.flush()
    return meeting


def _offer_from(session: Session, meeting: Meeting, round_: int) -> Offer:
    rows = session.scalars(
        select(MeetingSlot)
        .where(MeetingSlot.meeting_id == meeting.id, MeetingSlot.round == round_)
        .order_by(MeetingSlot.position)
    ).all()
    deal = deals.get_deal(session, meeting.deal_id)
    return Offer(
        meeting_id=meeting.id,
        round=round_,
        deal_id=meeting.deal_id,
        company=deal.account.name,
        kind=meeting.kind,
        people=[Person.from_json(p) for p in meeting.attendees],
        slots=[OfferedSlot(token=r.token, start=r.start_at, end=r.end_at) for r in rows],
        offered_to=rows[0].offered_to if rows else meeting.requested_by,
        channel_id=meeting.channel_id,
        thread_ts=meeting.thread_ts,
        booked_start=meeting.start_at if meeting.status.is_booked else None,
    )


def offer_of_origin(session_factory: sessionmaker[Session], origin: str) -> Offer | None:
    with session_factory() as session:
        slot = session.scalar(select(MeetingSlot).where(MeetingSlot.origin == origin).limit(1))
        if slot is None:
            return None
        return _offer_from(session, session.get_one(Meeting, slot.meeting_id), slot.round)


def offer_of(session_factory: sessionmaker[Session], *, meeting_id: int, round_: int) -> Offer:
    """A round of times as it was offered (the offer job shows it)."""
    with session_factory() as session:
        return _offer_from(session, session.get_one(Meeting, meeting_id), round_)
