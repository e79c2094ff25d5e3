"""The POC plan builder: objectives, measurable success criteria, data sources, dated milestones and owners, from
the deal's qualification record. Pure: the same record and day always give the same plan.

A threshold is read only where the customer's words state a number (`within 15 minutes`, `99.9% uptime`,
`under 2 seconds`, `from 10 days to 3 days`); a criterion without one keeps its words and is marked as a
threshold to agree with the customer. No number is ever made up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from deals.poc_models import (
    MAX_CRITERIA,
    SE_TO_BE_ASSIGNED,
    TO_AGREE,
    Comparator,
    Criterion,
    DataSource,
    Milestone,
    Owners,
    PocPlan,
    Threshold,
)
from deals.qualification import Qualification
from deals.working_days import WorkingDays

__all__ = ["TO_AGREE", "draft_poc_plan", "plan_from_review", "review_sections", "thresholds_in"]

DEFAULT_WEEKS = 2

# Numbers ------------------------------------------------------------------------------------------

_WORD_NUMBERS = {
    "zero": 0,
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
}
_SCALES = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "mn": 1_000_000, "million": 1_000_000}
_SCALES |= {"bn": 1_000_000_000, "billion": 1_000_000_000}
_CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP"}

# Time units by how they are written; the canonical name is plural, made singular for a value of one.
_TIME_UNITS = {
    "ms": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
    "s": "seconds",
    "sec": "seconds",
    "secs": "seconds",
    "second": "seconds",
    "seconds": "seconds",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "day": "days",
    "days": "days",
    "week": "weeks",
    "weeks": "weeks",
    "month": "months",
    "months": "months",
}
_SECONDS: dict[str, Decimal] = {
    "ms": Decimal("0.001"),
    **{unit: Decimal(n) for unit, n in (("seconds", 1), ("minutes", 60), ("hours", 3600), ("days", 86400))},
    **{unit: Decimal(n) for unit, n in (("weeks", 604800), ("months", 2_592_000))},
}
_PERIODS = {"second", "minute", "hour", "day", "week", "month", "year", "night", "run"}

_NUMBER = re.compile(
    r"(?<![\w.,/:-])(?P<cur>[$€£])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d/]|-\d|:\d)"
    r"|(?<![\w-])(?P<word>zero|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty)\b",
    re.IGNORECASE,
)
_SCALE = re.compile(r"\s*(k|m|mn|bn)\b|\s+(thousand|million|billion)\b", re.IGNORECASE)
_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s+cent\b|pct\b)", re.IGNORECASE)
_TIME_UNIT = re.compile(r"[\s-]*(" + "|".join(sorted(_TIME_UNITS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_RATE = re.compile(
    r"\s*(?:(?:per|a|an|each|every)\s+|/\s*)(second|sec|s|minute|min|hour|hr|h|day|week|month|year|night|run)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\s+([a-z][a-z-]*)", re.IGNORECASE)
_STOP = {
    "of", "in", "at", "on", "for", "with", "without", "during", "across", "between", "and", "or", "to", "from",
    "per", "a", "an", "the", "by", "within", "under", "over", "nightly", "daily", "hourly", "weekly", "monthly",
    "automatically", "each", "every", "is", "are", "be", "than", "more", "less", "fewer", "when", "while", "after",
    "before", "into", "through", "via", "so", "that", "it", "we", "they", "ready",
}  # fmt: skip
_POC_WORDS = re.compile(r"[\s-]*(?:long\s+)?(?:poc|pilot|trial|proof[\s-]of[\s-]concept|eval(?:uation)?)\b", re.I)

# What precedes a number and says how it compares, nearest first wins.
_BEFORE = [
    (
        re.compile(
            r"(?:no|not)\s+more\s+than|at\s+most|up\s+to|within|max(?:imum)?|≤|<=|not\s+exceed(?:ing)?|down\s+to", re.I
        ),
        "≤",
    ),
    (re.compile(r"less\s+than|fewer\s+than|under|below|beneath|<", re.I), "<"),
    (re.compile(r"at\s+least|min(?:imum)?|no\s+(?:less|fewer)\s+than|≥|>=", re.I), "≥"),
    (re.compile(r"more\s+than|greater\s+than|over|above|exceed(?:ing|s)?|>", re.I), ">"),
]
_AFTER = [
    (re.compile(r"^\s*(?:or\s+(?:less|fewer|under|below|faster|sooner)|max(?:imum)?\b)", re.I), "≤"),
    (re.compile(r"^\s*(?:\+|or\s+(?:more|better|above|higher)|min(?:imum)?\b)", re.I), "≥"),
]
_REDUCE = re.compile(r"\b(reduc\w*|cut\w*|lower\w*|decreas\w*|shrink\w*|drop\w*|halv\w*)\b", re.I)
_INCREASE = re.compile(r"\b(increas\w*|improv\w*|grow\w*|rais\w*|boost\w*)\b", re.I)
_SAVE = re.compile(r"\b(sav(?:e|es|ed|ing)|free\s+up)\b", re.I)
_BASELINE = re.compile(r"\b(takes?|took|taking|currently|today|right now|at the moment|presently|as of now)\b", re.I)
# A duration said as the window a criterion holds over, not a threshold: "over the 4 weeks", "during the POC's
# 2 weeks", "for a full 30 days".
_PERIOD = re.compile(
    r"\b(?:over|during|across|throughout|for)\s+(?:the|a|its|their|these|those|this|a full|the full|the whole)"
    r"(?:\s+(?:POC'?s?|pilot'?s?|trial'?s?|first|full|whole|entire))?\s*$",
    re.I,
)
_TARGET = re.compile(
    r"\b(want\w*|need\w*|must|should|target\w*|goal\w*|success|aim\w*|expect\w*|requir\w*|get to|down to)\b", re.I
)
# Lower is better for these: a bare number about them is a ceiling, not a floor.
_LOWER_BETTER = re.compile(
    r"\b(error|fail\w*|loss|lost|downtime|outage|incident\w*|churn|defect\w*|lag|late\w*)\b", re.I
)
_LOWER_BETTER_COUNT = re.compile(r"\b(fewer|less|under|below|at most|no more|ticket\w*|error\w*|fail\w*)\b", re.I)
_FRESHNESS = re.compile(r"\b(fresh\w*|up[\s-]to[\s-]date|lag|delay\w*|stale\w*|near[\s-]real[\s-]time)\b", re.I)
_MEASURE_NOUN = re.compile(r"\b(latency|time|duration|uptime|availability|rate|accuracy|throughput|load|close)\b", re.I)
_FILLER = re.compile(
    r"^(?:(?:success(?:\s+(?:is|means|=|will\s+be))?|target\w*|goal\w*|=|:|-|and|but|so|then|it|we|they|the|team|customer|want\w*|"
    r"need\w*|must|should|"
    r"would\s+like|like|to|be|is|are|have|has|get|getting|see|show|prove|achieve|hit|reach|"
    r"handle|support|process|sync|syncing|load|ingest|move|run|save|cut|reduce|lower|increase|improve)\s*)+",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"(?:\s+(?:in|of|at|by|for|within|to|is|are|be|should|must|with|than|it|down|up))+\s*$", re.I)
_FASTER = re.compile(r"^\s*(faster|quicker|sooner|earlier)\b", re.I)
_FACTOR = re.compile(r"\s*(?:x|times)\s+(?=[a-z])", re.I)
_EVERY = re.compile(r"\bevery\s+(?=\d|an?\b|one\b|few\b)", re.I)
_HOURLY = re.compile(r"\bhourly\b", re.I)
_CLAUSES = re.compile(r"\s*(?:[;\n]|(?<=[.!?])\s+|,\s+(?=\D))\s*")


@dataclass(frozen=True)
class _Quantity:
    start: int
    end: int
    value: Decimal
    unit: str  # canonical: minutes, %, USD, or the counted noun (with its rate)
    kind: str  # time | percent | money | count
    rate: bool
    poc_length: bool


def _singular(unit: str, value: Decimal) -> str:
    return unit[:-1] if value == 1 and unit.endswith("s") and unit != "ms" else unit


def _number_at(match: re.Match[str], text: str) -> tuple[Decimal, int] | None:
    """The value of a number match and where it ends (with its scale: `10k`, `2.5 million`)."""
    if match["word"]:
        return Decimal(_WORD_NUMBERS[match["word"].lower()]), match.end()
    value = Decimal(match["num"].replace(",", ""))
    end = match.end()
    scale = _SCALE.match(text, end)
    if scale:
        word = (scale[1] or scale[2]).lower()
        # `5m` alone is ambiguous (minutes or million): only a scale when a counted thing follows.
        if word != "m" or _WORD.match(text, scale.end()):
            value, end = value * _SCALES[word], scale.end()
    return value, end


def _noun_after(text: str, end: int) -> tuple[str, int]:
    """Up to three words after a number that name what is counted (`failed syncs`, `concurrent users`)."""
    words: list[str] = []
    while len(words) < 3:
        word = _WORD.match(text, end)
        if word is None or word[1].lower() in _STOP:
            break
        words.append(word[1])
        end = word.end()
    return " ".join(words), end


def _quantities(text: str) -> list[_Quantity]:
    found: list[_Quantity] = []
    position = 0
    for match in _NUMBER.finditer(text):
        if match.start() < position:
            continue
        number = _number_at(match, text)
        if number is None:
            continue
        value, end = number
        is_word = bool(match["word"])
        kind, unit, rate = "count", "", False
        if match["cur"] and not is_word:
            kind, unit = "money", _CURRENCIES[match["cur"]]
        elif (factor := _FACTOR.match(text, end)) and not is_word:
            kind, unit, end = "factor", "x", factor.end()
        elif (percent := _PERCENT.match(text, end)) and not is_word:
            kind, unit, end = "percent", "%", percent.end()
        elif time := _TIME_UNIT.match(text, end):
            kind, unit, end = "time", _TIME_UNITS[time[1].lower()], time.end()
        else:
            noun, after = _noun_after(text, end)
            if not noun or (is_word and match["word"].lower() in ("a", "an", "one")):
                continue  # a bare number (a version, a quarter) or "a user": nothing measurable
            unit, end = noun, after
        if rate_match := _RATE.match(text, end):
            period = rate_match[1].lower()
            period = {"sec": "second", "s": "second", "min": "minute", "hr": "hour", "h": "hour"}.get(period, period)
            if period in _PERIODS:
                unit, rate, end = f"{unit} per {period}", True, rate_match.end()
        poc = bool(_POC_WORDS.match(text, end))
        if kind == "time" and not rate:
            unit = _singular(unit, value)
        found.append(_Quantity(match.start(), end, value, unit, kind, rate, poc))
        position = end
    return found


def _comparator_before(text: str, start: int) -> tuple[Comparator | None, int]:
    """The comparison said just before a number (within its last few words), and where it starts."""
    window_start = max(0, start - 40)
    window = text[window_start:start]
    best: tuple[int, Comparator | None, int] = (-1, None, start)
    for pattern, comparator in _BEFORE:
        for found in pattern.finditer(window):
            # Only what ends right before the number (a word or two between at most: `within about 15`).
            between = window[found.end() :]
            if len(between.split()) <= 2 and found.end() > best[0]:
                best = (found.end(), comparator, window_start + found.start())  # type: ignore[assignment]
    return best[1], best[2]


def _comparator_after(text: str, end: int) -> Comparator | None:
    for pattern, comparator in _AFTER:
        if pattern.match(text[end:]):
            return comparator  # type: ignore[return-value]
    return None


def _in_seconds(quantity: _Quantity) -> Decimal | None:
    if quantity.kind != "time" or quantity.rate:
        return None
    unit = quantity.unit if quantity.unit in _SECONDS else quantity.unit + "s"
    return quantity.value * _SECONDS[unit] if unit in _SECONDS else None


def _subject(text: str) -> str:
    """The words naming what is measured, without the verbs and filler around them."""
    subject = _FILLER.sub("", text.strip(" ,:;=-")).strip()
    subject = _TRAILING.sub("", subject).strip(" ,:;=-")
    return subject


def _metric(clause: str, quantity: _Quantity, head: str, tail: str) -> str:
    """What a threshold measures: the clause's own words before the number where they name it, else after it."""
    subject = _subject(head)
    if _FRESHNESS.search(clause) and not re.search(r"\blatency\b", subject, re.I):
        return "end-to-end latency"
    if re.search(r"\bsync\w*\b", clause, re.I) and quantity.kind == "time" and not subject:
        return "sync interval"
    if subject:
        return subject
    after = re.match(
        r"\s*(?:of\s+)?([a-z][a-z -]*?)(?=\s+(?:during|in|on|at|for|across|between|without|with)\b|$)", tail, re.I
    )
    words = after[1].strip() if after else ""
    if quantity.kind == "count":
        return "throughput" if quantity.rate and not _LOWER_BETTER_COUNT.search(clause) else ""
    if quantity.kind == "money":
        return "savings" if _SAVE.search(clause) else ""
    if quantity.kind == "time" and not words:
        return "duration"
    if words and _SAVE.search(clause):
        return f"{words} saved"
    return words


