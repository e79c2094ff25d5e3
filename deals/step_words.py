"""Next steps as people write them in a deal thread ("follow up with their CISO next Tuesday"), read by rules.

A sentence is a next step when it starts with a marker ("next step:", "todo:", "action item:") or a
follow-up phrase ("follow up ...", "circle back ...", "check in with ...", "remind me to ..."). Its due
date is the first date phrase in it, resolved by parsedatetime against the moment the message was
written, in the writer's time zone ("next Tuesday", "by Friday", "in 3 days", "on Dec 15"); a day of the
month parsedatetime does not read is read here ("on the 10th": this month's, or next month's once it has
passed; "the 21st of next month", "the 5th of January"); a time of day alone ("at 3pm", a bare "250") is not
a date. A step that names someone first ("next step:
<@U123> sends the deck") is theirs. The same words at the same moment always give the same step.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

import parsedatetime

MAX_TITLE = 300
SHORT_STEP = 160  # characters: a sentence this short that is a step says nothing else

_MARKER = re.compile(
    r"^(?:next\s+steps?|to-?\s?do|action\s+items?|follow[- ]?up)\s*[:\-–—]\s*(?P<rest>.+)$", re.IGNORECASE | re.DOTALL
)
_PHRASE = re.compile(
    r"^(?:(?:i|we)(?:'ll|’ll| will| need to| should)\s+|let(?:'s|’s| us)\s+|please\s+)?"
    r"(?P<rest>(?:follow[- ]?up|circle\s+back|check\s+in|touch\s+base|remind\s+me\s+to)\b.+)$",
    re.IGNORECASE | re.DOTALL,
)
_REMIND_ME = re.compile(r"^remind\s+me\s+to\s+", re.IGNORECASE)
_OWNER_FIRST = re.compile(r"^<@(?P<user>[UW][A-Z0-9]{2,30})>\s*(?:to\s+|:\s*|,\s*)?", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_WEEKDAY = r"(?:mon(?:day)?|tue(?:s|sday)?|wed(?:s|nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
# Phrases parsedatetime reads wrongly or not at all, said the way it reads them.
_REWRITES = (
    # Chat spellings first: "tmrw am", "in 2 wks", "next wk".
    (re.compile(r"\b(?:tmrw|tmrow|tmw|2moro|2morrow|tomoz)\b", re.IGNORECASE), "tomorrow"),
    (re.compile(r"\btomorrow\s+(?:am|pm|a\.m\.|p\.m\.)(?=\W|$)", re.IGNORECASE), "tomorrow"),
    (re.compile(r"\b(?P<n>\d+)\s*wks?\b", re.IGNORECASE), r"\g<n> weeks"),
    (re.compile(r"\b(?P<which>next|this)\s+wk\b", re.IGNORECASE), r"\g<which> week"),
    (re.compile(r"\b(?:the\s+)?day\s+after\s+tomorrow\b", re.IGNORECASE), "in 2 days"),
    # "EOD Friday", "tomorrow COB": the end of that day, which is the day.
    (
        re.compile(
            rf"\b(?:eod|cob|close\s+of\s+business)\s+(?=(?:on\s+)?(?:tomorrow|next|{_WEEKDAY})\b)", re.IGNORECASE
        ),
        "",
    ),
    (re.compile(rf"\b(?P<day>tomorrow|{_WEEKDAY})\s+(?:eod|cob|close\s+of\s+business)\b", re.IGNORECASE), r"\g<day>"),
    (re.compile(r"\b(?:by\s+)?(?:eod|cob|close\s+of\s+business|end\s+of\s+(?:the\s+)?day)\b", re.IGNORECASE), "today"),
    (re.compile(r"\b(?:eow|(?:the\s+)?end\s+of\s+(?:the\s+)?week)\b", re.IGNORECASE), "end of week"),
    (re.compile(r"\b(?:eom|(?:the\s+)?end\s+of\s+(?:the\s+)?month)\b", re.IGNORECASE), "end of month"),
    # "first thing Monday" is Monday: the words before the day are not part of the step.
    (re.compile(r"\bfirst\s+thing\s+(?:on\s+)?(?=\w)", re.IGNORECASE), ""),
)
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name} | {
    name.lower(): number for number, name in enumerate(calendar.month_abbr) if name
}
# "the 10th", "the 21st of next month", "the 5th of January": parsedatetime reads none of them.
_DAY_OF_MONTH = re.compile(
    # "Wed the 16th", "Thursday 17th": the weekday goes with the day of the month (parsedatetime reads only it).
    rf"(?:\b(?P<weekday>{_WEEKDAY})\.?,?\s+(?:the\s+)?|\bthe\s+)"
    r"(?P<day>3[01]|[12][0-9]|0?[1-9])(?:st|nd|rd|th)\b"
    r"(?:\s+of\s+(?:(?P<relative>this|next)\s+month|(?P<month>"
    + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")\b))?",
    re.IGNORECASE,
)
_ORDINAL_LEAD = re.compile(r"\b(?:on|by|before|until|till|due|for|from)\s*$", re.IGNORECASE)
# Words that only introduce the date; dropped with it from the title.
_DATE_LEAD = re.compile(r"\s*\b(?:by|on|before|until|due|no later than|latest)\s*$", re.IGNORECASE)

_CALENDAR = parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)


@dataclass(frozen=True)
class SaidStep:
    """A next step read from someone's words: what, who (None: whoever wrote it), and by when (None: not said)."""

    title: str
    owner: str | None
    due: date | None
    when_said: str | None  # the words the date was read from


