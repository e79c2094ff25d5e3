"""Close dates as reps write them, resolved against the day the message was written.

Resolution: a quarter means its last day, a month its last day ("mid-March" the 15th); without
a year, the next such period that has not ended yet. "Before Q4 starts" is the end of Q3.
Relative times ("in 6 weeks", "within two months", "next month", "end of next quarter") count
from the message date; "next week" is the Friday of next week, "by Friday" (or "next Friday")
the next Friday, a US holiday its date this year or next. A slash date is month/day
unless the first number cannot be a month (30/06/2027). Fiscal periods ("FY27", "before the
fiscal year ends") are resolved only against a fiscal calendar the rep states, in the message or
earlier in the thread ("their fiscal year starts Feb 1": "the end of their Q3" is Oct 31);
otherwise nothing is guessed. "Live 6 weeks after signing" counts from the close date, and
"live before that renewal" takes the renewal date the thread gave.

Choice of the close date among several: each date takes its role from the nearest cue word
in its clause. The go-live date is the one whose nearest cue is a go-live word ("live",
"launch", "in production"), said without doubt ("go-live maybe September" is not a date yet). Signing words ("sign", "close", "PO", "decision") beat go-live words ("live",
"launch", "need it"), which beat a bare "EOY"/"end of Q1"; dates of meetings, demos,
kick-offs, term starts and the like are not close dates, nor are dates in the past or the
"from" side of "slipped from Dec 15 to Jan 31". Among equals the last one written wins.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from agents.offline.clauses import Clause, clause_at

MONTHS = {
    name.lower(): index for index in range(1, 13) for name in (calendar.month_name[index], calendar.month_abbr[index])
}
MONTHS["sept"] = 9
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "couple": 2,
    "couple of": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}


@dataclass(frozen=True)
class DateMention:
    value: date
    start: int
    end: int
    text: str
    kind: str


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarter_end(year: int, quarter: int) -> date:
    return _month_end(year, quarter * 3)


def _year(text: str | None) -> int | None:
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _next(today: date, year: int | None, make: Callable[[int], date]) -> date:
    """`make(year)` in the given year, or the first year in which it is not already past."""
    if year is not None:
        return make(year)
    value = make(today.year)
    return value if value >= today else make(today.year + 1)


_NOT_MAY = re.compile(
    r"\s+(?:be|have|need|want|not|also|or|I|we|they|you|he|she|it|still|well|require|ask|take|get|help|make)\b"
)
_P = re.compile  # the patterns below are tried in order; a character belongs to the first that claims it
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (_P(r"\b(?P<y>20\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"), "iso"),
    (_P(r"(?<![\d/.])(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>20\d{2}|\d{2})(?![\d/])"), "numeric"),
    (
        _P(
            r"\b(?:before|by|ahead of|prior to)\s+(?:the\s+)?(?:(?:start|beginning)\s+of\s+Q(?P<q>[1-4])"
            r"|Q(?P<q2>[1-4])\s+(?:starts|begins|kicks off))"
            r"|\b(?:before|ahead of|prior to)\s+Q(?P<q3>[1-4])\b(?!\s*(?:['’]?\d{2}\b|20\d{2}|ends|closes|is over))",
            re.I,
        ),
        "before_quarter",
    ),
    (_P(r"\b(?:FY\s?'?\d{2,4}\s*)Q[1-4]\b|\bQ[1-4]\s*(?:of\s+)?FY\s?'?\d{2,4}\b", re.I), "fiscal"),
    (
        _P(
            r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+)?|EO)?Q(?P<q>[1-4])(?:\s*['’]\s?(?P<y2>\d{2})\b|\s+(?:of\s+)?(?P<y>20\d{2})\b)?(?!\w)",
            re.I,
        ),
        "quarter",
    ),
    (
        _P(r"\b(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+(?:of\s+)?(?P<y>20\d{2}))?", re.I),
        "quarter_word",
    ),
    (
        _P(r"\b(?:(?:the\s+)?end\s+of\s+)?(?P<which>this|next|the current|current|the)\s+quarter\b|\bEOQ\b", re.I),
        "rel_quarter",
    ),
    (_P(r"\bH(?P<h>[12])(?:\s*(?P<y>20\d{2}))?\b"), "half"),
    (_P(r"\b(?P<ord>first|second)\s+half\s+of\s+(?:(?P<next>next\s+year)|(?P<y>20\d{2}))", re.I), "half_word"),
    (
        _P(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH})\.?(?:,?\s+(?P<y>20\d{{2}}))?(?!\w)",
            re.I,
        ),
        "day_month",
    ),
    (
        _P(
            rf"\b(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:k\b|%|seats|users))(?:,?\s+(?P<y>20\d{{2}}))?",
            re.I,
        ),
        "month_day",
    ),
    (
        _P(
            r"(?<![\d/.$€£])(?!24/7)(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d/%]|\s*(?:support|coverage|ops|on[- ]call|of)\b)"
        ),
        "numeric_no_year",
    ),
    (
        _P(
            rf"\b(?P<pre>(?:the\s+)?end\s+of\s+|mid[- ]?|early\s+|late\s+)?(?P<mon>{_MONTH})\.?"
            rf"(?:\s+(?P<y>20\d{{2}})|\s*['’](?P<y2>\d{{2}}))?(?!\w)",
            re.I,
        ),
        "month",
    ),
    (_P(r"\b(?:fiscal\s+year|FY\s?'?\d{0,4}|EOFY|FYE)\b", re.I), "fiscal"),
    (_P(r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+)?next\s+year)\b", re.I), "end_next_year"),
    (
        _P(
            r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|calendar\s+)?year|EOY|year[- ]end|end\s+of\s+(?P<y>20\d{2}))\b",
            re.I,
        ),
        "eoy",
    ),
    (_P(r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+)?next\s+month|next\s+month)\b", re.I), "next_month"),
    (_P(r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month|this\s+month|EOM)\b", re.I), "this_month"),
    (_P(r"\b(?:(?:the\s+)?end\s+of\s+)?next\s+week\b", re.I), "next_week"),
    (
        _P(
            r"\b(?:in|within|inside(?:\s+of)?|over\s+the\s+next|in\s+the\s+next|the\s+next|next)\s+"
            r"(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple(?:\s+of)?)\s+"
            r"(?P<unit>days?|weeks?|months?)\b"
            r"|\b(?P<n2>\d+|two|three|four|five|six|eight|ten|twelve)\s+(?P<unit2>days?|weeks?|months?)\s+(?:from\s+now|out)\b",
            re.I,
        ),
        "relative",
    ),
    (_P(r"\b(?:by|on|this|before|until|next)\s+(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday)\b", re.I), "weekday"),
    (_P(r"\btomorrow\b", re.I), "tomorrow"),
    (
        _P(
            r"\b(?P<holiday>Christmas|Xmas|New Year(?:['’]s)?(?: Day| Eve)?|Thanksgiving|Labor Day|Labour Day|Memorial Day|"
            r"Independence Day|July 4th|the 4th of July|Fourth of July)\b",
            re.I,
        ),
        "holiday",
    ),
]


def _resolve(kind: str, match: re.Match[str], today: date) -> date | None:
    g = match.groupdict()
    year = _year(g.get("y") or g.get("y2"))
    if kind == "iso":
        return date(int(g["y"]), int(g["m"]), int(g["d"]))
    if kind in ("numeric", "numeric_no_year"):
        a, b = int(g["a"]), int(g["b"])
        month, day = (b, a) if a > 12 else (a, b)  # US order unless the first cannot be a month
        return _next(today, year, lambda y: date(y, month, day))
    if kind == "before_quarter":
        quarter = int(g["q"] or g["q2"] or g["q3"])
        end_of_previous = _next(today, None, lambda y: _quarter_end(y, quarter) - relativedelta(months=3))
        return _month_end(end_of_previous.year, end_of_previous.month)
    if kind == "quarter":
        return _next(today, year, lambda y: _quarter_end(y, int(g["q"])))
    if kind == "quarter_word":
        return _next(today, year, lambda y: _quarter_end(y, _ORDINALS[g["ord"].lower()]))
    if kind == "rel_quarter":
        current = (today.month - 1) // 3 + 1
        if (g.get("which") or "").lower() == "next":
            return _quarter_end(today.year + 1, 1) if current == 4 else _quarter_end(today.year, current + 1)
        return _quarter_end(today.year, current)
    if kind == "half":
        return _next(today, year, lambda y: date(y, 6, 30) if g["h"] == "1" else date(y, 12, 31))
    if kind == "half_word":
        target_year = today.year + 1 if g.get("next") else year or today.year
        return date(target_year, 6, 30) if g["ord"].lower() == "first" else date(target_year, 12, 31)
    if kind in ("day_month", "month_day"):
        month, day = MONTHS[g["mon"].lower()], int(g["d"])
        return _next(today, year, lambda y: date(y, month, day))
    if kind == "month":
        return _month(match, today, year)
    if kind == "end_next_year":
        return date(today.year + 1, 12, 31)
    if kind == "eoy":
        return date(year or today.year, 12, 31)
    if kind == "next_month":
        following = today + relativedelta(months=1)
        return _month_end(following.year, following.month)
    if kind == "this_month":
        return _month_end(today.year, today.month)
    if kind == "next_week":
        return today + timedelta(days=7 - today.weekday() + 4)  # Friday of next week
    if kind == "relative":
        word = (g["n"] or g["n2"]).lower()
        amount = int(word) if word.isdigit() else _NUMBER_WORDS.get(re.sub(r"\s+", " ", word))
        unit = (g["unit"] or g["unit2"]).lower().rstrip("s")
        if not amount:
            return None
        if unit == "day":
            return today + timedelta(days=amount)
        if unit == "week":
            return today + timedelta(weeks=amount)
        return today + relativedelta(months=amount)
    if kind == "weekday":
        return today + timedelta(days=(_WEEKDAYS[g["wd"].lower()] - today.weekday()) % 7)
    if kind == "tomorrow":
        return today + timedelta(days=1)
    if kind == "holiday":
        return _next(today, None, lambda y: _holiday(g["holiday"], y))
    return None


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday of a month; n = -1 for the last one."""
    if n < 0:
        last = _month_end(year, month)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _holiday(name: str, year: int) -> date:
    """US holidays reps use as deadlines (the day itself: "before Labor Day" closes by Labor Day)."""
    name = name.lower()
    if name.startswith(("christmas", "xmas")):
        return date(year, 12, 25)
    if name.startswith("new year"):
        return date(year, 12, 31) if name.endswith("eve") else date(year + 1, 1, 1)
    if name == "thanksgiving":
        return _nth_weekday(year, 11, calendar.THURSDAY, 4)
    if name.startswith("labo"):
        return _nth_weekday(year, 9, calendar.MONDAY, 1)
    if name == "memorial day":
        return _nth_weekday(year, 5, calendar.MONDAY, -1)
    return date(year, 7, 4)


