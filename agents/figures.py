"""Money in text: the amounts a reply or a document states, so guardrails can hold every one to CPQ's figures.

Prices a person reads from the bot come from the CPQ engine, never from a document or a model. The
guardrails read the amounts out of what is about to be posted and compare their values with the
amounts CPQ computed (and the deal's own figures, such as the budget the rep gave); anything else
is refused. The offline models use the same reading to leave amounts out of what they quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

# "$97,865.28", "€12,500", "£909", "USD 250k", "A$60k", "1,150 dollars", "250k USD".
MONEY = re.compile(
    r"(?:\b(?:CA|A)\$|[$€£]|\b(?:USD|EUR|GBP|CAD|AUD|CHF)\s?)\s?\d[\d,]*(?:\.\d+)?(?:\s?[kKmM]\b)?"
    r"|\b\d[\d,]*(?:\.\d+)?\s?[kKmM]?\s?(?:USD|EUR|GBP|CAD|AUD|CHF|dollars|euros|pounds)\b"
)
PERCENT = re.compile(r"\d\s?%")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_SCALE = {"k": Decimal(1_000), "m": Decimal(1_000_000)}


def value_of(token: str) -> Decimal | None:
    """The amount a money token states ("$250k" is 250000); None if it has no readable number."""
    number = _NUMBER.search(token)
    if number is None:
        return None
    try:
        amount = Decimal(number[0].replace(",", ""))
    except InvalidOperation:
        return None
    rest = token[number.end() :].strip().lower()
    return amount * _SCALE[rest[0]] if rest[:1] in _SCALE else amount


def amounts_in(text: str) -> list[tuple[str, Decimal]]:
    """Every money amount the text states, as written and as a value."""
    found = []
    for match in MONEY.finditer(text):
        value = value_of(match[0])
        if value is not None:
            found.append((match[0].strip(), value))
    return found


def values_in(texts: Iterable[str]) -> set[Decimal]:
    """The values of every amount these texts state."""
    return {value for text in texts for _, value in amounts_in(text)}


def states_money(text: str) -> bool:
    return MONEY.search(text) is not None


def place(title: str, section: str | None) -> str:
    """Where a passage sits, as a citation names it ("Security › Encryption"), without the headings that state
    an amount ("Why is my invoice more than $25?"): a citation copies no amount out of a document either."""
    headings = [part for part in (section or "").split(" › ") if part and not states_money(part)]
    shown = title if not states_money(title) else ""
    return " › ".join([shown, *headings] if shown else headings) or "source"


def without_amounts(text: str, *, percentages: bool = False) -> str:
    """The text without its sentences (and table rows) that state an amount (or, asked, a percentage):
    what an offline model may quote from a document."""
    from agents.offline.quoting import sentences  # the offline quoting's own reading of sentences and tables

    return "\n".join(
        unit for unit in sentences(text) if not states_money(unit) and not (percentages and PERCENT.search(unit))
    )


def unsourced(text: str, allowed: set[Decimal]) -> list[str]:
    """The amounts in `text` whose value is none of `allowed`, as written, each once."""
    bad: list[str] = []
    for token, value in amounts_in(text):
        if value not in allowed and token not in bad:
            bad.append(token)
    return bad