def _clause_thresholds(clause: str) -> list[Threshold]:
    thresholds: list[Threshold] = []
    quantities = _quantities(clause)
    baseline_only = bool(_BASELINE.search(clause)) and not _TARGET.search(clause)
    previous_end = 0
    for index, quantity in enumerate(quantities):
        if quantity.poc_length or (quantity.kind == "time" and _PERIOD.search(clause[: quantity.start])):
            previous_end = quantity.end
            continue  # the POC's length, or the period a criterion holds over (`no failed loads over the 4 weeks`)
        comparator, said_at = _comparator_before(clause, quantity.start)
        comparator = comparator or _comparator_after(clause, quantity.end)
        head = clause[previous_end : said_at if comparator else quantity.start]
        tail = clause[quantity.end :]
        unit, value = quantity.unit, quantity.value
        before = clause[previous_end : quantity.start]
        from_to = (
            re.search(r"\bto\s*$", before, re.I)
            and index > 0
            and re.search(r"\bfrom\s*$", clause[: quantities[index - 1].start], re.I)
        )
        if re.search(r"\bfrom\s*$", before, re.I):
            previous_end = quantity.end
            continue  # the starting point of a `from A to B`: the target follows
        if from_to:
            start = quantities[index - 1]
            earlier, later = _in_seconds(start), _in_seconds(quantity)
            lower = earlier is not None and later is not None and later < earlier
            comparator = comparator or ("≤" if lower or start.value > quantity.value else "≥")
            head = re.sub(r"\bfrom\s*$", "", clause[: start.start], flags=re.I)
        elif quantity.kind == "percent" and re.search(r"\bby\s*$", before, re.I) and _REDUCE.search(clause):
            unit, comparator = "% reduction", comparator or "≥"
            head = _REDUCE.sub("", clause[: quantity.start]).rsplit(" by", 1)[0]
        elif quantity.kind == "count" and value == 0:
            comparator = "="
        elif quantity.kind == "time" and _FASTER.match(tail):
            comparator, head = comparator or "≥", f"{_subject(head)} faster by"
        elif quantity.kind == "factor":
            comparator = comparator or "≥"
            head = f"{_subject(head)} {_noun_after(clause, quantity.end - 1)[0]}"
        elif comparator is None:
            if baseline_only or (_BASELINE.search(before) and not _TARGET.search(before)):
                previous_end = quantity.end
                continue  # how it is today, not what it must become
            lower_better = bool(_LOWER_BETTER.search(clause)) and not _SAVE.search(clause)
            if quantity.kind == "time" and not quantity.rate and not _SAVE.search(clause):
                comparator = "≤"
            else:
                comparator = "≤" if lower_better else "≥"
        metric = _metric(clause, quantity, head, tail)
        if quantity.kind == "count" and value == 0:
            metric = ""
        thresholds.append(Threshold(metric=metric, comparator=comparator, value=value, unit=unit))
        previous_end = quantity.end
    if not thresholds and _HOURLY.search(clause) and not baseline_only:
        metric = "sync interval" if re.search(r"\bsync\w*\b", clause, re.I) else _subject(_HOURLY.split(clause)[0])
        thresholds.append(Threshold(metric=metric, comparator="≤", value=Decimal(1), unit="hour"))
    return thresholds


