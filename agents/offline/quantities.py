"""Numbers reps write: money ("$180k", "EUR 250,000", "150-200k budget") and seat counts ("1.2k users").

Budget rule: an amount is the budget when a budget word ("budget", "approved", "to spend",
"max", ...) sits next to it in the same clause; otherwise the only amount written with a
currency. A range gives its upper bound ("150-200k" -> 200,000: what the customer said it can
reach). A bare amount without a currency is USD. Revenue, discounts, list prices and per-seat
prices are not budgets. Each budget says where it comes from: `stated` (a budget they have),
`sign_off_threshold` ("anything under $200k doesn't need the board": the most someone signs
alone) or `incumbent_spend` ("they pay Fivetran ~$250k/yr"); a stated budget in the same message
wins over the other two. Its period is what the words around it say: `annual` ("/yr", "a year",
"p.a.", "annual budget"), `total` with its years ("1.2M over 3 years", "€500k total"), `one_off`
("one-off", "one-time"); nothing when nothing is said.

Seat rule: explicit seat words ("250 seats", "seat count is 75") outrank people who "will use
it", which outrank a team size, which outranks a bare role count ("25 marketers"). Company
size ("2,500 employees") and hedged futures ("350 eventually") are never the seat count when
anything better is written. A correction ("actually 400 not 300", "make that 320") replaces
the count known so far even without a unit. Expansion ("300 now, 3,000 at full rollout", "start
w/ 200, could be 1500 if the other BUs join") is the seat count at full rollout, apart from the
seats bought now. Spelled numbers count ("twelve hundred seats").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from agents.offline.clauses import Clause, clause_at, is_negated
from deals.qualification import BudgetPeriod, BudgetSource

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
    r"signing authority|pot|envelope|wallet|"
    # "OK with 200k over three years", "they can spend about 12k a month": an amount they accept paying.
    r"(?:ok|okay|fine|comfortable|happy) with|can (?:spend|do|stretch to|go (?:up )?to)|could (?:spend|do|stretch to))\b",
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


@dataclass(frozen=True)
class BudgetReading:
    """A budget figure as the text gives it: the amount, its currency, period and source."""

    amount: Amount
    currency: str
    period: BudgetPeriod | None
    years: int | None
    source: BudgetSource


_NUMBER_WORD = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "a": 1, "an": 1}  # fmt: skip
_YEARS = r"(?P<years>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
_ANNUAL_AFTER = re.compile(
    r"^\s*(?:(?:/|per|a|an|each|every)\s*(?:yr|year|annum|y)\b|p\.?\s?a\.?(?!\w)|pa\b|annually\b|yearly\b|annual\b|"
    r"(?:for|in) (?:the )?(?:first year|year (?:one|1))\b)",
    re.IGNORECASE,
)
_ANNUAL_BEFORE = re.compile(
    r"\b(?:annual(?:ly)?|yearly|per year|a year|per annum|(?:each|every) year|run[- ]rate)\b[^.;\d$€£]{0,25}$", re.I
)
_PER_YEARS = _YEARS.replace("<years>", "<per_years>")  # "EUR 200k / 3 years"
_TOTAL_AFTER = re.compile(
    rf"^\s*(?:(?:in\s+)?total\b)?[\s,]*(?:(?:over|across|for|spread over|covering)\s+(?:the\s+)?(?:next\s+|first\s+)?"
    rf"{_YEARS}[\s-]*(?:years?|yrs?|y)\b|/\s*{_PER_YEARS}\s*(?:years?|yrs?|y)\b|(?:in\s+)?total\b|all[- ]in\b|TCV\b)",
    re.IGNORECASE,
)
_TOTAL_BEFORE = re.compile(
    rf"(?:\b{_YEARS}[\s-]*(?:years?|yrs?|y)\b[\s-]*(?:total|budget|deal|contract|TCV|commitment|envelope)?"
    rf"|\btotal|\bTCV)\b[^.;\d$€£]{{0,25}}$",
    re.IGNORECASE,
)
_ONE_OFF = re.compile(r"\bone[- ]?(?:off|time)\b|\bonce[- ]off\b|\bnon[- ]recurring\b|\bsingle payment\b", re.I)
# "anything under $200k doesn't need the board", "she can approve up to $150k", "above €100k needs the CFO".
_THRESHOLD_BEFORE = re.compile(
    r"\b(?:anything|everything|deals?|spend|purchases?|contracts?|amounts?)?\s*(?:under|below|up to|over|above|more than|"
    r"less than|beyond|exceeding|north of)\s*(?:about\s+|~)?$"
    r"|\b(?:threshold|limit|authority|sign[- ]?off|signing)\s+(?:is\s+|of\s+|at\s+|up to\s+)?(?:about\s+|~)?$",
    re.IGNORECASE,
)
_APPROVAL = re.compile(
    r"\b(?:approv\w*|sign\w*|sign[- ]off|board|CFO|CEO|COO|CIO|CTO|VP|director|escalat\w*|authority|threshold|"
    r"limit|needs?|requires?|goes to|on (?:her|his|their) own|alone)\b",
    re.IGNORECASE,
)
# What they pay the vendor being replaced: "they pay Fivetran ~$250k/yr", "their MuleSoft renewal is $300k".
_INCUMBENT_SPEND_BEFORE = re.compile(
    r"(?<!can )(?<!could )(?<!willing to )(?<!able to )\b(?:pay|pays|paying|spend|spends|spending|costs? (?:them|us)|"
    r"renewal|bill|invoice|contract|licen[cs]e|subscription)\b[^.;]{0,35}$",
    re.IGNORECASE,
)
_INCUMBENT_SPEND_AFTER = re.compile(
    r"^[^.;]{0,25}\b(?:on|to|for|with)\s+(?:it|them|that|(?:their|the)\s+(?:current|existing|legacy)|[A-Z][\w.-]+)"
    r"|^[^.;]{0,25}\b(?:today|currently|right now|at the moment|now)\b",
)
_SOURCE_RANK = {"stated": 3, "incumbent_spend": 2, "sign_off_threshold": 1}


def _years(word: str | None) -> int | None:
    if not word:
        return None
    value = int(word) if word.isdigit() else _NUMBER_WORD.get(word.lower())
    return value if value and 1 <= value <= 10 else None


def budget_period(text: str, clause: Clause, amount: Amount) -> tuple[BudgetPeriod | None, int | None]:
    """(annual|total|one_off|None, years) from the words around an amount in its clause."""
    before = clause.text[max(0, amount.start - clause.start - 40) : amount.start - clause.start]
    after = clause.text[amount.end - clause.start : amount.end - clause.start + 45]
    near = before[-40:] + " " + after[:30]
    if _ONE_OFF.search(near):
        return "one_off", None
    if _ANNUAL_AFTER.match(after):
        return "annual", None
    total = _TOTAL_AFTER.match(after) or _TOTAL_BEFORE.search(before)
    if total:
        return "total", _years(total["years"] or total.groupdict().get("per_years"))
    if _ANNUAL_BEFORE.search(before):
        return "annual", None
    return _period_later_in_sentence(text, amount)


_PERIOD_LATER = re.compile(
    rf"\b(?:(?P<total>total|all[- ]in)|(?:over|across|for|spread over|covering)\s+(?:the\s+)?(?:next\s+)?{_YEARS}[\s-]*(?:years?|yrs?)"
    rf"|(?P<annual>per year|a year|each year|every year|annually|yearly|per annum|/yr|p\.a\.))",
    re.IGNORECASE,
)


def _period_later_in_sentence(text: str, amount: Amount) -> tuple[BudgetPeriod | None, int | None]:
    """ "Budget is 300k but that is total for 3 years": the period said after the amount, in its sentence."""
    sentence = re.match(r"[^.;\n]*", text[amount.end :])
    words = sentence.group(0)[:70] if sentence else ""
    found = [m for m in _PERIOD_LATER.finditer(words) if not re.search(r"\d", words[: m.start()])]
    if not found:
        return None, None  # nothing said, or another figure in between: the period would be that figure's
    with_years = [m for m in found if m["years"]]
    if with_years:
        return "total", _years(with_years[0]["years"])
    return ("annual", None) if found[0]["annual"] else ("total", None)


def _is_threshold(clause: Clause, amount: Amount, before: str) -> bool:
    return bool(_THRESHOLD_BEFORE.search(before) and _APPROVAL.search(clause.text))


def _is_incumbent_spend(clause: Clause, amount: Amount, before: str, after: str) -> bool:
    if re.search(r"\b(?:budget\w*|set aside|earmarked|allocated|approved)\b", clause.text, re.IGNORECASE):
        return False
    if _INCUMBENT_SPEND_BEFORE.search(before):
        return True
    spend_word = re.search(r"\b(?:pay|pays|paying|spend|spends|spending)\b", before, re.IGNORECASE)
    return bool(spend_word and _INCUMBENT_SPEND_AFTER.match(after))


# "£12k a month": the record has no monthly period, so a monthly figure is kept as twelve months' worth.
_MONTHLY_AFTER = re.compile(r"^\s*(?:(?:/|per|a|an|each|every)\s*(?:month|mo|mth)\b|monthly\b|p\.?\s?m\.?(?!\w))", re.I)
_QUARTERLY_AFTER = re.compile(r"^\s*(?:(?:/|per|a|an|each|every)\s*(?:quarter|qtr|q)\b|quarterly\b)", re.I)


def budget(text: str, parts: list[Clause], seat_spans: list[tuple[int, int]]) -> BudgetReading | None:
    """The budget the text states, with its currency, period and source, or None. Spelled numbers count
    ("ninety thousand pounds"); a monthly figure is given per year ("£12k a month" is £144,000 a year)."""
    text = spelled_out_as_digits(text, next_to_what_follows=True)
    parts = [Clause(part.start, text[part.start : part.end]) for part in parts]
    bound: list[Amount] = []
    currencied: list[Amount] = []
    bare: list[Amount] = []
    others: list[tuple[Amount, BudgetSource]] = []
    monthly: set[int] = set()
    for amount in amounts(text):
        if any(start <= amount.start < end for start, end in seat_spans):
            continue
        clause = clause_at(parts, amount.start)
        before = clause.text[max(0, amount.start - clause.start - 40) : amount.start - clause.start]
        after = clause.text[amount.end - clause.start : amount.end - clause.start + 40]
        per_month, per_quarter = _MONTHLY_AFTER.match(after), _QUARTERLY_AFTER.match(after)
        if per_month or per_quarter:  # a year's worth: twelve months, four quarters
            monthly.add(amount.start)
            amount = Amount(
                amount.value * (12 if per_month else 4), amount.currency, amount.start, amount.end, amount.text
            )
            after = after[(per_month or per_quarter).end() :]  # type: ignore[union-attr]
        today = re.match(r"^\s*(?:a year |per year )?today", after, re.IGNORECASE)
        if (_NOT_BUDGET_AFTER.match(after) and not today) or re.match(
            r"^\s*(?:%|percent|seats?|users?|licen)", after, re.I
        ):
            continue
        if _hard_exclusion(before):
            continue
        if _is_threshold(clause, amount, before):
            others.append((amount, "sign_off_threshold"))
            continue
        if _is_incumbent_spend(clause, amount, before, after):
            others.append((amount, "incumbent_spend"))
            continue
        if _NOT_BUDGET_AFTER.match(after):
            continue
        if _CURRENT_SPEND.search(clause.text) and not re.search(r"\bbudget", clause.text, re.IGNORECASE):
            continue
        cued = _bound_to_cue(clause, amount)
        if _NOT_BUDGET_BEFORE.search(before) and not cued:
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
    source: BudgetSource = "stated"
    if chosen is None and others:
        chosen, source = max(others, key=lambda o: _SOURCE_RANK[o[1]])
    if chosen is None:
        return None
    clause = clause_at(parts, chosen.start)
    period, years = ("annual", None) if chosen.start in monthly else budget_period(text, clause, chosen)
    currency = chosen.currency or _currency_in_clause(clause) or "USD"
    return BudgetReading(chosen, currency, period, years, source)


_A_CURRENCY = rf"(?:{_CODE}|{_CURRENCY_WORD}|€|£|\$)"
_CURRENCY_FIX = re.compile(
    rf"(?<![\w$€£])(?P<new>{_A_CURRENCY})(?![\w])\s*,?\s*(?:not|rather than|instead of)\s+(?:in\s+)?{_A_CURRENCY}(?![\w])"
    rf"|\bnot\s+(?:in\s+)?{_A_CURRENCY}(?![\w])\s*[,;:-]?\s*(?:but\s+|it['’]?s\s+|they['’]?re\s+)?(?:in\s+)?(?P<new2>{_A_CURRENCY})(?![\w])"
    rf"|\b(?:it['’]?s|that['’]?s|the (?:budget|number|figure|amount) is|(?:budget|number|figure|amount) is)\s+"
    rf"(?:all\s+)?in\s+(?P<new3>{_CODE}|euros|pounds|dollars|sterling)\b",
    re.IGNORECASE,
)


def currency_correction(text: str) -> tuple[str, str] | None:
    """(currency, the words) when the text corrects the currency of a figure without restating it: "EUR not
    USD", "not dollars, euros", "it's in pounds"."""
    match = _CURRENCY_FIX.search(text)
    if not match:
        return None
    word = (match["new"] or match["new2"] or match["new3"]).strip()
    lowered = word.lower()
    if lowered in SYMBOLS:
        code = SYMBOLS[lowered]
    elif re.fullmatch(_CODE, word, re.IGNORECASE):
        code = word.upper()
    elif lowered == "sterling":
        code = "GBP"
    else:
        code = CURRENCY_WORDS.get(re.sub(r"s?(?:\s+sterling)?$", "", lowered), "")
    return (code, match.group(0)) if code else None


