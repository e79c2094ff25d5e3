"""`lto eval pricing`: quote totals against hand-computed expectations, one case per line."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from integrations.cpq.catalog import Catalog
from integrations.cpq.engine import QuoteRequest, price
from integrations.cpq.errors import QuoteRefused


def load_cases(path: Path) -> list[dict[str, Any]]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            if "expected" not in case or not case.get("lines"):
                raise ValueError("a case needs lines and expected")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
        cases.append(case)
    return cases


@dataclass
class PricingReport:
    passed: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + len(self.failures)


def run_cases(cases: list[dict[str, Any]], catalog: Catalog) -> PricingReport:
    report = PricingReport()
    for case in cases:
        request = QuoteRequest.model_validate({k: v for k, v in case.items() if k not in ("id", "expected", "why")})
        expected = case["expected"]
        try:
            quote = price(request, catalog)
            outcome = f"{quote.total} {quote.currency}"
        except QuoteRefused as exc:
            outcome = type(exc).__name__
            quote = None
        if "error" in expected:
            ok = outcome == expected["error"]
        else:
            ok = (
                quote is not None
                and quote.total == Decimal(expected["total"])
                and quote.currency == expected["currency"]
            )
        if ok:
            report.passed += 1
        else:
            want = expected.get("error") or f"{expected['total']} {expected['currency']}"
            report.failures.append(f"{case['id']}: expected {want}, got {outcome}")
    return report
