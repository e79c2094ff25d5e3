"""Meeting jobs: times offered (shown only to the person who asked), a time booked once, a meeting rescheduled or
cancelled once, the provider's event, the .ics invite, the thread message and the sales engineer's DM brought
along once per change, and the day-before reminder. Each is safe to run again: posts and uploads are keyed."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.handlers.conversation import refresh_deal_card
from bot.handlers.deals import respond
from bot.handlers.steps_said import timezone_of
from bot.runtime import Runtime
from bot.views.meetings import booked_already_text, change_text, meeting_message, offer_message, reminder_text
from bot.views.text import escape
from core.job_kinds import BookMeeting, ChangeMeeting, PostMeetingOffer, RemindMeeting, ScheduleMeeting, SyncMeeting
from core.jobs import ClaimedJob
from core.worker import RetryLater
from deals import access
from deals.service import DealNotFound
from integrations.calendar import invites, offers, people, reminders
from integrations.calendar import service as meetings
from integrations.calendar.errors import AlreadyBooked, MeetingError
from integrations.calendar.models import MeetingKind, MeetingStatus
from integrations.calendar.port import CalendarError, CalendarUnavailable
from integrations.calendar.slots import WindowNotUnderstood

logger = logging.getLogger(__name__)

REFUSED = (DealNotFound, access.Forbidden, MeetingError, WindowNotUnderstood)


class SlackDirectory:
    """Our people as the workspace knows them: name and email from the profile, the zone from `users.info` tz."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def person(self, slack_id: str, *, role: people.Role) -> people.Person:
        try:
            response = await self.client.users_info(user=slack_id)
            user: dict[str, Any] = response.get("user") or {}
        except SlackApiError:
            user = {}
        profile: dict[str, Any] = user.get("profile") or {}
        name = profile.get("real_name") or user.get("real_name") or user.get("name") or slack_id
        zone = user.get("tz")
        known = bool(zone) and people.zone_named(zone).key == zone
        return people.Person(
            role=role,
            name=str(name),
            zone=str(zone) if known else "UTC",
            zone_source="their Slack profile" if known else "no time zone in Slack: UTC assumed",
            slack_id=slack_id,
            email=profile.get("email") or None,
        )


async def _refuse(args: Any, exc: Exception) -> None:
    await respond(args.response_url, text=f":no_entry: {escape(str(exc))}")


async def handle_schedule(runtime: Runtime, job: ClaimedJob) -> None:
    """ "Schedule demo" or `/lto schedule`: three common free times offered to the person who asked."""
    args = job.args(ScheduleMeeting)
    who = await runtime.who(args.user_id)
    try:
        await offers.offer_meeting(
            runtime.scheduling(),
            who=who,
            deal_ref=args.deal,
            kind=MeetingKind(args.meeting_kind),
            when=args.when,
            origin=f"job:{job.id}",
        )
    except CalendarUnavailable as exc:
        await respond(args.response_url, text=":hourglass: The calendar is not answering; I'll try again shortly.")
        raise RetryLater(str(exc)) from exc
    except CalendarError as exc:
        await respond(args.response_url, text=f":no_entry: I could not read the calendars: {escape(str(exc))}")
    except REFUSED as exc:
        await _refuse(args, exc)


async def _viewer_zone(runtime: Runtime, people: list[people.Person], user_id: str) -> ZoneInfo:
    for person in people:
        if person.slack_id == user_id:
            return person.tz
    return await timezone_of(runtime, user_id)


async def handle_post_offer(runtime: Runtime, job: ClaimedJob) -> None:
    """The times offered, only to the person who asked, in the deal thread (or their DM when it has none)."""
    args = job.args(PostMeetingOffer)
    offer = await asyncio.to_thread(
        offers.offer_of, runtime.session_factory, meeting_id=args.meeting_id, round_=args.round
    )
    zone = await _viewer_zone(runtime, offer.people, offer.offered_to)
    text, blocks = offer_message(offer, zone)
    key = f"meeting:{offer.meeting_id}:offer:{offer.round}"
    if offer.channel_id and offer.thread_ts:
        await runtime.gateway.post_ephemeral(
            key=key,
            channel=offer.channel_id,
            user=offer.offered_to,
            text=text,
            blocks=blocks,
            thread_ts=offer.thread_ts,
            deal_id=offer.deal_id,
        )
        return
    dm = await runtime.client.conversations_open(users=offer.offered_to)
    await runtime.gateway.post_message(
        key=key, channel=dm["channel"]["id"], text=text, blocks=blocks, deal_id=offer.deal_id
    )