def clauses_of(text: str) -> list[str]:
    """A field's text cut into the clauses that each state one thing."""
    parts = (part.strip(" .") for part in _CLAUSES.split(_EVERY.sub("within ", text or "")))
    # "..., and no failed loads": the conjunction joined the clauses; it is not part of either.
    return [re.sub(r"^(?:and|or|plus|also)\s+", "", part, flags=re.I) for part in parts if part]


def thresholds_in(text: str) -> list[Threshold]:
    """Every measurable target the text states, in order; a number that only says how things are today (`the
    batch takes 6 hours`), the POC's own length or a date is none."""
    return [threshold for clause in clauses_of(text) for threshold in _clause_thresholds(clause)]


def baselines_in(text: str) -> list[str]:
    """How things are today where the text says it with a duration (`takes 6 hours` gives `6 hours`)."""
    found = []
    for clause in clauses_of(text):
        if _BASELINE.search(clause) and not _TARGET.search(clause):
            found += [
                f"{_amount(q)}"
                for q in _quantities(clause)
                # A number with a comparison before it is the target (`within 15 minutes`), not how it is today.
                if q.kind == "time"
                and not q.poc_length
                and _comparator_before(clause, q.start)[0] is None
                and not _PERIOD.search(clause[: q.start])
            ]
    return found


