"""Numbers reps write: money ("$180k", "EUR 250,000", "150-200k budget") and seat counts ("1.2k users").

Budget rule: an amount is the budget when a budget word ("budget", "approved", "to spend",
"max", ...) sits next to it in the same clause; otherwise the only amount written with a
currency. A range gives its upper bound ("150-200k" -> 200,000: what the customer said it can
reach). A bare amount without a currency is USD. Revenue, discounts, list prices, per-seat
prices, approval thresholds and what they pay a vendor today are not budgets.

Seat rule: explicit seat words ("250 seats", "seat count is 75") outrank people who "will use
it", which outrank a team size, which outranks a bare role count ("25 marketers"). Company
size ("2,500 employees") and hedged futures ("350 eventually") are never the seat count when
anything better is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from agents.offline.clauses import Clause, clause_at

# "1,200,000" / "240.000" (European thousands) / "1.2"
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3})+(?![\d.,]\d)|\d+(?:\.\d+)?"
_MULT = r"mm|MM|mn|bn|k|K|m|M|b|B|million|mil|thousand|grand|billion"
MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "grand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "mn": 1_000_000,
    "mil": 1_000_000,
    "million": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
_SYMBOL = r"US\$|CA\$|C\$|AU\$|A\$|NZ\$|S\$|\$|€|£"
SYMBOLS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "ca$": "CAD", "c$": "CAD", "a$": "AUD", "au$": "AUD"}
SYMBOLS |= {"nz$": "NZD", "s$": "SGD"}
_CODE = r"USD|EUR|GBP|CAD|AUD|NZD|CHF|SGD|JPY|INR|SEK|NOK|DKK|BRL|MXN|AED|ZAR"
_CURRENCY_WORD = r"dollars?|bucks|euros?|pounds?(?:\s+sterling)?|quid"
CURRENCY_WORDS = {"dollar": "USD", "buck": "USD", "euro": "EUR", "pound": "GBP", "quid": "GBP"}
_RANGE = r"\s?(?:-|–|to)\s?"

_MONEY = re.compile(
    # $180k, €95k, A$60k, $150-200k
    rf"(?P<sym>{_SYMBOL})\s?(?P<n1>{_NUMBER})(?:\s?(?P<m1>{_MULT}))?(?!\w)"
    rf"(?:{_RANGE}(?:{_SYMBOL})?\s?(?P<n2>{_NUMBER})(?:\s?(?P<m2>{_MULT}))?(?!\w))?"
    # EUR 250k, CAD 80k
    rf"|(?<![\w])(?P<code>{_CODE})\s?(?P<n3>{_NUMBER})(?:\s?(?P<m3>{_MULT}))?(?!\w)"
    rf"(?:{_RANGE}(?P<n4>{_NUMBER})(?:\s?(?P<m4>{_MULT}))?(?!\w))?"
    # 180,000 USD, 250k eur, 95.000 €, 200 thousand dollars, 1.5 million euros
    rf"|(?<![\w.,])(?P<n5>{_NUMBER})(?:\s?(?P<m5>{_MULT}))?(?:{_RANGE}(?P<n6>{_NUMBER})(?:\s?(?P<m6>{_MULT}))?)?"
    rf"\s?(?:(?P<sym2>€|£|\$)|(?P<code2>{_CODE})(?![\w])|(?P<word>{_CURRENCY_WORD})(?![\w]))"
    # 90k, 1.2M, 150-200k: currency unknown
    rf"|(?<![\w.,$€£])(?P<n7>{_NUMBER})(?:\s?(?P<m7>{_MULT}))?{_RANGE}(?P<n8>{_NUMBER})\s?(?P<m8>{_MULT})(?![\w])"
    rf"|(?<![\w.,$€£])(?P<n9>{_NUMBER})\s?(?P<m9>{_MULT})(?![\w])",
    re.IGNORECASE,
)
# Codes are case-insensitive in text ("250k eur"), multipliers are not: "5 m" is not 5 million
# unless written "5M"/"5m" right after the number, which the pattern above requires.


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str | None  # None: a bare number with k/M, currency unknown
    start: int
    end: int
    text: str


def to_decimal(number: str, multiplier: str | None = None) -> Decimal | None:
    """A number as written, as a Decimal: "1,200" -> 1200, "240.000" -> 240000, "1.2" + "M" -> 1200000."""
    if not multiplier and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number):
        number = number.replace(".", "")
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    if multiplier:
        value *= MULTIPLIERS[multiplier.lower()]
    return value


def _currency(groups: dict[str, str | None]) -> str | None:
    for key in ("sym", "sym2"):
        if groups[key]:
            return SYMBOLS[groups[key].lower()]
    for key in ("code", "code2"):
        if groups[key]:
            return groups[key].upper()
    if groups["word"]:
        return CURRENCY_WORDS[re.sub(r"s?(?:\s+sterling)?$", "", groups["word"].lower())]
    return None


def amounts(text: str) -> list[Amount]:
    """Every money-like amount; a range gives its upper bound."""
    found = []
    for match in _MONEY.finditer(text):
        g = match.groupdict()
        # Which alternative matched: its (low, low multiplier, high, high multiplier) groups.
        low, low_mult, high, high_mult = next(
            names
            for names in (
                ("n1", "m1", "n2", "m2"),
                ("n3", "m3", "n4", "m4"),
                ("n5", "m5", "n6", "m6"),
                ("n7", "m7", "n8", "m8"),
                ("n9", "m9", None, None),
            )
            if g[names[0]]
        )
        if high and g[high]:
            # "150-200k": the multiplier written once applies to both ends.
            number, multiplier = g[high], g[high_mult] or g[low_mult]
        else:
            number, multiplier = g[low], g[low_mult]
        value = to_decimal(number, multiplier)
        if value is None or value <= 0:
            continue
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))  # "1.2M" is 1200000, not 1200000.0
        found.append(Amount(value, _currency(g), match.start(), match.end(), match.group(0).strip()))
    return found


_BUDGET_CUE = re.compile(
    r"\b(?:budget\w*|budjet\w*|bugdet\w*|buget\w*|spend|spending|allocated|approved|earmarked|set aside|funding|funded|"
    r"can pay|willing to pay|cap|capped|ceiling|max|maximum|at most|at the most|tops|(?:not|no) more than|no higher than|"
    r"not above|not over|afford|ballpark|money for|has|have|got|"
    r"signing authority|pot|envelope|wallet)\b",
    re.IGNORECASE,
)
# Cue words that are weak alone ("has $90k" is a budget, "has 3 data centers" is not): they
# only bind an amount written right after them.
_WEAK_CUES = frozenset({"has", "have", "got"})
_NOT_BUDGET_BEFORE = re.compile(
    r"(?:\b(?:revenue|turnover|ARR|raised|valuation|round|series [a-f]|list(?: price)?|at list|is list|"
    r"price|priced|quote[ds]?|quoting|costs? them|losing|lost|lose|fines?|penalt\w*|saved?|savings?|"
    r"(?<!not )(?<!no )(?:above|over|more than)|exceeds?|threshold|anything (?:above|over)|per|discount\w*|paying|pays?|"
    r"renewal (?:is|at|of)|contract (?:is|was) (?:worth|for))\b[^.;,]{0,25})$",
    re.IGNORECASE,
)
_NOT_BUDGET_AFTER = re.compile(
    r"^\s*(?:%|percent|pct|off\b|discount|ARR|revenue|in revenue|turnover|valuation|raise|round|"
    r"(?:/|per|a|an|each)\s*(?:seat|user|licen[cs]e|month|head)|seats?|users?|licen[cs]es?|employees|people|"
    r"events?|records?|rows?|messages?|tables?|[TG]B\b|(?:/|per )(?:s|sec|second|min|minute|hour|day)\b|rps|tps|"
    r"(?:a year |per year )?today|at list)",
    re.IGNORECASE,
)
# What they pay a vendor today is not what they budget for us.
_CURRENT_SPEND = re.compile(
    r"(?<!can )(?<!could )\b(?:spend|spends|spending|pay|pays|paying)\b[^.;]{0,40}\b(?:today|currently|right now|at the moment)\b"
    r"|\b(?:currently|today|right now)\b[^.;]{0,20}\b(?:spend|spends|spending|pay|pays|paying)\b",
    re.IGNORECASE,
)
_BUDGET_TOPIC = re.compile(r"\b(?:budget\w*|budjet|bugdet|funding|spend)\b", re.IGNORECASE)
_CLAUSE_CURRENCY = re.compile(
    rf"(?<![\w])(?P<code>{_CODE})(?![\w])|\b(?P<word>{_CURRENCY_WORD})\b|(?P<sym>€|£)", re.IGNORECASE
)


def _bound_to_cue(clause: Clause, amount: Amount) -> bool:
    """A budget word in the same clause, close before ("budget is $180k") or right after ("$200k budget")."""
    before = clause.text[max(0, amount.start - clause.start - 45) : amount.start - clause.start]
    after = clause.text[amount.end - clause.start : amount.end - clause.start + 30]
    for cue in _BUDGET_CUE.finditer(before):
        if cue.group(0).lower() not in _WEAK_CUES or not before[cue.end() :].strip(" ~:$€£"):
            return True
    first_after = _BUDGET_CUE.search(after)
    return bool(first_after and first_after.group(0).lower() not in _WEAK_CUES and first_after.start() <= 25)


def budget(text: str, parts: list[Clause], seat_spans: list[tuple[int, int]]) -> tuple[Amount, str] | None:
    """The budget the text states, with its currency, or None."""
    bound: list[Amount] = []
    currencied: list[Amount] = []
    bare: list[Amount] = []
    for amount in amounts(text):
        if any(start <= amount.start < end for start, end in seat_spans):
            continue
        clause = clause_at(parts, amount.start)
        before = clause.text[max(0, amount.start - clause.start - 40) : amount.start - clause.start]
        after = clause.text[amount.end - clause.start : amount.end - clause.start + 40]
        if _NOT_BUDGET_AFTER.match(after) or re.match(r"^\s*(?:%|percent|seats?|users?|licen)", after, re.I):
            continue
        if _CURRENT_SPEND.search(clause.text) and not re.search(r"\bbudget", clause.text, re.IGNORECASE):
            continue
        cued = _bound_to_cue(clause, amount)
        if _hard_exclusion(before) or (_NOT_BUDGET_BEFORE.search(before) and not cued):
            continue
        if cued:
            bound.append(amount)
        elif amount.currency is not None:
            currencied.append(amount)
        else:
            bare.append(amount)
    if not bound and not currencied and len({a.value for a in bare}) == 1 and _BUDGET_TOPIC.search(text):
        # "budget is not approved yet but the VP said something like 250k": one amount, and the
        # message is about the budget.
        bound = bare
    chosen = bound[-1] if bound else (currencied[0] if len({a.value for a in currencied}) == 1 else None)
    if chosen is None:
        return None
    return chosen, chosen.currency or _currency_in_clause(clause_at(parts, chosen.start)) or "USD"


def _hard_exclusion(before: str) -> bool:
    """Contexts that rule out a budget even next to a budget word ("revenue", "per seat", "list", "spent")."""
    return bool(
        re.search(
            r"\b(?:revenue|turnover|ARR|valuation|per|list(?: price)?|at list|discount\w*)\b[^.;,]{0,25}$", before, re.I
        )
        or re.search(
            r"\b(?:spent|paid|were paying|was costing|cost them|costs them)\s+(?:about |around |roughly |~|over |almost )?$",
            before,
            re.I,
        )
    )


def _currency_in_clause(clause: Clause) -> str | None:
    """A bare "200-250k" takes the currency written elsewhere in its clause ("(USD)")."""
    found = set()
    for match in _CLAUSE_CURRENCY.finditer(clause.text):
        if match["code"]:
            found.add(match["code"].upper())
        elif match["word"]:
            found.add(CURRENCY_WORDS[re.sub(r"s?(?:\s+sterling)?$", "", match["word"].lower())])
        elif match["sym"]:
            found.add(SYMBOLS[match["sym"]])
    return found.pop() if len(found) == 1 else None


# ---- seats ---------------------------------------------------------------------------------

_SEAT_UNITS = r"(?:named |concurrent |end[- ]|power |active )?(?:user|usr)s?|seats?|(?:user |seat )?licen[cs]es?|lisences?|logins?|user accounts?"
_ROLE_UNITS = (
    r"engineers?|developers?|devs|data engineers?|analysts?|data scientists?|scientists?|architects?|admins?|"
    r"administrators?|operators?|agents?|reps|sellers?|salespeople|marketers?|clinicians?|nurses?|doctors?|"
    r"physicians?|pharmacists?|supervisors?|managers?|associates?|consultants?|accountants?|traders?|students?|"
    r"teachers?|technicians?|drivers?|dispatchers?|planners?|members?|team members?|contractors?|SREs|testers?|"
    r"ops people|ops folks|stewards?|controllers?|underwriters?|adjusters?|brokers?|buyers?|researchers?"
)
_HEADCOUNT_UNITS = r"employees?|staff(?:ers)?|people|persons|ppl|folks|FTEs?|heads|workers|workforce|headcount"
_NUM_K = rf"(?P<n>{_NUMBER})\s?(?P<k>[kK])?\+?"
_COUNT = re.compile(
    rf"(?<![\w$€£.,/-])(?P<approx>~\s?|about |around |roughly |approx\.? |approximately |some |up to |only |just )?"
    rf"{_NUM_K}(?:\s?(?:→|->|=>)\s?(?P<n2>{_NUMBER})\s?(?P<k2>[kK])?)?"
    rf"[\s-]+(?P<adj>(?:[A-Za-z][\w&/-]*\s+){{0,2}}?)(?P<unit>{_SEAT_UNITS}|{_ROLE_UNITS}|{_HEADCOUNT_UNITS})(?![\w-])",
    re.IGNORECASE,
)
_COUNT_AFTER_NOUN = re.compile(
    rf"(?<![\w])(?<!\d\s)(?P<noun>seat count|seats?|users?|user count|licen[cs]e count|licen[cs]es?|headcount for (?:the|this) tool|"
    rf"number of (?:seats|users|licen[cs]es))\s*(?:is|are|=|:|of|will be|at|now|-|(?:(?:is|has|have)\s+)?(?:dropped|went|gone|going|"
    rf"increased|decreased|grew|grown|moved|changed|reduced|cut|bumped|revised|raised|lowered)(?:\s+(?:up|down))?\s+to)?\s*(?:about|around|roughly|approx\.?|~|≈)?\s*"
    rf"{_NUM_K}(?:\s?(?:→|->|=>|to)\s?(?P<n2>{_NUMBER})\s?(?P<k2>[kK])?)?"
    rf"(?![\w%$€£]|[.,]\d|\s?(?:%|percent|k\b|m\b|dollars|usd|eur)|\s*(?:years?|yrs?|months?|weeks?|days?|regions?)\b)",
    re.IGNORECASE,
)
# "75 x HS-ENT", "75 × Business seats", "HS-BUS x 40": a quantity of a seat SKU.
_SKU_QUANTITY = re.compile(
    rf"(?<![\w.,$€£])(?:{_NUM_K}\s*(?:x|×|\*)\s*(?:HS-(?:TEAM|BUS|ENT|GOV)|Team|Business|Enterprise|Government)\b"
    rf"|(?:HS-(?:TEAM|BUS|ENT|GOV))\s*(?:x|×|\*)\s*(?P<n2>{_NUMBER})\s?(?P<k2>[kK])?(?![\w.,]\d))",
    re.IGNORECASE,
)
_TEAM_OF = re.compile(rf"\b(?:team|group|org|department|unit) of (?:about |around |~)?{_NUM_K}(?![\w%])", re.IGNORECASE)
_N_PERSON = re.compile(rf"(?<![\w.,])(?:a |the )?{_NUM_K}[- ](?:person|people|strong|member)\b", re.IGNORECASE)
_OF_THEM = re.compile(
    rf"(?<![\w.,$€£])(?:only |just |about |around |~)?{_NUM_K} of (?:them|those|these|the \w+)\b", re.I
)
_NEED = re.compile(
    rf"(?<![\w.,$€£])(?:only |just |about |around |~)?{_NUM_K}\s+(?:of them\s+|people\s+)?(?:will |would |'ll )?"
    rf"(?:need|needs|get|use|require)\s+(?:access|a seat|seats|licen[cs]es|logins?|accounts|to use it|to log in|it)\b",
    re.IGNORECASE,
)
_TOTAL = re.compile(rf"(?<![\w.,$€£])(?:about |around |roughly |~)?{_NUM_K} (?:total|in total|overall|all in)\b", re.I)
_USE = re.compile(
    r"\b(?:will|would|'ll|'d|to|who|that|which|all|each|going to)?\s*(?:use|using|need|needs|get|gets|be on|log ?in|"
    r"have access|access|work in|be onboarded|onboard|require|want|sign in)\b",
    re.IGNORECASE,
)
_HEDGE_BEFORE = re.compile(
    r"\b(?:maybe|might|could|potentially|eventually|grow(?:ing)? to|expand(?:ing)? to|add(?:ing)?|another|"
    r"later|future|not|instead of|rather than|was|were|from)\s+(?:\w+\s+){0,1}$",
    re.IGNORECASE,
)
_HEDGE_AFTER = re.compile(
    r"^(?:(?!\b(?:and|but|then|so|plus)\b)[^.;\d]){0,30}\b(?:eventually|later|next year|by next year|in year (?:two|2|three|3)|over time|down the road|"
    r"with contractors|potentially|at full rollout|long[- ]term|in phase (?:2|two))\b",
    re.IGNORECASE,
)
_SEATS_FOR = re.compile(
    r"\b(?:seats?|licen[cs]es?|logins?|accounts?|access|plan|edition|tier|subscription)\s+for\s+(?:about\s+|around\s+|~|the\s+)?$",
    re.I,
)
# A pilot's users are not the deal's seats: "pilot with 20 users, full rollout to 500".
_PILOT_BEFORE = re.compile(r"\b(?:pilot|POC|proof of concept|trial|test group|beta)\b[^.;,]{0,25}$", re.I)
_ROLLOUT = re.compile(
    rf"\b(?:roll(?:ing)?[- ]?out|rollout|expand(?:ing)?|go(?:ing)? live|scale|scaling)\s+(?:it\s+)?to\s+(?:all\s+)?"
    rf"(?:about |around |~)?{_NUM_K}(?![\w%$€£.,]|[.,]\d)",
    re.I,
)
# "Finance (120 users) and Supply Chain (80 users)", "Frankfurt (about 200) and Boston (about 100)".
_BREAKDOWN = re.compile(
    rf"(?<=[A-Za-z])\s*\(\s*(?:about |around |roughly |~)?{_NUM_K}\s*(?P<unit>users?|seats?|people|ppl|licen[cs]es)?\s*\)",
    re.I,
)
_COMPANY_AFTER = re.compile(r"^[\s-]*(?:company|org|organi[sz]ation|firm|business|enterprise|shop|strong)\b", re.I)
_COMPANY_SIZE = re.compile(
    r"\b(?:company|companies|org|organi[sz]ation|firm|enterprise|business|they)\s+(?:has|have|with|of)\s*$", re.I
)


@dataclass(frozen=True)
class Count:
    value: int
    start: int
    end: int
    text: str
    rank: int  # 4 seat words, 3 people who will use it, 2 a team, 1 a role count, 0 company size

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


def _int(number: str, k: str | None) -> int | None:
    value = to_decimal(number, "k" if k else None)
    if value is None or value != value.to_integral_value() or not 1 <= value <= 10_000_000:
        return None
    return int(value)


def _is_hedged(text: str, clause: Clause, start: int, end: int) -> bool:
    before = text[max(clause.start, start - 30) : start]
    after = text[end : min(clause.end, end + 40)]
    return bool(_HEDGE_BEFORE.search(before) or _HEDGE_AFTER.match(after))


def _uses_it(text: str, clause: Clause, end: int) -> bool:
    """A use verb follows before any other number: "90 pharmacists and analysts would use it"."""
    after = re.split(r"\d", text[end : min(clause.end, end + 50)], maxsplit=1)[0]
    return bool(_USE.search(after))


def seat_counts(text: str, parts: list[Clause]) -> list[Count]:
    """Every count of people or seats, ranked by how surely it is the number of seats."""
    counts: list[Count] = []

    def add(value: int | None, start: int, end: int, rank: int) -> None:
        if value is None or any(c.start <= start < c.end or start <= c.start < end for c in counts):
            return
        clause = clause_at(parts, start)
        if _is_hedged(text, clause, start, end):
            rank = -1
        elif _PILOT_BEFORE.search(text[clause.start : start]):
            rank = min(rank, 1)
        counts.append(Count(value, start, end, text[start:end], rank))

    for match in _COUNT_AFTER_NOUN.finditer(text):
        value = _int(match["n2"], match["k2"]) if match["n2"] else _int(match["n"], match["k"])
        add(value, match.start(), match.end(), 4)
    for match in _COUNT.finditer(text):
        clause = clause_at(parts, match.start())
        unit = match["unit"].lower()
        value = _int(match["n2"], match["k2"]) if match["n2"] else _int(match["n"], match["k"])
        if re.fullmatch(_SEAT_UNITS, unit, re.IGNORECASE) or _SEATS_FOR.search(text[: match.start()]):
            rank = 4  # "250 seats", "licences for 80 people"
        elif _uses_it(text, clause, match.end()):
            rank = 3
        elif _COMPANY_SIZE.search(text[: match.start()]) or _COMPANY_AFTER.match(text[match.end() :]):
            rank = 0
        elif re.fullmatch(_HEADCOUNT_UNITS, unit, re.IGNORECASE):
            # "(12 people)" may be the users; "2,500 employees" is the company.
            rank = 1 if unit in ("people", "ppl", "folks") else 0
        else:
            rank = 1
        add(value, match.start("approx") if match["approx"] else match.start("n"), match.end(), rank)
    for match in _SKU_QUANTITY.finditer(text):
        value = _int(match["n"], match["k"]) if match["n"] else _int(match["n2"], match["k2"])
        add(value, match.start(), match.end(), 4)
    for pattern, rank in ((_NEED, 3), (_ROLLOUT, 3), (_OF_THEM, 3), (_TOTAL, 3), (_TEAM_OF, 2), (_N_PERSON, 2)):
        for match in pattern.finditer(text):
            clause = clause_at(parts, match.start())
            if pattern is _OF_THEM and not _uses_it(text, clause, match.end()):
                continue
            if pattern is _TOTAL and not re.search(r"\b(?:users?|seats?|people|licen)", clause.text, re.I):
                continue
            add(_int(match["n"], match["k"]), match.start(), match.end(), rank)
    _add_sums(text, counts)
    _add_breakdowns(text, counts)
    _add_labelled_lists(text, counts)
    return sorted(counts, key=lambda c: c.start)


_LABEL_LIST = re.compile(r"\b(?:users?|seats?|licen[cs]es|headcount)\s*:\s*(?P<items>[^.;\n]+)", re.IGNORECASE)
_LIST_ITEM = re.compile(
    rf"(?:[A-Za-z)]\s+)(?P<n>{_NUMBER})\s?(?P<k>[kK])?(?=\s*(?:,|and\b|&|\+|$))"  # "India 400, Poland 150"
    rf"|(?<![\w.,])(?P<n2>{_NUMBER})\s?(?P<k2>[kK])?\s+(?:in|at|from)\s+[A-Z]"  # "120 in Dublin, 40 in Boston"
)


def _add_labelled_lists(text: str, counts: list[Count]) -> None:
    """Per-place counts under one label add up: "Users: India (Hyderabad) 400, Poland (Krakow) 150"."""
    for label in _LABEL_LIST.finditer(text):
        items = list(_LIST_ITEM.finditer(label["items"]))
        values = [_int(item["n"], item["k"]) if item["n"] else _int(item["n2"], item["k2"]) for item in items]
        if len(items) < 2 or None in values:
            continue
        start, end = label.start("items") + items[0].start(), label.start("items") + items[-1].end()
        for count in [c for c in counts if start <= c.start < end]:
            counts.remove(count)
        counts.append(Count(sum(v for v in values if v), label.start(), end, text[label.start() : end], 4))


def _unit(words: str) -> str:
    return words.split()[-1].lower().rstrip("s") if words.split() else ""


def _add_breakdowns(text: str, counts: list[Count]) -> None:
    """Groups listed with their user counts in parentheses, in one sentence, add up."""
    sentences = [m.span() for m in re.finditer(r"[^.;!?\n]+", text)]
    for start, end in sentences:
        groups = list(_BREAKDOWN.finditer(text, start, end))
        sentence = text[start:end]
        if len(groups) < 2 or not (
            all(g["unit"] for g in groups) or re.search(r"\b(?:users?|seats?|people|licen[cs]es)\b", sentence, re.I)
        ):
            continue
        values = [_int(g["n"], g["k"]) for g in groups]
        if None in values:
            continue
        for count in [c for c in counts if start <= c.start < end]:
            counts.remove(count)
        span = (groups[0].start(), groups[-1].end())
        counts.append(Count(sum(v for v in values if v), *span, text[span[0] : span[1]], 4))


def _add_sums(text: str, counts: list[Count]) -> None:
    """Groups joined by "+"/"and" add up: "140 clinicians + 20 IT staff will need logins"."""
    merged: list[Count] = []
    for count in sorted(counts, key=lambda c: c.start):
        if merged and _same_users(text, merged[-1], count):
            first = merged.pop()
            count = Count(
                first.value + count.value,
                first.start,
                count.end,
                text[first.start : count.end],
                max(first.rank, count.rank),
            )
        merged.append(count)
    counts[:] = merged


def _same_users(text: str, first: Count, second: Count) -> bool:
    """Two counts that together are the users: both will use it, or two different roles listed together."""
    if not re.fullmatch(r"\s*(?:\+|&|and|plus)\s*", text[first.end : second.start]) or first.rank < 1:
        return False
    if second.rank == 3 and first.rank <= 3:
        return True
    return first.rank == second.rank < 4 and _unit(first.text) != _unit(second.text)


def seats(text: str, parts: list[Clause]) -> Count | None:
    """The seat count: the best-ranked count, the last one written among equals (corrections come later)."""
    counts = seat_counts(text, parts)
    if not counts:
        return None
    best = max(c.rank for c in counts)
    if best <= 0:
        return None  # only company size or hedged futures: no seat count was given
    return [c for c in counts if c.rank == best][-1]
