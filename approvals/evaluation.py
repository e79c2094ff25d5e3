"""`lto eval approvals`: which levels a request needs under the policy, against expectations."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from approvals.policy import ApprovalFacts, Policy, evaluate


def load_cases(path: Path) -> list[dict[str, Any]]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                case = json.loads(line)
                ApprovalFacts.model_validate({k: v for k, v in case.items() if k not in ("id", "expected_levels")})
                if not isinstance(case["expected_levels"], list):
                    raise ValueError("expected_levels must be a list")
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
            cases.append(case)
    return cases


@dataclass
class ApprovalReport:
    passed: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + len(self.differences)


def run_cases(cases: list[dict[str, Any]], policy: Policy) -> ApprovalReport:
    report = ApprovalReport()
    for case in cases:
        facts = ApprovalFacts.model_validate({k: v for k, v in case.items() if k not in ("id", "expected_levels")})
        levels = evaluate(policy, facts).levels
        if sorted(levels) == sorted(case["expected_levels"]):
            report.passed += 1
        else:
            report.differences.append(f"{case['id']}: expected {case['expected_levels']}, got {levels}")
    return report
