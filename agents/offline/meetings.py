"""The offline model's reading of a request to meet the customer: "let's book a demo with their data team next
week", "can we schedule the POC kickoff for tomorrow?". Rules, no model: a verb of booking and a kind of meeting."""

from __future__ import annotations

import re
from typing import Any

from integrations.calendar.slots import WindowNotUnderstood, read_window

MEETING_ASK = re.compile(
    r"\b(?:book|schedule|set up|setup|arrange|line up|organi[sz]e|find (?:a )?time for)\b"
    r"[^.!?\n]{0,60}?\b(?P<kind>demo|poc|proof of concept|poc kickoff)\b",
    re.IGNORECASE,
)
NOT_ASKED = re.compile(r"\b(?:already|booked last|had (?:a|the) demo|no demo|don't|do not|not yet)\b", re.IGNORECASE)


def read_meeting_ask(text: str) -> dict[str, Any] | None:
    """`schedule_meeting`'s arguments when the message asks to book a demo or POC session; None otherwise."""
    match = MEETING_ASK.search(text)
    if match is None or NOT_ASKED.search(text):
        return None
    kind = "demo" if match["kind"].lower() == "demo" else "poc"
    try:
        when = read_window(text[match.start() :])
    except WindowNotUnderstood:
        when = None
    return {"kind": kind, **({"when": when} if when else {})}


def offered_text(result: Any) -> str:
    """The reply once times were offered (or why none were): the times themselves are in the private message."""
    if not (isinstance(result, dict) and result.get("offered")):
        return f":calendar: {result}"
    kind = "demo" if result.get("kind") == "demo" else "POC session"
    people = "; ".join(str(p) for p in result.get("people") or [])
    lines = [
        f":calendar: I found times for a {kind} with {result.get('company')} and sent them to you privately: "
        "pick one to book it (nothing is booked until you do)."
    ]
    if people:
        lines.append(f"They suit {people}.")
    if result.get("no_sales_engineer"):
        lines.append("No sales engineer is assigned to this deal yet, so they fit you and the customer.")
    return " ".join(lines)