def _month(match: re.Match[str], today: date, year: int | None) -> date | None:
    word = match["mon"]
    after = match.string[match.end() : match.end() + 12]
    if word.lower() == "may" and (word == "may" or _NOT_MAY.match(after)):
        return None  # "may" the verb: "they may need", "May be worth noting"
    if word.lower() == "march" and word[0] == "m" and re.match(r"\s+(?:to|on|into|forward|ahead)\b", after):
        return None
    if re.match(r"\s+[A-Z][a-z]+", after) and not re.match(rf"\s+(?:{_MONTH}|The|This|At|In|Or|And)\b", after, re.I):
        if match["pre"] is None and match["y"] is None:
            return None  # "Jan Novak", "Mar Lopez": a name
    month = MONTHS[word.lower()]
    if (match["pre"] or "").lower().startswith("mid"):
        return _next(today, year, lambda y: date(y, month, 15))
    return _next(today, year, lambda y: _month_end(y, month))


# ---- a fiscal calendar the rep states ------------------------------------------------------------

_FY = r"(?:fiscal year|financial year|FY)"
# "their fiscal year starts Feb 1", "FY runs April to March", "financial year ends 30 June".
_FISCAL_CALENDAR = re.compile(
    rf"\b{_FY}\s+(?:starts?|begins?|kicks? off|runs?\s+from|is\s+from)\s+(?:on\s+|in\s+)?(?:the\s+)?"
    rf"(?:(?:1st|first|1)\s+(?:of\s+)?)?(?P<start>{_MONTH})\b\.?(?:\s+(?:1st|first|1)\b)?"
    rf"(?:\s+(?:to|through|until|till|-|–)\s+(?:the\s+end\s+of\s+)?{_MONTH}\b)?"
    rf"|\b{_FY}\s+(?:runs?|is|goes)\s+(?:from\s+)?(?P<start2>{_MONTH})\s+(?:to|through|until|till|-|–)\s+{_MONTH}\b"
    rf"|\b{_FY}\s+(?:ends?|closes?|finishes)\s+(?:on\s+|in\s+|at the end of\s+)?(?:the\s+)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?)?"
    rf"(?P<end>{_MONTH})\b(?:\s+\d{{1,2}}(?:st|nd|rd|th)?\b)?",
    re.IGNORECASE,
)


