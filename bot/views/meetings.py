"""Meetings in Slack: the times offered (only to the person who asked, a button each), the meeting's message in
the deal thread with Reschedule and Cancel, and what the thread is told when it moves, is cancelled or is near."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.ids import ActionId, BlockId, MeetingRef, SlotRef
from bot.views.text import as_dicts, clip, escape
from integrations.calendar.models import MeetingStatus
from integrations.calendar.offers import Offer
from integrations.calendar.people import Person
from integrations.calendar.service import MeetingView


def when_text(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """`Tue 08 Dec, 08:00–09:00 PST`, where `zone` is."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    return f"{first:%a %d %b}, {first:%H:%M}–{last:%H:%M} {first.tzname()}"


def _local(start: datetime, person: Person) -> str:
    moment = start.astimezone(person.tz)
    return f"{escape(person.name)} {moment:%H:%M} {moment.tzname()}"


def people_text(people: Sequence[Person]) -> str:
    """Each person with their zone and where it came from: `Dana Lee (America/New_York, from the account's country)`."""
    parts = []
    for person in people:
        calendar = "" if person.email or person.role == "customer" else ", calendar not read"
        parts.append(f"{escape(person.name)} ({person.zone}, from {person.zone_source}{calendar})")
    return " · ".join(parts)


def _others(start: datetime, people: Sequence[Person], viewer: ZoneInfo) -> str:
    others = [_local(start, p) for p in people if p.tz.key != viewer.key]
    return " · ".join(others)


def offer_message(offer: Offer, viewer: ZoneInfo) -> tuple[str, list[dict[str, Any]]]:
    """The three times offered, in the viewer's zone with everyone else's local time, a Book button each."""
    what = f"{offer.kind.label.lower()} with *{escape(offer.company)}* (deal #{offer.deal_id})"
    intro = f":calendar: Times for a {what}, in your time zone ({viewer.key}):"
    if offer.booked_start is not None:
        intro = f":calendar: New times for the {what}; until you choose one it stays as booked. In {viewer.key}:"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(intro, 3000)))]
    notes = [f"With {people_text(offer.people)}."]
    if any(p.role == "customer" for p in offer.people):
        notes.append("The customer's calendar is not ours to read: the times respect their working hours only.")
    if offer.no_sales_engineer:
        notes.append("No sales engineer is assigned to this deal yet: the times fit you and the customer.")
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(" ".join(notes), 3000))]))
    for position, slot in enumerate(offer.slots):
        others = _others(slot.start, offer.people, viewer)
        line = f"*{when_text(slot.start, slot.end, viewer)}*" + (f"\n{others}" if others else "")
        blocks.append(
            SectionBlock(
                block_id=f"{BlockId.MEETING_SLOTS}_{position}",
                text=MarkdownTextObject(text=clip(line, 3000)),
                accessory=ButtonElement(
                    text="Book",
                    action_id=f"{ActionId.BOOK_SLOT}.{position}",
                    value=SlotRef(token=slot.token).model_dump_json(),
                    style="primary" if position == 0 else None,
                ),
            )
        )
    fallback = f"Times for a {offer.kind.label.lower()} with {offer.company}: " + "; ".join(
        when_text(slot.start, slot.end, viewer) for slot in offer.slots
    )
    return fallback, as_dicts(blocks)


def _owner_zone(meeting: MeetingView) -> ZoneInfo:
    owner = next((p for p in meeting.people if p.slack_id == meeting.owner), None)
    return owner.tz if owner else ZoneInfo("UTC")


def meeting_message(meeting: MeetingView) -> tuple[str, list[dict[str, Any]]]:
    """The meeting's message in the deal thread: when (the owner's zone, everyone's local time), who, and its
    Reschedule and Cancel buttons while it stands."""
    assert meeting.start is not None and meeting.end is not None
    zone = _owner_zone(meeting)
    when = when_text(meeting.start, meeting.end, zone)
    title = escape(meeting.title)
    if meeting.status == MeetingStatus.CANCELLED:
        head = f":x: ~{title}: {when}~ *cancelled*"
    else:
        moved = " (rescheduled)" if meeting.status == MeetingStatus.RESCHEDULED else ""
        head = f":calendar: *{title}*: {when}{moved}"
    others = _others(meeting.start, meeting.people, zone)
    lines = [head]
    if others:
        lines.append(f"Local times: {others}")
    lines.append(f"With {people_text(meeting.people)}.")
    if meeting.no_sales_engineer:
        lines.append("No sales engineer is assigned to this deal yet.")
    if meeting.booked_by and meeting.status != MeetingStatus.CANCELLED:
        lines.append(f"Booked by <@{meeting.booked_by}>; the invite (.ics) is below.")
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip("\n".join(lines), 3000)))]
    if meeting.status.is_booked:
        ref = MeetingRef(meeting_id=meeting.id, sequence=meeting.sequence).model_dump_json()
        blocks.append(
            ActionsBlock(
                block_id=BlockId.MEETING_ACTIONS,
                elements=[
                    ButtonElement(text="Reschedule", action_id=ActionId.RESCHEDULE_MEETING, value=ref),
                    ButtonElement(text="Cancel", action_id=ActionId.CANCEL_MEETING, value=ref, style="danger"),
                ],
            )
        )
    fallback = f"{meeting.title}: {when}" + (" (cancelled)" if meeting.status == MeetingStatus.CANCELLED else "")
    return fallback, as_dicts(blocks)


def change_text(meeting: MeetingView, by: str | None) -> str:
    """What the thread is told when the meeting moves or is cancelled."""
    assert meeting.start is not None and meeting.end is not None
    when = when_text(meeting.start, meeting.end, _owner_zone(meeting))
    who = f" by <@{by}>" if by else ""
    if meeting.status == MeetingStatus.CANCELLED:
        return f":x: *{escape(meeting.title)}* on {when} was cancelled{who}. The cancellation (.ics) is below."
    return f":arrows_counterclockwise: *{escape(meeting.title)}* was moved{who} to {when}. The updated invite is below."


def reminder_text(meeting: MeetingView) -> str:
    """The day-before reminder, to the deal's people in its thread."""
    assert meeting.start is not None and meeting.end is not None
    people = " ".join(f"<@{p.slack_id}>" for p in meeting.people if p.slack_id)
    when = when_text(meeting.start, meeting.end, _owner_zone(meeting))
    others = _others(meeting.start, meeting.people, _owner_zone(meeting))
    local = f" ({others})" if others else ""
    return f":alarm_clock: {people} tomorrow: *{escape(meeting.title)}*, {when}{local}."


def booked_already_text(start: datetime | None, zone: ZoneInfo, message: str) -> str:
    """A second click's answer: booked already, and for when."""
    if start is None:
        return f":information_source: {message}"
    moment = start.astimezone(zone)
    return f":information_source: {message} It is on {moment:%a %d %b}, {moment:%H:%M} {moment.tzname()}."
