"""Overload: a cap on the Slack requests one process works on at once, and the fast answers above it.

Above the cap (LTO_MAX_REQUESTS_IN_FLIGHT) nothing is recorded and the answer leaves at once. A slash command
is told, only to the person, that the bot is busy and to try again in a moment: a 200 with that message, which
Slack shows as it shows any ack. An event or a click gets a 503. Slack delivers an event again later with the
same event id (and its delivery key keeps it from being taken twice); it does not resend a click, but marks
the button as failed, and the person clicks again. While requests queue up in the listener, this process's
worker waits before claiming more jobs (`busy`), and while the event loop they share runs behind, so the acks
it has taken in stay fast.
"""

from __future__ import annotations

import asyncio
import json
import time

from starlette.responses import Response

BUSY_TEXT = ":stopwatch: I'm too busy to take this in right now, so I did nothing: please try again in a moment."
# Slack resends an event answered with a server error; Retry-After is a courtesy to any other sender.
RETRY_AFTER_SECONDS = 1


# An ack takes a few milliseconds, so at a steady rate there is rarely more than one in the listener at a time:
# this many at once means they are queuing up.
QUEUING_UP = 4


# One turn of the event loop taking this long means the steps ahead of a request (jobs' included) hold it up.
LOOP_BEHIND_SECONDS = 0.025


class RequestGate:
    """Requests in the listener now, against the cap. Touched only on the event loop, so it needs no lock."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.busy_at = min(cap, QUEUING_UP)
        self.in_flight = 0

    def enter(self) -> bool:
        """Take a place, or False when the cap is reached (then the request is turned away)."""
        if self.in_flight >= self.cap:
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1

    async def busy(self) -> bool:
        """Whether an ack would wait now: requests queuing up in the listener, or the event loop running behind
        (the steps of running jobs share it). The in-process worker claims nothing new meanwhile."""
        if self.in_flight >= self.busy_at:
            return True
        started = time.perf_counter()
        await asyncio.sleep(0)  # back in line behind everything ready to run
        return time.perf_counter() - started >= LOOP_BEHIND_SECONDS


def turned_away(kind: str) -> Response:
    """The answer to a request above the cap: the busy message for a slash command, a 503 for the rest."""
    if kind == "command":
        said = json.dumps({"response_type": "ephemeral", "text": BUSY_TEXT})
        return Response(said, status_code=200, media_type="application/json")
    return Response(status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