def _amount(quantity: _Quantity) -> str:
    return Threshold(comparator="=", value=quantity.value, unit=quantity.unit).amount()


# The plan -----------------------------------------------------------------------------------------


class DealFacts(Protocol):
    """What the builder reads of a deal."""

    id: int
    owner_slack_id: str
    sales_engineer_slack_id: str | None


def _criteria(record: Qualification) -> tuple[list[Criterion], list[str]]:
    """Criteria from the success metrics and the POC's success criteria, and the words left to agree."""
    baselines = [*baselines_in(record.metrics or ""), *baselines_in(record.poc_success_criteria or "")]
    baselines += baselines_in(record.pain or "")
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for field, text in (("metrics", record.metrics), ("poc_success_criteria", record.poc_success_criteria)):
        for clause in clauses_of(text or ""):
            thresholds = _clause_thresholds(clause)
            words = re.sub(r"^\s*success\s*(?:=|:|is|means)\s*", "", clause, flags=re.I).strip() or clause
            if not thresholds and _BASELINE.search(clause) and not _TARGET.search(clause) and _quantities(clause):
                continue  # a baseline: it is said beside the target it measures
            options: list[Threshold | None] = list(thresholds) or [None]
            for threshold in options:
                key = threshold.text() if threshold else words.casefold()
                if key in seen:
                    continue
                seen.add(key)
                baseline = None
                if threshold is not None and _is_duration(threshold.unit):
                    baseline = baselines[0] if baselines else None
                criteria.append(
                    Criterion(
                        key=f"c{len(criteria) + 1}",
                        text=clause if threshold else words,
                        threshold=threshold,
                        baseline=baseline if baseline != (threshold.amount() if threshold else None) else None,
                        citation=f"qualification.{field}",
                    )
                )
    criteria = criteria[:MAX_CRITERIA]
    return criteria, [c.text for c in criteria if c.threshold is None]


