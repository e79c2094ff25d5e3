"""Numbers reps write: seat counts ("1.2k users") and money ("$180k", "EUR 250,000", "150-200k budget")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MULT = r"k|K|m|M|mm|MM|bn|million|mil|thousand|grand"
MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "grand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "mil": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
}
SYMBOLS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "ca$": "CAD", "c$": "CAD", "a$": "AUD", "au$": "AUD"}
CODES = {
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "cad": "CAD",
    "aud": "AUD",
    "dollars": "USD",
    "bucks": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
}

WORD_NUMBERS = {
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
}


def to_decimal(number: str, multiplier: str | None = None) -> Decimal | None:
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    if multiplier:
        value *= MULTIPLIERS[multiplier.lower()]
    return value


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str | None  # None: a bare number with k/M, currency unknown
    start: int
    end: int
    text: str


_MONEY = re.compile(
    rf"(?P<sym>US\$|CA\$|C\$|AU\$|A\$|[$€£])\s?(?P<n1>{_NUMBER})\s?(?P<m1>{_MULT})?\b"
    rf"(?:\s?(?:-|–|to)\s?(?:US\$|CA\$|C\$|AU\$|A\$|[$€£])?\s?(?P<n2>{_NUMBER})\s?(?P<m2>{_MULT})?\b)?"
    rf"|(?P<code>USD|EUR|GBP|CAD|AUD)\s?(?P<n3>{_NUMBER})\s?(?P<m3>{_MULT})?\b"
    rf"|(?P<n4>{_NUMBER})\s?(?P<m4>{_MULT})?(?:\s?(?:-|–|to)\s?(?P<n5>{_NUMBER})\s?(?P<m5>{_MULT})?)?"
    rf"\s?(?P<code2>USD|EUR|GBP|CAD|AUD|dollars|bucks|euros?|pounds)\b"
    rf"|(?P<n6>{_NUMBER})(?:\s?(?:-|–|to)\s?(?P<n7>{_NUMBER}))?\s?(?P<m6>k|K|M|mm|MM|million|thousand)\b(?!\s*(?:seats|users|licen))",
    re.IGNORECASE,
)


def amounts(text: str) -> list[Amount]:
    """Every money-like amount; a range gives its upper bound (what the customer can stretch to)."""
    found = []
    for match in _MONEY.finditer(text):
        g = match.groupdict()
        if g["sym"]:
            currency = SYMBOLS[g["sym"].lower()]
            low, high = (g["n1"], g["m1"]), (g["n2"], g["m2"] or g["m1"])
        elif g["code"]:
            currency, low, high = g["code"].upper(), (g["n3"], g["m3"]), (None, None)
        elif g["code2"]:
            currency = CODES[g["code2"].lower()]
            low, high = (g["n4"], g["m4"] or g["m5"]), (g["n5"], g["m5"])
        else:
            currency, low, high = None, (g["n6"], g["m6"]), (g["n7"], g["m6"])
        number, multiplier = high if high[0] else low
        value = to_decimal(number, multiplier)
        if value is None or value <= 0:
            continue
        found.append(Amount(value=value, currency=currency, start=match.start(), end=match.end(), text=match.group(0)))
    return found


_SEAT_UNITS = (
    r"seats?|users?|named users?|licen[cs]es?|user licen[cs]es?|accounts?|logins?|people|engineers|analysts|"
    r"developers|devs|data engineers|agents|operators|reps|staff|employees|members"
)
# Units that count how many will use the product; employees/staff count the company unless
# a phrase says they will use it.
_USING_UNITS = {
    "seat",
    "seats",
    "user",
    "users",
    "named user",
    "named users",
    "license",
    "licenses",
    "licence",
    "licences",
    "user license",
    "user licenses",
    "user licence",
    "user licences",
    "accounts",
    "account",
    "logins",
    "login",
}
_COUNT = re.compile(
    rf"(?P<approx>~|about |around |roughly |approx\.? |approximately |some |up to )?"
    rf"(?P<n>{_NUMBER})\s?(?P<k>[kK])?\+?\s?(?P<unit>{_SEAT_UNITS})\b(?P<after>[^.;\n]{{0,40}})",
    re.IGNORECASE,
)
_COUNT_AFTER_NOUN = re.compile(
    rf"\b(?:seat count|seats|users|licen[cs]es|user count|headcount for the tool)\s*(?:is|=|:|of|will be|at|around|~)?\s*"
    rf"(?:about |around |roughly |~)?(?P<n>{_NUMBER})\s?(?P<k>[kK])?\b(?!\s?(?:%|percent|k\b|m\b|dollars|usd|eur))",
    re.IGNORECASE,
)
_USES = re.compile(
    r"\b(will use|would use|using it|use it|need access|needs access|on the platform|to use|onboard)", re.I
)
_ACCESS = re.compile(
    rf"(?:only|just|about|around|~)?\s*(?P<n>{_NUMBER})\s?(?P<k>[kK])?\s+(?:of them\s+)?(?:need|needs|will need|would need)"
    rf"\s+(?:access|a seat|seats|licen[cs]es|to use it|to log in)",
    re.IGNORECASE,
)
_NOT_BEFORE = re.compile(r"(?:\bnot|\binstead of|\brather than|\bwas|\bfrom)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Count:
    value: int
    start: int
    text: str
    using: bool  # counts people who will use the product (not company size)


def seat_counts(text: str) -> list[Count]:
    counts: list[Count] = []
    for match in _COUNT.finditer(text):
        number = to_decimal(match["n"], "k" if match["k"] else None)
        if number is None or number != number.to_integral_value():
            continue
        before = text[max(0, match.start() - 12) : match.start()]
        if _NOT_BEFORE.search(before):
            continue  # "300 seats, not 250 seats": the corrected value is not a fact
        unit = match["unit"].lower()
        # What follows, up to the next contrast: "2,500 employees but only 600 need access".
        after = re.split(r",|;| but | however | whereas ", match["after"] or "", maxsplit=1)[0]
        using = unit in _USING_UNITS or bool(_USES.search(after))
        words = text[match.start() : match.end("unit")]
        counts.append(Count(value=int(number), start=match.start(), text=words.strip(), using=using))
    for pattern in (_COUNT_AFTER_NOUN, _ACCESS):
        for match in pattern.finditer(text):
            number = to_decimal(match["n"], "k" if match["k"] else None)
            if number is None or number != number.to_integral_value():
                continue
            if any(c.start <= match.start("n") < c.start + len(c.text) for c in counts):
                continue
            counts.append(Count(value=int(number), start=match.start(), text=match.group(0).strip(), using=True))
    return sorted(counts, key=lambda c: c.start)


def word_number(word: str) -> int | None:
    word = word.lower()
    if word.isdigit():
        return int(word)
    return WORD_NUMBERS.get(word)
