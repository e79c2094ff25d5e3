"""Next steps as people write them in a deal thread ("follow up with their CISO next Tuesday"), read by rules.

A sentence is a next step when it starts with a marker ("next step:", "todo:", "action item:") or a
follow-up phrase ("follow up ...", "circle back ...", "check in with ...", "remind me to ..."). Its due
date is the first date phrase in it, resolved by parsedatetime against the moment the message was
written, in the writer's time zone ("next Tuesday", "by Friday", "in 3 days", "on Dec 15"); a time of
day alone ("at 3pm", a bare "250") is not a date. A step that names someone first ("next step:
<@U123> sends the deck") is theirs. The same words at the same moment always give the same step.
"""

from __future__ import annotations

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
# Phrases parsedatetime reads wrongly or not at all, said the way it reads them.
_REWRITES = (
    (re.compile(r"\b(?:the\s+)?day\s+after\s+tomorrow\b", re.IGNORECASE), "in 2 days"),
    (re.compile(r"\b(?:by\s+)?(?:eod|end\s+of\s+(?:the\s+)?day)\b", re.IGNORECASE), "today"),
    (re.compile(r"\b(?:eow|end\s+of\s+(?:the\s+)?week)\b", re.IGNORECASE), "end of week"),
    (re.compile(r"\b(?:eom|end\s+of\s+(?:the\s+)?month)\b", re.IGNORECASE), "end of month"),
)
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
    for pattern, said_as in _REWRITES:
        rest = pattern.sub(said_as, rest)
    due, when_said, title = _first_date(rest, written_at)
    title = _tidy(title)
    if not title:
        return None
    return SaidStep(title=title[:MAX_TITLE], owner=owner, due=due, when_said=when_said)


def _first_date(text: str, written_at: datetime) -> tuple[date | None, str | None, str]:
    """The first phrase naming a day (not only a time), its date, and the text without it."""
    found = _CALENDAR.nlp(text, sourceTime=written_at.replace(tzinfo=None)) or ()
    for moment, context, start, end, words in found:
        if not context.hasDate:
            continue
        day: date = moment.date()
        if day < written_at.date():  # a step is never due before it was said
            day = written_at.date()
        before, after = _DATE_LEAD.sub("", text[:start]), text[end:]
        return day, words.strip(), f"{before} {after}"
    return None, None, text


def _tidy(title: str) -> str:
    title = re.sub(r"\s+", " ", title).strip(" \t,;:-–—.")
    return title[:1].upper() + title[1:]