def fiscal_start_month(text: str) -> int | None:
    """The month their fiscal year starts in, when the text states their fiscal calendar."""
    match = _FISCAL_CALENDAR.search(text)
    if not match:
        return None
    if match["end"]:
        return MONTHS[match["end"].lower()] % 12 + 1
    return MONTHS[(match["start"] or match["start2"]).lower()]


# With a stated fiscal calendar: "the end of their Q3", "fiscal Q2", "Q4 of their fiscal year", "before
# fiscal year end".
_FISCAL_QUARTER = re.compile(
    r"\b(?:(?:the\s+)?end\s+of\s+)?(?:their|the)\s+(?:fiscal\s+|financial\s+|FY\s*)?Q(?P<q>[1-4])\b"
    r"|\b(?:fiscal|financial|FY)\s*Q(?P<q2>[1-4])\b|\bFQ(?P<q3>[1-4])\b"
    r"|\bQ(?P<q4>[1-4])\s+(?:of\s+)?(?:their|the)\s+(?:fiscal|financial)(?:\s+year)?\b",
    re.IGNORECASE,
)
_FISCAL_YEAR_END = re.compile(
    rf"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|their\s+)?{_FY}|(?:their\s+|the\s+)?{_FY}[- ]end|EOFY|FYE|"
    rf"(?:their\s+|the\s+)?{_FY}\s+(?:ends|closes|is over))\b",
    re.IGNORECASE,
)


