"""A rep's ask to quote or discount the deal, read from their message.

"Can we do 25% off Enterprise for all 300 seats with SSO and premium support, 3 years?"
→ HS-ENT 300, HS-SSO 300, HS-SUP 1, 25%, 3 years. The offline model turns this into a
`commit_quote` call; code prices it and the policy judges it, as it would for an LLM's call.
"Ballpark for 200 seats of Enterprise?" is a price question: the same reading becomes a
`preview_price` call, which CPQ answers without committing anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from deals.qualification import Qualification
from integrations.cpq.catalog import Catalog, load_catalog

DISCOUNT = re.compile(
    r"\b(?P<a>\d{1,2}(?:\.\d{1,2})?)\s?%\s*(?:off|discount)\b|\bdiscount of (?P<b>\d{1,2}(?:\.\d{1,2})?)\s?%",
    re.IGNORECASE,
)
QUOTE_IT = re.compile(r"\b(?:quote|price)\s+(?:it|this|them|the deal)\b", re.IGNORECASE)
SKU = re.compile(r"\b(HS-[A-Z]{2,5})\b(?:\s*[x×]?\s*(\d[\d,]*))?")
EDITIONS = {"enterprise": "HS-ENT", "business": "HS-BUS", "team": "HS-TEAM", "government": "HS-GOV"}
EDITION = re.compile(r"\b(enterprise|business|team|government)\b(?:\s+edition)?", re.IGNORECASE)
PER_SEAT_ADDONS = {"HS-SSO": re.compile(r"\b(?:sso|scim|single sign-on)\b", re.IGNORECASE)}
FLAT_ADDONS = {
    "HS-SUP": re.compile(r"\bpremium support\b", re.IGNORECASE),
    "HS-CONN": re.compile(r"\bpremium connectors?(?: pack)?\b", re.IGNORECASE),
    "HS-ONB": re.compile(r"\bonboarding\b", re.IGNORECASE),
}
SEATS = re.compile(r"\b(\d[\d,]*)\s*(?:seats|users|licen[cs]es)\b", re.IGNORECASE)
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
YEARS = re.compile(r"\b(\d|one|two|three|four|five)[- ](?:years?|yrs?)\b", re.IGNORECASE)
NET = re.compile(r"\bnet[- ]?(\d{2,3})\b", re.IGNORECASE)
BILLING = re.compile(
    r"\b(?:billed|billing|invoiced|pay(?:ing)?)\s+(annually|quarterly|monthly|upfront|up[- ]front)\b", re.I
)
# The rep insists on a quote CPQ would refuse for a product rule: it is priced and the deal desk decides.
OVERRIDE = re.compile(r"\boverrid(?:e|ing) the (?:product )?rules?\b|\b(?:quote|price) it anyway\b", re.IGNORECASE)
CUSTOM_SLA = re.compile(r"\b(?:custom|bespoke|non-standard) sla\b|\b99\.99\d*\s?% (?:uptime|sla)\b", re.IGNORECASE)
LEGAL = re.compile(
    r"\b(?:redlines?|changes? to (?:the |our )?(?:msa|terms|contract)|unlimited liability|"
    r"(?:higher|uncapped) liability cap|custom indemnit\w*)\b",
    re.IGNORECASE,
)


# A percentage in the same clause as one of these is someone else's number, not the rep's ask:
# "up to 99% off", "the competitor offers 40% off", "last year's 20% discount".
NOT_THE_ASK = re.compile(
    r"\b(?:up to|as much as|competitors?|competition|rivals?|vendors?|incumbents?|fivetran|informatica|"
    r"confluent|matillion|airbyte|advertis\w*|last year|previous(?:ly)?|prior|used to|instead of|not|never|"
    r"max(?:imum)?|at most)\b",
    re.IGNORECASE,
)
CLAUSE_END = re.compile(r"[.!?;:,\n]|\b(?:but|while|whereas)\b")


def _clause_around(text: str, start: int, end: int) -> str:
    """The clause a match sits in: from the previous clause boundary to the next one."""
    before = [m.end() for m in CLAUSE_END.finditer(text, 0, start)]
    after = CLAUSE_END.search(text, end)
    return text[(before[-1] if before else 0) : (after.start() if after else len(text))]


def asked_discount(text: str) -> str | None:
    """The discount the rep asks for: the last concrete one in the message, leaving out other people's
    ("up to 99% off", "the competitor offers 40% off", "last year's 20%"). None when the rep asks none."""
    asks = [
        match["a"] or match["b"]
        for match in DISCOUNT.finditer(text)
        if not NOT_THE_ASK.search(_clause_around(text, match.start(), match.end()))
    ]
    return asks[-1] if asks else None


PRICE_QUESTION = re.compile(
    r"\b(?:ball[- ]?park|rough (?:price|number|figure|cost|idea)|estimate|how much|"
    r"what (?:would|will|does|do|might)\b[^.?!\n]{0,80}\bcost|price (?:for|of)|pricing (?:for|of)|"
    r"cost (?:for|of)|what'?s the (?:price|cost))\b",
    re.IGNORECASE,
)


@cache
def _catalog() -> Catalog:
    return load_catalog()


def required_by_sources(record: Qualification | None) -> dict[str, int]:
    """The SKUs the catalog's product rules require for the deal's sources (an Oracle source: the
    connectors pack), with the quantity to quote: a good quote includes them without being told."""
    if record is None:
        return {}
    catalog = _catalog()
    needed: dict[str, int] = {}
    for rule in catalog.rules.requires:
        sku = catalog.get(rule.sku)
        if sku is not None and any(rule.needed_by(name) for name in record.integrations):
            needed[rule.sku] = 1 if sku.unit in ("flat", "instance") else (record.seats or sku.min_quantity)
    return needed


@dataclass
class QuoteAskReading:
    ask: dict[str, Any] | None  # the `commit_quote` arguments, when the message says enough
    missing: list[str] = field(default_factory=list)  # what to ask for when it does not


def read_quote_ask(text: str, known: Qualification | None) -> QuoteAskReading | None:
    """None when the message does not ask for a quote or a discount (asking what one would cost is a price
    question, `read_price_question`, unless it also says to quote it)."""
    discount = asked_discount(text)
    if discount is None and not QUOTE_IT.search(text):
        return None
    if PRICE_QUESTION.search(text) and not QUOTE_IT.search(text):
        return None
    return _read_ask(text, known, discount)


def read_price_question(text: str, known: Qualification | None) -> QuoteAskReading | None:
    """A question about what something would cost ("ballpark for 200 seats of Enterprise?"): the ask to
    preview with CPQ. None when the message asks no price, or asks to commit a quote (`read_quote_ask`)."""
    if not PRICE_QUESTION.search(text) or QUOTE_IT.search(text):
        return None
    return _read_ask(text, known, asked_discount(text))


def _read_ask(text: str, known: Qualification | None, discount: str | None) -> QuoteAskReading:
    """The quote lines, discount and terms the message (and the record) give, or what is missing."""
    seats_here = SEATS.search(text)
    seats = int(seats_here[1].replace(",", "")) if seats_here else (known.seats if known else None)
    lines: dict[str, int] = {}
    for sku, quantity in SKU.findall(text):
        lines[sku.upper()] = int(quantity.replace(",", "")) if quantity else (seats or 0)
    edition = EDITION.search(text)
    if edition and seats and not any(sku in lines for sku in EDITIONS.values()):
        lines[EDITIONS[edition[1].lower()]] = seats
    if not any(sku in lines for sku in EDITIONS.values()) and known is not None:
        for sku in known.products_of_interest:
            if sku in EDITIONS.values() and seats:
                lines[sku] = seats
                break
    if any(sku in lines for sku in EDITIONS.values()):
        for sku, pattern in PER_SEAT_ADDONS.items():
            if sku not in lines and pattern.search(text) and seats:
                lines[sku] = seats
        for sku, pattern in FLAT_ADDONS.items():
            if sku not in lines and pattern.search(text):
                lines[sku] = 1
    override = bool(OVERRIDE.search(text))
    if any(sku in lines for sku in EDITIONS.values()) and not override:
        for sku, quantity in required_by_sources(known).items():
            lines.setdefault(sku, quantity)
    missing = []
    if not any(sku in lines for sku in EDITIONS.values()):
        missing.append("the edition (Team, Business, Enterprise or Government)")
    if not seats and (not lines or not all(lines.values())):
        missing.append("the number of seats")
    if missing:
        return QuoteAskReading(ask=None, missing=missing)
    years = YEARS.search(text)
    net = NET.search(text)
    billing = BILLING.search(text)
    amount = discount or "0"
    return QuoteAskReading(
        ask={
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines.items()],
            "discount_pct": amount,
            "years": (int(years[1]) if years[1].isdigit() else WORDS[years[1].lower()]) if years else 1,
            # Unsaid terms are the deal's (the payment terms the customer asked for) or the standard ones.
            "payment_terms_days": int(net[1]) if net else None,
            "billing_frequency": _billing(billing[1]) if billing else None,
            "custom_sla": bool(CUSTOM_SLA.search(text)),
            "legal_changes": bool(LEGAL.search(text)),
            "override_rules": override,
        }
    )


def _billing(word: str) -> str:
    """`annually` → annual, `up-front` → upfront: the billing frequencies CPQ knows."""
    word = word.lower().replace("-", "").replace(" ", "")
    return {"annually": "annual"}.get(word, word)
