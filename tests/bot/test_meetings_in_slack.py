"""Demos through Slack with a fake of Google Calendar: times found across three time zones and offered only to the
rep, booked once however often (or however many at once) the time is clicked, rescheduled and cancelled once, and
the day-before reminder sent once however many schedulers sweep."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.emulator import Workspace, requests
from bot.ids import ActionId
from bot.serving import serve_asgi
from core.clock import ManualClock
from core.models import Job
from deals.models import Account, Deal, NextStep, NextStepStatus
from integrations.calendar import reminders as meeting_reminders
from integrations.calendar.models import LocalCalendarEvent, Meeting, MeetingReminder, MeetingStatus
from tests.bot.conftest import REP, Harness, open_harness
from tests.bot.test_discovery_in_slack import seen
from tests.conftest import postgres_only
from tests.fakes.google_calendar import FakeGoogleCalendar

WEDNESDAY = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 07:00 in Los Angeles, 16:00 in Berlin
SE = "U0SE1"
RILEY, SKY = "riley@halyard.example", "sky@halyard.example"


@pytest.fixture
async def google() -> AsyncIterator[FakeGoogleCalendar]:
    fake = FakeGoogleCalendar()
    async with serve_asgi(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
async def harness(database_url: str, tmp_path: Path, google: FakeGoogleCalendar) -> AsyncIterator[Harness]:
    """The bot, the emulator and Google's fake on one clock; the rep in Los Angeles, the engineer in Berlin."""
    clock = ManualClock(WEDNESDAY)
    workspace = Workspace(clock=lambda: clock.now().timestamp())
    workspace.users[REP]["tz"] = "America/Los_Angeles"
    workspace.users[SE]["tz"] = "Europe/Berlin"
    settings = {
        "LTO_CALENDAR": "google",
        "GOOGLE_CALENDAR_URL": google.url,
        "GOOGLE_CALENDAR_TOKEN": google.token,
        "LTO_CALENDAR_ORGANIZER": RILEY,
    }
    async with open_harness(workspace, database_url, tmp_path, clock, **settings) as opened:
        yield opened


async def open_deal(harness: Harness, *, engineer: str | None = SE) -> str:
    """A deal for Acme Corp (a US account; Dana Lee its contact), with its sales engineer."""
    await harness.command("new Acme Corp")
    await harness.work()
    thread = harness.workspace.history(harness.deals_channel)[-1]["ts"]
    with harness.runtime.session_factory() as session, session.begin():
        deal = session.scalars(select(Deal)).one()
        deal.sales_engineer_slack_id = engineer
        deal.qualification = {**deal.qualification, "contact_name": "Dana Lee"}
        session.get_one(Account, deal.account_id).region = "US"
    return thread


def offers(harness: Harness, user: str = REP) -> list[dict[str, Any]]:
    return [m for m in harness.workspace.ephemeral_for(user) if any("meeting.book" in str(b) for b in m["blocks"])]


def said_to(harness: Harness, user: str = REP) -> list[str]:
    return [m["text"] for m in harness.workspace.ephemeral_for(user)]


def click_payload(harness: Harness, message: dict[str, Any], action_id: str, *, user: str = REP) -> dict[str, Any]:
    """A click on a button of an ephemeral message (Slack sends no copy of the message with it)."""
    return harness.actor.ephemeral_click(user, message, action_id)


async def send(harness: Harness, payload: dict[str, Any]) -> None:
    response = await harness.actor.send(requests.interaction(payload))
    assert response.status_code == 200


def meeting(harness: Harness) -> Meeting:
    """The deal's first meeting."""
    with harness.runtime.session_factory() as session:
        return session.scalars(select(Meeting).order_by(Meeting.id)).first()


def meeting_messages(harness: Harness, thread: str) -> list[dict[str, Any]]:
    return [m for m in harness.thread(harness.deals_channel, thread) if "meeting.reschedule" in str(m.get("blocks"))]


def invites(harness: Harness, channel: str, thread: str | None = None) -> list[Calendar]:
    """The .ics files shared in a thread (or a DM), oldest first, as calendars read them."""
    messages = harness.thread(channel, thread) if thread else harness.workspace.messages.get(channel, [])
    files = [f for m in messages for f in m.get("files") or [] if f["name"].endswith(".ics")]
    return [Calendar.from_ical(harness.workspace.files[f["id"]].content) for f in files]


def steps(harness: Harness) -> list[NextStep]:
    with harness.runtime.session_factory() as session:
        return list(session.scalars(select(NextStep)))