def _is_duration(unit: str) -> bool:
    """A threshold in a time unit without a rate: a baseline said as a duration applies to it."""
    return unit in _SECONDS or unit + "s" in _SECONDS


def _owners(deal: DealFacts, record: Qualification) -> Owners:
    return Owners(
        rep=deal.owner_slack_id,
        sales_engineer=deal.sales_engineer_slack_id,
        customer=record.champion or record.contact_name,
    )


def _milestones(deal: DealFacts, owners: Owners, weeks: int, today: date, calendar: WorkingDays) -> list[Milestone]:
    """Kick-off on the next working day; sources connected in the first fifth; the workload run until three days
    before the end; the readout on the POC's last working day."""
    days = weeks * 5
    start = calendar.add(today, 1)
    connect = max(1, round(days / 5))
    workload = max(connect + 1, days - 3)
    readout = max(workload + 1, days - 1)
    se = owners.sales_engineer or deal.owner_slack_id
    pending = owners.sales_engineer is None
    customer = owners.customer
    return [
        Milestone(
            key="kickoff", title="POC kick-off", due=start, owner_slack_id=deal.owner_slack_id, customer_owner=customer
        ),
        Milestone(
            key="connect",
            title="POC: connect the data sources",
            due=calendar.add(start, connect),
            owner_slack_id=se,
            se_pending=pending,
            customer_owner=customer,
        ),
        Milestone(
            key="workload",
            title="POC: run the workload and measure the criteria",
            due=calendar.add(start, workload),
            owner_slack_id=se,
            se_pending=pending,
            customer_owner=customer,
        ),
        Milestone(
            key="readout",
            title="POC readout: the outcome per criterion",
            due=calendar.add(start, readout),
            owner_slack_id=deal.owner_slack_id,
            customer_owner=customer,
        ),
    ]


