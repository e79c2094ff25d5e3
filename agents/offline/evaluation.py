"""Scoring of discovery scenarios: per-field precision, recall and F1, micro F1 and exact match.

A scenario is a short thread (the rep's messages, the day they were written) and the facts a
careful human would record from it. Only the fields a scenario names are scored:

- a scalar field (seats, budget, target_close, deployment, sso_required, free text) is a true
  positive when the prediction equals the expected value; a wrong prediction is both a false
  positive and a false negative; a missing prediction is a false negative. An expected `null`
  says "nothing should be recorded": a prediction there is a false positive, no prediction
  counts nothing (but keeps the scenario an exact match). A budget is its amount and currency,
  plus its `period`, `years` and `source` where the scenario states them.
- a list field (regions, compliance, competitors, incumbents, integrations, products_of_interest) is
  scored item by item as sets, names compared case-insensitively: expected and predicted is a
  true positive, predicted only a false positive, expected only a false negative. `[]` means
  nothing should be recorded.

Overall F1 is micro-averaged over every scored item; exact match is the share of scenarios
whose every expected field matches.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from agents.offline.extraction import extract
from core import evaluation
from core.evaluation import CaseFileError, Row, load_cases
from deals.qualification import Qualification, QualificationUpdate

LIST_FIELDS = frozenset({"regions", "compliance", "competitors", "incumbents", "integrations", "products_of_interest"})


class ScenarioError(CaseFileError):
    """A scenario file line that is not a valid scenario; the message names the file and line."""


class Scenario(BaseModel):
    id: str = Field(min_length=1)
    today: date = Field(description="The day the messages were written; relative dates resolve against it.")
    messages: list[str] = Field(min_length=1, description="The rep's messages, in order.")
    expected: dict[str, Any] = Field(description="Qualification field -> expected value; only these are scored.")

    @field_validator("expected")
    @classmethod
    def _known_fields_with_valid_values(cls, expected: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(expected) - set(Qualification.model_fields))
        if unknown:
            raise ValueError(f"unknown fields {unknown}")
        # The update model validates each value's shape (a region code, an ISO date, a Money),
        # so a typo in the expected values fails on load instead of silently scoring as a miss.
        QualificationUpdate.model_validate({k: v for k, v in expected.items() if v is not None})
        return expected


def load_scenarios(path: Path | str) -> list[Scenario]:
    """One JSON object per line; blank lines are skipped. Errors name the line and the field."""
    return load_cases(Path(path), Scenario, error=ScenarioError)


@dataclass
class FieldScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    # With nothing predicted there is nothing wrong (precision 1); with nothing expected there
    # is nothing missed (recall 1). F1 is then 2TP / (2TP + FP + FN), 1 when nothing counted.
    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 1.0

    def add(self, other: FieldScore) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def row(self, label: str, *, total: bool = False) -> Row:
        """This score as a row of the report's table."""
        metrics = {"precision": self.precision, "recall": self.recall, "F1": self.f1}
        return Row(label=label, metrics={**metrics, "TP": self.tp, "FP": self.fp, "FN": self.fn}, total=total)


@dataclass(frozen=True)
class Miss:
    scenario: str
    field: str
    expected: Any
    got: Any

    @property
    def problem(self) -> str:
        return f"{self.field} expected {self.expected!r}, got {self.got!r}"

    def __str__(self) -> str:
        return f"{self.scenario}: {self.problem}"


@dataclass
class Report:
    fields: dict[str, FieldScore] = field(default_factory=dict)
    scenarios: int = 0
    exact: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def micro(self) -> FieldScore:
        total = FieldScore()
        for score in self.fields.values():
            total.add(score)
        return total

    @property
    def f1(self) -> float:
        return self.micro.f1

    def add(self, scenario: Scenario, record: Qualification) -> None:
        """Score one scenario's final record into the report."""
        scores, misses = score_record(scenario, record)
        for name, counts in scores.items():
            self.fields.setdefault(name, FieldScore()).add(counts)
        self.misses.extend(misses)
        self.scenarios += 1
        self.exact += not misses

    @property
    def exact_match_rate(self) -> float:
        return self.exact / self.scenarios if self.scenarios else 0.0

    def summary(self, heading: str = "") -> evaluation.Report:
        """One row per scored field, the micro average, exact match, and every field that differs."""
        rows = [score.row(name) for name, score in sorted(self.fields.items())]
        exact = f"exact match: {self.exact}/{self.scenarios} scenarios ({self.exact_match_rate:.1%})"
        return evaluation.Report(
            heading=heading,
            title="field",
            rows=[*rows, self.micro.row("all fields (micro)", total=True)],
            notes=[exact],
            failures=[evaluation.Failure(case=miss.scenario, problem=miss.problem) for miss in self.misses],
        )

    def render(self) -> str:
        """A plain-text table, one row per scored field, then the micro average and exact match."""
        return evaluation.render_text(self.summary(), failures=False)


