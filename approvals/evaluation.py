"""`lto eval approvals`: which levels a request needs under the policy, against expectations.

A case is the facts about a quote (the fields of `ApprovalFacts`) with an id and the levels that
must approve it. Loading and printing are the evaluation harness's (`core/evaluation.py`); a
case matches when the policy asks exactly those levels, in any order.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from approvals.policy import ApprovalFacts, Policy, evaluate
from core.evaluation import Tally


class ApprovalCase(ApprovalFacts):
    """One line of evals/approvals.jsonl: the facts and the levels expected to approve."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    expected_levels: list[str]


def run_cases(cases: list[ApprovalCase], policy: Policy) -> Tally:
    """Evaluate every case under `policy`; a case asking other levels than expected is a failure."""
    tally = Tally()
    for case in cases:
        levels = evaluate(policy, case).levels
        same = sorted(levels) == sorted(case.expected_levels)
        tally.record(case.id, None if same else f"expected {case.expected_levels}, got {levels}")
    return tally
