"""The evaluation harness: JSONL case files in, a report of named metrics and per-case failures out.

Every `lto eval` command works the same way: `load_cases` reads a case file into the domain's
pydantic case model (a broken line is refused with one line naming `file:line` and the field),
the domain's scorer says which cases are right and computes its metrics, and the result is a
`Report`, printed as a text table (`render_text`) or as JSON for machines (`render_json`).
The scorers stay in their domains: only they know what a correct answer is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from core.validation import one_line

Case = TypeVar("Case", bound=BaseModel)
Metric = int | float


class CaseFileError(ValueError):
    """A case file, or one line of it, that cannot be used; the message is `file:line: field: problem`."""


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


# Loading ----------------------------------------------------------------------------------------


def load_cases(
    path: Path, model: type[Case], *, error: type[CaseFileError] = CaseFileError, unique: str | None = "id"
) -> list[Case]:
    """One JSON object per line, each validated as `model`; blank lines are skipped.

    `unique` names a field no two cases may share (the case id); `error` is the domain's own
    subclass of CaseFileError, for callers that catch it by name.
    """
    cases: list[Case] = []
    seen: set[object] = set()
    for number, line in numbered_lines(path, error):
        case = parse_case(line, model, error=error, where=f"{path}:{number}")
        key = getattr(case, unique, None) if unique else None
        if key is not None and key in seen:
            raise error(f"{path}:{number}: duplicate {unique} {key!r}")
        seen.add(key)
        cases.append(case)
    return cases


def numbered_lines(path: Path, error: type[CaseFileError] = CaseFileError) -> list[tuple[int, str]]:
    """The file's non-blank lines with their 1-based numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise error(f"{path}: cannot be read: {reason}") from None
    return [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def parse_case(line: str, model: type[Case], *, error: type[CaseFileError] = CaseFileError, where: str) -> Case:
    """One line as a case, or `error` prefixed with `where` (`file:line`)."""
    try:
        return model.model_validate(json.loads(line))
    except json.JSONDecodeError as exc:
        raise error(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
    except ValidationError as exc:
        raise error(f"{where}: {one_line(exc)}") from None


# Reports ----------------------------------------------------------------------------------------


class Row(BaseModel):
    """One line of the table: a label (a field, a mode, a catalog) and its metrics by name."""

    label: str
    metrics: dict[str, Metric]
    total: bool = False  # a summary row, ruled off from the rows above it


class Failure(BaseModel):
    """One case the scorer found wrong, and how."""

    case: str
    problem: str
    group: str | None = None  # which row it belongs to when a report compares several (a retrieval mode)

    def __str__(self) -> str:
        return f"{self.case}: {self.problem}"


class Report(BaseModel):
    """What an evaluation found: a table of metrics, notes under it, and the cases that failed."""

    heading: str = ""  # what was evaluated: "256 scenarios from evals/discovery.jsonl, model offline"
    title: str  # the label column's header: "field", "retrieval", "pricing"
    rows: list[Row]
    notes: list[str] = []
    failures: list[Failure] = []
    failures_title: str = "Differences"


@dataclass
class Tally:
    """Cases that either match their expectation or do not (pricing, approvals)."""

    passed: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + len(self.failures)

    def record(self, case: str, problem: str | None) -> None:
        """Count one case: `problem` is None when it matched."""
        if problem is None:
            self.passed += 1
        else:
            self.failures.append(Failure(case=case, problem=problem))

    def report(self, *, heading: str, title: str, label: str) -> Report:
        row = Row(label=label, metrics={"cases": self.total, "match": self.passed, "differ": len(self.failures)})
        return Report(heading=heading, title=title, rows=[row], failures=self.failures)


# Printing ---------------------------------------------------------------------------------------


def render(report: Report, output: ReportFormat = ReportFormat.TEXT, *, failures: bool = True) -> str:
    """The report as text for people or JSON for machines (JSON always lists the failures)."""
    return render_json(report) if output is ReportFormat.JSON else render_text(report, failures=failures)


def render_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def render_text(report: Report, *, failures: bool = True) -> str:
    """Heading, table, notes, then the failures grouped under their titles."""
    lines = [report.heading] if report.heading else []
    if report.rows:
        lines.extend(table_lines(report.title, report.rows))
    lines.extend(report.notes)
    if failures:
        lines.extend(failure_lines(report))
    return "\n".join(lines)


def table_lines(title: str, rows: list[Row]) -> list[str]:
    """A plain-text table: labels left-aligned, metrics right-aligned (fractions to 3 places)."""
    columns = list(dict.fromkeys(name for row in rows for name in row.metrics))
    cells = [[format_metric(row.metrics.get(name)) for name in columns] for row in rows]
    label_width = max(len(title), *(len(row.label) for row in rows)) + 2
    widths = [max(len(name), *(len(line[i]) for line in cells)) + 2 for i, name in enumerate(columns)]

    def line(label: str, values: Iterable[str]) -> str:
        cells = "".join(f"{value:>{width}}" for value, width in zip(values, widths, strict=True))
        return f"{label:<{label_width}}{cells}"

    header = line(title, columns)
    rule = "-" * len(header)
    lines = [header, rule]
    for row, values in zip(rows, cells, strict=True):
        if row.total:
            lines.append(rule)
        lines.append(line(row.label, values))
    return lines


def format_metric(value: Metric | None) -> str:
    if value is None:
        return ""
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def failure_lines(report: Report) -> list[str]:
    """One section per group (in order of first appearance), one indented line per failure."""
    lines: list[str] = []
    groups = list(dict.fromkeys(failure.group for failure in report.failures))
    for group in groups:
        title = f"{report.failures_title} ({group})" if group else report.failures_title
        lines.extend(["", title])
        lines.extend(f"  {failure}" for failure in report.failures if failure.group == group)
    return lines