def _fiscal_date(kind: str, match: re.Match[str], today: date, start_month: int) -> date:
    """The last day of a fiscal quarter (or of the fiscal year), the next one that has not ended."""
    quarter = 4
    if kind == "fiscal_quarter":
        quarter = int(next(match[g] for g in ("q", "q2", "q3", "q4") if match[g]))
    last_month = (start_month - 1 + 3 * quarter - 1) % 12 + 1
    return _next(today, None, lambda y: _month_end(y, last_month))


def date_mentions(text: str, today: date, *, fiscal_start: int | None = None) -> list[DateMention]:
    """Every date expression, each character claimed by the first (most specific) pattern. With the month their
    fiscal year starts (`fiscal_start`), fiscal quarters and the fiscal year end are dates too."""
    claimed: list[tuple[int, int]] = []
    found: list[DateMention] = []
    # "their fiscal year ends in September": the statement names the fiscal year's end, a date like any other.
    patterns: list[tuple[re.Pattern[str], str]] = [(_FISCAL_CALENDAR, "fiscal_year_end" if fiscal_start else "fiscal")]
    if fiscal_start is not None:
        patterns += [(_FISCAL_QUARTER, "fiscal_quarter"), (_FISCAL_YEAR_END, "fiscal_year_end")]
    for pattern, kind in patterns + _PATTERNS:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in claimed):
                continue
            claimed.append((match.start(), match.end()))
            if kind == "fiscal":
                continue  # claimed so that "Q1" in "Q1 FY27" is not read as a calendar quarter
            try:
                if kind in ("fiscal_quarter", "fiscal_year_end") and fiscal_start is not None:
                    value: date | None = _fiscal_date(kind, match, today, fiscal_start)
                else:
                    value = _resolve(kind, match, today)
            except (ValueError, KeyError):
                value = None
            if value is not None:
                found.append(DateMention(value, match.start(), match.end(), match.group(0), kind))
    return sorted(found, key=lambda m: m.start)


