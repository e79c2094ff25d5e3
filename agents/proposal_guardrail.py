"""The guardrail over a whole proposal, read as the customer will read it.

Every amount, percentage, date, SKU and product name the document states must come from the quote
(its lines, totals and commercial terms), the catalog entries of the SKUs it prices, or the deal's
own record; a figure a retrieved document states is still not the quote's, and is named as coming
from the knowledge base. Nothing internal may show: no deal or quote ids, no target close date, no
link a customer cannot open. Every capability claim must cite a chunk classified for customers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from agents import figures
from agents.proposal_document import CitedClaim, CommercialTerms, is_customer_shareable, line_discount, percent
from deals.qualification import Qualification, format_money
from integrations.cpq.catalog import Catalog
from integrations.cpq.engine import Quote
from knowledge.models import Passage

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_MONTH_NUMBER = {name: number for number, name in enumerate(_MONTHS.split("|"), start=1)}
DATES = re.compile(
    rf"\b(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})\b"
    rf"|\b(?P<day>\d{{1,2}}) (?P<month>{_MONTHS}) (?P<year>\d{{4}})\b"
    rf"|\b(?P<month_first>{_MONTHS}) (?P<day_second>\d{{1,2}}), (?P<year_second>\d{{4}})\b"
)
_PERCENT = re.compile(r"\b\d+(?:\.\d+)?\s?%")
_URL = re.compile(r"https?://[^\s)\]>|]+")
_HOST = re.compile(r"\b(?:[a-z0-9-]+\.)+(?:example|com|net|org|io|co|app)\b", re.IGNORECASE)
_INTERNAL_IDS = re.compile(r"\bdeal\s*#\s*\d+|\bquote\s+v\d+\b|\blto-deal-\d+", re.IGNORECASE)
# The deal's own words a proposal may repeat, with their figures.
RECORD_TEXT_FIELDS = ("pain", "metrics", "poc_success_criteria", "decision_criteria")


def dates_in(text: str) -> list[tuple[str, date | None]]:
    """Every date the text states, as written and as a date (None when it names no real day)."""
    found: list[tuple[str, date | None]] = []
    for match in DATES.finditer(text):
        try:
            if match["iso"]:
                day = date.fromisoformat(match["iso"])
            elif match["day"]:
                day = date(int(match["year"]), _MONTH_NUMBER[match["month"]], int(match["day"]))
            else:
                day = date(int(match["year_second"]), _MONTH_NUMBER[match["month_first"]], int(match["day_second"]))
        except ValueError:
            found.append((match[0], None))
            continue
        found.append((match[0], day))
    return found


def _compact(text: str) -> str:
    return re.sub(r"\s", "", text)


@dataclass(frozen=True)
class Permitted:
    """What a proposal may state, gathered from the quote, the quoted SKUs' catalog entries and the record."""

    money: frozenset[str]  # as printed, without spaces
    percents: frozenset[str]
    dates: frozenset[date]
    internal_dates: frozenset[date]  # the record's, never for a customer (the target close)
    quoted_skus: frozenset[str]
    catalog_skus: frozenset[str]
    product_names: dict[str, str]  # every catalog product's name (and edition name), lower case → its SKU
    hosts: frozenset[str]  # hosts a customer can open: the vendor's site and the public sources cited
    links: frozenset[str]


def product_names(catalog: Catalog) -> dict[str, str]:
    """Each catalog product's name, and for an edition of the product family ("Halyard Stream Enterprise")
    also "Enterprise edition", lower case, to its SKU."""
    names = {sku.name.lower(): sku.sku for sku in catalog.skus}
    family = _common_prefix([sku.name for sku in catalog.skus if sku.unit == "seat" and sku.tiered])
    if family:
        for sku in catalog.skus:
            if sku.name.startswith(family) and sku.name != family.strip():
                names[f"{sku.name[len(family) :].strip().lower()} edition"] = sku.sku
    return names


def _common_prefix(names: list[str]) -> str:
    """The words every edition's name starts with ("Halyard Stream "), or "" with fewer than two editions."""
    if len(names) < 2:
        return ""
    words = [name.split() for name in names]
    shared = []
    for group in zip(*words, strict=False):
        if len(set(group)) != 1:
            break
        shared.append(group[0])
    return " ".join(shared) + " " if shared else ""