def _objectives(record: Qualification, criteria: list[Criterion]) -> list[str]:
    objectives = []
    if record.pain:
        objectives.append(f"Show that the pain is solved: {record.pain}")
    if criteria:
        objectives.append(f"Meet the {len(criteria)} success criteria below, measured on the customer's own data")
    if record.integrations:
        objectives.append(f"Connect {', '.join(record.integrations)} and run the customer's workload end to end")
    if record.economic_buyer:
        objectives.append(f"Give {record.economic_buyer} the evidence the decision needs")
    return objectives or ["Agree with the customer what the POC must show"]


def draft_poc_plan(deal: DealFacts, qualification: Qualification, today: date, calendar: WorkingDays) -> PocPlan:
    """The POC plan for this deal as of `today`, from its record; nothing in it is made up."""
    record = qualification
    weeks = record.poc_weeks or DEFAULT_WEEKS
    owners = _owners(deal, record)
    criteria, to_agree = _criteria(record)
    assumptions = [calendar.describe()]
    if record.poc_weeks is None:
        assumptions.insert(0, f"The POC's length is not recorded: assumed {DEFAULT_WEEKS} weeks.")
    questions = [f"Agree a measurable threshold for “{words}” with the customer." for words in to_agree]
    if not criteria:
        questions.append("No success criteria are recorded: agree measurable ones with the customer before kick-off.")
    if not record.integrations:
        questions.append("Which systems will the POC connect to? No integrations are recorded.")
    risks = []
    if owners.sales_engineer is None:
        risks.append(f"No sales engineer is assigned ({SE_TO_BE_ASSIGNED}): the rep holds the technical milestones.")
    if owners.customer is None:
        risks.append("Nobody on the customer's side is named to own the POC with us.")
    if record.competitors:
        risks.append(f"Competing evaluation: {', '.join(record.competitors)}.")
    if not record.economic_buyer:
        risks.append("No economic buyer is named: a passed POC may still not lead to a decision.")
    return PocPlan(
        deal_id=deal.id,
        drafted_on=today,
        weeks=weeks,
        weeks_assumed=record.poc_weeks is None,
        objectives=_objectives(record, criteria),
        criteria=criteria,
        data_sources=[DataSource(name=name) for name in record.integrations],
        milestones=_milestones(deal, owners, weeks, today, calendar),
        owners=owners,
        assumptions=assumptions,
        open_questions=questions,
        risks=risks,
    )


# The review's draft, and the plan read back from the reviewed draft --------------------------------

CRITERIA_SECTION = "Success criteria"


_OBJECTIVE_SOURCES = (
    ("Show that the pain", "qualification.pain"),
    ("Meet the", "qualification.metrics"),
    ("Connect", "qualification.integrations"),
    ("Give", "qualification.economic_buyer"),
)


def _objective_source(text: str) -> str | None:
    return next((source for prefix, source in _OBJECTIVE_SOURCES if text.startswith(prefix)), None)


def _owner_words(milestone: Milestone) -> str:
    """Who owns a milestone on our side, in words (a review card shows its text as written: no mentions)."""
    if milestone.se_pending:
        return f"the rep ({SE_TO_BE_ASSIGNED})"
    return "the rep" if milestone.key in ("kickoff", "readout") else "the sales engineer"


def review_sections(plan: PocPlan) -> list[dict[str, Any]]:
    """The plan as a technical review's sections (ReviewDraft-shaped): each item one line, cited with the record
    field it came from. Only the criteria are read back from the review; dates and owners stay the plan's."""
    length = None if plan.weeks_assumed else "qualification.poc_weeks"
    milestones = [
        {
            "text": f"{m.title}: due {m.due.isoformat()}, {_owner_words(m)}"
            + (f" with {m.customer_owner}" if m.customer_owner else ""),
            "citation": length,
        }
        for m in plan.milestones
    ]
    owners = plan.owners
    return [
        {"name": "Objectives", "items": [{"text": t, "citation": _objective_source(t)} for t in plan.objectives]},
        {"name": CRITERIA_SECTION, "items": [{"text": c.line(), "citation": c.citation} for c in plan.criteria]},
        {"name": "Data sources", "items": [{"text": s.name, "citation": s.citation} for s in plan.data_sources]},
        {"name": "Timeline", "items": milestones},
        {
            "name": "Owners",
            "items": [
                {"text": "Rep: the deal's owner", "citation": None},
                {
                    "text": "Sales engineer: "
                    + ("the deal's sales engineer" if owners.sales_engineer else SE_TO_BE_ASSIGNED),
                    "citation": None,
                },
                {
                    "text": f"Customer: {owners.customer or 'to be named'}",
                    "citation": "qualification.champion" if owners.customer else None,
                },
            ],
        },
    ]


