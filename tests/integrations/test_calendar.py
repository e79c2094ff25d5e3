"""Calendars: common free time across time zones (pure), the .ics invite, and the Google Calendar adapter against a
fake of its API (free/busy, events created once, moved, cancelled; 401, 429 and 5xx)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.serving import serve_asgi
from integrations.calendar.google import GoogleCalendar, event_id_for
from integrations.calendar.ics import Invite, invite_ics
from integrations.calendar.port import (
    Attendee,
    CalendarUnauthorized,
    CalendarUnavailable,
    EventRequest,
    Interval,
)
from integrations.calendar.slots import (
    Participant,
    WorkingHours,
    common_free_slots,
    read_window,
    spread,
    window_for,
    working_time,
)
from tests.fakes.google_calendar import FakeGoogleCalendar

LA, BERLIN, NEW_YORK = ZoneInfo("America/Los_Angeles"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
HOURS = WorkingHours.parse("08:00-18:00")
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def three(busy_la: tuple[Interval, ...] = ()) -> list[Participant]:
    return [
        Participant("Riley (Los Angeles)", LA, busy_la),
        Participant("Sky (Berlin)", BERLIN),
        Participant("Dana (New York)", NEW_YORK),
    ]


# Slots ------------------------------------------------------------------------------------------------


def test_los_angeles_berlin_and_new_york_share_one_hour_a_winter_day_and_three_days_are_offered():
    week = Interval(utc(2026, 12, 7, 8), utc(2026, 12, 12, 8))  # Monday to Friday, Los Angeles
    slots = common_free_slots(three(), window=week, duration=HOUR, hours=HOURS)
    # 08:00 in Los Angeles (16:00 UTC) to 18:00 in Berlin (17:00 UTC): one hour, every weekday.
    assert slots == [Interval(utc(2026, 12, day, 16), utc(2026, 12, day, 17)) for day in range(7, 12)]
    chosen = spread(slots, zone=LA)
    assert [s.start for s in chosen] == [utc(2026, 12, 7, 16), utc(2026, 12, 8, 16), utc(2026, 12, 9, 16)]


def test_a_busy_calendar_moves_the_choices_to_the_next_free_days():
    week = Interval(utc(2026, 12, 7, 8), utc(2026, 12, 12, 8))
    busy = (
        Interval(utc(2026, 12, 7, 15, 30), utc(2026, 12, 7, 16, 30)),
        Interval(utc(2026, 12, 9, 16), utc(2026, 12, 9, 17)),
    )
    chosen = spread(common_free_slots(three(busy), window=week, duration=HOUR, hours=HOURS), zone=LA)
    assert [s.start for s in chosen] == [utc(2026, 12, 8, 16), utc(2026, 12, 10, 16), utc(2026, 12, 11, 16)]


def test_between_the_american_and_european_clock_changes_the_common_time_is_two_hours():
    # 9-13 March 2026: Los Angeles and New York are on summer time since the 8th, Berlin not until the 29th.
    week = Interval(utc(2026, 3, 9, 7), utc(2026, 3, 14, 7))
    slots = common_free_slots(three(), window=week, duration=HOUR, hours=HOURS)
    monday = [s.start for s in slots if s.start.date() == datetime(2026, 3, 9).date()]
    assert monday == [utc(2026, 3, 9, 15), utc(2026, 3, 9, 15, 30), utc(2026, 3, 9, 16)]  # 08:00 PDT to 18:00 CET
    # A week later (after the 29th) Berlin moves too, and the overlap is back to one hour.
    april = common_free_slots(
        three(), window=Interval(utc(2026, 4, 6, 7), utc(2026, 4, 7, 7)), duration=HOUR, hours=HOURS
    )
    assert april == [Interval(utc(2026, 4, 6, 15), utc(2026, 4, 6, 16))]


def test_working_hours_follow_each_local_day_across_the_clock_change():
    every_day = WorkingHours(start=time(8), end=time(18), weekdays=frozenset(range(7)))
    spans = working_time(LA, every_day, Interval(utc(2026, 3, 7, 12), utc(2026, 3, 9, 12)))
    assert spans[0] == Interval(utc(2026, 3, 7, 16), utc(2026, 3, 8, 2))  # Saturday, PST
    assert spans[1] == Interval(utc(2026, 3, 8, 15), utc(2026, 3, 9, 1))  # Sunday, PDT from 02:00


def test_three_choices_on_one_day_are_spread_two_hours_apart():
    day = Interval(utc(2026, 12, 8, 16), utc(2026, 12, 9, 2))  # Tuesday, 08:00 to 18:00 in Los Angeles
    slots = common_free_slots([Participant("Riley", LA)], window=day, duration=HOUR, hours=HOURS)
    assert [s.start for s in spread(slots, zone=LA)] == [
        utc(2026, 12, 8, 16),
        utc(2026, 12, 8, 18),
        utc(2026, 12, 8, 20),
    ]


def test_nothing_is_offered_sooner_than_the_notice_or_outside_the_window():
    now = utc(2026, 12, 8, 16, 10)
    day = window_for("2026-12-08", now=now, zone=LA)
    slots = common_free_slots(three(), window=day, duration=HOUR, hours=HOURS, not_before=now + 2 * HOUR)
    assert slots == []  # the one common hour today is too soon


def test_windows_are_read_where_the_organiser_is():
    wednesday = utc(2026, 12, 2, 15)
    assert window_for("next week", now=wednesday, zone=LA) == Interval(utc(2026, 12, 7, 8), utc(2026, 12, 12, 8))
    assert window_for("tomorrow", now=wednesday, zone=BERLIN) == Interval(utc(2026, 12, 2, 23), utc(2026, 12, 3, 23))
    assert window_for(None, now=wednesday, zone=LA) == Interval(wednesday, wednesday + timedelta(days=7))
    assert read_window("let's book a demo with their data team next week") == "next week"
    assert read_window("demo on 2026-12-09 please") == "2026-12-09"
    assert read_window("a demo soon") is None


# The invite -------------------------------------------------------------------------------------------


def test_the_invite_keeps_its_uid_bumps_its_sequence_and_cancels():
    invite = Invite(
        uid="abc@lead-to-order",
        sequence=0,
        summary="Demo with Acme Corp",
        description="Deal #1",
        start=utc(2026, 12, 8, 16),
        end=utc(2026, 12, 8, 17),
        organizer=Attendee("riley@halyard.example", "Riley Rep"),
        attendees=[Attendee("riley@halyard.example", "Riley Rep"), Attendee("sky@halyard.example", "Sky")],
        stamp=utc(2026, 12, 2, 15),
    )
    first = Calendar.from_ical(invite_ics(invite))
    moved = Calendar.from_ical(invite_ics(Invite(**{**invite.__dict__, "sequence": 1, "start": utc(2026, 12, 9, 16)})))
    gone = Calendar.from_ical(invite_ics(Invite(**{**invite.__dict__, "sequence": 2}), method="CANCEL"))
    events = [cal.walk("VEVENT")[0] for cal in (first, moved, gone)]
    assert [str(cal["method"]) for cal in (first, moved, gone)] == ["REQUEST", "REQUEST", "CANCEL"]
    assert {str(e["uid"]) for e in events} == {"abc@lead-to-order"}
    assert [int(e["sequence"]) for e in events] == [0, 1, 2]
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert events[1].decoded("dtstart") == utc(2026, 12, 9, 16)
    assert sorted(str(a) for a in events[0]["attendee"]) == [
        "mailto:riley@halyard.example",
        "mailto:sky@halyard.example",
    ]


# The Google adapter -----------------------------------------------------------------------------------


@pytest.fixture
async def google() -> AsyncIterator[tuple[FakeGoogleCalendar, GoogleCalendar]]:
    fake = FakeGoogleCalendar()
    async with serve_asgi(fake.app) as url:
        adapter = GoogleCalendar(token=fake.token, base_url=url, organizer="riley@halyard.example")
        fake.url = url
        yield fake, adapter
        adapter.close()


def _event(uid: str = "m1@lead-to-order", start: datetime = utc(2026, 12, 8, 16), sequence: int = 0) -> EventRequest:
    return EventRequest(
        uid=uid,
        summary="Demo with Acme Corp",
        description="Deal #1",
        start=start,
        end=start + HOUR,
        attendees=[Attendee("riley@halyard.example", "Riley Rep"), Attendee("sky@halyard.example", "Sky")],
        sequence=sequence,
    )


async def test_free_busy_reads_each_calendar_and_an_unknown_one_has_none(google):
    fake, adapter = google
    fake.add_calendar("riley@halyard.example", (utc(2026, 12, 8, 15), utc(2026, 12, 8, 17)))
    fake.add_calendar("sky@halyard.example", (utc(2026, 12, 7, 9), utc(2026, 12, 7, 10)))
    busy = await asyncio.to_thread(
        adapter.busy,
        ["riley@halyard.example", "sky@halyard.example", "nobody@halyard.example"],
        start=utc(2026, 12, 8, 0),
        end=utc(2026, 12, 9, 0),
    )
    assert busy == {
        "riley@halyard.example": [Interval(utc(2026, 12, 8, 15), utc(2026, 12, 8, 17))],
        "sky@halyard.example": [],
        "nobody@halyard.example": [],
    }


async def test_an_event_created_twice_under_one_uid_exists_once_then_moves_and_is_cancelled(google):
    fake, adapter = google
    fake.add_calendar("riley@halyard.example")
    first = await asyncio.to_thread(adapter.create_event, _event())
    again = await asyncio.to_thread(adapter.create_event, _event())  # an answer lost, the call sent again
    assert first == again == event_id_for("m1@lead-to-order")
    [event] = fake.live_events()
    assert event["sendUpdates"] == "all" and event["start"]["dateTime"] == "2026-12-08T16:00:00Z"
    assert [a["email"] for a in event["attendees"]] == ["riley@halyard.example", "sky@halyard.example"]
    await asyncio.to_thread(adapter.update_event, first, _event(start=utc(2026, 12, 9, 16), sequence=1))
    assert fake.events[first]["start"]["dateTime"] == "2026-12-09T16:00:00Z" and fake.events[first]["sequence"] == 1
    busy = await asyncio.to_thread(
        adapter.busy, ["riley@halyard.example"], start=utc(2026, 12, 9, 0), end=utc(2026, 12, 10, 0)
    )
    assert busy["riley@halyard.example"] == [Interval(utc(2026, 12, 9, 16), utc(2026, 12, 9, 17))]
    await asyncio.to_thread(adapter.cancel_event, first)
    await asyncio.to_thread(adapter.cancel_event, first)  # gone already (410): nothing to do
    assert fake.live_events() == []
    assert [c[0] for c in fake.calls] == ["POST", "POST", "PATCH", "POST", "DELETE", "DELETE"]  # the last: 410


async def test_a_refused_token_a_rate_limit_and_a_passing_outage_are_told_apart(google):
    fake, adapter = google
    fake.add_calendar("riley@halyard.example")
    span = {"start": utc(2026, 12, 8, 0), "end": utc(2026, 12, 9, 0)}
    wrong = GoogleCalendar(token="ya29.revoked", base_url=fake.url)
    with pytest.raises(CalendarUnauthorized, match="401"):
        await asyncio.to_thread(wrong.busy, ["riley@halyard.example"], **span)
    fake.fail_next(429)
    with pytest.raises(CalendarUnavailable, match="429"):
        await asyncio.to_thread(adapter.busy, ["riley@halyard.example"], **span)
    fake.fail_next(503)  # once: retried inside the call
    assert await asyncio.to_thread(adapter.busy, ["riley@halyard.example"], **span) == {"riley@halyard.example": []}
    fake.fail_next(503, times=3)  # still down after the retries: try again later
    with pytest.raises(CalendarUnavailable, match="503"):
        await asyncio.to_thread(adapter.create_event, _event())
    assert fake.live_events() == []