async def handle_book(runtime: Runtime, job: ClaimedJob) -> None:
    """A click on an offered time: booked once; a later click is told it is booked, and for when."""
    args = job.args(BookMeeting)
    who = await runtime.who(args.user_id)
    try:
        booking = await asyncio.to_thread(
            meetings.book,
            runtime.session_factory,
            who=who,
            token=args.token,
            origin=f"job:{job.id}",
            clock=runtime.clock,
        )
    except AlreadyBooked as exc:
        zone = await timezone_of(runtime, args.user_id)
        await respond(args.response_url, text=booked_already_text(exc.start, zone, str(exc)))
        return
    except REFUSED as exc:
        await _refuse(args, exc)
        return
    meeting = booking.meeting
    if not booking.repeated and meeting.start is not None:
        moved = "Moved" if meeting.status == MeetingStatus.RESCHEDULED else "Booked"
        await respond(
            args.response_url,
            text=f":white_check_mark: {moved}: *{escape(meeting.title)}*. It is in the deal thread with its invite.",
        )


async def handle_change(runtime: Runtime, job: ClaimedJob) -> None:
    """Reschedule (new times offered to the person who clicked) or Cancel (once) on a meeting's message."""
    args = job.args(ChangeMeeting)
    who = await runtime.who(args.user_id)
    try:
        if args.change == "cancel":
            await asyncio.to_thread(
                meetings.cancel,
                runtime.session_factory,
                who=who,
                meeting_id=args.meeting_id,
                seen_sequence=args.sequence,
                origin=f"job:{job.id}",
                clock=runtime.clock,
            )
        else:
            await meetings.reoffer(
                runtime.scheduling(),
                who=who,
                meeting_id=args.meeting_id,
                seen_sequence=args.sequence,
                origin=f"job:{job.id}",
            )
    except CalendarUnavailable as exc:
        raise RetryLater(str(exc)) from exc
    except CalendarError as exc:
        await respond(args.response_url, text=f":no_entry: I could not read the calendars: {escape(str(exc))}")
    except REFUSED as exc:
        await _refuse(args, exc)


def _file_name(meeting: meetings.MeetingView) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", meeting.company.lower()).strip("-")[:40] or "meeting"
    return f"{meeting.kind.value}-{slug}.ics"


async def handle_sync(runtime: Runtime, job: ClaimedJob) -> None:
    """A booking, reschedule or cancellation: the provider's event follows, then the thread message (posted, or
    updated in place), the .ics in the thread and in the sales engineer's DM, the deal card; once per change."""
    args = job.args(SyncMeeting)
    try:
        meeting = await asyncio.to_thread(
            invites.sync_provider,
            runtime.session_factory,
            meeting_id=args.meeting_id,
            calendar=runtime.calendar(),
            clock=runtime.clock,
        )
    except CalendarUnavailable as exc:
        raise RetryLater(str(exc)) from exc
    except CalendarError as exc:  # refused for good: people still get the invite and the thread says so
        logger.warning("meeting %s: the calendar refused the event: %s", args.meeting_id, exc)
        meeting = await asyncio.to_thread(meetings.meeting_view, runtime.session_factory, meeting_id=args.meeting_id)
        if meeting.channel_id and meeting.thread_ts:
            await runtime.gateway.post_message(
                key=f"meeting:{meeting.id}:refused:{args.sequence}",
                channel=meeting.channel_id,
                thread_ts=meeting.thread_ts,
                text=f":warning: The calendar did not take the change ({escape(str(exc))}); the invite below does.",
                deal_id=meeting.deal_id,
            )
    if meeting.sequence != args.sequence:
        return  # changed again since: that change's own job brings everything to it
    await _show_in_thread(runtime, meeting, args.sequence)
    await _send_invites(runtime, meeting, args.sequence)
    await refresh_deal_card(runtime, meeting.deal_id)