def criterion_from_line(key: str, line: str, citation: str | None = None) -> Criterion:
    """A criterion from one line as written (the SE may edit them): its threshold if the line states one."""
    line = line.strip()
    if line.endswith(f"— {TO_AGREE}") or line.endswith(f"- {TO_AGREE}"):
        return Criterion(key=key, text=line.rsplit(TO_AGREE, 1)[0].rstrip(" —-"), citation=citation)
    baseline = None
    if found := re.search(r"\s*\(today:\s*([^)]+)\)\s*$", line):
        baseline, line = found[1].strip(), line[: found.start()]
    thresholds = thresholds_in(line)
    if not thresholds:
        return Criterion(key=key, text=line, citation=citation)
    return Criterion(key=key, text=line, threshold=thresholds[0], baseline=baseline, citation=citation)


def plan_from_review(plan: PocPlan, result: dict[str, Any]) -> PocPlan:
    """The plan as the review left it: its criteria lines (edited or not) read again, and the reviewer's
    assumptions, open questions and risks added. Dates and owners stay the plan's."""
    sections = {section.get("name"): section for section in result.get("sections") or []}
    criteria = plan.criteria
    if CRITERIA_SECTION in sections:
        items = sections[CRITERIA_SECTION].get("items") or []
        criteria = [
            criterion_from_line(f"c{index + 1}", str(item.get("text") or ""), item.get("citation"))
            for index, item in enumerate(items)
            if str(item.get("text") or "").strip()
        ][:MAX_CRITERIA]

    def merged(mine: list[str], theirs: Any) -> list[str]:
        return list(dict.fromkeys([*mine, *(str(t) for t in theirs or [])]))

    return plan.model_copy(
        update={
            "criteria": criteria,
            "assumptions": merged(plan.assumptions, result.get("assumptions")),
            "open_questions": merged(plan.open_questions, result.get("open_questions")),
            "risks": merged(plan.risks, result.get("risks")),
        }
    )


def with_sales_engineer(plan: PocPlan, sales_engineer: str | None) -> PocPlan:
    """The plan once a sales engineer is known (the deal's, or the one who reviewed it): the technical milestones the
    rep held for them are theirs."""
    if sales_engineer is None or plan.owners.sales_engineer is not None:
        return plan
    milestones = [
        m.model_copy(update={"owner_slack_id": sales_engineer, "se_pending": False}) if m.se_pending else m
        for m in plan.milestones
    ]
    return plan.model_copy(
        update={
            "owners": plan.owners.model_copy(update={"sales_engineer": sales_engineer}),
            "milestones": milestones,
            "risks": [risk for risk in plan.risks if SE_TO_BE_ASSIGNED not in risk],
        }
    )


_COMPARE = {
    "≤": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "≥": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "=": lambda a, b: a == b,
}


def _measured_against(threshold: Threshold, measured: str) -> bool | None:
    """Whether the measured value meets the threshold; None when it cannot be told (no number, another unit)."""
    found = [q for q in _quantities(measured) if not q.poc_length]
    if not found:
        return None
    quantity = found[0]
    if _is_duration(threshold.unit) and quantity.kind == "time" and not quantity.rate:
        unit = threshold.unit if threshold.unit in _SECONDS else threshold.unit + "s"
        value, target = _in_seconds(quantity), threshold.value * _SECONDS[unit]
    elif threshold.unit in ("%", "% reduction") and quantity.kind == "percent":
        value, target = quantity.value, threshold.value
    elif quantity.unit == threshold.unit:
        value, target = quantity.value, threshold.value
    else:
        return None
    if value is None:
        return None
    return bool(_COMPARE[threshold.comparator](value, target))


def contradiction(criterion: Criterion, outcome: str, measured: str | None) -> str | None:
    """Why the value measured contradicts the outcome chosen (met, yet 22 minutes against ≤ 15 minutes); None when
    it agrees or cannot be compared."""
    if criterion.threshold is None or not measured or outcome not in ("met", "not_met"):
        return None
    meets = _measured_against(criterion.threshold, measured)
    if meets is None or meets == (outcome == "met"):
        return None
    verb = "does not meet" if outcome == "met" else "meets"
    other = "not met" if outcome == "met" else "met"
    return f"{measured} {verb} {criterion.threshold.text()}: choose {other}, or correct the value."