def _normal(name: str, value: Any) -> Any:
    """A comparable form: Decimal amounts, dates, case-folded names and text."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if name == "budget":
        return Decimal(str(value["amount"])).normalize(), str(value.get("currency", "USD")).upper()
    if name in ("target_close", "go_live"):
        return value if isinstance(value, date) else date.fromisoformat(value)
    if name in LIST_FIELDS:
        return {str(getattr(v, "value", v)).strip().casefold() for v in value}
    if isinstance(value, str):
        return " ".join(value.split()).strip(" .").casefold()
    return value


BUDGET_DETAILS = ("period", "years", "source")


def _budget_as_stated(expected_raw: Any, normal: Any, raw: Any = None) -> Any:
    """A budget's comparable form, with the details the expected value states (from `raw`, or the expected)."""
    if normal is None or not isinstance(expected_raw, dict):
        return normal
    source = expected_raw if raw is None else raw
    if isinstance(source, BaseModel):
        source = source.model_dump(mode="json")
    return (*normal, *(source.get(key) for key in BUDGET_DETAILS if key in expected_raw))


def _shown(value: Any) -> Any:
    """A predicted value as it would be written in a scenario file."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [str(getattr(v, "value", v)) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def score_record(scenario: Scenario, record: Qualification) -> tuple[dict[str, FieldScore], list[Miss]]:
    """The counts for one scenario's final record, and what it got wrong."""
    scores: dict[str, FieldScore] = {}
    misses: list[Miss] = []
    for name, expected_raw in scenario.expected.items():
        got_raw = getattr(record, name)
        expected, got = _normal(name, expected_raw), _normal(name, got_raw)
        if name == "budget":  # period, years and source count only where the scenario states them
            expected, got = _budget_as_stated(expected_raw, expected), _budget_as_stated(expected_raw, got, got_raw)
        score = scores.setdefault(name, FieldScore())
        if name in LIST_FIELDS:
            expected, got = expected or set(), got or set()
            score.tp += len(expected & got)
            score.fp += len(got - expected)
            score.fn += len(expected - got)
            right = expected == got
        elif got == expected:
            score.tp += expected is not None
            right = True
        else:
            score.fp += got is not None
            score.fn += expected is not None
            right = False
        if not right:
            misses.append(Miss(scenario.id, name, expected_raw, _shown(got_raw)))
    return scores, misses


def score(scenarios: Iterable[Scenario], run: Callable[[Scenario], Qualification]) -> Report:
    """Run every scenario (`run` returns the record after all its messages) and score the records."""
    report = Report()
    for scenario in scenarios:
        report.add(scenario, run(scenario))
    return report


def run_offline(scenario: Scenario) -> Qualification:
    """The offline extractor over a thread: each message's facts merged into the record, in order.

    The record so far is passed as `known`, and the earlier messages as `context`, as the discovery
    model does, so a message that drops a name from a list can replace the list.
    """
    record = Qualification()
    for index, message in enumerate(scenario.messages):
        earlier = "\n".join(scenario.messages[:index])
        record, _ = record.merged(extract(message, today=scenario.today, known=record, context=earlier).update)
    return record


def main(argv: list[str] | None = None) -> int:
    """`python -m agents.offline.evaluation [scenarios.jsonl ...] [--misses]`: score the offline extractor."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "paths", nargs="*", default=[str(Path(__file__).resolve().parents[2] / "evals/discovery.jsonl")]
    )
    parser.add_argument("--misses", action="store_true", help="list every wrong field")
    args = parser.parse_args(argv)
    for path in args.paths:
        report = score(load_scenarios(path), run_offline)
        sys.stdout.write(f"{path}\n{report.render()}\n")
        if args.misses:
            sys.stdout.write("".join(f"  {miss}\n" for miss in report.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
