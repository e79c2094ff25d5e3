"""Meetings with a deal's customer: times offered, one booked once, rescheduled or cancelled once, reminded once.

Offering reads the rep's and the sales engineer's calendars (free/busy through the configured port) and the
customer contact's working day (their time zone, from the CRM or the account's country), and stores three
well-spread times, each under a token of its own: the value of its button. Booking is one conditional UPDATE of
the meeting on the round of times offered, so a second click (or two at once) books nothing more and is told the
meeting is booked; the next step and the job that brings the provider's event, the .ics invite and the thread
message along are written in the same transaction. Rescheduling offers a new round; the booked time moves and
SEQUENCE grows. Cancelling is one conditional UPDATE on the sequence the person saw. The day-before reminder is
claimed by its key, so schedulers on several replicas send it once (reminders.py); the provider's event and
the .ics invite follow the meeting's sequence (invites.py).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core import audit, jobs
from core.clock import Clock
from core.job_kinds import PostMeetingOffer, SyncMeeting
from deals import access
from deals import service as deals
from deals.models import Deal, NextStep, NextStepSource, NextStepStatus
from deals.next_steps import CLOSED_STAGES, add_step
from integrations.calendar import slots as slot_rules
from integrations.calendar.models import Meeting, MeetingKind, MeetingSlot, MeetingStatus
from integrations.calendar.port import CalendarPort, Interval
from integrations.leads.models import Lead, country_code

Role = Literal["rep", "se", "customer"]

# Where a customer is, when the CRM gives a country and no time zone: the country's main business zone. For
# countries spanning several zones this is an assumption, said beside the name wherever times are offered.
COUNTRY_ZONES = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo",
    "AR": "America/Argentina/Buenos_Aires",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "DE": "Europe/Berlin",
    "AT": "Europe/Vienna",
    "CH": "Europe/Zurich",
    "FR": "Europe/Paris",
    "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels",
    "LU": "Europe/Luxembourg",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "IT": "Europe/Rome",
    "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague",
    "IL": "Asia/Jerusalem",
    "AE": "Asia/Dubai",
    "SA": "Asia/Riyadh",
    "IN": "Asia/Kolkata",
    "SG": "Asia/Singapore",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong",
    "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland",
    "ZA": "Africa/Johannesburg",
}


# Errors -------------------------------------------------------------------------------------------------


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


# People -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone taking part: where they are (and how we know), and their calendar when we can read it."""

    role: Role
    name: str
    zone: str  # a zoneinfo name
    zone_source: str  # "their Slack profile", "the account's country", ...
    slack_id: str | None = None
    email: str | None = None  # their calendar id; None for a customer: no calendar of theirs we can read

    @property
    def tz(self) -> ZoneInfo:
        return zone_named(self.zone)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Person:
        return cls(
            role=data["role"],
            name=str(data["name"]),
            zone=str(data["zone"]),
            zone_source=str(data["zone_source"]),
            slack_id=data.get("slack_id"),
            email=data.get("email"),
        )


class Directory(Protocol):
    """Who one of our people is, from the workspace (their name, email and time zone): the edge implements it."""

    async def person(self, slack_id: str, *, role: Role) -> Person: ...


def zone_named(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def customer_zone(country: str | None) -> str | None:
    code = country_code(country) if country else None
    return COUNTRY_ZONES.get(code) if code else None


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
class _DealSide:
    deal_id: int
    company: str
    owner: str
    sales_engineer: str | None
    customer: Person | None
    channel_id: str | None
    thread_ts: str | None


@dataclass(frozen=True)
class Scheduling:
    """What offering needs besides the request: the calendar, the clock, the hours and how long a meeting is."""

    session_factory: sessionmaker[Session]
    calendar: CalendarPort
    directory: Directory
    clock: Clock
    hours: slot_rules.WorkingHours
    minutes: int


def _may_change(session: Session, who: access.Identity, deal: Deal) -> None:
    """The deal's people (owner, shares, managers) and its assigned sales engineer may book and change its meetings."""
    if deal.sales_engineer_slack_id and deal.sales_engineer_slack_id == who.user_id:
        return
    access.check(session, who, access.Action.CHANGE_DEAL, deal)


def _customer(session: Session, deal: Deal) -> Person | None:
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


def _deal_side(session_factory: sessionmaker[Session], *, who: access.Identity, deal_ref: str) -> _DealSide:
    with session_factory() as session:
        deal = deals.find_deal(session, reference=deal_ref, user_id=who.user_id, who=who)
        _may_change(session, who, deal)
        if deal.stage in CLOSED_STAGES:
            raise MeetingError(f"Deal #{deal.id} is {deal.stage}: there is nothing to schedule.")
        return _DealSide(
            deal_id=deal.id,
            company=deal.account.name,
            owner=deal.owner_slack_id,
            sales_engineer=deal.sales_engineer_slack_id,
            customer=_customer(session, deal),
            channel_id=deal.channel_id,
            thread_ts=deal.thread_ts,
        )


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
    done = await asyncio.to_thread(_offer_of_origin, factory, origin)
    if done is not None:
        return done
    side = await asyncio.to_thread(_deal_side, factory, who=who, deal_ref=deal_ref)
    return await _offer(scheduling, side=side, who=who, kind=kind, when=when, origin=origin, meeting_id=None)


async def _offer(
    scheduling: Scheduling,
    *,
    side: _DealSide,
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
    side: _DealSide,
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
    side: _DealSide,
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


def _offer_of_origin(session_factory: sessionmaker[Session], origin: str) -> Offer | None:
    with session_factory() as session:
        slot = session.scalar(select(MeetingSlot).where(MeetingSlot.origin == origin).limit(1))
        if slot is None:
            return None
        return _offer_from(session, session.get_one(Meeting, slot.meeting_id), slot.round)


def offer_of(session_factory: sessionmaker[Session], *, meeting_id: int, round_: int) -> Offer:
    """A round of times as it was offered (the offer job shows it)."""
    with session_factory() as session:
        return _offer_from(session, session.get_one(Meeting, meeting_id), round_)


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
        _may_change(session, who, deal)
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
    _may_change(session, who, deal)
    return meeting, deal


async def reoffer(
    scheduling: Scheduling, *, who: access.Identity, meeting_id: int, seen_sequence: int, origin: str
) -> Offer:
    """Reschedule: new times for a booked meeting (the booked time stays until one of them is chosen)."""
    factory = scheduling.session_factory
    done = await asyncio.to_thread(_offer_of_origin, factory, origin)
    if done is not None:
        return done

    def load() -> tuple[_DealSide, MeetingKind]:
        with factory() as session:
            meeting, deal = _booked_as_seen(session, who=who, meeting_id=meeting_id, seen_sequence=seen_sequence)
            if not meeting.status.is_booked or meeting.sequence != seen_sequence:
                raise MeetingChanged(_changed_text(meeting))
            side = _DealSide(
                deal_id=deal.id,
                company=deal.account.name,
                owner=deal.owner_slack_id,
                sales_engineer=deal.sales_engineer_slack_id,
                customer=_customer(session, deal),
                channel_id=meeting.channel_id,
                thread_ts=meeting.thread_ts,
            )
            return side, meeting.kind

    side, kind = await asyncio.to_thread(load)
    return await _offer(scheduling, side=side, who=who, kind=kind, when=None, origin=origin, meeting_id=meeting_id)


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
