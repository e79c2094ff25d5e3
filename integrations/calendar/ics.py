"""The meeting's invite as an iCalendar file (RFC 5545 and its scheduling profile, RFC 5546).

One UID per meeting for its whole life; SEQUENCE grows with every change, so a calendar that imported the first
invite moves the event on a reschedule (METHOD:REQUEST) and removes it on a cancellation (METHOD:CANCEL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from icalendar import Calendar, Event, vCalAddress, vText

from integrations.calendar.port import Attendee

PRODID = "-//Halyard Systems//lead-to-order//EN"


@dataclass(frozen=True)
class Invite:
    uid: str
    sequence: int
    summary: str
    description: str
    start: datetime
    end: datetime
    organizer: Attendee
    attendees: Sequence[Attendee]
    stamp: datetime  # when this version of the invite was made


def _address(person: Attendee, *, attendee: bool) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["cn"] = vText(person.name)
    if attendee:
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE")
    return address


def invite_ics(invite: Invite, *, method: Literal["REQUEST", "CANCEL"] = "REQUEST") -> bytes:
    """The .ics file: METHOD:REQUEST for a new or moved meeting, METHOD:CANCEL for a cancelled one."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", invite.stamp)
    event.add("dtstart", invite.start)
    event.add("dtend", invite.end)
    event.add("summary", invite.summary)
    event.add("description", invite.description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", _address(invite.organizer, attendee=False))
    for person in invite.attendees:
        event.add("attendee", _address(person, attendee=True), encode=False)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