async def offer_next_week(harness: Harness, google: FakeGoogleCalendar) -> dict[str, Any]:
    google.add_calendar(RILEY, (datetime(2026, 12, 7, 15, tzinfo=UTC), datetime(2026, 12, 7, 17, tzinfo=UTC)))
    google.add_calendar(SKY, (datetime(2026, 12, 9, 16, tzinfo=UTC), datetime(2026, 12, 9, 17, tzinfo=UTC)))
    await harness.command("schedule #1 demo next week")
    await harness.work()
    [offer] = offers(harness)
    return offer


async def book_first(harness: Harness, google: FakeGoogleCalendar, thread: str) -> None:
    offer = await offer_next_week(harness, google)
    await send(harness, click_payload(harness, offer, f"{ActionId.BOOK_SLOT}.0"))
    await harness.work()


async def test_a_demo_is_offered_across_three_time_zones_and_booked_once_when_the_click_is_retried(
    harness: Harness, google: FakeGoogleCalendar
):
    thread = await open_deal(harness)
    offer = await offer_next_week(harness, google)
    text = seen(harness, offer)
    # Monday is taken in Los Angeles and Wednesday in Berlin: Tuesday, Thursday and Friday, 08:00 in Los Angeles,
    # which is 17:00 in Berlin and 11:00 for the customer in New York.
    assert "in your time zone (America/Los_Angeles)" in text
    assert "Dana Lee (America/New_York, from the account's country)" in text
    assert "Sky Sales Engineer (Europe/Berlin, from their Slack profile)" in text
    for day in ("Tue 08 Dec", "Thu 10 Dec", "Fri 11 Dec"):
        assert f"{day}, 08:00–09:00 PST" in text
    assert "Sky Sales Engineer 17:00 CET · Dana Lee 11:00 EST" in text
    assert google.live_events() == []  # offering books nothing
    # The same click delivered twice (Slack's retry), then a click on another time, then two at once.
    first = click_payload(harness, offer, f"{ActionId.BOOK_SLOT}.0")
    await send(harness, first)
    await send(harness, first)
    await send(harness, click_payload(harness, offer, f"{ActionId.BOOK_SLOT}.1"))
    await asyncio.gather(
        send(harness, click_payload(harness, offer, f"{ActionId.BOOK_SLOT}.2")),
        send(harness, click_payload(harness, offer, f"{ActionId.BOOK_SLOT}.2")),
    )
    await harness.work()
    with harness.runtime.session_factory() as session:
        assert len(session.scalars(select(Job).where(Job.kind == "meeting.book")).all()) == 4  # the retry: none
    booked = meeting(harness)
    assert booked.status == MeetingStatus.BOOKED and booked.start_at == datetime(2026, 12, 8, 16, tzinfo=UTC)
    [event] = google.live_events()
    assert event["start"]["dateTime"] == "2026-12-08T16:00:00Z" and event["sendUpdates"] == "all"
    assert [a["email"] for a in event["attendees"]] == [RILEY, SKY]
    answers = said_to(harness)
    assert sum("Booked: *Demo with Acme Corp*" in a for a in answers) == 1
    assert sum("already booked" in a and "Tue 08 Dec, 08:00 PST" in a for a in answers) == 3
    # The deal thread has the meeting with its buttons and its invite; the engineer has the invite in a DM.
    [message] = meeting_messages(harness, thread)
    assert "Demo with Acme Corp: Tue 08 Dec, 08:00–09:00 PST" in seen(harness, message)
    assert "[ Reschedule ] [ Cancel ]" in seen(harness, message)
    [invite] = invites(harness, harness.deals_channel, thread)
    vevent = invite.walk("VEVENT")[0]
    assert str(invite["method"]) == "REQUEST" and int(vevent["sequence"]) == 0
    assert vevent.decoded("dtstart") == datetime(2026, 12, 8, 16, tzinfo=UTC)
    [dm_invite] = invites(harness, harness.workspace.open_dm(SE))
    assert str(dm_invite.walk("VEVENT")[0]["uid"]) == str(vevent["uid"])
    [step] = steps(harness)
    assert step.title == "Demo with Acme Corp on Tue 08 Dec, 08:00 PST" and step.owner_slack_id == REP
    assert str(step.due) == "2026-12-08"
    # Running the queue again changes nothing.
    await harness.work()
    assert len(google.live_events()) == 1 and len(meeting_messages(harness, thread)) == 1