def permitted(
    *,
    quote: Quote,
    terms: CommercialTerms,
    record: Qualification,
    catalog: Catalog,
    today: date,
    links: Iterable[str],
    website: str,
) -> Permitted:
    """Everything the document may state: the quote's figures as printed (each line's discount included), the
    figures in the quoted SKUs' catalog entries and in the record's own words, the terms' dates and today's."""
    amounts = {quote.total, quote.list_total, quote.discount_amount, quote.annual_contract_value}
    percents = {quote.effective_discount_pct, quote.requested_discount_pct}
    for line in quote.lines:
        amount, share = line_discount(line)
        amounts |= {line.list_unit_price, line.annual_amount, line.term_total, line.list_term_total, amount}
        percents |= {share, *(rule.pct for rule in line.rules)}
    money = {_compact(format_money(a, quote.currency)) for a in amounts}
    shown = {percent(p) for p in percents}
    quoted = {line.sku for line in quote.lines}
    texts = [sku.description or "" for sku in catalog.skus if sku.sku in quoted]
    texts += [str(getattr(record, name) or "") for name in RECORD_TEXT_FIELDS]
    for text in texts:
        money |= {_compact(token) for token, _ in figures.amounts_in(text)}
        shown |= {_compact(m[0]) for m in _PERCENT.finditer(text)}
    dates = {today, terms.valid_until}
    dates |= {d for d in (terms.term_start, record.go_live) if d is not None}
    dates |= {d for text in texts for _, d in dates_in(text) if d is not None}
    link_set = {website, *links}
    return Permitted(
        money=frozenset(money),
        percents=frozenset(shown),
        dates=frozenset(dates),
        internal_dates=frozenset({record.target_close} - dates if record.target_close else set()),
        quoted_skus=frozenset(quoted),
        catalog_skus=frozenset(s.sku for s in catalog.skus),
        product_names=product_names(catalog),
        hosts=frozenset(urlsplit(link).hostname or "" for link in link_set),
        links=frozenset(link_set),
    )


def check(document: str, allowed: Permitted, *, grounded_text: str = "") -> list[str]:
    """Problems with the rendered document, in words the rep can act on; empty when it may go out."""
    problems: list[str] = []
    grounded = _compact(grounded_text)

    def unsourced(kind: str, figure: str) -> str:
        if _compact(figure) in grounded:
            return f"{kind} '{figure}' comes from the knowledge base, not the quote"
        return f"{kind} '{figure}' is not from the quote"

    def add(problem: str) -> None:
        if problem not in problems:
            problems.append(problem)

    for token, _ in figures.amounts_in(document):
        if _compact(token) not in allowed.money:
            add(unsourced("amount", token))
    for match in _PERCENT.finditer(document):
        if _compact(match[0]) not in allowed.percents:
            add(unsourced("percentage", match[0].strip()))
    for written, day in dates_in(document):
        if day in allowed.internal_dates:
            add(f"date '{written}' is the internal target close date")
        elif day not in allowed.dates:
            add(unsourced("date", written))
    _check_skus_and_products(document, allowed, add)
    _check_internal(document, allowed, add)
    return problems


def _check_skus_and_products(document: str, allowed: Permitted, add: Callable[[str], None]) -> None:
    prefixes = sorted({sku.split("-")[0] for sku in allowed.catalog_skus if "-" in sku})
    if prefixes:
        pattern = re.compile(rf"\b(?:{'|'.join(map(re.escape, prefixes))})-[A-Z0-9]+\b")
        for sku in sorted(set(pattern.findall(document))):
            if sku not in allowed.catalog_skus:
                add(f"SKU {sku} is not in the catalog")
            elif sku not in allowed.quoted_skus:
                add(f"SKU {sku} is not on the quote")
    lowered = document.lower()
    for name, sku in allowed.product_names.items():
        if sku not in allowed.quoted_skus and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", lowered):
            add(f"product '{name}' ({sku}) is not on the quote")


def _check_internal(document: str, allowed: Permitted, add: Callable[[str], None]) -> None:
    for match in _INTERNAL_IDS.finditer(document):
        add(f"'{match[0]}' is an internal reference")
    for match in _URL.finditer(document):
        link = match[0].rstrip(".,;:")
        if link not in allowed.links and (urlsplit(link).hostname or "") not in allowed.hosts:
            add(f"link '{link}' is not one a customer can open")
    for match in _HOST.finditer(_URL.sub(" ", document)):
        host = match[0].lower()
        if host not in allowed.hosts:
            add(f"address '{host}' is not one a customer can open")


def check_claims(claims: list[CitedClaim], passages: list[Passage]) -> list[str]:
    """Each printed capability claim must cite a chunk this run retrieved that is classified for customers."""
    by_id = {p.chunk_id: p for p in passages}
    problems = []
    for claim in claims:
        passage = by_id.get(claim.chunk_id)
        if passage is None:
            problems.append(f"a claim cites {claim.chunk_id}, which was not retrieved")
        elif not is_customer_shareable(passage):
            problems.append(f"a claim cites '{passage.title}', which is not customer-shareable")
    return problems