def replaces(new_source: BudgetSource | None, old_source: BudgetSource | None) -> bool:
    """Whether a budget from `new_source` may replace one from `old_source`.

    A stated budget stays until another stated figure corrects it: a sign-off limit or what they
    pay the incumbent, heard later, is context, not a new budget.
    """
    return (new_source or "stated") == "stated" or (old_source or "stated") != "stated"


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
    rank: int  # 5 a correction, 4 seat words, 3 people who will use it, 2 a team, 1 a role count, 0 company size
    later: bool = False  # expansion: the count at full rollout, not the seats bought now
    rollout: bool = False  # "rolling out to 500": the deal's seats unless a smaller count is bought first

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


# ---- spelled numbers ("twelve hundred seats") ---------------------------------------------------

_SMALL = {
    word: index
    for index, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen".split()
    )
}
_TENS = {
    word: 10 * (index + 2) for index, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
_NUMBER_WORDS = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)"
_SPELLED = re.compile(
    rf"\b(?:an?[\s-]+(?=hundred|thousand))?{_NUMBER_WORDS}(?:[\s-]+(?:and[\s-]+)?{_NUMBER_WORDS})*\b", re.IGNORECASE
)


def _spelled_value(words: str) -> int | None:
    total = current = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word in ("a", "an"):
            current += 1
        elif word == "and":
            continue
        elif word in _SMALL:
            current += _SMALL[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word == "thousand":
            total, current = total + (current or 1) * 1000, 0
    value = total + current
    return value or None


def spelled_out_as_digits(text: str, *, next_to_what_follows: bool = False) -> str:
    """The text with spelled numbers written as digits, padded so every offset stays the same.

    "twelve hundred seats" -> "1200           seats"; a lone "one" stays ("one-off", "one of them").
    With `next_to_what_follows` the padding goes before the digits, so a unit after the number stays
    next to it: "ninety thousand pounds" -> "          90000 pounds".
    """

    def digits(match: re.Match[str]) -> str:
        words = match.group(0)
        value = _spelled_value(words)
        if value is None or words.lower() == "one" or len(str(value)) > len(words):
            return words
        if re.match(r"(?:hundred|thousand)\b", words, re.IGNORECASE):
            return words  # "200 thousand": the multiplier of the digits before it, not a number by itself
        return str(value).rjust(len(words)) if next_to_what_follows else str(value).ljust(len(words))

    return _SPELLED.sub(digits, text)


def _int(number: str, k: str | None) -> int | None:
    value = to_decimal(number, "k" if k else None)
    if value is None or value != value.to_integral_value() or not 1 <= value <= 10_000_000:
        return None
    return int(value)


# Expansion: "3,000 at full rollout", "1500 if the other BUs join", "long term the whole company, about 2,000".
_GROUPS = r"(?:subsidiaries|BUs|business units|divisions|regions|teams|sites|countries|entities|affiliates|departments|brands|plants|stores|offices)"
_EXPANSION_AFTER = re.compile(
    rf"^(?:\s+(?:seats?|users?|licen[cs]es|people|logins|named users))?(?:(?!\b(?:but|and|then|so|plus)\b)[^.;,\d]){{0,25}}?"
    rf"[\s,]*\b(?:at full (?:rollout|scale|deployment|adoption|roll-out)|"
    rf"(?:once|when) (?:fully )?rolled out|eventually|long[- ]term|over time|(?:company|enterprise|org|group)[- ]wide|"
    rf"across the (?:whole |entire )?(?:company|org|organi[sz]ation|group)|"
    rf"(?:if|once|when|after)\s+(?:the\s+|their\s+)?(?:other|more|all|every|each|remaining|rest)\b|if\s+(?:the\s+|their\s+)?(?:[\w-]+\s+){{0,2}}{_GROUPS}\b|"
    rf"next year|in year (?:two|2|three|3)|by year (?:two|2|three|3)|in phase (?:2|two)|in a second phase|later on|later)",
    re.IGNORECASE,
)
_EXPANSION_BEFORE = re.compile(
    rf"\b(?:could be|could grow to|could reach|could hit|could get to|might hit|may hit|might reach|as many as|might be|may be|grow(?:ing|s)? to|expand(?:ing|s)? to|"
    rf"scal(?:e|ing) to|potential(?:ly)?(?: of)?|full (?:rollout|roll-out|deployment) (?:of|is|would be|=)|"
    rf"at full (?:rollout|scale)|eventually|long[- ]term[^.;\d]{{0,30}}|whole (?:company|org)[^.;\d]{{0,15}}|"
    # "if it goes well the other three divisions follow, roughly 400 total"
    rf"(?:other|remaining|rest of the)\s+(?:[\w-]+\s+){{0,2}}{_GROUPS}\s+(?:follow|join|come on board|adopt|sign on)[^.;\d]{{0,20}})"
    rf"\s*(?:of\s+)?(?:about |around |roughly |~|maybe )?$",
    re.IGNORECASE,
)
# Bare counts that say what is bought now: "300 now", "start w/ 200", "200 to start".
_BARE_END = r"(?=\s*(?:$|[,;.)!\n—–+&]|-\s|\s(?:and|then|but|could|might|may|with|if|rising|growing|going|now|plus|to start|→|->)\b))"
_NOW_BARE = re.compile(
    rf"(?<![\w$€£.,/-]){_NUM_K}\s+(?:now|today|to start(?: with)?|initially|at first|up ?front|(?:on )?day (?:one|1)|"
    rf"at launch|at go[- ]live|in phase (?:1|one)|in year (?:one|1))\b"
    rf"|\b(?:start(?:ing|s)?|kick(?:ing|s)?[- ]off|begin(?:ning|s)?|land(?:ing)?|launch(?:ing)?|initially|phase (?:1|one)(?: is)?)"
    rf"\s+(?:(?:w/|with|at|of)\s+)?(?:about |around |~)?(?P<n2>{_NUMBER})\s?(?P<k2>[kK])?{_BARE_END}",
    re.IGNORECASE,
)
_LATER_BARE = re.compile(rf"(?<![\w$€£.,/-]){_NUM_K}(?![\w%$€£]|[.,]\d)", re.IGNORECASE)
# A correction of the count already known: "actually 400 not 300", "make that 320", "correction, 150".
_CORRECTION_CUE = re.compile(
    rf"\b(?:actually|correction|correcting|make (?:that|it)|sorry|wait|scratch that|typo|I mean|rather|updated?|"
    rf"revised?|oops|no)\b[\s,:–—-]*(?:(?:it'?s|its|that'?s|more like|closer to|now|to)\s+)?(?:about |around |~)?"
    rf"(?P<n>{_NUMBER})(?![\w%$€£/:]|[.,]\d){_BARE_END}",
    re.IGNORECASE,
)
_NOT_OLD = re.compile(
    rf"(?<![\w$€£.,/-])(?P<n>{_NUMBER}),?\s+(?:not|instead of|rather than)\s+(?:the\s+)?(?P<old>{_NUMBER})(?![\w%$€£]|[.,]\d)",
    re.IGNORECASE,
)
# "Enterprise for 250", "Enterprise x 500": a quantity of an edition.
_EDITION_QUANTITY = re.compile(
    rf"\b(?:Team|Business|Enterpri[sz]e|Government|Gov|HS-(?:TEAM|BUS|ENT|GOV))\s+(?:edition\s+|plan\s+|tier\s+)?"
    rf"(?:for|x|×|\*)\s+(?:all\s+)?(?:about |around |~)?{_NUM_K}{_BARE_END}",
    re.IGNORECASE,
)
# "grow from 250 to 1,000 users": the first is now, the second the rollout.
_GROWTH = re.compile(
    rf"\b(?:grow|grows|growing|expand|expands|expanding|scale|scaling|ramp(?:ing)?(?: up)?|go|going)\s+from\s+"
    rf"(?:about |around |~)?(?P<n>{_NUMBER})\s?(?P<k>[kK])?(?:\s+(?:users?|seats?|people))?\s+to\s+(?:about |around |~)?"
    rf"(?P<n2>{_NUMBER})\s?(?P<k2>[kK])?(?![\w%$€£]|[.,]\d)",
    re.IGNORECASE,
)
# "a 2-month paid pilot, then the full 800": after a pilot, the deal's count.
_AFTER_PILOT = re.compile(
    rf"\b(?:then|after that|afterwards|followed by)\s+(?:the\s+)?(?:full\s+)?(?:rollout\s+(?:of|to)\s+)?"
    rf"(?:about |around |~)?{_NUM_K}{_BARE_END}",
    re.IGNORECASE,
)
_PILOT = re.compile(r"\b(?:pilot|POC|proof of concept|trial)\b", re.IGNORECASE)
_SEAT_CONTEXT = re.compile(r"\b(?:users?|seats?|licen[cs]es?|logins?|people|headcount)\b", re.IGNORECASE)


def _is_expansion(text: str, clause: Clause, start: int, end: int) -> bool:
    before = text[max(clause.start, start - 45) : start]
    after = text[end : min(clause.end, end + 60)]
    return bool(_EXPANSION_AFTER.match(after) or _EXPANSION_BEFORE.search(before))


def _is_hedged(text: str, clause: Clause, start: int, end: int) -> bool:
    before = text[max(clause.start, start - 30) : start]
    after = text[end : min(clause.end, end + 40)]
    return bool(_HEDGE_BEFORE.search(before) or _HEDGE_AFTER.match(after))


def _uses_it(text: str, clause: Clause, end: int) -> bool:
    """A use verb follows before any other number: "90 pharmacists and analysts would use it"."""
    after = re.split(r"\d", text[end : min(clause.end, end + 50)], maxsplit=1)[0]
    return bool(_USE.search(after))


def seat_counts(text: str, parts: list[Clause], known_seats: int | None = None) -> list[Count]:
    """Every count of people or seats, ranked by how surely it is the number of seats."""
    counts: list[Count] = []

    def add(
        value: int | None, start: int, end: int, rank: int, *, rollout: bool = False, later: bool | None = None
    ) -> None:
        if value is None or any(c.start <= start < c.end or start <= c.start < end for c in counts):
            return
        clause = clause_at(parts, start)
        hedged = False
        if later is None:  # the caller may already know: "grow from 250 to 1,000"
            later = _is_expansion(text, clause, start, end)
            hedged = _is_hedged(text, clause, start, end)
        if later or hedged:
            rank = -1
        elif _PILOT_BEFORE.search(text[clause.start : start]):
            rank = min(rank, 1)
        counts.append(Count(value, start, end, text[start:end], rank, later=later, rollout=rollout))

    for match in _GROWTH.finditer(text):
        add(_int(match["n"], match["k"]), match.start("n"), match.end("n"), 4, later=False)
        add(_int(match["n2"], match["k2"]), match.start("n2"), match.end(), 1, later=True)
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
    for match in _EDITION_QUANTITY.finditer(text):
        add(_int(match["n"], match["k"]), match.start("n"), match.end(), 4)
    for pattern, rank in ((_NEED, 3), (_ROLLOUT, 3), (_OF_THEM, 3), (_TOTAL, 3), (_TEAM_OF, 2), (_N_PERSON, 2)):
        for match in pattern.finditer(text):
            clause = clause_at(parts, match.start())
            if pattern is _OF_THEM and not (
                _uses_it(text, clause, match.end())
                or re.search(r"\b(?:users?|seats?|licen[cs]es)\b", text[clause.start : match.start()], re.I)
            ):
                continue
            if pattern is _TOTAL and not re.search(r"\b(?:users?|seats?|people|licen)", clause.text, re.I):
                continue
            add(_int(match["n"], match["k"]), match.start(), match.end(), rank, rollout=pattern is _ROLLOUT)
    _add_bare_counts(text, parts, counts, known_seats, add)
    _add_sums(text, counts)
    _add_breakdowns(text, counts)
    _add_labelled_lists(text, counts)
    return sorted(counts, key=lambda c: c.start)


# "not 300, it's 350", "not 80 but 180": the old number taken back first, then the new one.
_NOT_OLD_THEN_NEW = re.compile(
    rf"\bnot\s+(?:the\s+)?(?P<old>{_NUMBER})(?![\w%$€£]|[.,]\d)\s*[,;:–—-]?\s*"
    rf"(?:(?:it['’]?s|it is|that['’]?s|but|rather|more like|closer to|make (?:it|that))\s+)?(?:about |around |~)?"
    rf"(?P<n>{_NUMBER})(?![\w%$€£/:]|[.,]\d){_BARE_END}",
    re.IGNORECASE,
)


def _add_bare_counts(
    text: str, parts: list[Clause], counts: list[Count], known_seats: int | None, add: Callable[..., None]
) -> None:
    """Numbers without a unit that are seat counts by their words: a correction, a now/later pair."""
    in_seat_talk = known_seats is not None or any(c.rank >= 1 for c in counts) or bool(_SEAT_CONTEXT.search(text))
    corrections: list[tuple[int, int, int]] = []
    for match in [*_NOT_OLD.finditer(text), *_NOT_OLD_THEN_NEW.finditer(text)]:
        old = _int(match["old"], None)
        if in_seat_talk and (old == known_seats or any(c.value == old for c in counts)):
            corrections.append((match.start("n"), match.end("n"), _int(match["n"], None) or 0))
    for match in _CORRECTION_CUE.finditer(text):
        earlier = [c for c in counts if c.end <= match.start("n") and c.rank >= 1]
        if known_seats is not None or earlier:
            corrections.append((match.start("n"), match.end("n"), _int(match["n"], None) or 0))
    for start, end, value in corrections:
        if value and not re.fullmatch(r"(?:19|20)\d\d", text[start:end]):
            add(value, start, end, 5)
    now = [m for m in _NOW_BARE.finditer(text)]
    later = [
        m
        for m in _LATER_BARE.finditer(text)
        if _is_expansion(text, clause_at(parts, m.start()), m.start(), m.end())
        and not any(c.start <= m.start() < c.end for c in counts)
    ]
    if not (in_seat_talk or (now and later) or _PILOT.search(text)):
        return
    for match in now:
        group = "n" if match["n"] else "n2"
        add(_int(match[group], match["k" if group == "n" else "k2"]), match.start(group), match.end(), 4)
    if _PILOT.search(text):
        for match in _AFTER_PILOT.finditer(text):
            add(_int(match["n"], match["k"]), match.start("n"), match.end(), 3)
    for match in later:
        add(_int(match["n"], match["k"]), match.start(), match.end(), 1)


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


def seat_reading(text: str, parts: list[Clause], known_seats: int | None = None) -> tuple[Count | None, Count | None]:
    """(seats bought now, seats at full rollout): each a count or None.

    The seat count is the best-ranked count, the last one written among equals (corrections come
    later). The full-rollout count is the largest expansion count above it ("3,000 at full
    rollout"), or a roll-out count above a smaller one bought first ("200 seats, rolling out to 2,000").
    """
    text = spelled_out_as_digits(text)
    counts = seat_counts(text, parts, known_seats)
    best = max((c.rank for c in counts), default=0)
    seat = [c for c in counts if c.rank == best][-1] if best > 0 else None
    base = seat.value if seat else known_seats
    bigger = [c for c in counts if (c.later or (c.rollout and c is not seat)) and (base is None or c.value > base)]
    return seat, max(bigger, key=lambda c: c.value) if bigger else None


def seats(text: str, parts: list[Clause]) -> Count | None:
    """The seat count, or None."""
    return seat_reading(text, parts)[0]


# ---- payment terms and the proof of concept -------------------------------------------------------

_PAYMENT_TERMS = re.compile(
    r"\bnet[\s-]?(?P<d1>\d{1,3})\b(?!\s*(?:%|k\b|seats|users|new))"
    r"|\b(?P<d2>\d{1,3})[\s-]*days?\s+(?:payment\s+)?terms\b"
    r"|\b(?:payment\s+)?terms\s+(?:of|are|is|at|:|=)?\s*(?:net\s+)?(?P<d3>\d{1,3})(?:[\s-]*days)\b"
    r"|\bpay(?:s|ing|ment)?\s+(?:with)?in\s+(?P<d4>\d{1,3})\s+days\b"
    r"|\b(?P<d5>\d{1,3})\s+days\s+net\b",
    re.IGNORECASE,
)


_OUR_TERMS = re.compile(
    r"\b(?:we|I)\s+(?:can|could|can only|could only|only|will|would|had|have|already|originally|initially)?\s*"
    r"(?:(?:already|originally|initially)\s+)?(?:do|offer|offered|proposed?|quoted?|give|gave)\b"
    r"|\bour (?:standard|policy|terms|offer)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Figure:
    value: int
    text: str


def payment_terms(text: str, parts: list[Clause]) -> Figure | None:
    """Net days of payment terms asked for ("net 60", "45-day terms"); the last one said wins."""
    found = None
    for match in _PAYMENT_TERMS.finditer(text):
        days = int(next(match[g] for g in ("d1", "d2", "d3", "d4", "d5") if match[g]))
        clause = clause_at(parts, match.start())
        if days > 365 or is_negated(clause, match.start(), match.end()):
            continue
        if _OUR_TERMS.search(text[clause.start : match.start()]):
            continue  # "we can only do net 60": our offer, not what they ask
        found = Figure(days, match.group(0))
    return found


_POC = r"(?:POC|PoC|proof[- ]of[- ]concept|pilot|trial|technical (?:evaluation|validation))"
_SPAN_NUMBER = r"(?P<n>\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_SPAN_UNIT = r"(?P<unit>weeks?|wks?|wk|w|days?|months?|mos?)"
_POC_LENGTH = re.compile(
    rf"\b{_SPAN_NUMBER}[\s-]*{_SPAN_UNIT}(?:[\s-]+long)?\s+(?:paid\s+|free\s+|technical\s+|hands-on\s+)?{_POC}\b"
    rf"|\b{_POC}\s*(?:of|for|:|=|-|–|—|lasting|over|runs?|will run|is|will be|takes?|would be)?\s*"
    rf"(?:about |~|around |roughly |up to )?{_SPAN_NUMBER.replace('<n>', '<n2>')}[\s-]*{_SPAN_UNIT.replace('<unit>', '<unit2>')}\b",
    re.IGNORECASE,
)
_SMALL_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                  "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}  # fmt: skip


def poc_weeks(text: str, parts: list[Clause]) -> Figure | None:
    """The proof of concept's length in weeks ("3 week POC", "six-week pilot", "30-day trial")."""
    found = None
    for match in _POC_LENGTH.finditer(text):
        word = (match["n"] or match["n2"]).lower()
        unit = (match["unit"] or match["unit2"]).lower()
        number = int(word) if word.isdigit() else _SMALL_NUMBERS[word]
        if unit.startswith("d"):
            weeks = max(1, round(number / 7))
        elif unit.startswith("m"):
            weeks = number * 4
        else:
            weeks = number
        if not 1 <= weeks <= 52 or is_negated(clause_at(parts, match.start()), match.start(), match.end()):
            continue
        found = Figure(weeks, match.group(0))
    return found
