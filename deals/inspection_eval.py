"""`lto eval inspection`: the findings deal inspection produces for a record and a quote, against expectations.

A case is a day, a qualification record, the latest quote as inspection reads it (or null) and the
exact set of finding codes a sales manager would raise. Loading and printing are the evaluation
harness's (`core/evaluation.py`).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from core.evaluation import Tally
from deals.inspection import CatalogFacts, QuoteFacts, codes, inspect
from deals.qualification import Qualification


class InspectionCase(BaseModel):
    """One line of evals/inspection.jsonl."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    today: date
    record: Qualification
    quote: QuoteFacts | None = None
    expected: list[str]


def run_cases(cases: list[InspectionCase], catalog: CatalogFacts) -> Tally:
    """Inspect every case; a case whose findings differ from the expected set is a failure."""
    tally = Tally()
    for case in cases:
        found = set(codes(inspect(case.record, case.quote, catalog=catalog, today=case.today)))
        expected = set(case.expected)
        problem = None
        if found != expected:
            extra, missing = sorted(found - expected), sorted(expected - found)
            problem = f"missing {missing or '-'}, unexpected {extra or '-'}"
        tally.record(case.id, problem)
    return tally