# ---- which date is the close date ----------------------------------------------------------

_CUES = re.compile(
    r"(?P<sign>\b(?:sign(?:ed|ing|s|ature|[- ]?off)?|clos(?:e|es|ed|ing)|close date|PO|purchase order|purchas\w*|buy\w*|"
    r"contract\w*|paper(?:work|s)?|decision|decid\w+|commit\w*|award\w*|ink(?:ed)?|execut(?:e|ed|ion)|approv\w+|"
    r"order form|deal done|get it done|book(?:ed|ing)?|land(?:ed)? the deal)\b)"
    r"|(?P<live>\b(?:go[- ]?live|live|launch\w*|start using|roll[- ]?out|deadline|need(?:s|ed)? it|in place|"
    r"up and running|cut[- ]?over|ready|timeline|timeframe|target\w*|deliver\w*|done|wrap(?:ped)? up|"
    r"implement\w*|deploy\w*|migrat\w+|production|prod)\b)"
    r"|(?P<other>\b(?:meeting|meet|met|call|demo|workshop|kick[- ]?off|kicks off|onsite|on-site|visit|webinar|"
    r"conference|QBR|review|presentation|pitch|lunch|dinner|offsite|holidays?|vacation|OOO|PTO|founded|since|ago|"
    r"last|started|resets?|resetting|starts?|starting|start date|term|begins?|beginning|bake[- ]?off|POC|pilot|"
    r"trial|RFP|training|check[- ]?in|sync|follow[- ]?up|numbers|results|earnings|season|"
    r"intro|session|event|summit|expos?|trade ?show)\b)"
    r"|(?P<prep>\b(?:by|before|until|till|no later than|latest|at the latest)\b)",
    re.IGNORECASE,
)
# "from Dec 15", "was Jan 31", "instead of Q1": the old value of something that changed.
_OLD_VALUE = re.compile(
    r"\b(?:from|was|were|previously|originally|earlier|initially|instead of|rather than|not)\s+(?:\w+\s+)?$", re.I
)
_CHANGE = re.compile(
    r"\b(?:to|now|actually|rather|instead|moved|pushed|slipped|changed|updated|more like|closer to|make (?:it|that))\b|→|->",
    re.I,
)
# A date right after a correction word replaces the one known so far: "actually Q2", "make it March 15".
_CORRECTION_BEFORE = re.compile(
    r"\b(?:actually|correction|make (?:it|that)|more like|closer to|rather|instead|realistically|now)\b[\s,:—–-]*$",
    re.I,
)
# Go-live words, stricter than the deadline words above: "live", "launch", "in production".
_LIVE = re.compile(
    r"\b(?:go[- ]?live|live|launch\w*|in production|production|prod|up and running|cut[- ]?over|start using|"
    r"operational|roll[- ]?out)\b",
    re.IGNORECASE,
)
_TENTATIVE = re.compile(r"\b(?:maybe|possibly|perhaps|might|tentatively|probably|hopefully|ideally)\b", re.IGNORECASE)
_DEADLINE = re.compile(r"\b(?:before|by|ahead of|prior to)\s+(?:the|their|our|its|a)?\s*[\w\s-]{0,25}$", re.I)
_SELF_CUED = frozenset({"eoy", "rel_quarter", "before_quarter", "this_month", "next_month", "end_next_year"})
_ROLE_RANK = {"sign": 3, "live": 2}


