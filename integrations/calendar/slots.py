"""When a meeting can happen: common free time within each participant's working hours, in their own time zone.

Pure: participants' zones and busy intervals in, slots out. Times are UTC `datetime`s; working hours are read in
each participant's zone (zoneinfo), so a day that changes clocks is as long as it really is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from integrations.calendar.port import Interval

STEP = timedelta(minutes=30)  # slots start on the hour or the half hour
LEAD = timedelta(hours=2)  # nothing sooner than this from now: people need notice
CHOICES = 3


class WindowNotUnderstood(ValueError):
    """The words for when do not name a window we can read."""


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time
    weekdays: frozenset[int] = frozenset(range(5))  # Monday to Friday

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """`08:00-18:00`."""
        first, _, last = text.partition("-")
        end = time(23, 59, 59) if last.strip() == "24:00" else time.fromisoformat(last.strip())
        return cls(start=time.fromisoformat(first.strip()), end=end)


@dataclass(frozen=True)
class Participant:
    """Someone whose day bounds the meeting: their zone, and their busy time when we can read their calendar."""

    name: str
    zone: ZoneInfo
    busy: tuple[Interval, ...] = field(default=())


# Windows ----------------------------------------------------------------------------------------------

WINDOW_WORDS = re.compile(
    r"\b(?P<next>next week)\b|\b(?P<this>this week)\b|\b(?P<tomorrow>tomorrow)\b|(?P<date>\b\d{4}-\d{2}-\d{2}\b)",
    re.IGNORECASE,
)


def read_window(text: str | None) -> str | None:
    """The window named in `text` as one of `next week`, `this week`, `tomorrow` or an ISO date; None when it names
    none (the next working days). Raises WindowNotUnderstood for a date that is not one."""
    match = WINDOW_WORDS.search(text or "")
    if match is None:
        return None
    if match["date"]:
        try:
            date.fromisoformat(match["date"])
        except ValueError:
            raise WindowNotUnderstood(f"{match['date']} is not a date") from None
        return match["date"]
    if match["next"]:
        return "next week"
    if match["this"]:
        return "this week"
    return "tomorrow"


def window_for(words: str | None, *, now: datetime, zone: ZoneInfo, days: int = 7) -> Interval:
    """The span `words` (from read_window) means where the organiser is: next week is Monday to Friday of the next
    calendar week; this week, from now to Saturday; tomorrow, that whole day; a date, that day; None, the next
    `days` days."""
    local = now.astimezone(zone)
    today = local.date()

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    if words == "next week":
        monday = today + timedelta(days=7 - today.weekday())
        return Interval(midnight(monday), midnight(monday + timedelta(days=5)))
    if words == "this week":
        saturday = today + timedelta(days=5 - today.weekday()) if today.weekday() < 5 else today
        return Interval(now, max(midnight(saturday), now))
    if words == "tomorrow":
        return Interval(midnight(today + timedelta(days=1)), midnight(today + timedelta(days=2)))
    if words:
        try:
            day = date.fromisoformat(words)
        except ValueError:
            raise WindowNotUnderstood(f"I can't read {words!r} as a time to meet") from None
        return Interval(midnight(day), midnight(day + timedelta(days=1)))
    return Interval(now, now + timedelta(days=days))


# Free time --------------------------------------------------------------------------------------------


def working_time(zone: ZoneInfo, hours: WorkingHours, window: Interval) -> list[Interval]:
    """The person's working hours within `window`, as UTC intervals (each local day's own offset)."""
    first = window.start.astimezone(zone).date() - timedelta(days=1)
    last = window.end.astimezone(zone).date() + timedelta(days=1)
    spans = []
    day = first
    while day <= last:
        if day.weekday() in hours.weekdays:
            start = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
            end = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
            start, end = max(start, window.start), min(end, window.end)
            if start < end:
                spans.append(Interval(start, end))
        day += timedelta(days=1)
    return spans


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Where two sorted lists of intervals overlap."""
    found, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if start < end:
            found.append(Interval(start, end))
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return found


def subtract(free: Sequence[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """`free` without any of `busy`."""
    left = list(free)
    for taken in sorted(busy):
        kept = []
        for span in left:
            if taken.end <= span.start or taken.start >= span.end:
                kept.append(span)
                continue
            if span.start < taken.start:
                kept.append(Interval(span.start, taken.start))
            if taken.end < span.end:
                kept.append(Interval(taken.end, span.end))
        left = kept
    return left


def _ceil(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -((epoch - moment) // step)  # ceiling division
    return epoch + steps * step


def common_free_slots(
    people: Sequence[Participant],
    *,
    window: Interval,
    duration: timedelta,
    hours: WorkingHours,
    not_before: datetime | None = None,
    step: timedelta = STEP,
) -> list[Interval]:
    """Every slot of `duration`, starting on a `step`, inside everyone's working hours and nobody's busy time."""
    if not people:
        return []
    start = max(window.start, not_before) if not_before else window.start
    bounded = Interval(start, window.end)
    if bounded.start >= bounded.end:
        return []
    free = working_time(people[0].zone, hours, bounded)
    for person in people[1:]:
        free = intersect(free, working_time(person.zone, hours, bounded))
    free = subtract(free, [busy for person in people for busy in person.busy])
    slots = []
    for span in free:
        moment = _ceil(span.start, step)
        while moment + duration <= span.end:
            slots.append(Interval(moment, moment + duration))
            moment += step
    return slots


def spread(slots: Sequence[Interval], *, zone: ZoneInfo, count: int = CHOICES) -> list[Interval]:
    """`count` well-spread choices: the earliest slot of each of the first days (as the organiser's calendar reads
    them), then, when there are fewer days, the earliest slots at least two hours from those chosen; earliest first."""
    chosen: list[Interval] = []
    days: set[date] = set()
    for slot in sorted(slots):
        day = slot.start.astimezone(zone).date()
        if day not in days:
            days.add(day)
            chosen.append(slot)
            if len(chosen) == count:
                return chosen
    for slot in sorted(slots):
        if len(chosen) == count:
            break
        if all(abs(slot.start - other.start) >= timedelta(hours=2) for other in chosen):
            chosen.append(slot)
    return sorted(chosen)
