"""`lto eval discovery`: replay scenarios through the real agent and score the records it ends with.

Scoring, per field: a scalar is a true positive when it equals the expected value; a wrong
value is both a false positive and a false negative; a missing one is a false negative. A
list field is scored item by item as sets (names compared case-insensitively). Only the keys
a scenario gives are scored. Overall F1 is micro-averaged over every scored item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from agents.discovery import DiscoveryDeps, run_turn
from agents.prompts import turn_prompt
from core.qualification import Qualification

LIST_FIELDS = {"competitors", "integrations", "regions", "compliance", "products_of_interest"}


class ScenarioError(ValueError):
    """A scenario file line that is not a valid scenario; the message names the line."""


def load_scenarios(path: Path) -> list[dict[str, Any]]:
    scenarios = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            scenario = json.loads(line)
            date.fromisoformat(scenario["today"])
            if not isinstance(scenario["messages"], list) or not scenario["messages"]:
                raise ValueError("messages must be a non-empty list")
            if not isinstance(scenario["expected"], dict):
                raise ValueError("expected must be an object")
            unknown = set(scenario["expected"]) - set(Qualification.model_fields)
            if unknown:
                raise ValueError(f"unknown fields {sorted(unknown)}")
        except (ValueError, KeyError, TypeError) as exc:
            raise ScenarioError(f"{path}:{number}: {exc}") from None
        scenarios.append(scenario)
    return scenarios


async def replay(scenario: dict[str, Any], *, model: Any, model_name: str) -> Qualification:
    """Send each message as one turn, as a rep would in a thread; return the final record."""
    today = date.fromisoformat(scenario["today"])
    record = Qualification()
    history: list[Any] = []
    for message in scenario["messages"]:
        deps = DiscoveryDeps(record=record, deal_id=1, user_id="U0EVAL", today=today)
        outcome = await run_turn(
            prompt=turn_prompt(user="<@U0EVAL>", day=today, text=message),
            deps=deps,
            history_json=history,
            model=model,
            model_name=model_name,
        )
        record, history = deps.current(), outcome.history
    return record


def _normal(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "budget":
        return (Decimal(str(value["amount"])).normalize(), value["currency"].upper())
    if name in LIST_FIELDS:
        return {str(v).lower() for v in value}
    if isinstance(value, str):
        return value.strip().lower()
    return value


@dataclass
class FieldScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    fields: dict[str, FieldScore] = field(default_factory=dict)
    scenarios: int = 0
    exact: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def micro(self) -> FieldScore:
        total = FieldScore()
        for score in self.fields.values():
            total.tp += score.tp
            total.fp += score.fp
            total.fn += score.fn
        return total

    @property
    def exact_match_rate(self) -> float:
        return self.exact / self.scenarios if self.scenarios else 0.0

    def render(self) -> str:
        def row(label: str, s: FieldScore) -> str:
            return f"{label:<22}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.tp + s.fn:>7}"

        lines = [f"{'field':<22}{'precision':>10}{'recall':>8}{'F1':>7}{'items':>7}"]
        lines += [row(name, score) for name, score in sorted(self.fields.items())]
        lines.append(row("all fields (micro)", self.micro))
        lines.append(f"exact match: {self.exact}/{self.scenarios} scenarios ({self.exact_match_rate:.1%})")
        return "\n".join(lines)


def score_one(report: Report, scenario: dict[str, Any], record: Qualification) -> None:
    actual = record.model_dump(mode="json")
    all_right = True
    for name, expected_raw in scenario["expected"].items():
        expected, got = _normal(name, expected_raw), _normal(name, actual.get(name))
        score = report.fields.setdefault(name, FieldScore())
        if name in LIST_FIELDS:
            expected, got = expected or set(), got or set()
            score.tp += len(expected & got)
            score.fp += len(got - expected)
            score.fn += len(expected - got)
            right = expected == got
        elif got == expected:
            score.tp += 1
            right = True
        else:
            score.fn += 1
            score.fp += got is not None
            right = False
        if not right:
            all_right = False
            report.misses.append(f"{scenario['id']}: {name} expected {expected_raw!r}, got {actual.get(name)!r}")
    report.scenarios += 1
    report.exact += all_right


async def evaluate(scenarios: list[dict[str, Any]], *, model: Any, model_name: str) -> Report:
    report = Report()
    for scenario in scenarios:
        score_one(report, scenario, await replay(scenario, model=model, model_name=model_name))
    return report