def _rank_from_cues(before: str, after: str, mention: DateMention) -> int:
    """3 a signing date, 2 a go-live date, 1 some deadline, 0 a bare date, -1 not a close date."""
    cues = list(_CUES.finditer(before))
    words = [m for m in cues if m.lastgroup != "prep"]
    if words:
        nearest = words[-1]
        if nearest.lastgroup != "other":
            return _ROLE_RANK[nearest.lastgroup or ""]
        # "sign before their board meeting on Jan 20": the event is the deadline for the signing.
        earlier = before[: nearest.start()]
        deadline = _DEADLINE.search(earlier)
        stronger = [m for m in _CUES.finditer(earlier[: deadline.start()])] if deadline else []
        stronger = [m for m in stronger if m.lastgroup in _ROLE_RANK]
        return _ROLE_RANK[stronger[-1].lastgroup or ""] if stronger else -1
    following = [m for m in _CUES.finditer(after) if m.lastgroup != "prep"]
    if following:  # "Jan 31 is their decision date", "Q3 is when they want to sign"
        return _ROLE_RANK.get(following[0].lastgroup or "", -1)
    if cues or mention.kind in _SELF_CUED or mention.text.lower().startswith("end of"):
        return 1  # "by Q1", "EOY": a deadline of some kind
    return 0


def _is_live(before: str, after: str) -> bool:
    """The nearest cue word says go-live ("live by end of Q3", "go-live Nov 1", "launch in May")."""
    words = [m for m in _CUES.finditer(before) if m.lastgroup != "prep"]
    if words:
        # The nearest run of deadline words ("launch target is May 4"): live when one of them says so.
        run = []
        for cue in reversed(words):
            if cue.lastgroup != "live":
                break
            run.append(cue)
        strict = [cue for cue in run if _LIVE.fullmatch(cue.group(0))]
        return bool(strict) and not _TENTATIVE.search(before[strict[0].start() :])
    following = [m for m in _CUES.finditer(after) if m.lastgroup != "prep"]
    return bool(following and following[0].lastgroup == "live" and _LIVE.fullmatch(following[0].group(0)))


# "Jan 15 is their board meeting, that's when it gets signed": the date the sentence ends up calling the signing.
_THATS_WHEN_SIGNED = re.compile(
    r"[^.;\n]{0,60}?\b(?:that['’]?s|that is|which is)\s+(?:when|the day|the date)\s+(?:it|they|we|the deal|the contract)?\s*"
    r"(?:gets?|will|would|should|are going to|is going to)?\s*(?:be\s+)?(?:sign\w*|clos\w*|inked)\b",
    re.IGNORECASE,
)
# "live 6 weeks after signing": a go-live counted from the close date.
_AFTER_SIGNING = re.compile(
    r"\b(?P<n>\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(?P<unit>days?|weeks?|months?)\s+"
    r"(?:after|from|post)\s+(?:the\s+)?(?:signing|signature|contract signature|close|closing|they sign|we sign|"
    r"the contract is signed|contract)\b",
    re.IGNORECASE,
)
# "before that renewal", "before the contract runs out": a date the thread gave for it.
_RENEWAL_REFERENCE = re.compile(
    r"\b(?:before|by|ahead of|prior to|until)\s+(?:that|the|their|this|its)\s+(?:renewal|contract (?:end|expir\w+|runs out|ends)|"
    r"(?:current\s+)?contract\s+(?:ends|expires|runs out|is up)|expiry|expiration)\b"
    r"|\bbefore\s+(?:it|that|they)\s+(?:renews?|expires?|runs out)\b",
    re.IGNORECASE,
)
_RENEWAL_DATE = re.compile(
    r"\b(?:renew\w*|contract\s+(?:ends|expires|is up|runs out|end date)|expir\w+|ends?|runs? out|is up)\b",
    re.IGNORECASE,
)


def _renewal_date(text: str, today: date) -> date | None:
    """The date a renewal or a contract end is given in the text ("contract ends Oct 31"), the last one said."""
    found = None
    for mention in date_mentions(text, today):
        before = text[max(0, mention.start - 30) : mention.start]
        if _RENEWAL_DATE.search(before) and mention.value >= today:
            found = mention.value
    return found


def _shifted(base: date, amount: int, unit: str) -> date:
    if unit.startswith("day"):
        return base + timedelta(days=amount)
    if unit.startswith("week"):
        return base + timedelta(weeks=amount)
    return base + relativedelta(months=amount)