async def _show_in_thread(runtime: Runtime, meeting: meetings.MeetingView, sequence: int) -> None:
    if not (meeting.channel_id and meeting.thread_ts):
        return
    text, blocks = meeting_message(meeting)
    if meeting.message_ts is None:
        posted = await runtime.gateway.post_message(
            key=f"meeting:{meeting.id}:message",
            channel=meeting.channel_id,
            thread_ts=meeting.thread_ts,
            text=text,
            blocks=blocks,
            deal_id=meeting.deal_id,
        )
        await asyncio.to_thread(
            invites.record_message,
            runtime.session_factory,
            meeting_id=meeting.id,
            channel_id=posted.channel,
            ts=posted.ts,
        )
    else:
        await runtime.gateway.update_message(
            channel=meeting.channel_id, ts=meeting.message_ts, text=text, blocks=blocks, deal_id=meeting.deal_id
        )
    if sequence > 0:
        by = meeting.booked_by if meeting.status != MeetingStatus.CANCELLED else None
        await runtime.gateway.post_message(
            key=f"meeting:{meeting.id}:change:{sequence}",
            channel=meeting.channel_id,
            thread_ts=meeting.thread_ts,
            text=change_text(meeting, by),
            deal_id=meeting.deal_id,
        )


async def _send_invites(runtime: Runtime, meeting: meetings.MeetingView, sequence: int) -> None:
    """The .ics at this sequence: in the deal thread, and in the sales engineer's DM."""
    content = invites.invite_for(meeting, stamp=runtime.clock.now())
    cancelled = meeting.status == MeetingStatus.CANCELLED
    title = f"{meeting.title} ({'cancellation' if cancelled else 'invite'})"
    if meeting.channel_id and meeting.thread_ts:
        await runtime.gateway.upload_file(
            key=f"meeting:{meeting.id}:ics:{sequence}",
            channel=meeting.channel_id,
            thread_ts=meeting.thread_ts,
            filename=_file_name(meeting),
            content=content,
            title=title,
            comment="Open it to add the meeting to your calendar." if not cancelled else "Open it to remove it.",
            deal_id=meeting.deal_id,
        )
    engineer = meeting.sales_engineer
    if engineer:
        dm = await runtime.client.conversations_open(users=engineer)
        text, _ = meeting_message(meeting)
        await runtime.gateway.upload_file(
            key=f"meeting:{meeting.id}:ics:{sequence}:se",
            channel=dm["channel"]["id"],
            thread_ts=None,
            filename=_file_name(meeting),
            content=content,
            title=title,
            comment=f"{escape(text)} (deal #{meeting.deal_id}, <@{meeting.owner}>'s).",
            deal_id=meeting.deal_id,
        )


async def handle_remind(runtime: Runtime, job: ClaimedJob) -> None:
    """The day-before reminder in the deal thread, once; skipped when the meeting moved or was cancelled."""
    args = job.args(RemindMeeting)
    reminder = await asyncio.to_thread(
        reminders.reminder_to_send, runtime.session_factory, reminder_id=args.reminder_id
    )
    if isinstance(reminder, str):
        logger.info("meeting reminder %s not sent: %s", args.reminder_id, reminder)
        return
    meeting = reminder.meeting
    if not (meeting.channel_id and meeting.thread_ts):
        return
    posted = await runtime.gateway.post_message(
        key=f"meeting_reminder:{reminder.reminder_id}",
        channel=meeting.channel_id,
        thread_ts=meeting.thread_ts,
        text=reminder_text(meeting),
        deal_id=meeting.deal_id,
    )
    await asyncio.to_thread(
        reminders.reminder_sent,
        runtime.session_factory,
        reminder_id=reminder.reminder_id,
        channel_id=posted.channel,
        ts=posted.ts,
        clock=runtime.clock,
    )