@dataclass(frozen=True)
class ReadMessage:
    steps: list[SaidStep]
    only_steps: bool  # every sentence was a short next step: nothing else in it for discovery to read


def read_steps(text: str, *, written_at: datetime, bot_user_id: str | None = None) -> ReadMessage:
    """The next steps in a message written at `written_at` (aware, in the writer's time zone)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}>\s*", "", text)
    sentences = [s.strip() for s in _SENTENCES.split(text.strip()) if s and s.strip()]
    steps = [step for sentence in sentences if (step := read_step(sentence, written_at=written_at)) is not None]
    # A long "follow up from the call: they have 300 seats..." is a step and notes: discovery reads it too.
    short = all(len(sentence) <= SHORT_STEP for sentence in sentences)
    return ReadMessage(steps=steps, only_steps=bool(steps) and len(steps) == len(sentences) and short)


def read_step(sentence: str, *, written_at: datetime) -> SaidStep | None:
    """One sentence as a next step, or None when it is not one."""
    match = _MARKER.match(sentence) or _PHRASE.match(sentence)
    if match is None:
        return None
    rest = _REMIND_ME.sub("", match.group("rest").strip())
    owner = None
    if named := _OWNER_FIRST.match(rest):
        owner, rest = named.group("user").upper(), rest[named.end() :]
    due, when_said, title = read_due(rest, written_at=written_at)
    title = _tidy(title)
    if not title:
        return None
    return SaidStep(title=title[:MAX_TITLE], owner=owner, due=due, when_said=when_said)


def read_due(text: str, *, written_at: datetime) -> tuple[date | None, str | None, str]:
    """The first phrase in `text` naming a day, as a due date read at `written_at` (aware, in the writer's time
    zone): (the date or None, the words it was read from, the text without them)."""
    for pattern, said_as in _REWRITES:
        text = pattern.sub(said_as, text)
    return _first_date(text, written_at)


def _first_date(text: str, written_at: datetime) -> tuple[date | None, str | None, str]:
    """The first phrase naming a day (not only a time), its date, and the text without it."""
    found = _CALENDAR.nlp(text, sourceTime=written_at.replace(tzinfo=None)) or ()
    dated = [(m.date(), start, end, words) for m, context, start, end, words in found if context.hasDate]
    ordinal = _said_day_of_month(text)
    # "on Thursday 17th": parsedatetime reads "on Thursday" alone; the day of the month is the date said.
    if ordinal is not None and (
        not dated or ordinal.start() <= dated[0][1] or (ordinal.group("weekday") and ordinal.start() < dated[0][2])
    ):
        # A day the month does not have ("the 30th of next month" in January) is no date at all.
        day_of_month = _day_of_month(ordinal, written_at.date())
        dated = [(day_of_month, ordinal.start(), ordinal.end(), ordinal.group(0))] if day_of_month else []
    for day, start, end, words in dated[:1]:
        if day < written_at.date():  # a step is never due before it was said
            day = written_at.date()
        before, after = _DATE_LEAD.sub("", text[:start]), text[end:]
        return day, words.strip(), f"{before} {after}"
    return None, None, text


def _said_day_of_month(text: str) -> re.Match[str] | None:
    """The first "the 10th" that is a date: after "on", "by", "before"... or naming its month ("the 2nd phase" is
    not one)."""
    for said in _DAY_OF_MONTH.finditer(text):
        if (
            said.group("relative")
            or said.group("month")
            or said.group("weekday")
            or _ORDINAL_LEAD.search(text[: said.start()])
        ):
            return said
    return None


def _day_of_month(said: re.Match[str], today: date) -> date | None:
    """The date "the 10th" means on `today`: this month's, or the next month's once it has passed (or when this
    month has no such day); in a named month, that month's next one; None when the named month lacks the day."""
    day = int(said.group("day"))
    if said.group("month"):
        month = _MONTHS[said.group("month").lower()]
        year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
        return _on(year, month, day)
    if said.group("relative"):
        year, month = (
            _month_after(today.year, today.month)
            if said.group("relative").lower() == "next"
            else (
                today.year,
                today.month,
            )
        )
        return _on(year, month, day)
    year, month = today.year, today.month
    for _ in range(3):  # at most two months on: every day up to the 31st occurs within three
        candidate = _on(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
        year, month = _month_after(year, month)
    return None


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _on(year: int, month: int, day: int) -> date | None:
    return date(year, month, day) if day <= calendar.monthrange(year, month)[1] else None


def _tidy(title: str) -> str:
    title = re.sub(r"\s+", " ", title).strip(" \t,;:-–—.")
    return title[:1].upper() + title[1:]