def key_dates(
    text: str,
    parts: list[Clause],
    today: date,
    *,
    known_close: date | None = None,
    known_live: date | None = None,
    context: str = "",
) -> tuple[DateMention | None, DateMention | None]:
    """(the date the deal should sign, the date they want to be live): each None when the text gives none.

    A go-live date stands in for the close date when no signing date is given (the deal must sign
    by then). `known_close` and `known_live` are the record's dates: a message that takes one back
    ("not Q1, more like Q2") gives its replacement the same role. `context` is what the rep wrote
    earlier in the thread: a fiscal calendar or a renewal date stated there resolves "their Q3" or
    "live before that renewal" here; "live 6 weeks after signing" counts from the close date.
    """
    close, live = _key_dates(
        text,
        parts,
        today,
        known_close=known_close,
        known_live=known_live,
        fiscal_start=fiscal_start_month(text) or fiscal_start_month(context),
    )
    if live is None:
        for match in _AFTER_SIGNING.finditer(text):
            clause = clause_at(parts, match.start())
            base = close.value if close is not None and close.kind != "relative_live" else known_close
            word = match["n"].lower()
            amount = int(word) if word.isdigit() else _NUMBER_WORDS.get(word)
            if (
                base is None
                or not amount
                or not _LIVE.search(text[max(clause.start, match.start() - 40) : match.start()])
            ):
                continue
            value = _shifted(base, amount, match["unit"].lower())
            live = DateMention(value, match.start(), match.end(), match.group(0), "relative_live")
    if live is None:
        for match in _RENEWAL_REFERENCE.finditer(text):
            clause = clause_at(parts, match.start())
            if not _LIVE.search(text[clause.start : match.start()]):
                continue
            renewal = _renewal_date(text, today) or _renewal_date(context, today)
            if renewal is not None:
                live = DateMention(renewal, match.start(), match.end(), match.group(0), "renewal")
    return close, live


def _key_dates(
    text: str,
    parts: list[Clause],
    today: date,
    *,
    known_close: date | None,
    known_live: date | None,
    fiscal_start: int | None,
) -> tuple[DateMention | None, DateMention | None]:
    ranked: list[tuple[int, DateMention]] = []
    live: list[DateMention] = []
    previous: tuple[DateMention, int] | None = None  # the last date in the same clause, and its cue rank
    replacing: str | None = None  # "close" or "live": a known date was just taken back
    for mention in date_mentions(text, today, fiscal_start=fiscal_start):
        clause = clause_at(parts, mention.start)
        if previous and not (clause.start <= previous[0].start < clause.end):
            previous = None
        # A cue speaks for the first date after it: "signed next month so it lands in their Q4
        # numbers" has one close date. So look back only as far as the previous date.
        window_start = max(clause.start, mention.start - 70, previous[0].end if previous else 0)
        before = text[window_start : mention.start]
        after = text[mention.end : min(clause.end, mention.end + 45)]
        rank = _rank_from_cues(before, after, mention)
        is_live = _is_live(before, after)
        if rank < 3 and _THATS_WHEN_SIGNED.match(text, mention.end):
            rank, is_live = 3, False
        if previous and rank <= 0 and _CHANGE.search(before):
            rank = previous[1]  # "slipped from Dec 15 to Jan 31": the new date takes the old one's role
        previous = (mention, rank)
        if _OLD_VALUE.search(before):
            previous = (mention, _rank_from_cues(_OLD_VALUE.sub("", before), after, mention))
            if known_live is not None and mention.value == known_live:
                replacing = "live"
            elif known_close is not None and mention.value == known_close:
                replacing = "close"
            continue
        if rank <= 0 and replacing is not None:
            is_live, rank = replacing == "live", 2 if replacing == "live" else 3
        elif rank <= 0 and known_close is not None and _CORRECTION_BEFORE.search(before):
            rank = 3
        replacing = None
        if mention.value < today:
            continue
        if is_live:
            live.append(mention)
        if rank >= 1:
            ranked.append((rank, mention))
    close = None
    if ranked:
        best = max(rank for rank, _ in ranked)
        close = [mention for rank, mention in ranked if rank == best][-1]
    return close, live[-1] if live else None


def target_close(text: str, parts: list[Clause], today: date) -> DateMention | None:
    """The date the deal should sign, or None when the text gives none."""
    return key_dates(text, parts, today)[0]