async def test_reschedule_and_cancel_update_the_event_invite_message_and_step_once(
    harness: Harness, google: FakeGoogleCalendar
):
    thread = await open_deal(harness)
    await book_first(harness, google, thread)
    [message] = meeting_messages(harness, thread)
    # Reschedule, delivered twice: new times offered once, only to the rep.
    again = await harness.actor.click(REP, harness.deals_channel, message["ts"], ActionId.RESCHEDULE_MEETING)
    assert again.status_code == 200
    await harness.work()
    assert len(offers(harness)) == 2
    new_times = offers(harness)[-1]
    assert "New times for the demo" in seen(harness, new_times)
    assert "Tue 08 Dec" not in seen(harness, new_times)  # its own event makes that hour busy now
    old_offer = offers(harness)[0]
    await send(harness, click_payload(harness, old_offer, f"{ActionId.BOOK_SLOT}.1"))  # an older offer's time
    await send(harness, click_payload(harness, new_times, f"{ActionId.BOOK_SLOT}.0"))
    await harness.work()
    assert any("Newer times were offered" in text for text in said_to(harness))
    moved = meeting(harness)
    assert moved.status == MeetingStatus.RESCHEDULED and moved.sequence == 1
    [event] = google.live_events()
    assert event["start"]["dateTime"] == moved.start_at.strftime("%Y-%m-%dT%H:%M:%SZ") and event["sequence"] == 1
    [message] = meeting_messages(harness, thread)  # updated in place
    assert "(rescheduled)" in seen(harness, message)
    thread_texts = [seen(harness, m) for m in harness.thread(harness.deals_channel, thread)]
    assert sum("was moved by <@" in t or "was moved by @" in t for t in thread_texts) == 1
    sequences = [int(c.walk("VEVENT")[0]["sequence"]) for c in invites(harness, harness.deals_channel, thread)]
    assert sequences == [0, 1]
    assert [int(c.walk("VEVENT")[0]["sequence"]) for c in invites(harness, harness.workspace.open_dm(SE))] == [0, 1]
    [step] = steps(harness)
    assert step.status == NextStepStatus.OPEN and step.title.startswith("Demo with Acme Corp on ")
    assert "Tue 08 Dec" not in step.title
    # A button from before the reschedule changes nothing; two clicks on Cancel cancel once.
    stale = await harness.actor.click(
        REP,
        harness.deals_channel,
        message["ts"],
        ActionId.CANCEL_MEETING,
        value='{"meeting_id": 1, "sequence": 0}',
    )
    assert stale.status_code == 200
    await harness.work()
    assert meeting(harness).status == MeetingStatus.RESCHEDULED
    assert any("changed since this message was posted" in text for text in said_to(harness))
    await asyncio.gather(
        harness.actor.click(REP, harness.deals_channel, message["ts"], ActionId.CANCEL_MEETING),
        harness.actor.click(REP, harness.deals_channel, message["ts"], ActionId.CANCEL_MEETING),
    )
    await harness.work()
    cancelled = meeting(harness)
    assert cancelled.status == MeetingStatus.CANCELLED and cancelled.sequence == 2
    assert google.live_events() == [] and [c[0] for c in google.calls].count("DELETE") == 1
    assert any("cancelled already" in text for text in said_to(harness))
    [message] = meeting_messages(harness, thread) or [
        m for m in harness.thread(harness.deals_channel, thread) if m["ts"] == message["ts"]
    ]
    assert "cancelled" in seen(harness, message) and "[ Reschedule ]" not in seen(harness, message)
    calendars = invites(harness, harness.deals_channel, thread)
    assert [str(c["method"]) for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    assert int(calendars[-1].walk("VEVENT")[0]["sequence"]) == 2
    [step] = steps(harness)
    assert step.status == NextStepStatus.DONE and step.title.endswith("(cancelled)")


def remind(harness: Harness) -> dict[str, int]:
    with harness.runtime.session_factory() as session, session.begin():
        return meeting_reminders.remind(session, clock=harness.clock)


def reminders(harness: Harness, thread: str) -> list[str]:
    return [
        seen(harness, m)
        for m in harness.thread(harness.deals_channel, thread)
        if m.get("text", "").startswith(":alarm_clock:")
    ]


async def test_the_day_before_reminder_is_sent_once_and_not_for_a_cancelled_meeting(
    harness: Harness, google: FakeGoogleCalendar
):
    thread = await open_deal(harness)
    await book_first(harness, google, thread)  # Tuesday 8 December, 16:00 UTC
    assert remind(harness) == {"reminders": 0}  # days ahead
    harness.clock.set(datetime(2026, 12, 7, 16, 30, tzinfo=UTC))
    assert remind(harness) == {"reminders": 1}
    assert remind(harness) == {"reminders": 0}
    await harness.work()
    [reminder] = reminders(harness, thread)
    assert "tomorrow: Demo with Acme Corp, Tue 08 Dec, 08:00–09:00 PST" in reminder
    assert "@Riley Rep" in reminder and "@Sky Sales Engineer" in reminder


@postgres_only
async def test_two_schedulers_sweeping_at_once_remind_of_a_meeting_once(harness: Harness, google: FakeGoogleCalendar):
    thread = await open_deal(harness)
    await book_first(harness, google, thread)
    harness.clock.set(datetime(2026, 12, 7, 16, 30, tzinfo=UTC))
    barrier = threading.Barrier(2)
    claimed: list[int] = []

    def scheduler() -> None:
        barrier.wait()
        claimed.append(remind(harness)["reminders"])

    replicas = [threading.Thread(target=scheduler) for _ in range(2)]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.join()
    assert sorted(claimed) == [0, 1]
    await harness.work()
    assert len(reminders(harness, thread)) == 1
    with harness.runtime.session_factory() as session:
        assert len(session.scalars(select(MeetingReminder)).all()) == 1
        assert len(session.scalars(select(Job).where(Job.kind == "meeting.remind")).all()) == 1


async def test_the_rep_asking_in_the_thread_gets_times_offered_and_nothing_is_booked(
    harness: Harness, google: FakeGoogleCalendar
):
    thread = await open_deal(harness)
    google.add_calendar(RILEY)
    google.add_calendar(SKY)
    await harness.actor.post_message(
        REP, harness.deals_channel, "let's book a demo with their data team next week", thread_ts=thread
    )
    await harness.work()
    [offer] = offers(harness)
    assert "Mon 07 Dec, 08:00–09:00 PST" in seen(harness, offer)
    reply = seen(harness, harness.thread(harness.deals_channel, thread)[-1])
    assert "sent them to you privately" in reply and "nothing is booked until you do" in reply
    assert google.live_events() == [] and meeting(harness).status == MeetingStatus.OFFERED


async def test_without_a_sales_engineer_the_card_button_offers_times_with_the_rep_and_books_locally(
    database_url: str, tmp_path: Path
):
    clock = ManualClock(WEDNESDAY)
    workspace = Workspace(clock=lambda: clock.now().timestamp())
    async with open_harness(workspace, database_url, tmp_path, clock) as harness:  # LTO_CALENDAR=local
        thread = await open_deal(harness, engineer=None)
        card = harness.workspace.history(harness.deals_channel)[-1]
        assert "[ Schedule demo ]" in seen(harness, card)
        await harness.actor.click(REP, harness.deals_channel, card["ts"], ActionId.SCHEDULE_DEMO)
        await harness.work()
        [offer] = offers(harness)
        assert "No sales engineer is assigned to this deal yet" in seen(harness, offer)
        await send(harness, click_payload(harness, offer, f"{ActionId.BOOK_SLOT}.0"))
        await harness.work()
        with harness.runtime.session_factory() as session:
            [event] = session.scalars(select(LocalCalendarEvent)).all()
        assert event.attendees == [RILEY] and event.start_at == meeting(harness).start_at
        [message] = meeting_messages(harness, thread)
        assert "No sales engineer is assigned to this deal yet." in seen(harness, message)
        assert len(invites(harness, harness.deals_channel, thread)) == 1
        assert meeting(harness).start_at == datetime(2026, 12, 2, 17, tzinfo=UTC)  # 12:00 in New York, today
        # Another demo for the deal, today: the rep's booked hour is busy in the local calendar.
        await harness.command("schedule #1 demo 2026-12-02")
        await harness.work()
        latest = seen(harness, offers(harness)[-1])
        assert "Wed 02 Dec, 12:00–13:00 EST" not in latest and "Wed 02 Dec, 13:00–14:00 EST" in latest


async def test_schedule_usage_and_an_unknown_deal_are_answered(harness: Harness):
    answered = await harness.command("schedule demo")
    assert "Usage: `/lto schedule &lt;deal&gt; demo|poc" in answered.json()["text"]
    await harness.command("schedule #9 demo next week")
    await harness.work()
    assert "There is no deal #9" in said_to(harness)[-1]
