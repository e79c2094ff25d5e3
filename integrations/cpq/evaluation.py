"""`lto eval pricing`: quote totals against hand-computed expectations, one case per line.

A case is a quote request (the fields of `QuoteRequest`) with an id, the expected outcome (a
total and currency, or the name of the refusal; with `rules`, exactly the product rules the quote
must report and what each did) and, for people, why that is the right answer.
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
from integrations.cpq.rules import RuleStatus

REFUSALS = frozenset(refusal.__name__ for refusal in QuoteRefused.__subclasses__())


class ExpectedRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = Field(description="The rule's id, e.g. requires:premium-sources.")
    status: RuleStatus

    def __str__(self) -> str:
        return f"{self.rule} {self.status}"


class ExpectedOutcome(BaseModel):
    """Either a total in a currency (and, when given, the product rules the quote reports), or the refusal
    the engine must raise."""

    model_config = ConfigDict(extra="forbid")

    total: Decimal | None = None
    currency: str | None = None
    error: str | None = Field(None, description="The QuoteRefused subclass, e.g. UnknownSku.")
    rules: list[ExpectedRule] | None = Field(
        None,
        description="Exactly the product rules the quote reports, but the routine ones (an add-on's edition on the "
        "quote); None: not checked.",
    )

    @model_validator(mode="after")
    def _one_outcome(self) -> ExpectedOutcome:
        if self.error is not None:
            if self.error not in REFUSALS:
                raise ValueError(f"error must name a refusal ({', '.join(sorted(REFUSALS))}), not {self.error!r}")
            if self.rules is not None:
                raise ValueError("a refused quote reports no rules: give an error or rules, not both")
        elif self.total is None or self.currency is None:
            raise ValueError("expected needs a total and a currency, or an error")
        return self

    def __str__(self) -> str:
        if self.error:
            return self.error
        rules = f" [{', '.join(sorted(map(str, self.rules)))}]" if self.rules is not None else ""
        return f"{self.total} {self.currency}{rules}"


def reported_rules(quote: Quote) -> list[ExpectedRule]:
    return [ExpectedRule(rule=o.rule, status=o.status) for o in quote.rule_outcomes if not o.routine]


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
    rules = f" [{', '.join(sorted(map(str, reported_rules(quote))))}]" if case.expected.rules is not None else ""
    return quote, f"{quote.total} {quote.currency}{rules}"


def matches(expected: ExpectedOutcome, quote: Quote | None, outcome: str) -> bool:
    if expected.error is not None:
        return outcome == expected.error
    if quote is None or quote.total != expected.total or quote.currency != expected.currency:
        return False
    return expected.rules is None or set(reported_rules(quote)) == set(expected.rules)


def run_cases(cases: list[PricingCase], catalog: Catalog) -> Tally:
    """Price every case; a case whose outcome differs from its expectation is a failure."""
    tally = Tally()
    for case in cases:
        quote, outcome = outcome_of(case, catalog)
        ok = matches(case.expected, quote, outcome)
        tally.record(case.id, None if ok else f"expected {case.expected}, got {outcome}")
    return tally
