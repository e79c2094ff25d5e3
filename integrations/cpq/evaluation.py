"""`lto eval pricing`: quote totals against hand-computed expectations, one case per line.

A case is a quote request (the fields of `QuoteRequest`) with an id, the expected outcome (a
total and currency, or the name of the refusal) and, for people, why that is the right answer.
Loading and printing are the evaluation harness's (`core/evaluation.py`); what counts as a
match is decided here.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.evaluation import Tally
from integrations.cpq.catalog import Catalog
from integrations.cpq.engine import Quote, QuoteRequest, price
from integrations.cpq.errors import QuoteRefused

REFUSALS = frozenset(refusal.__name__ for refusal in QuoteRefused.__subclasses__())


class ExpectedOutcome(BaseModel):
    """Either a total in a currency, or the refusal the engine must raise."""

    model_config = ConfigDict(extra="forbid")

    total: Decimal | None = None
    currency: str | None = None
    error: str | None = Field(None, description="The QuoteRefused subclass, e.g. UnknownSku.")

    @model_validator(mode="after")
    def _one_outcome(self) -> ExpectedOutcome:
        if self.error is not None:
            if self.error not in REFUSALS:
                raise ValueError(f"error must name a refusal ({', '.join(sorted(REFUSALS))}), not {self.error!r}")
        elif self.total is None or self.currency is None:
            raise ValueError("expected needs a total and a currency, or an error")
        return self

    def __str__(self) -> str:
        return self.error or f"{self.total} {self.currency}"


class PricingCase(QuoteRequest):
    """One line of evals/pricing.jsonl: a quote request and what it must come to."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    expected: ExpectedOutcome
    why: str | None = Field(None, description="How the expected total was computed, for people.")


def outcome_of(case: PricingCase, catalog: Catalog) -> tuple[Quote | None, str]:
    """The quote (None when refused) and the outcome as the report shows it."""
    try:
        quote = price(case, catalog)
    except QuoteRefused as exc:
        return None, type(exc).__name__
    return quote, f"{quote.total} {quote.currency}"


def matches(expected: ExpectedOutcome, quote: Quote | None, outcome: str) -> bool:
    if expected.error is not None:
        return outcome == expected.error
    return quote is not None and quote.total == expected.total and quote.currency == expected.currency


def run_cases(cases: list[PricingCase], catalog: Catalog) -> Tally:
    """Price every case; a case whose outcome differs from its expectation is a failure."""
    tally = Tally()
    for case in cases:
        quote, outcome = outcome_of(case, catalog)
        ok = matches(case.expected, quote, outcome)
        tally.record(case.id, None if ok else f"expected {case.expected}, got {outcome}")
    return tally
