"""Close dates as reps write them, resolved against the day the message was written.

A quarter means its last day, a month its last day; without a year, the next such period
that has not ended yet. Relative times ("in 6 weeks") count from the message date.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from agents.offline.quantities import word_number

MONTHS = {
    name.lower(): index for index in range(1, 13) for name in (calendar.month_name[index], calendar.month_abbr[index])
}
MONTHS["sept"] = 9
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_YEAR = r"(?:'\d{2}|20\d{2}|FY\s?\d{2,4})"


@dataclass(frozen=True)
class DateMention:
    value: date
    start: int
    end: int
    text: str


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarter_end(year: int, quarter: int) -> date:
    return _month_end(year, quarter * 3)


def _year(text: str | None, default: int) -> int:
    if not text:
        return default
    digits = re.sub(r"\D", "", text)
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _next_quarter_end(today: date, quarter: int, year_text: str | None) -> date:
    if year_text:
        return _quarter_end(_year(year_text, today.year), quarter)
    end = _quarter_end(today.year, quarter)
    return end if end >= today else _quarter_end(today.year + 1, quarter)


def _next_month_date(today: date, month: int, day: int | None, year_text: str | None) -> date | None:
    year = _year(year_text, today.year)
    try:
        candidate = date(year, month, day) if day else _month_end(year, month)
    except ValueError:
        return None
    if not year_text and candidate < today:
        candidate = date(year + 1, month, day) if day else _month_end(year + 1, month)
    return candidate


_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?P<y>20\d{2})-(?P<m>\d{2})-(?P<d>\d{2})\b"), "iso"),
    (re.compile(r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>20\d{2}|\d{2})\b"), "us"),
    (re.compile(rf"\b(?:end of |the end of )?(?:EO)?Q(?P<q>[1-4])(?:\s?(?P<y>{_YEAR}))?(?!\w)", re.I), "quarter"),
    (
        re.compile(r"\b(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th) quarter(?: of (?P<y>20\d{2}))?", re.I),
        "quarter_word",
    ),
    (re.compile(r"\b(?:end of |by )?(?P<which>this|next|the current|current) quarter\b|\bEOQ\b", re.I), "rel_quarter"),
    (re.compile(r"\bH(?P<h>[12])(?:\s?(?P<y>20\d{2}))?\b"), "half"),
    (
        re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?(?P<mon>{_MONTH})(?:,?\s(?P<y>20\d{{2}}))?\b", re.I),
        "day_month",
    ),
    (
        re.compile(rf"\b(?P<mon>{_MONTH})\s(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s(?P<y>20\d{{2}}))?", re.I),
        "month_day",
    ),
    (
        re.compile(rf"\b(?:end of |the end of |late |mid-?)?(?P<mon>{_MONTH})(?:\s(?P<y>20\d{{2}}|'\d{{2}}))?\b", re.I),
        "month",
    ),
    (re.compile(r"\b(?:end of (?:the )?year|EOY|year[- ]end|end of this year|by the end of the year)\b", re.I), "eoy"),
    (re.compile(r"\bend of next year\b", re.I), "eony"),
    (re.compile(r"\b(?:end of (?:the|this) month|EOM)\b", re.I), "eom"),
    (re.compile(r"\bnext month\b", re.I), "next_month"),
    (re.compile(r"\bnext week\b", re.I), "next_week"),
    (
        re.compile(
            r"\b(?:in|within|inside|over the next|next)\s(?:the next\s)?(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
            r"\s(?P<unit>days?|weeks?|months?)\b",
            re.I,
        ),
        "relative",
    ),
]
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}


def _resolve(kind: str, match: re.Match[str], today: date) -> date | None:
    g = match.groupdict()
    if kind == "iso":
        return date(int(g["y"]), int(g["m"]), int(g["d"]))
    if kind == "us":
        return date(_year(g["y"], today.year), int(g["m"]), int(g["d"]))
    if kind == "quarter":
        return _next_quarter_end(today, int(g["q"]), g.get("y"))
    if kind == "quarter_word":
        return _next_quarter_end(today, _QUARTER_WORDS[g["ord"].lower()], g.get("y"))
    if kind == "rel_quarter":
        current = (today.month - 1) // 3 + 1
        if (g.get("which") or "").lower() == "next":
            year, quarter = (today.year + 1, 1) if current == 4 else (today.year, current + 1)
            return _quarter_end(year, quarter)
        return _quarter_end(today.year, current)
    if kind == "half":
        year = _year(g.get("y"), today.year)
        end = date(year, 6, 30) if g["h"] == "1" else date(year, 12, 31)
        return end if g.get("y") or end >= today else end.replace(year=year + 1)
    if kind in ("day_month", "month_day"):
        return _next_month_date(today, MONTHS[g["mon"].lower().rstrip(".")], int(g["d"]), g.get("y"))
    if kind == "month":
        word = match.group("mon")
        if word.lower().rstrip(".") == "may" and word[0].islower():
            return None  # "may" the verb
        if word.lower() in ("mar", "march") and word[0].islower():
            return None
        return _next_month_date(today, MONTHS[word.lower().rstrip(".")], None, g.get("y"))
    if kind == "eoy":
        return date(today.year, 12, 31)
    if kind == "eony":
        return date(today.year + 1, 12, 31)
    if kind == "eom":
        return _month_end(today.year, today.month)
    if kind == "next_month":
        following = today + relativedelta(months=1)
        return _month_end(following.year, following.month)
    if kind == "next_week":
        return today + timedelta(days=7)
    if kind == "relative":
        amount = word_number(g["n"]) or 1
        unit = g["unit"].lower().rstrip("s")
        if unit == "day":
            return today + timedelta(days=amount)
        if unit == "week":
            return today + timedelta(weeks=amount)
        return today + relativedelta(months=amount)
    return None


def date_mentions(text: str, today: date) -> list[DateMention]:
    """Every date expression, each character claimed by the first (most specific) pattern."""
    claimed: list[tuple[int, int]] = []
    found: list[DateMention] = []
    for pattern, kind in _PATTERNS:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in claimed):
                continue
            try:
                value = _resolve(kind, match, today)
            except (ValueError, KeyError):
                value = None
            if value is None:
                continue
            claimed.append((match.start(), match.end()))
            found.append(DateMention(value=value, start=match.start(), end=match.end(), text=match.group(0)))
    return sorted(found, key=lambda m: m.start)
